// Thin WebCrypto wrappers: HMAC, HKDF, AES-GCM, P-256 key import/export.

import { b64uEncode, concat, fromHex, toHex } from "./bytes.js";

/** The SubtleCrypto of this realm (browser or Node >= 20). */
export const subtle = globalThis.crypto.subtle;

/** Fresh random bytes (crypto.getRandomValues, chunked to its 64 KiB limit). */
export function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** HMAC-SHA256. An empty key is replaced by 32 zero bytes (the same HMAC, and WebCrypto
 * refuses empty HMAC keys). @returns {Promise<Uint8Array>} */
export async function hmacSha256(key, data) {
  const k = await subtle.importKey("raw", key.length ? key : new Uint8Array(32),
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}

/** HKDF-SHA256 (RFC 5869); empty salt means 32 zero bytes. @returns {Promise<Uint8Array>} */
export async function hkdf(ikm, salt, info, length) {
  const k = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, k, length * 8);
  return new Uint8Array(bits);
}

/** One-shot SHA-256 via WebCrypto. @returns {Promise<Uint8Array>} */
export async function sha256Async(data) {
  return new Uint8Array(await subtle.digest("SHA-256", data));
}

/** Import a raw AES-GCM key (16 or 32 bytes) for encrypt/decrypt. */
export function aesKey(raw) {
  return subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function aesGcmEncrypt(key, nonce, pt, aad) {
  const params = { name: "AES-GCM", iv: nonce, tagLength: 128 };
  if (aad && aad.length) params.additionalData = aad;
  return new Uint8Array(await subtle.encrypt(params, key, pt));
}

/** AES-GCM decrypt; rejects (OperationError) on an authentication failure. */
export async function aesGcmDecrypt(key, nonce, ct, aad) {
  const params = { name: "AES-GCM", iv: nonce, tagLength: 128 };
  if (aad && aad.length) params.additionalData = aad;
  return new Uint8Array(await subtle.decrypt(params, key, ct));
}

const ALGS = {
  ecdh: { name: "ECDH", namedCurve: "P-256" },
  ecdsa: { name: "ECDSA", namedCurve: "P-256" },
};
const PRIV_USAGES = { ecdh: ["deriveBits"], ecdsa: ["sign"] };
const PUB_USAGES = { ecdh: [], ecdsa: ["verify"] };

/**
 * Import a 65-byte uncompressed P-256 point (checks it is on the curve).
 * @param {Uint8Array} raw @param {"ecdh"|"ecdsa"} kind @returns {Promise<CryptoKey>}
 */
export function importPublicKey(raw, kind) {
  if (!(raw instanceof Uint8Array) || raw.length !== 65 || raw[0] !== 4) {
    return Promise.reject(new TypeError("public key must be a 65-byte uncompressed P-256 point"));
  }
  return subtle.importKey("raw", raw, ALGS[kind], true, PUB_USAGES[kind]);
}

/** 65-byte uncompressed point of a public CryptoKey. */
export async function exportPublicRaw(publicKey) {
  return new Uint8Array(await subtle.exportKey("raw", publicKey));
}

function jwkPoint(jwk) {
  const b = (s) => {
    const t = s.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(t + "=".repeat((4 - (t.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  };
  return concat(new Uint8Array([4]), b(jwk.x), b(jwk.y));
}

/**
 * Import a PKCS#8 P-256 private key; returns the (non-extractable) private key and the raw
 * public point computed from it.
 * @param {Uint8Array} der @param {"ecdh"|"ecdsa"} kind
 * @returns {Promise<{privateKey: CryptoKey, publicRaw: Uint8Array}>}
 */
export async function importPrivatePkcs8(der, kind) {
  const extractable = await subtle.importKey("pkcs8", der, ALGS[kind], true, PRIV_USAGES[kind]);
  const jwk = await subtle.exportKey("jwk", extractable);
  const publicRaw = jwkPoint(jwk);
  const privateKey = await subtle.importKey("jwk", jwk, ALGS[kind], false, PRIV_USAGES[kind]);
  return { privateKey, publicRaw };
}

// PKCS#8 of a P-256 key with the ECPrivateKey's optional public key left out: WebCrypto
// implementations compute the public point from the scalar.
const PKCS8_PREFIX = fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");

/**
 * A P-256 private key from its 32-byte big-endian scalar (test vectors only).
 * @returns {Promise<{privateKey: CryptoKey, publicRaw: Uint8Array}>}
 */
export function importPrivateScalar(scalar, kind) {
  if (scalar.length !== 32) throw new TypeError("P-256 scalar must be 32 bytes");
  return importPrivatePkcs8(concat(PKCS8_PREFIX, scalar), kind);
}

/** Generate a fresh P-256 key pair (private key extractable so it can be written to a key file). */
export async function generateKeyPair(kind, extractable = true) {
  const pair = await subtle.generateKey(ALGS[kind], extractable, PRIV_USAGES[kind]);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicRaw: await exportPublicRaw(pair.publicKey) };
}

export { b64uEncode, toHex };

// Order of the P-256 group. ECDSA accepts (r, s) and (r, n - s) alike; we sign and accept only the
// low-s form (s <= n/2, FORMAT.md §8), so a signed file has exactly one valid encoding.
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = P256_ORDER >> 1n;

function sPart(signature) {
  return BigInt(`0x${toHex(signature.subarray(32, 64))}`);
}

/** True if a raw r||s signature has 1 <= s <= n/2 (the only form Biaoyun accepts). */
export function isLowS(signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  const s = sPart(signature);
  return s >= 1n && s <= HALF_ORDER;
}

/** The low-s form of a raw r||s signature (WebCrypto may return either form). */
export function lowS(signature) {
  const s = sPart(signature);
  if (s <= HALF_ORDER) return signature;
  const out = signature.slice();
  out.set(fromHex((P256_ORDER - s).toString(16).padStart(64, "0")), 32);
  return out;
}

/** ECDSA P-256 / SHA-256 over `message`, raw r||s in low-s form. */
export async function signLowS(privateKey, message) {
  return lowS(new Uint8Array(await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, message)));
}
