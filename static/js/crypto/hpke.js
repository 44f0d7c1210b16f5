// RFC 9180 HPKE, base mode only, for DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-GCM,
// built on WebCrypto (FORMAT.md §5). The container uses AES-256-GCM, single-shot (sequence
// 0) with an empty aad; AES-128-GCM and sequence numbers exist for the RFC's A.3.1 vectors.

import { concat, utf8 } from "./bytes.js";
import {
  aesGcmDecrypt, aesGcmEncrypt, aesKey, exportPublicRaw, generateKeyPair, hmacSha256,
  importPublicKey, subtle,
} from "./primitives.js";

export const KEM_ID = 0x0010;
export const KDF_ID = 0x0001;
export const AEAD_AES_128_GCM = 0x0001;
export const AEAD_AES_256_GCM = 0x0002;
const HPKE_V1 = utf8("HPKE-v1");

function i2osp(n, w) {
  const out = new Uint8Array(w);
  for (let i = w - 1; i >= 0; i--, n >>>= 8) out[i] = n & 0xff;
  return out;
}

export const KEM_SUITE_ID = concat(utf8("KEM"), i2osp(KEM_ID, 2));

/** suite_id of the key schedule for our KEM/KDF and the given AEAD. */
export function hpkeSuiteId(aeadId) {
  return concat(utf8("HPKE"), i2osp(KEM_ID, 2), i2osp(KDF_ID, 2), i2osp(aeadId, 2));
}

/** HKDF-Expand (RFC 5869) with HMAC-SHA256. */
async function expand(prk, info, length) {
  const blocks = [];
  let prev = new Uint8Array(0);
  for (let counter = 1, got = 0; got < length; counter++) {
    prev = await hmacSha256(prk, concat(prev, info, new Uint8Array([counter])));
    blocks.push(prev);
    got += prev.length;
  }
  return concat(...blocks).slice(0, length);
}

/** RFC 9180 LabeledExtract(salt, label, ikm). */
export function labeledExtract(suiteId, salt, label, ikm) {
  return hmacSha256(salt, concat(HPKE_V1, suiteId, utf8(label), ikm));
}

/** RFC 9180 LabeledExpand(prk, label, info, L). */
export function labeledExpand(suiteId, prk, label, info, length) {
  return expand(prk, concat(i2osp(length, 2), HPKE_V1, suiteId, utf8(label), info), length);
}

async function extractAndExpand(dh, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), "eae_prk", dh);
  return labeledExpand(KEM_SUITE_ID, eaePrk, "shared_secret", kemContext, 32);
}

async function ecdh(privateKey, publicRaw) {
  const pub = await importPublicKey(publicRaw, "ecdh");
  return new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: pub }, privateKey, 256));
}

/**
 * RFC 9180 KeySchedule for mode_base.
 * @returns {Promise<{key: Uint8Array, baseNonce: Uint8Array, exporterSecret: Uint8Array,
 *   keyScheduleContext: Uint8Array, secret: Uint8Array}>}
 */
export async function keySchedule(sharedSecret, info, aeadId = AEAD_AES_256_GCM) {
  const suiteId = hpkeSuiteId(aeadId);
  const empty = new Uint8Array(0);
  const pskIdHash = await labeledExtract(suiteId, empty, "psk_id_hash", empty);
  const infoHash = await labeledExtract(suiteId, empty, "info_hash", info);
  const keyScheduleContext = concat(new Uint8Array([0]), pskIdHash, infoHash);
  const secret = await labeledExtract(suiteId, sharedSecret, "secret", empty);
  const nk = aeadId === AEAD_AES_128_GCM ? 16 : 32;
  return {
    keyScheduleContext,
    secret,
    key: await labeledExpand(suiteId, secret, "key", keyScheduleContext, nk),
    baseNonce: await labeledExpand(suiteId, secret, "base_nonce", keyScheduleContext, 12),
    exporterSecret: await labeledExpand(suiteId, secret, "exp", keyScheduleContext, 32),
  };
}

/** Encryption context: seal/open with sequence numbers (nonce = base_nonce XOR seq). */
class Context {
  constructor(enc, sharedSecret, schedule) {
    Object.assign(this, schedule);
    this.enc = enc;
    this.sharedSecret = sharedSecret;
    this.seq = 0;
    this._key = null;
  }

  _nonce() {
    const nonce = this.baseNonce.slice();
    let s = this.seq;
    for (let i = 11; s > 0; i--, s = Math.floor(s / 256)) nonce[i] ^= s & 0xff;
    return nonce;
  }

  async seal(aad, pt) {
    this._key ||= await aesKey(this.key);
    const ct = await aesGcmEncrypt(this._key, this._nonce(), pt, aad);
    this.seq += 1;
    return ct;
  }

  async open(aad, ct) {
    this._key ||= await aesKey(this.key);
    const pt = await aesGcmDecrypt(this._key, this._nonce(), ct, aad);
    this.seq += 1;
    return pt;
  }
}

/**
 * SetupBaseS. `ephemeral` ({privateKey: ECDH CryptoKey, publicRaw}) is for test vectors;
 * by default a fresh key pair is generated.
 * @param {Uint8Array} pkR recipient's 65-byte public point
 */
export async function setupBaseS(pkR, info, { ephemeral, aeadId = AEAD_AES_256_GCM } = {}) {
  const eph = ephemeral || (await generateKeyPair("ecdh", false));
  const enc = eph.publicRaw || (await exportPublicRaw(eph.publicKey));
  const dh = await ecdh(eph.privateKey, pkR);
  const sharedSecret = await extractAndExpand(dh, concat(enc, pkR));
  return new Context(enc, sharedSecret, await keySchedule(sharedSecret, info, aeadId));
}

/**
 * SetupBaseR.
 * @param {Uint8Array} enc @param {{privateKey: CryptoKey, publicRaw: Uint8Array}} recipient
 */
export async function setupBaseR(enc, recipient, info, { aeadId = AEAD_AES_256_GCM } = {}) {
  const dh = await ecdh(recipient.privateKey, enc);
  const sharedSecret = await extractAndExpand(dh, concat(enc, recipient.publicRaw));
  return new Context(enc, sharedSecret, await keySchedule(sharedSecret, info, aeadId));
}

/**
 * Single-shot HPKE seal with empty aad (the container's stanzas).
 * @returns {Promise<{enc: Uint8Array, ct: Uint8Array}>}
 */
export async function wrap(pt, pkR, info, options = {}) {
  const ctx = await setupBaseS(pkR, info, options);
  return { enc: ctx.enc, ct: await ctx.seal(new Uint8Array(0), pt) };
}

/** Single-shot HPKE open with empty aad; rejects if the ciphertext does not open. */
export async function unwrap(enc, ct, recipient, info, options = {}) {
  const ctx = await setupBaseR(enc, recipient, info, options);
  return ctx.open(new Uint8Array(0), ct);
}
