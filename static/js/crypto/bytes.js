// Byte helpers shared by the sealed-bid modules (FORMAT.md §1): hex, strict base64url,
// big-endian integers, UTF-8 and the canonical JSON both implementations hash and sign.

/** Thrown for every format, verification or decryption failure; `code` is FORMAT.md §13's. */
export class SealedError extends Error {
  /**
   * @param {string} code stable error code (e.g. "chunk_auth_failed")
   * @param {string} message human-readable English message
   * @param {object} [extra] extra fields (e.g. {index} for chunk_auth_failed)
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = "SealedError";
    this.code = code;
    /** true for the codes that are the bidder's fault under Art 31 when the signature is valid */
    this.bidderFault = code === "key_commitment_mismatch" || code === "stanza_invalid";
    Object.assign(this, extra);
  }
}

const ENC = new TextEncoder();
const DEC = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string. @param {string} s @returns {Uint8Array} */
export function utf8(s) {
  return ENC.encode(s);
}

/** Strict UTF-8 decode (throws TypeError on invalid bytes; a BOM is kept, not stripped). */
export function fromUtf8(bytes) {
  return DEC.decode(bytes);
}

/** Concatenate byte arrays. @param {...(Uint8Array|ArrayBuffer)} parts @returns {Uint8Array} */
export function concat(...parts) {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p instanceof Uint8Array ? p : new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/** @param {number} x @returns {Uint8Array} 4-byte big-endian */
export function u32be(x) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x);
  return b;
}

/** @param {Uint8Array} b @param {number} [off] */
export function readU32be(b, off = 0) {
  return ((b[off] << 24) >>> 0) + (b[off + 1] << 16) + (b[off + 2] << 8) + b[off + 3];
}

/** Lowercase hex. @param {Uint8Array|ArrayBuffer} bytes */
export function toHex(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** @param {string} hex @returns {Uint8Array} */
export function fromHex(hex) {
  if (typeof hex !== "string" || hex.length % 2 || /[^0-9a-fA-F]/.test(hex)) {
    throw new TypeError("not a hex string");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

const B64U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64U_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64U_INDEX[B64U.charCodeAt(i)] = i;

/** base64url without padding. @param {Uint8Array|ArrayBuffer} bytes @returns {string} */
export function b64uEncode(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64U[n >> 18] + B64U[(n >> 12) & 63] + B64U[(n >> 6) & 63] + B64U[n & 63];
  }
  if (b.length - i === 1) {
    const n = b[i] << 16;
    s += B64U[n >> 18] + B64U[(n >> 12) & 63];
  } else if (b.length - i === 2) {
    const n = (b[i] << 16) | (b[i + 1] << 8);
    s += B64U[n >> 18] + B64U[(n >> 12) & 63] + B64U[(n >> 6) & 63];
  }
  return s;
}

/**
 * Strict base64url decode: no padding, no whitespace, canonical (FORMAT.md §1).
 * @param {string} text
 * @param {number} [length] exact byte length required
 * @returns {Uint8Array}
 */
export function b64uDecode(text, length) {
  if (typeof text !== "string" || text.length % 4 === 1) throw new TypeError("not unpadded base64url");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64U_INDEX[c] : -1;
    if (v < 0) throw new TypeError("not unpadded base64url");
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits && (acc & ((1 << bits) - 1))) throw new TypeError("non-canonical base64url");
  if (length !== undefined && o !== length) throw new TypeError(`expected ${length} bytes, got ${o}`);
  return out.subarray(0, o);
}

/** Constant-time-ish equality of two byte arrays. */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

function checkCanonical(value) {
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "string") {
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) {
      throw new TypeError("string with a lone surrogate");
    }
    return;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
      throw new TypeError("only safe integers are allowed in canonical JSON (no floats)");
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach(checkCanonical);
    return;
  }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (!/^[\x00-\x7f]*$/.test(k)) throw new TypeError("object keys must be ASCII");
      checkCanonical(v);
    }
    return;
  }
  throw new TypeError(`${typeof value} is not allowed in canonical JSON`);
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}

/**
 * Canonical JSON text (sorted keys, no whitespace), identical to Python's
 * json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False).
 * @param {*} value @returns {string}
 */
export function canonicalJsonText(value) {
  checkCanonical(value);
  return JSON.stringify(sortKeys(value));
}

/** Canonical JSON as UTF-8 bytes. @returns {Uint8Array} */
export function canonicalJson(value) {
  return utf8(canonicalJsonText(value));
}

/**
 * Parse JSON bytes and insist they were canonical (one value, one encoding).
 * @param {Uint8Array} bytes @returns {*} throws TypeError/SyntaxError otherwise
 */
export function parseCanonicalJson(bytes) {
  const text = fromUtf8(bytes);
  const value = JSON.parse(text);
  if (canonicalJsonText(value) !== text) throw new TypeError("JSON is not in canonical form");
  return value;
}

/** Base64 (standard, padded) of bytes, for PEM. */
export function b64Std(bytes) {
  return b64uEncode(bytes).replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((3 - (bytes.length % 3)) % 3);
}

/** Bytes from standard base64 (whitespace allowed), for PEM. */
export function fromB64Std(text) {
  const clean = text.replace(/\s+/g, "").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return b64uDecode(clean);
}
