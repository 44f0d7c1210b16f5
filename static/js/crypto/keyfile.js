// Passphrase-protected key files (FORMAT.md §11): the same JSON format the Python CLI
// writes, made and unlocked with WebCrypto (PBKDF2-HMAC-SHA256 + AES-256-GCM over PKCS#8).

import {
  SealedError, b64Std, b64uDecode, b64uEncode, bytesEqual, canonicalJsonText, concat, fromB64Std, fromUtf8,
  utf8,
} from "./bytes.js";
import { generateKeyPair, importPrivatePkcs8, randomBytes, subtle } from "./primitives.js";

export const KEY_FORMAT = "biaoyun-key/1";
export const DEFAULT_ITERATIONS = 600000;
export const MIN_ITERATIONS = 1000;
export const MAX_ITERATIONS = 10000000;
const KINDS = { supplier: ["sign", "encrypt"], custodian: ["encrypt"], signer: ["sign"] };
const KIND_OF_USE = { sign: "ecdsa", encrypt: "ecdh" };

async function wrappingKey(passphrase, salt, iterations) {
  const secret = utf8(passphrase.normalize("NFC"));
  const base = await subtle.importKey("raw", secret, "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base,
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

const aad = (use) => utf8(`biaoyun/key/v1/${use}`);

/**
 * @typedef {object} UnlockedKey
 * @property {CryptoKey} privateKey non-extractable (ECDSA "sign" or ECDH "deriveBits")
 * @property {Uint8Array} publicRaw 65-byte uncompressed point
 * @property {string} publicKey b64u of publicRaw, as in policies and headers
 */

/**
 * @typedef {object} KeyPairs
 * @property {"supplier"|"custodian"|"signer"} kind
 * @property {UnlockedKey} encryption
 * @property {UnlockedKey|null} signing null for a custodian
 */

/**
 * Unlock a key file with its passphrase.
 * @param {string|Uint8Array|ArrayBuffer|Blob} data the .key file
 * @param {string} passphrase
 * @returns {Promise<KeyPairs>} rejects with SealedError bad_key_file or bad_passphrase
 */
export async function unlockKeyFile(data, passphrase) {
  let text = data;
  if (typeof Blob !== "undefined" && data instanceof Blob) text = new Uint8Array(await data.arrayBuffer());
  if (data instanceof ArrayBuffer) text = new Uint8Array(data);
  let doc, kind, salt, iterations;
  try {
    if (text instanceof Uint8Array) text = fromUtf8(text);
    if (text.trimStart().startsWith("-----BEGIN")) {
      throw new TypeError("PEM key files are for the command-line tool; use the JSON .key file");
    }
    doc = JSON.parse(text);
    ({ kind } = doc);
    const kdf = doc.kdf;
    if (doc.format !== KEY_FORMAT || kdf.name !== "PBKDF2-SHA256" || !(kind in KINDS)) {
      throw new TypeError("unknown key file format");
    }
    iterations = kdf.iterations;
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new TypeError("PBKDF2 iterations out of range");
    }
    salt = b64uDecode(kdf.salt, 16);
    if (!Array.isArray(doc.keys) || doc.keys.map((e) => e.use).join() !== KINDS[kind].join()) {
      throw new TypeError(`a ${kind} key file holds exactly ${KINDS[kind].join(", ")}`);
    }
  } catch (err) {
    throw new SealedError("bad_key_file", `not a valid key file: ${err.message}`);
  }
  if (typeof passphrase !== "string") throw new SealedError("bad_passphrase", "a passphrase is required");
  const wkey = await wrappingKey(passphrase, salt, iterations);
  const out = { kind, encryption: null, signing: null };
  for (const entry of doc.keys) {
    let nonce, wrapped;
    try {
      nonce = b64uDecode(entry.nonce, 12);
      wrapped = b64uDecode(entry.wrapped);
    } catch (err) {
      throw new SealedError("bad_key_file", `not a valid key file: ${err.message}`);
    }
    let der;
    try {
      der = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad(entry.use) },
        wkey, wrapped));
    } catch {
      throw new SealedError("bad_passphrase", "wrong passphrase (or a damaged key file)");
    }
    let key;
    try {
      key = await importPrivatePkcs8(der, KIND_OF_USE[entry.use]);
    } catch {
      throw new SealedError("bad_key_file", "key file does not hold a P-256 key");
    }
    let recorded;
    try {
      recorded = b64uDecode(entry.public_key, 65);
    } catch {
      recorded = new Uint8Array(0);
    }
    if (!bytesEqual(recorded, key.publicRaw)) {
      throw new SealedError("bad_key_file", "private key does not match the public key recorded in the key file");
    }
    der.fill(0);
    const unlocked = { ...key, publicKey: b64uEncode(key.publicRaw) };
    if (entry.use === "sign") out.signing = unlocked;
    else out.encryption = unlocked;
  }
  return out;
}

/**
 * PEM SubjectPublicKeyInfo blocks (the .pub file; a supplier's signing key first).
 * @param {CryptoKey[]} publicKeys
 */
export async function publicKeyPem(publicKeys) {
  let pem = "";
  for (const key of publicKeys) {
    const der = new Uint8Array(await subtle.exportKey("spki", key));
    const lines = b64Std(der).match(/.{1,64}/g).join("\n");
    pem += `-----BEGIN PUBLIC KEY-----\n${lines}\n-----END PUBLIC KEY-----\n`;
  }
  return pem;
}

/**
 * Raw points of the P-256 public keys in a .pub PEM text, in order.
 * @param {string} pem @returns {Promise<Uint8Array[]>}
 */
export async function readPublicKeyPem(pem) {
  const blocks = [...pem.matchAll(/-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/g)];
  if (!blocks.length) throw new SealedError("bad_key_file", "no PEM public key found");
  const out = [];
  for (const [, body] of blocks) {
    try {
      const key = await subtle.importKey("spki", fromB64Std(body), { name: "ECDH", namedCurve: "P-256" }, true, []);
      out.push(new Uint8Array(await subtle.exportKey("raw", key)));
    } catch {
      throw new SealedError("bad_key_file", "public key is not a P-256 key");
    }
  }
  return out;
}

/**
 * Generate fresh keys in this browser and their passphrase-protected key file.
 * @param {"supplier"|"custodian"|"signer"} kind
 * @param {string} passphrase
 * @param {{iterations?: number}} [options] iterations default 600 000 (lower only for tests)
 * @returns {Promise<{keyFile: string, publicPem: string, publicKeys: {sign?: string, encrypt: string}}>}
 *   keyFile is the JSON text to save as NAME.key, publicPem the NAME.pub text; publicKeys b64u
 */
export async function generateKeyFile(kind, passphrase, { iterations = DEFAULT_ITERATIONS } = {}) {
  if (!(kind in KINDS)) throw new TypeError(`unknown key kind ${kind}`);
  if (typeof passphrase !== "string" || !passphrase.length) throw new TypeError("a passphrase is required");
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new RangeError("iterations out of range");
  }
  const salt = randomBytes(16);
  const wkey = await wrappingKey(passphrase, salt, iterations);
  const entries = [];
  const publicKeys = {};
  const pubCryptoKeys = [];
  for (const use of KINDS[kind]) {
    const pair = await generateKeyPair(KIND_OF_USE[use], true);
    const der = new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey));
    const nonce = randomBytes(12);
    const wrapped = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad(use) },
      wkey, der));
    der.fill(0);
    entries.push({ nonce: b64uEncode(nonce), public_key: b64uEncode(pair.publicRaw), use, wrapped: b64uEncode(wrapped) });
    publicKeys[use] = b64uEncode(pair.publicRaw);
    pubCryptoKeys.push(pair.publicKey);
  }
  const doc = {
    format: KEY_FORMAT,
    kdf: { iterations, name: "PBKDF2-SHA256", salt: b64uEncode(salt) },
    keys: entries,
    kind,
  };
  return { keyFile: `${canonicalJsonText(doc)}\n`, publicPem: await publicKeyPem(pubCryptoKeys), publicKeys };
}

export { concat };
