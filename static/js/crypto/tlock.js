// The time-lock custodian in the browser (FORMAT.md §15): a share wrapped to a future round of a drand
// beacon with drand's time-lock encryption, as an age v1 file with one `tlock` stanza — byte-compatible
// with drand's `tle` and tlock-js (checked against the same vectors as crypto/tlock.py, and tlock-js
// opens what this writes: static/js/crypto/test/tlock.test.mjs).
//
// Boneh–Franklin IBE on BLS12-381 for the quicknet scheme bls-unchained-g1-rfc9380 (signatures on G1,
// the chain's public key on G2), over @noble/curves; ChaCha20-Poly1305 (age's payload) from
// @noble/ciphers, which WebCrypto lacks; HKDF and HMAC from WebCrypto. The noble modules are loaded on
// first use: from /vendor/ in a browser (core/assets.py), from node_modules under Node.

import { SealedError, b64Std, concat, fromB64Std, fromHex, toHex, utf8 } from "./bytes.js";
import { hkdf, hmacSha256, randomBytes } from "./primitives.js";

export const SCHEME = "bls-unchained-g1-rfc9380";
const DST_G1 = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
const AGE_VERSION = "age-encryption.org/v1";
const FILE_KEY_LEN = 16;

const inBrowser = typeof window !== "undefined" || typeof importScripts === "function";
const spec = (pkg, path) => (inBrowser ? `/vendor/noble-${pkg}/${path}.js` : `@noble/${pkg}/${path}`);
let libs = null;

/** Load the noble modules once. @returns {Promise<{bls: object, sha256: Function, chacha: Function}>} */
export async function loadLibs() {
  if (!libs) {
    const [curves, hashes, ciphers] = await Promise.all([
      import(spec("curves", "bls12-381")), import(spec("hashes", "sha2")), import(spec("ciphers", "chacha")),
    ]);
    libs = { bls: curves.bls12_381, sha256: hashes.sha256, chacha: ciphers.chacha20poly1305 };
  }
  return libs;
}

const fail = (message) => new SealedError("tlock_invalid", message);

function xor(a, b) {
  if (a.length !== b.length) throw fail("xor of different lengths");
  return a.map((v, i) => v ^ b[i]);
}

function u64be(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** SHA-256(u64be(round)): what an unchained beacon signs. */
export async function roundMessage(round) {
  const { sha256 } = await loadLibs();
  if (!Number.isSafeInteger(round) || round < 1) throw new RangeError("round out of range");
  return sha256(u64be(round));
}

/** First round published at or after `timestamp` (seconds): genesis + (r - 1)·period ≥ timestamp. */
export function roundAt(timestamp, genesisTime, period) {
  if (timestamp <= genesisTime) return 1;
  return Math.ceil((timestamp - genesisTime) / period) + 1;
}

// GT as drand's kyber and tlock-js serialise it: the 12 Fp coefficients from the highest, 48 bytes BE each.
function fpBytes(x) {
  return fromHex(x.toString(16).padStart(96, "0"));
}
function gtBytes(g) {
  const fp2 = (e) => [e.c1, e.c0].map(fpBytes);
  const fp6 = (e) => [e.c2, e.c1, e.c0].flatMap(fp2);
  return concat(...[g.c1, g.c0].flatMap(fp6));
}

function h2(sha256, gt, len) {
  return sha256(concat(utf8("IBE-H2"), gtBytes(gt))).slice(0, len);
}

function h3(sha256, order, sigma, msg) {
  const base = sha256(concat(utf8("IBE-H3"), sigma, msg));
  for (let i = 1; i < 65535; i++) {
    const d = sha256(concat(new Uint8Array([i & 0xff, i >> 8]), base));
    d[0] >>= 1;
    const n = BigInt("0x" + toHex(d));
    if (n < order) return n;
  }
  throw fail("no scalar found");
}

function h4(sha256, sigma, len) {
  return sha256(concat(utf8("IBE-H4"), sigma)).slice(0, len);
}

/**
 * IBE-encrypt `msg` (≤ 32 bytes) to a round: U (96, compressed G2) || V || W.
 * @param {Uint8Array} publicKey the chain's G2 public key (96 bytes)
 * @param {number} round
 * @param {Uint8Array} msg
 * @param {(n: number) => Uint8Array} [rand] for vectors only
 */
export async function ibeEncrypt(publicKey, round, msg, rand = randomBytes) {
  const { bls, sha256 } = await loadLibs();
  if (msg.length < 1 || msg.length > 32) throw new RangeError("IBE messages are 1 to 32 bytes");
  const qid = bls.G1.hashToCurve(await roundMessage(round), { DST: DST_G1 });
  const pk = bls.G2.ProjectivePoint.fromHex(publicKey);
  pk.assertValidity();
  const gid = bls.pairing(qid, pk);
  const sigma = rand(msg.length);
  const r = h3(sha256, bls.fields.Fr.ORDER, sigma, msg);
  const u = bls.G2.ProjectivePoint.BASE.multiply(r);
  const v = xor(sigma, h2(sha256, bls.fields.Fp12.pow(gid, r), msg.length));
  const w = xor(msg, h4(sha256, sigma, msg.length));
  return concat(u.toRawBytes(true), v, w);
}

/** Decrypt U || V || W with the round's signature (48 bytes, G1); checks U = r·g2. */
export async function ibeDecrypt(signature, ciphertext) {
  const { bls, sha256 } = await loadLibs();
  const half = (ciphertext.length - 96) / 2;
  if (!Number.isInteger(half) || half < 1) throw fail("time-lock ciphertext has a wrong length");
  const u = bls.G2.ProjectivePoint.fromHex(ciphertext.slice(0, 96));
  const sig = bls.G1.ProjectivePoint.fromHex(signature);
  const sigma = xor(h2(sha256, bls.pairing(sig, u), half), ciphertext.slice(96, 96 + half));
  const msg = xor(h4(sha256, sigma, half), ciphertext.slice(96 + half));
  const r = h3(sha256, bls.fields.Fr.ORDER, sigma, msg);
  if (!bls.G2.ProjectivePoint.BASE.multiply(r).equals(u)) {
    throw fail("time-lock ciphertext does not open with this round's signature");
  }
  return msg;
}

/** Raise unless `signature` is the beacon's signature of `round` under `publicKey`. */
export async function verifyRound(publicKey, round, signature) {
  const { bls } = await loadLibs();
  let ok = false;
  try {
    const sig = bls.G1.ProjectivePoint.fromHex(signature);
    const pk = bls.G2.ProjectivePoint.fromHex(publicKey);
    const q = bls.G1.hashToCurve(await roundMessage(round), { DST: DST_G1 });
    ok = bls.fields.Fp12.eql(bls.pairing(sig, bls.G2.ProjectivePoint.BASE), bls.pairing(q, pk));
  } catch {
    ok = false;
  }
  if (!ok) throw fail(`round ${round}: the signature does not verify under the beacon's key`);
}

const b64NoPad = (bytes) => b64Std(bytes).replace(/=+$/, "");

function wrapped(bytes) {
  const text = b64NoPad(bytes);
  const lines = [];
  for (let i = 0; i < text.length; i += 64) lines.push(text.slice(i, i + 64));
  if (text.length % 64 === 0) lines.push("");
  return lines.join("\n") + "\n";
}

async function stream(chacha, key, data, seal) {
  const size = seal ? 65536 : 65536 + 16;
  const out = [];
  let index = 0;
  let offset = 0;
  for (;;) {
    const chunk = data.slice(offset, offset + size);
    offset += chunk.length;
    const last = offset >= data.length;
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(7, index);
    nonce[11] = last ? 1 : 0;
    const aead = chacha(key, nonce);
    try {
      out.push(seal ? aead.encrypt(chunk) : aead.decrypt(chunk));
    } catch {
      throw fail(`time-lock payload chunk ${index} does not authenticate`);
    }
    if (last) return concat(...out);
    index++;
  }
}

/**
 * An age v1 file (binary) with one tlock stanza for `round`, as `tle` writes it.
 * @param {Uint8Array} publicKey chain public key (G2, 96 bytes)
 * @param {string} chainHash 64 hex
 * @param {number} round
 * @param {Uint8Array} plaintext
 * @param {(n: number) => Uint8Array} [rand] for vectors: file key (16), sigma (16), nonce (16)
 * @returns {Promise<Uint8Array>}
 */
export async function encrypt(publicKey, chainHash, round, plaintext, rand = randomBytes) {
  const { chacha } = await loadLibs();
  const fileKey = rand(FILE_KEY_LEN);
  const body = await ibeEncrypt(publicKey, round, fileKey, rand);
  const header = utf8(`${AGE_VERSION}\n-> tlock ${round} ${chainHash}\n${wrapped(body)}---`);
  const mac = await hmacSha256(await hkdf(fileKey, new Uint8Array(0), utf8("header"), 32), header);
  const nonce = rand(16);
  const payload = await stream(chacha, await hkdf(fileKey, nonce, utf8("payload"), 32), plaintext, true);
  return concat(header, utf8(` ${b64NoPad(mac)}\n`), nonce, payload);
}

/** Parse an age file with one tlock stanza: {round, chainHash, ciphertext, header, mac, payload}. */
export function parse(data) {
  const text = new TextDecoder("latin1").decode(data);
  const end = text.indexOf("\n--- ");
  const macEnd = end < 0 ? -1 : text.indexOf("\n", end + 5);
  if (macEnd < 0) throw fail("not an age file (no header end)");
  const lines = text.slice(0, end).split("\n");
  const args = (lines[1] || "").split(" ");
  if (lines[0] !== AGE_VERSION || args.length !== 4 || args[0] !== "->" || args[1] !== "tlock") {
    throw fail("the age file needs exactly one tlock stanza");
  }
  if (!/^[1-9][0-9]*$/.test(args[2]) || !/^[0-9a-f]{64}$/.test(args[3])) throw fail("bad tlock stanza arguments");
  const ciphertext = fromB64Std(lines.slice(2).join(""));
  return {
    round: Number(args[2]), chainHash: args[3], ciphertext, header: data.slice(0, end + 4),
    mac: fromB64Std(text.slice(end + 5, macEnd)), payload: data.slice(macEnd + 1),
  };
}

/** Open an age tlock file with its round's (verified) signature. */
export async function decrypt(data, signature) {
  const { chacha } = await loadLibs();
  const p = parse(data);
  const fileKey = await ibeDecrypt(signature, p.ciphertext);
  const mac = await hmacSha256(await hkdf(fileKey, new Uint8Array(0), utf8("header"), 32), p.header);
  if (toHex(mac) !== toHex(p.mac)) throw fail("the age header MAC does not verify");
  const nonce = p.payload.slice(0, 16);
  return stream(chacha, await hkdf(fileKey, nonce, utf8("payload"), 32), p.payload.slice(16), false);
}

/** Armoured text (as `tle -a`) of a binary age file. */
export function armor(data) {
  const text = b64Std(data);
  const lines = [];
  for (let i = 0; i < text.length; i += 64) lines.push(text.slice(i, i + 64));
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.join("\n")}\n-----END AGE ENCRYPTED FILE-----\n`;
}

/** The binary age file of an armoured one. */
export function dearmor(text) {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== "-----BEGIN AGE ENCRYPTED FILE-----" || lines.at(-1) !== "-----END AGE ENCRYPTED FILE-----") {
    throw fail("not an armoured age file");
  }
  return fromB64Std(lines.slice(1, -1).join(""));
}
