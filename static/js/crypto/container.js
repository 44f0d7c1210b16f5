// The sealed container (FORMAT.md §2–§10) in the browser: policy hash, header, STREAM
// payload over Blob.slice with several chunks in flight, signature trailer; inspect,
// custodian and supplier unwrapping, opening. Mirrors crypto/container.py and opening.py.

import {
  SealedError, b64uDecode, b64uEncode, bytesEqual, canonicalJson, concat, fromHex, fromUtf8,
  parseCanonicalJson, readU32be, toHex, u32be, utf8,
} from "./bytes.js";
import * as hpke from "./hpke.js";
import {
  aesGcmDecrypt, aesGcmEncrypt, aesKey, hkdf, hmacSha256, importPrivateScalar, importPublicKey, isLowS,
  randomBytes, sha256Async, signLowS, subtle,
} from "./primitives.js";
import { createHasher } from "./hasher.js";
import * as shamir from "./shamir.js";
import * as tlock from "./tlock.js";

export const MAGIC = utf8("BYSEALED");
export const VERSION = 2; // what seal() writes; readers accept every version in VERSIONS
export const VERSIONS = [1, 2];
export const MAX_HEADER = 1 << 20;
export const MIN_CHUNK = 1 << 16;
export const MAX_CHUNK = 1 << 24;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
const TAG = 16;
const REC_CHUNK = 0x43; // "C"
const REC_FINAL = 0x46; // "F"
const REC_SIG = 0x53; // "S"
const SIG_LABEL = utf8("biaoyun/sealed/v1/signature\0");
const SHARE_COMMIT_LABEL = utf8("biaoyun/sealed/v1/share-commitment\0");
const POLICY_FORMAT = "biaoyun-policy/1";
const FLUSH_BYTES = 32 << 20; // gather output parts into a Blob every 32 MiB (bounded JS heap)

const fail = (code, message, extra) => new SealedError(code, message, extra);
// A promise awaited later (in order) must not count as an unhandled rejection meanwhile.
const handled = (promise) => {
  promise.catch(() => {});
  return promise;
};
const isInt = (v) => Number.isSafeInteger(v);
const sameKeys = (obj, keys) => obj !== null && typeof obj === "object" && !Array.isArray(obj)
  && Object.keys(obj).sort().join() === [...keys].sort().join();
const utf8Len = (s) => utf8(s).length;

// --- policy ------------------------------------------------------------------------------

/**
 * Check a custody policy object against FORMAT.md §2; rejects with policy_mismatch.
 * @param {object} policy
 */
export async function validatePolicy(policy) {
  const bad = (m) => fail("policy_mismatch", m);
  if (!sameKeys(policy, ["format", "tender_id", "lot", "k", "custodians"])) {
    throw bad("policy must have exactly format, tender_id, lot, k, custodians");
  }
  if (policy.format !== POLICY_FORMAT) throw bad(`policy format must be "${POLICY_FORMAT}"`);
  const str = (v, lo, hi, what) => {
    if (typeof v !== "string" || utf8Len(v) < lo || utf8Len(v) > hi) {
      throw bad(`policy ${what} must be a string of ${lo}-${hi} UTF-8 bytes`);
    }
  };
  str(policy.tender_id, 1, 128, "tender_id");
  str(policy.lot, 1, 64, "lot");
  const cs = policy.custodians;
  if (!Array.isArray(cs) || cs.length < 1 || cs.length > 255) throw bad("policy needs 1 to 255 custodians");
  if (!isInt(policy.k) || policy.k < 1 || policy.k > cs.length) {
    throw bad(`policy k must be an integer in 1..${cs.length}`);
  }
  const ids = new Set();
  const keys = new Set();
  for (const c of cs) {
    if (!sameKeys(c, ["id", "label", "public_key"]) && !sameKeys(c, ["id", "label", "tlock"])) {
      throw bad("each custodian has exactly id, label and public_key (or tlock)");
    }
    if (typeof c.id !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(c.id)) throw bad(`bad custodian id ${c.id}`);
    str(c.label, 0, 256, "custodian label");
    if ("tlock" in c) {
      validateTlockEntry(c.id, c.tlock);
      keys.add("tlock"); // at most one time-lock custodian (FORMAT.md §15)
    } else {
      try {
        await importPublicKey(b64uDecode(c.public_key, 65), "ecdh");
      } catch (err) {
        throw bad(`custodian ${c.id}: bad public key (${err.message})`);
      }
      keys.add(c.public_key);
    }
    ids.add(c.id);
  }
  if (ids.size !== cs.length || keys.size !== cs.length) throw bad("custodian ids and public keys must be unique");
  try {
    canonicalJson(policy);
  } catch (err) {
    throw bad(`policy is not canonical-JSON safe (${err.message})`);
  }
}

/** A time-lock custodian's target: chain hash, beacon public key (G2, hex), round (FORMAT.md §15). */
function validateTlockEntry(id, t) {
  const bad = (m) => fail("policy_mismatch", `custodian ${id}: ${m}`);
  if (!sameKeys(t, ["chain_hash", "public_key", "round"])) throw bad("tlock has exactly chain_hash, public_key, round");
  if (typeof t.chain_hash !== "string" || !/^[0-9a-f]{64}$/.test(t.chain_hash)) throw bad("bad chain_hash");
  if (typeof t.public_key !== "string" || !/^[0-9a-f]{192}$/.test(t.public_key)) throw bad("bad public_key");
  if (!isInt(t.round) || t.round < 1) throw bad("round must be a positive integer");
}

/** The parsed age tlock file of a time-lock share stanza (rejects with header_tampered). */
export function tlockFile(stanza) {
  try {
    const data = b64uDecode(stanza.tlock);
    if (data.length > 4096) throw new Error("too long");
    return tlock.parse(data);
  } catch (err) {
    throw fail("header_tampered", `invalid header: share stanza ${stanza.x}: not an age tlock file (${err.message})`);
  }
}

/** SHA-256 of the policy's canonical JSON (32 bytes); validates it first. */
export async function policyHash(policy) {
  await validatePolicy(policy);
  return sha256Async(canonicalJson(policy));
}

// --- derivations -------------------------------------------------------------------------

/**
 * Payload key, key commitment and header MAC key of a file key (FORMAT.md §3).
 * @returns {Promise<{payloadKey: Uint8Array, commitment: Uint8Array, headerMacKey: Uint8Array}>}
 */
export async function deriveKeys(fileKey, payloadSalt, binding = null) {
  const empty = new Uint8Array(0);
  const commitmentInfo = binding === null ? utf8("biaoyun/sealed/v1/commitment")
    : concat(utf8("biaoyun/sealed/v2/commitment\0"), binding);
  return {
    payloadKey: await hkdf(fileKey, payloadSalt, utf8("biaoyun/sealed/v1/payload"), 32),
    commitment: await hkdf(fileKey, empty, commitmentInfo, 32),
    headerMacKey: await hkdf(fileKey, empty, utf8("biaoyun/sealed/v1/header-mac"), 32),
  };
}

/**
 * What a version-2 key commitment covers besides the file key (FORMAT.md §3): policy hash, the
 * supplier's signing key (65-byte point) and its bidder id, so a relabelled copy cannot keep it.
 */
export function commitmentBinding(ph, signerB64, bidderId) {
  return concat(ph, b64uDecode(signerB64, 65), utf8(bidderId));
}

/** The commitment binding of a parsed header (null for version 1). */
export function headerBinding(header) {
  if (header.prefix[8] === 1) return null;
  const h = header.fields;
  return commitmentBinding(fromHex(h.policy_hash), h.signer, h.bidder_id);
}

/** SC_x = SHA-256(label || 0x00 || u8(x) || Y_x). */
export function shareCommitment(x, y) {
  return sha256Async(concat(SHARE_COMMIT_LABEL, new Uint8Array([x]), y));
}

/** HPKE info of share stanza x. */
export function shareInfo(ph, commitment, x, bidderId) {
  return concat(utf8("biaoyun/sealed/v1/share\0"), ph, commitment, new Uint8Array([x]), utf8(bidderId));
}

/** HPKE info of the supplier's own stanza. */
export function selfInfo(ph, commitment, bidderId) {
  return concat(utf8("biaoyun/sealed/v1/self\0"), ph, commitment, utf8(bidderId));
}

/** STREAM nonce: 11-byte big-endian counter, then 0x01 for the last chunk. */
export function chunkNonce(index, last) {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(7, index);
  n[11] = last ? 1 : 0;
  return n;
}

// --- header ------------------------------------------------------------------------------

const HEADER_KEYS = ["bidder_id", "chunk_size", "commitment", "k", "lot", "payload_salt", "policy_hash", "self",
  "shares", "signer", "tender_id"];
const SHARE_KEYS = ["commitment", "ct", "custodian", "enc", "recipient", "x"];
const TLOCK_SHARE_KEYS = ["commitment", "custodian", "tlock", "x"];
const SELF_KEYS = ["ct", "enc", "recipient"];

/** Raise header_tampered unless the header object follows FORMAT.md §6.1. */
export async function validateHeaderFields(h) {
  const bad = (m) => fail("header_tampered", `invalid header: ${m}`);
  if (!sameKeys(h, HEADER_KEYS)) throw bad("wrong set of fields");
  for (const [name, limit] of [["bidder_id", 128], ["tender_id", 128], ["lot", 64]]) {
    if (typeof h[name] !== "string" || utf8Len(h[name]) < 1 || utf8Len(h[name]) > limit) {
      throw bad(`${name} must be 1-${limit} UTF-8 bytes`);
    }
  }
  const size = h.chunk_size;
  if (!isInt(size) || size < MIN_CHUNK || size > MAX_CHUNK || (size & (size - 1))) {
    throw bad("chunk_size must be a power of two in 64 KiB..16 MiB");
  }
  if (typeof h.policy_hash !== "string" || !/^[0-9a-f]{64}$/.test(h.policy_hash)) {
    throw bad("policy_hash must be 64 lowercase hex digits");
  }
  const b64 = (v, len, what) => {
    try {
      return b64uDecode(v, len);
    } catch (err) {
      throw bad(`${what}: ${err.message}`);
    }
  };
  const key = async (v, what) => {
    try {
      await importPublicKey(b64uDecode(v, 65), "ecdh");
    } catch {
      throw bad(`${what} is not a P-256 public key`);
    }
  };
  const stanza = async (s, what) => {
    b64(s.enc, 65, `${what} enc`);
    b64(s.ct, 48, `${what} ct`);
    await key(s.recipient, `${what} recipient`);
  };
  b64(h.payload_salt, 32, "payload_salt");
  b64(h.commitment, 32, "commitment");
  await key(h.signer, "signer");
  if (!sameKeys(h.self, SELF_KEYS)) throw bad("self stanza must have exactly ct, enc, recipient");
  await stanza(h.self, "self");
  if (h.self.recipient === h.signer) throw bad("signing and encryption keys must differ");
  if (!Array.isArray(h.shares) || h.shares.length < 1 || h.shares.length > 255) {
    throw bad("shares must list 1 to 255 stanzas");
  }
  if (!isInt(h.k) || h.k < 1 || h.k > h.shares.length) throw bad("k must be in 1..n");
  for (let i = 0; i < h.shares.length; i++) {
    const s = h.shares[i];
    if (!(sameKeys(s, SHARE_KEYS) || sameKeys(s, TLOCK_SHARE_KEYS)) || s.x !== i + 1) {
      throw bad(`share stanza ${i + 1} is malformed`);
    }
    if (typeof s.custodian !== "string") throw bad(`share stanza ${i + 1}: custodian must be a string`);
    if ("tlock" in s) tlockFile(s);
    else await stanza(s, `share ${i + 1}`);
    b64(s.commitment, 32, `share ${i + 1} commitment`);
  }
}

/**
 * A parsed, structurally valid header.
 * @typedef {object} Header
 * @property {object} fields the header JSON object (FORMAT.md §6.1)
 * @property {Uint8Array} prefix magic || version || u32be(L) || header bytes (what the MAC covers)
 * @property {Uint8Array} mac the 32-byte header MAC
 * @property {number} end offset of the first payload record in the container
 */

async function readSlice(blob, start, end) {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

/**
 * Read and validate the header of a container.
 * @param {Blob} blob the .sealed file (a File, or a Blob of its bytes)
 * @returns {Promise<Header>}
 */
export async function readHeader(blob) {
  const head = await readSlice(blob, 0, 13);
  const magic = head.subarray(0, 8);
  if (!bytesEqual(magic, MAGIC)) {
    if (magic.length && magic.length < 8 && bytesEqual(magic, MAGIC.subarray(0, magic.length))) {
      throw fail("truncated", "container ends inside the magic");
    }
    throw fail("bad_magic", "not a Biaoyun sealed container (bad magic bytes)");
  }
  if (head.length < 9) throw fail("truncated", "container ends inside the version byte");
  if (!VERSIONS.includes(head[8])) {
    throw fail("unsupported_version", `unsupported container version ${head[8]} (expected 1 or 2)`);
  }
  if (head.length < 13) throw fail("truncated", "container ends inside the header length");
  const length = readU32be(head, 9);
  if (length < 1 || length > MAX_HEADER) throw fail("header_tampered", `invalid header length ${length}`);
  const body = await readSlice(blob, 13, 13 + length);
  if (body.length < length) throw fail("truncated", "container ends inside the header");
  let fields;
  try {
    fields = parseCanonicalJson(body);
  } catch (err) {
    throw fail("header_tampered", `header is not canonical JSON (${err.message})`);
  }
  await validateHeaderFields(fields);
  const mac = await readSlice(blob, 13 + length, 13 + length + 32);
  if (mac.length < 32) throw fail("truncated", "container ends inside the header MAC");
  return { fields, prefix: concat(head, body), mac, end: 13 + length + 32 };
}

async function asHeader(source) {
  return source && source.fields && source.prefix ? source : readHeader(source);
}

/** Reject with policy_mismatch unless the header is sealed to exactly this policy. */
export async function checkPolicy(header, policy) {
  const h = header.fields;
  const ph = toHex(await policyHash(policy));
  if (ph !== h.policy_hash) {
    throw fail("policy_mismatch", `container is bound to policy ${h.policy_hash}, not ${ph}`);
  }
  if (h.tender_id !== policy.tender_id || h.lot !== policy.lot || h.k !== policy.k) {
    throw fail("policy_mismatch", "container tender, lot or k differ from the policy");
  }
  if (policy.custodians.length !== h.shares.length) {
    throw fail("policy_mismatch", "container has a different number of custodians than the policy");
  }
  policy.custodians.forEach((c, i) => {
    const s = h.shares[i];
    if ("tlock" in c || "tlock" in s) {
      const parsed = "tlock" in s ? tlockFile(s) : null;
      if (!parsed || !c.tlock || s.custodian !== c.id || parsed.round !== c.tlock.round
          || parsed.chainHash !== c.tlock.chain_hash) {
        throw fail("policy_mismatch", `share stanza ${s.x} is not time-locked to the policy's beacon round`);
      }
      return;
    }
    if (s.custodian !== c.id || s.recipient !== c.public_key) {
      throw fail("policy_mismatch", `share stanza ${s.x} is not for custodian ${c.id}`);
    }
  });
}

/** Verify the key commitment, then the header MAC, for a recovered file key (FORMAT.md §9). */
export async function checkFileKey(header, fileKey) {
  const keys = await deriveKeys(fileKey, b64uDecode(header.fields.payload_salt), headerBinding(header));
  if (!bytesEqual(keys.commitment, b64uDecode(header.fields.commitment))) {
    throw fail("key_commitment_mismatch", "the recovered file key does not match the header's key commitment "
      + "(the bidder's fault under Art 31 when the signature is valid)");
  }
  const expected = await hmacSha256(keys.headerMacKey, header.prefix);
  if (!bytesEqual(expected, header.mac)) {
    throw fail("header_tampered", "header MAC does not verify: the header was altered");
  }
  return keys;
}

// --- manifest ----------------------------------------------------------------------------

/** Names become paths at the opening: no separators, no controls, not . or .. */
export function validateFileName(name) {
  if (typeof name !== "string" || name === "." || name === ".." || utf8Len(name) < 1 || utf8Len(name) > 255
    || /[/\\\x00-\x1f\x7f]/.test(name)) {
    throw fail("payload_invalid", `invalid file name ${JSON.stringify(name)}`);
  }
}

/** Reject with payload_invalid unless the manifest follows FORMAT.md §7. */
export function validateManifest(m) {
  if (!sameKeys(m, ["files", "summary"])) throw fail("payload_invalid", "manifest must have exactly files and summary");
  const { summary, files } = m;
  if (summary === null || typeof summary !== "object" || Array.isArray(summary)) {
    throw fail("payload_invalid", "opening summary must be a JSON object");
  }
  if ("price_fen" in summary && summary.price_fen !== null && !(isInt(summary.price_fen) && summary.price_fen >= 0)) {
    throw fail("payload_invalid", "price_fen must be a non-negative integer (fen)");
  }
  if (!Array.isArray(files) || files.length > 1000) {
    throw fail("payload_invalid", "files must be a list of at most 1000 entries");
  }
  const names = new Set();
  for (const f of files) {
    if (!sameKeys(f, ["name", "size"])) throw fail("payload_invalid", "each file entry has exactly name and size");
    validateFileName(f.name);
    if (!isInt(f.size) || f.size < 0) throw fail("payload_invalid", `bad size for ${JSON.stringify(f.name)}`);
    names.add(f.name);
  }
  if (names.size !== files.length) throw fail("payload_invalid", "file names must be unique");
}

// --- sealing -----------------------------------------------------------------------------

/** Collects output records as Blob parts, folding them into Blobs so the JS heap stays small. */
class BlobCollector {
  constructor(type) {
    this.type = type;
    this.blobs = [];
    this.parts = [];
    this.pending = 0;
    this.size = 0;
  }

  write(bytes) {
    this.parts.push(bytes);
    this.pending += bytes.length;
    this.size += bytes.length;
    if (this.pending >= FLUSH_BYTES) this.flush();
  }

  flush() {
    if (this.parts.length) this.blobs.push(new Blob(this.parts));
    this.parts = [];
    this.pending = 0;
  }

  blob() {
    this.flush();
    return new Blob(this.blobs, { type: this.type });
  }
}

function normaliseFiles(files) {
  return files.map((f) => {
    const blob = f.blob || f.data || f;
    const name = f.name;
    if (!(blob instanceof Blob)) throw new TypeError("each file must be a File or {name, blob}");
    return { name, blob };
  });
}

async function verifySignature(signerB64, digest, signature) {
  if (!isLowS(signature)) return false;
  try {
    const key = await importPublicKey(b64uDecode(signerB64, 65), "ecdsa");
    return await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, concat(SIG_LABEL, digest));
  } catch {
    return false;
  }
}

function publicB64(key) {
  if (typeof key === "string") return key;
  if (key instanceof Uint8Array) return b64uEncode(key);
  if (key && key.publicKey) return key.publicKey;
  if (key && key.publicRaw) return b64uEncode(key.publicRaw);
  throw new TypeError("expected a public key (b64u, raw point or unlocked key)");
}

/**
 * Seal bid files and an opening summary to a custody policy in one streaming pass.
 * See index.js for the full documentation.
 */
export async function seal({
  policy, signingKey, encryptionKey, bidderId, summary, files, chunkSize = DEFAULT_CHUNK_SIZE,
  concurrency = 4, onProgress, writer, rand, signal, hashWorker = true, version = VERSION,
}) {
  if (!signingKey || !signingKey.privateKey) throw new TypeError("signingKey must be an unlocked signing key");
  // version 1 is kept only to rebuild the version-1 vectors; the platform takes version 2 bids
  if (!VERSIONS.includes(version)) throw new RangeError(`cannot seal version ${version}`);
  const ph = await policyHash(policy);
  const draw = rand || randomBytes;
  const items = normaliseFiles(files || []);
  const manifest = { files: items.map((f) => ({ name: f.name, size: f.blob.size })), summary };
  validateManifest(manifest);
  let manifestBytes;
  try {
    manifestBytes = canonicalJson(manifest);
  } catch (err) {
    throw fail("payload_invalid", `opening summary is not canonical-JSON safe (${err.message})`);
  }
  if (manifestBytes.length > MAX_HEADER) throw fail("payload_invalid", "manifest larger than 1 MiB");
  if (!isInt(chunkSize) || chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || (chunkSize & (chunkSize - 1))) {
    throw new RangeError("chunkSize must be a power of two in 64 KiB..16 MiB");
  }
  const fileKey = draw(32);
  const payloadSalt = draw(32);
  const signer = publicB64(signingKey);
  const keys = await deriveKeys(fileKey, payloadSalt, version === 1 ? null : commitmentBinding(ph, signer, bidderId));
  const { commitment } = keys;
  const ys = shamir.split(fileKey, policy.k, policy.custodians.length, draw);
  const ephemeral = async () => (rand ? { ephemeral: await importPrivateScalar(draw(32), "ecdh") } : {});
  const shares = [];
  for (let i = 0; i < ys.length; i++) {
    const c = policy.custodians[i];
    const x = i + 1;
    if (c.tlock) {
      const age = await tlock.encrypt(fromHex(c.tlock.public_key), c.tlock.chain_hash, c.tlock.round, ys[i],
        rand ? draw : undefined);
      shares.push({ commitment: b64uEncode(await shareCommitment(x, ys[i])), custodian: c.id,
        tlock: b64uEncode(age), x });
      continue;
    }
    const { enc, ct } = await hpke.wrap(ys[i], b64uDecode(c.public_key, 65), shareInfo(ph, commitment, x, bidderId),
      await ephemeral());
    shares.push({
      commitment: b64uEncode(await shareCommitment(x, ys[i])), ct: b64uEncode(ct), custodian: c.id,
      enc: b64uEncode(enc), recipient: c.public_key, x,
    });
  }
  const encRecipient = publicB64(encryptionKey);
  const self = await hpke.wrap(fileKey, b64uDecode(encRecipient, 65), selfInfo(ph, commitment, bidderId),
    await ephemeral());
  const fields = {
    bidder_id: bidderId,
    chunk_size: chunkSize,
    commitment: b64uEncode(commitment),
    k: policy.k,
    lot: policy.lot,
    payload_salt: b64uEncode(payloadSalt),
    policy_hash: toHex(ph),
    self: { ct: b64uEncode(self.ct), enc: b64uEncode(self.enc), recipient: encRecipient },
    shares,
    signer,
    tender_id: policy.tender_id,
  };
  await validateHeaderFields(fields);
  if (!rand) {
    fileKey.fill(0); // only the derived keys and stanzas are needed from here on
    ys.forEach((y) => y.fill(0));
  }
  const body = canonicalJson(fields);
  if (body.length > MAX_HEADER) throw fail("header_tampered", "header larger than 1 MiB");
  const prefix = concat(MAGIC, new Uint8Array([version]), u32be(body.length), body);
  const mac = await hmacSha256(keys.headerMacKey, prefix);

  const out = writer || new BlobCollector("application/octet-stream");
  const hasher = await createHasher({ useWorker: hashWorker });
  try {
    return await sealPayload({
      out, hasher, prefix, mac, manifestBytes, items, chunkSize, keys, concurrency, onProgress, signal, signingKey,
      fields, writer,
    });
  } finally {
    hasher.close();
  }
}

async function sealPayload({
  out, hasher, prefix, mac, manifestBytes, items, chunkSize, keys, concurrency, onProgress, signal, signingKey,
  fields, writer,
}) {
  let size = 0;
  const emit = async (bytes) => {
    const wait = hasher.update(bytes);
    size += bytes.length;
    await out.write(bytes);
    if (wait) await wait;
  };
  await emit(prefix);
  await emit(mac);

  // The plaintext P = u32be(M) || manifest || files..., as one lazy Blob: slices read only
  // the bytes of one chunk from the underlying files.
  const plain = new Blob([u32be(manifestBytes.length), manifestBytes, ...items.map((f) => f.blob)]);
  const total = plain.size;
  const chunks = Math.max(1, Math.ceil(total / chunkSize));
  if (chunks > 0xffffffff) throw new RangeError("payload too large");
  const aead = await aesKey(keys.payloadKey);
  const task = async (i) => {
    const last = i === chunks - 1;
    const start = i * chunkSize;
    const end = last ? total : start + chunkSize;
    let data;
    try {
      data = new Uint8Array(await plain.slice(start, end).arrayBuffer());
    } catch (err) {
      throw fail("payload_invalid", `a bid file could not be read (changed or removed while sealing?): ${err.message}`);
    }
    if (data.length !== end - start) throw fail("payload_invalid", "bid files changed size while being sealed");
    const ct = await aesGcmEncrypt(aead, chunkNonce(i, last), data);
    return last ? [concat(new Uint8Array([REC_FINAL]), u32be(data.length)), ct, data.length]
      : [new Uint8Array([REC_CHUNK]), ct, data.length];
  };
  const inflight = [];
  let next = 0;
  let done = 0;
  const window = Math.max(1, concurrency);
  while (next < chunks && inflight.length < window) inflight.push(handled(task(next++)));
  for (let i = 0; i < chunks; i++) {
    if (signal && signal.aborted) {
      await Promise.allSettled(inflight);
      throw signal.reason || new DOMException("sealing aborted", "AbortError");
    }
    let result;
    try {
      result = await inflight.shift();
    } catch (err) {
      await Promise.allSettled(inflight);
      throw err;
    }
    if (next < chunks) inflight.push(handled(task(next++)));
    const [recHead, ct, n] = result;
    await emit(recHead);
    await emit(ct);
    done += n;
    if (onProgress) onProgress({ phase: "encrypt", done, total, chunk: i + 1, chunks });
  }
  const signedDigest = await hasher.snapshot();
  const signature = await signLowS(signingKey.privateKey, concat(SIG_LABEL, signedDigest));
  await emit(concat(new Uint8Array([REC_SIG]), signature));
  const digest = await hasher.digest();
  if (onProgress) onProgress({ phase: "done", done: total, total, chunk: chunks, chunks });
  const header = { fields, prefix, mac, end: prefix.length + 32 };
  return {
    blob: writer ? null : out.blob(),
    header,
    sha256: toHex(digest),
    signedDigest: toHex(signedDigest),
    size,
    hashedIn: hasher.kind,
  };
}

// --- reading records ---------------------------------------------------------------------

/**
 * Walk the records of a container after its header, hashing them; calls
 * `onChunk(index, last, ciphertext)` in order (it may return a promise, awaited in order
 * with up to `concurrency` in flight). Returns the digests and the trailer signature.
 */
async function walkRecords(blob, header, onChunk, options = {}) {
  const hasher = await createHasher({ useWorker: options.hashWorker ?? true });
  try {
    return await walk(blob, header, onChunk, hasher, options);
  } finally {
    hasher.close();
  }
}

async function walk(blob, header, onChunk, hasher, { concurrency = 4, onProgress } = {}) {
  const cs = header.fields.chunk_size;
  await hasher.update(header.prefix);
  await hasher.update(header.mac);
  let pos = header.end;
  let count = 0;
  let plaintextBytes = 0;
  let ciphertextBytes = 0;
  const inflight = [];
  const drain = async (limit) => {
    while (inflight.length > limit) await inflight.shift();
  };
  try {
    for (;;) {
      const rec = await readSlice(blob, pos, pos + 5 + cs + TAG);
      if (!rec.length) {
        throw fail("truncated", `container ends after chunk ${count - 1}, before the final chunk`);
      }
      const tag = rec[0];
      let ct;
      let headLen;
      let last = false;
      if (tag === REC_CHUNK) {
        headLen = 1;
        if (rec.length < 1 + cs + TAG) throw fail("truncated", `container ends inside the chunk ${count}`);
        ct = rec.subarray(1, 1 + cs + TAG);
      } else if (tag === REC_FINAL) {
        if (rec.length < 5) throw fail("truncated", "container ends inside the final chunk length");
        const length = readU32be(rec, 1);
        if (length < 1 || length > cs) throw fail("malformed", `final chunk length ${length} out of range`);
        headLen = 5;
        if (rec.length < 5 + length + TAG) throw fail("truncated", `container ends inside the chunk ${count}`);
        ct = rec.subarray(5, 5 + length + TAG);
        last = true;
      } else if (tag === REC_SIG) {
        throw fail("truncated", `signature found after chunk ${count - 1}: the final chunk is missing`);
      } else {
        throw fail("malformed", `unknown record tag 0x${tag.toString(16).padStart(2, "0")} before chunk ${count}`);
      }
      const wait = hasher.update(rec.subarray(0, headLen + ct.length));
      if (wait) await wait;
      pos += headLen + ct.length;
      const index = count;
      count += 1;
      plaintextBytes += ct.length - TAG;
      ciphertextBytes += ct.length;
      if (onChunk) {
        inflight.push(handled(Promise.resolve(onChunk(index, last, ct))));
        await drain(Math.max(0, concurrency - 1));
      }
      if (onProgress) onProgress({ phase: "read", done: pos, total: blob.size, chunk: count });
      if (last) break;
    }
    await drain(0);
  } catch (err) {
    await Promise.allSettled(inflight);
    throw err;
  }
  const digest = await hasher.snapshot();
  const trailer = await readSlice(blob, pos, pos + 66);
  if (!trailer.length) throw fail("truncated", "container ends before the signature trailer");
  if (trailer[0] !== REC_SIG) throw fail("trailing_data", "data follows the final chunk");
  if (trailer.length < 65) throw fail("truncated", "container ends inside the signature trailer");
  if (trailer.length > 65) throw fail("trailing_data", "data follows the signature trailer");
  await hasher.update(trailer);
  return {
    count, plaintextBytes, ciphertextBytes, digest, signature: trailer.subarray(1), fileDigest: await hasher.digest(),
  };
}

function describe(header, records, signatureValid, policyChecked) {
  const h = header.fields;
  return {
    format: `biaoyun-sealed/${header.prefix[8]}`,
    tender_id: h.tender_id,
    lot: h.lot,
    bidder_id: h.bidder_id,
    policy_hash: h.policy_hash,
    policy_checked: policyChecked,
    k: h.k,
    custodians: h.shares.map((s) => ("tlock" in s
      ? { x: s.x, id: s.custodian, tlock: { round: tlockFile(s).round, chain_hash: tlockFile(s).chainHash } }
      : { x: s.x, id: s.custodian, public_key: s.recipient })),
    self_recipient: h.self.recipient,
    signer: h.signer,
    commitment: h.commitment,
    chunk_size: h.chunk_size,
    chunks: records.count,
    header_bytes: header.prefix.length - 13,
    payload_bytes: records.plaintextBytes,
    size: header.prefix.length + 32 + records.count + records.ciphertextBytes + 4 + 65,
    signed_digest: toHex(records.digest),
    sha256: toHex(records.fileDigest),
    signature_valid: signatureValid,
  };
}

/**
 * Check structure, policy binding and signature with no private key.
 * @param {Blob} blob @param {{policy?: object, requireSignature?: boolean, onProgress?: Function}} [options]
 * @returns {Promise<object>} the same dict as Python's crypto.inspect
 */
export async function inspect(blob, { policy, requireSignature = false, onProgress } = {}) {
  const header = await readHeader(blob);
  if (policy) await checkPolicy(header, policy);
  const records = await walkRecords(blob, header, null, { onProgress });
  const valid = await verifySignature(header.fields.signer, records.digest, records.signature);
  if (requireSignature && !valid) {
    throw fail("signature_invalid", "the supplier's signature over the container does not verify");
  }
  return describe(header, records, valid, Boolean(policy));
}

// --- custodians and the supplier ---------------------------------------------------------

function encryptionKeyOf(keys) {
  const k = keys && keys.encryption ? keys.encryption : keys;
  if (!k || !k.privateKey || !k.publicRaw) throw new TypeError("expected an unlocked encryption key");
  return k;
}

/**
 * A custodian decrypts its share of one container.
 * @param {Blob|Header} source the container (only its header is read) or a parsed header
 * @param {object} custodianKey unlocked key file (KeyPairs) or its `.encryption`
 * @returns {Promise<object>} the share file object (FORMAT.md §10) to submit
 */
export async function unwrapShare(source, custodianKey) {
  const header = await asHeader(source);
  const key = encryptionKeyOf(custodianKey);
  const mine = b64uEncode(key.publicRaw);
  const stanza = header.fields.shares.find((s) => s.recipient === mine);
  if (!stanza) throw fail("wrong_key", "this key is not a custodian of this container");
  const { x } = stanza;
  const h = header.fields;
  const info = shareInfo(fromHex(h.policy_hash), b64uDecode(h.commitment), x, h.bidder_id);
  let y;
  try {
    y = await hpke.unwrap(b64uDecode(stanza.enc), b64uDecode(stanza.ct), key, info);
  } catch {
    throw fail("stanza_invalid", `share stanza ${x} does not decrypt under its custodian's key`);
  }
  if (y.length !== 32 || !bytesEqual(await shareCommitment(x, y), b64uDecode(stanza.commitment))) {
    throw fail("stanza_invalid", `share stanza ${x} does not match its share commitment`);
  }
  return {
    bidder_id: h.bidder_id, commitment: h.commitment, custodian: stanza.custodian, format: "biaoyun-share/1",
    policy_hash: h.policy_hash, x, y: b64uEncode(y),
  };
}

/** The canonical JSON text of a share file object (what `python -m crypto share` writes). */
export function shareFileText(share) {
  return fromUtf8(canonicalJson(share));
}

function parseShare(obj) {
  const keys = ["bidder_id", "commitment", "custodian", "format", "policy_hash", "x", "y"];
  try {
    if (typeof obj === "string") obj = JSON.parse(obj);
    if (!sameKeys(obj, keys) || obj.format !== "biaoyun-share/1") throw new TypeError("not a biaoyun-share/1 object");
    if (!isInt(obj.x) || obj.x < 1 || obj.x > 255) throw new TypeError("x out of range");
    for (const k of ["bidder_id", "commitment", "custodian", "policy_hash"]) {
      if (typeof obj[k] !== "string") throw new TypeError("fields must be strings");
    }
    return { ...obj, yBytes: b64uDecode(obj.y, 32) };
  } catch (err) {
    throw fail("bad_share", `malformed share: ${err.message}`);
  }
}

/** Check a submitted share belongs to this container (bad_share otherwise). */
export async function verifyShare(source, share) {
  return verifyParsedShare(await asHeader(source), parseShare(share));
}

async function verifyParsedShare(header, s) {
  const h = header.fields;
  if (s.policy_hash !== h.policy_hash || s.bidder_id !== h.bidder_id || s.commitment !== h.commitment) {
    throw fail("bad_share", `share ${s.x} belongs to another container`);
  }
  if (s.x > h.shares.length || h.shares[s.x - 1].custodian !== s.custodian) {
    throw fail("bad_share", `share ${s.x} does not match a custodian of this container`);
  }
  if (!bytesEqual(await shareCommitment(s.x, s.yBytes), b64uDecode(h.shares[s.x - 1].commitment))) {
    throw fail("bad_share", `share ${s.x} (${s.custodian}) is corrupt: it fails its share commitment`);
  }
  return s;
}

/** Check each share, rebuild the file key from k of them and check the commitment. */
export async function combineShares(source, shares) {
  const header = await asHeader(source);
  const seen = new Set();
  const parsed = [];
  for (const share of shares) {
    const s = parseShare(share);
    if (seen.has(s.x)) throw fail("bad_share", `duplicate share ${s.x}`);
    seen.add(s.x);
    parsed.push(await verifyParsedShare(header, s));
  }
  if (seen.size < header.fields.k) {
    throw fail("not_enough_shares", `${seen.size} valid share(s) given, ${header.fields.k} needed`);
  }
  const chosen = parsed.sort((a, b) => a.x - b.x).slice(0, header.fields.k);
  const fileKey = shamir.combine(chosen.map((s) => [s.x, s.yBytes]));
  await checkFileKey(header, fileKey);
  return fileKey;
}

/**
 * The supplier recovers (and checks) the file key from its own stanza.
 * @param {Blob|Header} source @param {object} supplierKey unlocked supplier key file or its `.encryption`
 * @returns {Promise<Uint8Array>} the 32-byte file key
 */
export async function unwrapSelf(source, supplierKey) {
  const header = await asHeader(source);
  const key = encryptionKeyOf(supplierKey);
  const h = header.fields;
  if (h.self.recipient !== b64uEncode(key.publicRaw)) {
    throw fail("wrong_key", "this key is not the supplier encryption key of this container");
  }
  const info = selfInfo(fromHex(h.policy_hash), b64uDecode(h.commitment), h.bidder_id);
  let fileKey;
  try {
    fileKey = await hpke.unwrap(b64uDecode(h.self.enc), b64uDecode(h.self.ct), key, info);
  } catch {
    throw fail("stanza_invalid", "the self stanza does not decrypt under the supplier's key");
  }
  if (fileKey.length !== 32) throw fail("stanza_invalid", "the self stanza does not hold a 32-byte key");
  await checkFileKey(header, fileKey);
  return fileKey;
}

// --- opening -----------------------------------------------------------------------------

/** Parses the plaintext framing (FORMAT.md §7) as chunks arrive; collects files as Blobs. */
class PayloadWriter {
  constructor() {
    this.head = [];
    this.headLen = 0;
    this.manifestLen = null;
    this.manifest = null;
    this.queue = [];
    this.current = null;
    this.left = 0;
    this.files = [];
  }

  feed(data) {
    while (data.length) {
      if (!this.manifest) {
        data = this.feedHead(data);
        continue;
      }
      if (!this.current) {
        this.nextFile();
        if (!this.current) throw fail("payload_invalid", "payload holds more bytes than its manifest lists");
        continue;
      }
      const take = Math.min(this.left, data.length);
      this.current.collector.write(data.subarray(0, take));
      this.left -= take;
      data = data.subarray(take);
      if (this.left === 0) this.closeCurrent();
    }
  }

  feedHead(data) {
    const need = this.manifestLen === null ? 4 : 4 + this.manifestLen;
    const take = Math.min(need - this.headLen, data.length);
    this.head.push(data.subarray(0, take));
    this.headLen += take;
    data = data.subarray(take);
    if (this.headLen === need) {
      const head = concat(...this.head);
      if (this.manifestLen === null) {
        this.manifestLen = readU32be(head, 0);
        if (this.manifestLen < 1 || this.manifestLen > MAX_HEADER) {
          throw fail("payload_invalid", "manifest length out of range");
        }
      } else {
        let manifest;
        try {
          manifest = JSON.parse(fromUtf8(head.subarray(4)));
          canonicalJson(manifest); // no floats, safe integers only
        } catch (err) {
          throw fail("payload_invalid", `manifest is not JSON (${err.message})`);
        }
        validateManifest(manifest);
        this.manifest = manifest;
        this.queue = [...manifest.files];
      }
    }
    return data;
  }

  nextFile() {
    while (this.queue.length && !this.current) {
      const entry = this.queue.shift();
      const file = { name: entry.name, size: entry.size, collector: new BlobCollector("") };
      this.files.push(file);
      if (entry.size) {
        this.current = file;
        this.left = entry.size;
      }
    }
  }

  closeCurrent() {
    this.current = null;
  }

  finish() {
    if (!this.manifest) throw fail("payload_invalid", "payload ends inside the manifest");
    this.nextFile();
    if (this.current || this.queue.length) throw fail("payload_invalid", "payload is shorter than its manifest says");
    return this.manifest;
  }
}

/**
 * Open a container with a file key, k shares or the supplier's key; nothing is returned
 * unless everything verified (commitment, header MAC, every chunk, the signature).
 * @param {Blob} blob
 * @param {{fileKey?: Uint8Array, shares?: object[], supplierKey?: object}} how
 * @param {{policy?: object, concurrency?: number, onProgress?: Function}} [options]
 * @returns {Promise<{summary: object, files: {name: string, size: number, blob: Blob}[], info: object}>}
 */
export async function open(blob, how, { policy, concurrency = 4, onProgress } = {}) {
  const header = await readHeader(blob);
  let fileKey;
  if (how.fileKey) fileKey = how.fileKey;
  else if (how.shares) fileKey = await combineShares(header, how.shares);
  else if (how.supplierKey) fileKey = await unwrapSelf(header, how.supplierKey);
  else throw new TypeError("open needs fileKey, shares or supplierKey");
  const keys = await checkFileKey(header, fileKey);
  if (policy) await checkPolicy(header, policy);
  const aead = await aesKey(keys.payloadKey);
  const writer = new PayloadWriter();
  let fed = Promise.resolve();
  const decrypt = (index, last, ct) => {
    const pt = handled(aesGcmDecrypt(aead, chunkNonce(index, last), ct).catch(() => {
      throw fail("chunk_auth_failed", `payload chunk ${index} failed authentication (tampered, reordered or wrong key)`,
        { index });
    }));
    // decrypt in parallel, feed the framing parser in order
    fed = handled(fed.then(async () => writer.feed(await pt)));
    return fed;
  };
  const records = await walkRecords(blob, header, decrypt, { concurrency, onProgress });
  const manifest = writer.finish();
  if (!(await verifySignature(header.fields.signer, records.digest, records.signature))) {
    throw fail("signature_invalid", "the supplier's signature over the container does not verify");
  }
  return {
    summary: manifest.summary,
    files: writer.files.map((f) => ({ name: f.name, size: f.size, blob: f.collector.blob() })),
    info: describe(header, records, true, Boolean(policy)),
  };
}
