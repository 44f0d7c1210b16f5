// Environment-independent checks of the browser crypto modules: the shared vectors
// (crypto/vectors/v1.json), RFC 9180 A.3.1, tampering and round trips. Run by Node
// (vectors.test.mjs, `node --test static/js/crypto/test/`) and by headless chromium
// (harness.js, tests/e2e/test_crypto_browser.py). Each check throws on failure.

import {
  b64uDecode, b64uEncode, canonicalJsonText, combineShares, deriveKeys, fromHex, generateKeyFile, inspect, open,
  policyHash, seal, shareCommitment, toHex, unlockKeyFile, unwrapSelf, unwrapShare, verifyShare,
} from "../index.js";
import { concat } from "../bytes.js";
import { DOCUMENT_LABEL, documentDigest, signDocument } from "../document.js";
import * as hpke from "../hpke.js";
import { importPrivatePkcs8, importPrivateScalar, subtle } from "../primitives.js";
import { Sha256 } from "../sha256.js";
import * as shamir from "../shamir.js";

// RFC 9180 Appendix A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode_base.
export const RFC9180_A31 = {
  info: "4f6465206f6e2061204772656369616e2055726e",
  skEm: "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
  pkEm: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
  skRm: "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
  pkRm: "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
  enc: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
  shared_secret: "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
  key_schedule_context: "00b88d4e6d91759e65e87c470e8b9141113e9ad5f0c8ceefc1e088c82e6980500798e486f9c9c09c9b5c753ac72d6005de254c607d1b534ed11d493ae1c1d9ac85",
  secret: "2eb7b6bf138f6b5aff857414a058a3f1750054a9ba1f72c2cf0684a6f20b10e1",
  key: "868c066ef58aae6dc589b6cfdd18f97e",
  base_nonce: "4e0bc5018beba4bf004cca59",
  exporter_secret: "14ad94af484a7ad3ef40e9f3be99ecc6fa9036df9d4920548424df127ee0d99f",
  pt: "4265617574792069732074727574682c20747275746820626561757479",
  encryptions: [
    { aad: "436f756e742d30", ct: "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434" },
    { aad: "436f756e742d31", ct: "fa6f037b47fc21826b610172ca9637e82d6e5801eb31cbd3748271affd4ecb06646e0329cbdf3c3cd655b28e82" },
    { aad: "436f756e742d32", ct: "895cabfac50ce6c6eb02ffe6c048bf53b7f7be9a91fc559402cbc5b8dcaeb52b2ccc93e466c28fb55fed7a7fec" },
  ],
};

function assert(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

function eq(actual, expected, what) {
  const show = (x) => (x instanceof Uint8Array ? toHex(x) : canonicalJsonText(x === undefined ? null : x));
  const a = show(actual);
  const e = show(expected);
  if (a !== e) throw new Error(`check failed: ${what}: got ${a.slice(0, 200)}, expected ${e.slice(0, 200)}`);
}

async function rejects(promise, code, what) {
  try {
    await promise;
  } catch (err) {
    if (err.code !== code) throw new Error(`check failed: ${what}: expected ${code}, got ${err.code || err}`);
    return err;
  }
  throw new Error(`check failed: ${what}: expected ${code}, but it succeeded`);
}

async function blobBytes(blob) {
  return new Uint8Array(await blob.arrayBuffer());
}

function fileContent(f) {
  if (f.content_b64u !== undefined) return b64uDecode(f.content_b64u);
  assert(f.pattern === "byte i is i mod 251", `unknown file pattern ${f.pattern}`);
  const b = new Uint8Array(f.size);
  for (let i = 0; i < f.size; i++) b[i] = i % 251;
  return b;
}

async function vectorKeys(v) {
  const keys = {};
  for (const [name, k] of Object.entries(v.keys)) {
    const key = await importPrivatePkcs8(b64uDecode(k.pkcs8), name === "supplier_sign" ? "ecdsa" : "ecdh");
    eq(b64uEncode(key.publicRaw), k.public_key, `public key of ${name}`);
    keys[name] = { ...key, publicKey: k.public_key };
  }
  return keys;
}

/** @returns {Array<{name: string, fn: () => Promise<void>}>} */
export function rfcChecks() {
  const t = RFC9180_A31;
  return [
    {
      name: "RFC 9180 A.3.1 key schedule and encryptions (AES-128-GCM)",
      fn: async () => {
        const eph = await importPrivateScalar(fromHex(t.skEm), "ecdh");
        eq(eph.publicRaw, fromHex(t.pkEm), "pkEm from skEm");
        const ctx = await hpke.setupBaseS(fromHex(t.pkRm), fromHex(t.info),
          { ephemeral: eph, aeadId: hpke.AEAD_AES_128_GCM });
        eq(ctx.enc, fromHex(t.enc), "enc");
        eq(ctx.sharedSecret, fromHex(t.shared_secret), "shared_secret");
        eq(ctx.keyScheduleContext, fromHex(t.key_schedule_context), "key_schedule_context");
        eq(ctx.secret, fromHex(t.secret), "secret");
        eq(ctx.key, fromHex(t.key), "key");
        eq(ctx.baseNonce, fromHex(t.base_nonce), "base_nonce");
        eq(ctx.exporterSecret, fromHex(t.exporter_secret), "exporter_secret");
        for (const [i, e] of t.encryptions.entries()) {
          eq(await ctx.seal(fromHex(e.aad), fromHex(t.pt)), fromHex(e.ct), `ct of sequence ${i}`);
        }
        const rec = await importPrivateScalar(fromHex(t.skRm), "ecdh");
        eq(rec.publicRaw, fromHex(t.pkRm), "pkRm from skRm");
        const rctx = await hpke.setupBaseR(fromHex(t.enc), rec, fromHex(t.info), { aeadId: hpke.AEAD_AES_128_GCM });
        eq(rctx.sharedSecret, fromHex(t.shared_secret), "receiver shared_secret");
        for (const [i, e] of t.encryptions.entries()) {
          eq(await rctx.open(fromHex(e.aad), fromHex(e.ct)), fromHex(t.pt), `open sequence ${i}`);
        }
      },
    },
    {
      name: "RFC 9180 labeled functions with the AES-256-GCM suite id",
      fn: async () => {
        eq(hpke.hpkeSuiteId(hpke.AEAD_AES_256_GCM), fromHex("48504b45001000010002"), "suite_id");
        eq(hpke.KEM_SUITE_ID, fromHex("4b454d0010"), "KEM suite_id");
      },
    },
    {
      name: "SHA-256 streaming (FIPS 180-4 examples, block boundaries)",
      fn: async () => {
        const enc = new TextEncoder();
        eq(new Sha256().digest(), fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "empty");
        eq(new Sha256().update(enc.encode("abc")).digest(),
          fromHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "abc");
        const msg = enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
        const h = new Sha256();
        for (const b of msg) h.update(new Uint8Array([b]));
        eq(h.digest(), fromHex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "448-bit message");
        const big = new Uint8Array(200003).map((_, i) => (i * 7) & 0xff);
        const whole = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", big));
        const parts = new Sha256();
        for (let i = 0; i < big.length; i += 4099) parts.update(big.subarray(i, i + 4099));
        eq(parts.digest(), whole, "chunked vs WebCrypto");
      },
    },
  ];
}

/** Checks over the shared vectors object (crypto/vectors/v1.json). */
export function vectorChecks(v) {
  return [
    {
      name: "vectors: policy canonical JSON and hash",
      fn: async () => {
        eq(canonicalJsonText(v.policy), v.policy_canonical, "canonical policy");
        eq(toHex(await policyHash(v.policy)), v.policy_hash, "policy hash");
      },
    },
    {
      name: "vectors: Shamir split, combine and GF(2^8) products",
      fn: async () => {
        for (const c of v.shamir) {
          if (c.gf_mul) {
            for (const [a, b, p] of c.gf_mul) eq(shamir.gfMul(a, b), p, `gf_mul(${a}, ${b})`);
            continue;
          }
          const coeff = fromHex(c.coefficients);
          const shares = shamir.split(fromHex(c.secret), c.k, c.n, () => coeff);
          eq(shares.map((y, i) => ({ x: i + 1, y: toHex(y) })), c.shares, `shares of ${c.k}-of-${c.n}`);
          for (const comb of c.combine) {
            const picked = comb.xs.map((x) => [x, fromHex(c.shares[x - 1].y)]);
            eq(shamir.combine(picked), fromHex(comb.secret), `combine ${comb.xs}`);
          }
          if (c.k > 1) {
            const fewer = c.shares.slice(0, c.k - 1).map((s) => [s.x, fromHex(s.y)]);
            assert(toHex(shamir.combine(fewer)) !== c.secret, "k-1 shares must not give the secret");
          }
        }
      },
    },
    {
      name: "vectors: HPKE wraps with given ephemeral keys",
      fn: async () => {
        for (const c of v.hpke) {
          const eph = await importPrivateScalar(fromHex(c.skE), "ecdh");
          const ctx = await hpke.setupBaseS(b64uDecode(c.pkR), fromHex(c.info), { ephemeral: eph });
          eq(ctx.enc, fromHex(c.enc), "enc");
          eq(ctx.sharedSecret, fromHex(c.shared_secret), "shared_secret");
          eq(ctx.key, fromHex(c.key), "key");
          eq(ctx.baseNonce, fromHex(c.base_nonce), "base_nonce");
          eq(await ctx.seal(new Uint8Array(0), fromHex(c.pt)), fromHex(c.ct), "ct");
          const rec = await importPrivateScalar(fromHex(c.skR), "ecdh");
          eq(b64uEncode(rec.publicRaw), c.pkR, "pkR");
          eq(await hpke.unwrap(fromHex(c.enc), fromHex(c.ct), rec, fromHex(c.info)), fromHex(c.pt), "unwrap");
          const badInfo = fromHex(c.info);
          badInfo[badInfo.length - 1] ^= 1;
          await hpke.unwrap(fromHex(c.enc), fromHex(c.ct), rec, badInfo).then(
            () => assert(false, "unwrap with another info must fail"), () => {},
          );
        }
      },
    },
    {
      name: "vectors: HKDF derivations and share commitment",
      fn: async () => {
        for (const c of v.hkdf) {
          const binding = c.binding === undefined ? null : fromHex(c.binding);
          const d = await deriveKeys(fromHex(c.file_key), fromHex(c.payload_salt), binding);
          eq(d.payloadKey, fromHex(c.payload_key), "payload key");
          eq(d.commitment, fromHex(c.commitment), "commitment");
          eq(d.headerMacKey, fromHex(c.header_mac_key), "header MAC key");
          eq(await shareCommitment(1, fromHex(c.file_key)), fromHex(c.share_commitment_x1), "share commitment");
        }
      },
    },
    {
      name: "vectors: supplier key file unlocks (NFC passphrase), wrong passphrase refused",
      fn: async () => {
        const kf = v.key_file;
        const keys = await unlockKeyFile(JSON.stringify(kf.file), kf.passphrase.normalize("NFD"));
        eq(keys.kind, "supplier", "kind");
        eq(keys.signing.publicKey, kf.sign_public_key, "signing key");
        eq(keys.encryption.publicKey, kf.encrypt_public_key, "encryption key");
        await rejects(unlockKeyFile(JSON.stringify(kf.file), `${kf.passphrase}x`), "bad_passphrase", "wrong passphrase");
        const broken = JSON.parse(JSON.stringify(kf.file));
        broken.keys[0].public_key = kf.encrypt_public_key;
        await rejects(unlockKeyFile(JSON.stringify(broken), kf.passphrase), "bad_key_file", "swapped public key");
        await rejects(unlockKeyFile("{}", kf.passphrase), "bad_key_file", "not a key file");
      },
    },
    {
      name: "vectors: document signature (FORMAT.md §14): digest, Python's signature verifies, ours too",
      fn: async () => {
        const d = v.document_signature;
        eq(canonicalJsonText(d.document), d.canonical, "canonical JSON");
        const digest = await documentDigest(d.document);
        eq(toHex(digest), d.sha256, "digest");
        const pub = await subtle.importKey("raw", b64uDecode(d.signer_public_key, 65),
          { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
        const check = (sig, msg) => subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, b64uDecode(sig, 64), msg);
        if (!(await check(d.signature, concat(DOCUMENT_LABEL, digest)))) throw new Error("Python's signature");
        const signing = await importPrivatePkcs8(b64uDecode(v.keys.supplier_sign.pkcs8), "ecdsa");
        const ours = await signDocument(signing, digest);
        if (!(await check(ours, concat(DOCUMENT_LABEL, digest)))) throw new Error("our signature");
        if (await check(ours, digest)) throw new Error("a signature without the label must not verify");
      },
    },
    ...v.containers.map((vc) => ({
      name: `vectors: ${vc.name} inspects, unwraps, opens both ways and reseals byte for byte`,
      fn: async () => {
        const keys = await vectorKeys(v);
        const bytes = b64uDecode(vc.container_b64u);
        const blob = new Blob([bytes]);
        eq(await inspect(blob, { policy: v.policy }), vc.inspect, "inspect");
        for (const [cid, share] of Object.entries(vc.shares)) {
          eq(await unwrapShare(blob, keys[cid]), share, `share of ${cid}`);
        }
        const expectFiles = async (result, how) => {
          eq(result.summary, vc.summary, `summary (${how})`);
          eq(result.files.map((f) => [f.name, f.size]), vc.files.map((f) => [f.name, f.size]), `files (${how})`);
          for (const [i, f] of vc.files.entries()) {
            eq(await blobBytes(result.files[i].blob), fileContent(f), `${f.name} (${how})`);
          }
          eq(result.info.sha256, vc.inspect.sha256, `digest (${how})`);
        };
        await expectFiles(await open(blob, { shares: Object.values(vc.shares) }, { policy: v.policy }), "shares");
        await expectFiles(await open(blob, { supplierKey: keys.supplier_enc }), "supplier key");
        const fileKey = await unwrapSelf(blob, keys.supplier_enc);
        eq(fileKey, fromHex(vc.random_draws[0]), "file key");
        const draws = vc.random_draws.map(fromHex);
        const rand = (n) => {
          const d = draws.shift();
          eq(d.length, n, "draw length");
          return d;
        };
        const sealed = await seal({
          policy: v.policy, signingKey: keys.supplier_sign, encryptionKey: keys.supplier_enc.publicKey,
          bidderId: vc.bidder_id, summary: vc.summary, chunkSize: vc.inspect.chunk_size, rand,
          version: Number(vc.inspect.format.split("/")[1]),
          files: vc.files.map((f) => ({ name: f.name, blob: new Blob([fileContent(f)]) })),
        });
        eq(draws.length, 0, "all random draws used");
        const mine = await blobBytes(sealed.blob);
        eq(mine.length, bytes.length, "resealed size");
        eq(mine.subarray(0, mine.length - 64), bytes.subarray(0, bytes.length - 64), "resealed bytes before the signature");
        eq(sealed.signedDigest, vc.inspect.signed_digest, "signed digest");
        const again = await inspect(sealed.blob, { policy: v.policy, requireSignature: true });
        eq(again.signature_valid, true, "our signature verifies");
      },
    })),
    {
      name: "vectors: forged self stanza is refused with key_commitment_mismatch, shares still open",
      fn: async () => {
        const keys = await vectorKeys(v);
        const blob = new Blob([b64uDecode(v.forged_self_stanza.container_b64u)]);
        eq(v.forged_self_stanza.open_with_supplier_key, "key_commitment_mismatch", "expectation");
        const err = await rejects(open(blob, { supplierKey: keys.supplier_enc }), "key_commitment_mismatch", "self");
        eq(err.bidderFault, true, "bidder's fault");
        const shares = Object.values(v.containers.find((c) => c.name === "container-small").shares);
        const r = await open(blob, { shares });
        eq(r.summary, v.containers[0].summary, "opens with shares");
      },
    },
    {
      name: "vectors: every tampering is refused with its own code",
      fn: async () => {
        const keys = await vectorKeys(v);
        const vc = v.containers.find((c) => c.name === "container-multichunk");
        const good = b64uDecode(vc.container_b64u);
        const shares = Object.values(vc.shares);
        const headerEnd = 13 + vc.inspect.header_bytes + 32;
        const cs = vc.inspect.chunk_size;
        const mut = (f) => {
          const b = good.slice();
          f(b);
          return new Blob([b]);
        };
        const openS = (blob) => open(blob, { shares });
        await rejects(openS(mut((b) => { b[0] ^= 1; })), "bad_magic", "magic");
        await rejects(openS(mut((b) => { b[8] = 3; })), "unsupported_version", "version");
        // the other supported version derives another key commitment: the shares no longer fit
        await rejects(openS(mut((b) => { b[8] = 3 - b[8]; })), "key_commitment_mismatch", "version swapped");
        await rejects(openS(mut((b) => { b[20] ^= 0x20; })), "header_tampered", "header byte");
        await rejects(openS(mut((b) => { b[headerEnd - 1] ^= 1; })), "header_tampered", "header MAC");
        await rejects(openS(mut((b) => { b[headerEnd + 1 + 10] ^= 1; })), "chunk_auth_failed", "chunk 0");
        const e1 = await rejects(openS(mut((b) => { b[headerEnd + (1 + cs + 16) + 100] ^= 1; })),
          "chunk_auth_failed", "chunk 1");
        eq(e1.index, 1, "failing chunk index");
        await rejects(openS(mut((b) => { b[b.length - 1] ^= 1; })), "signature_invalid", "signature");
        await rejects(openS(mut((b) => { b[headerEnd] = 0x58; })), "malformed", "record tag");
        await rejects(openS(new Blob([good.subarray(0, good.length - 10)])), "truncated", "cut trailer");
        await rejects(openS(new Blob([good.subarray(0, headerEnd + 1 + cs + 16)])), "truncated", "cut records");
        await rejects(openS(new Blob([good, new Uint8Array([0])])), "trailing_data", "appended byte");
        // drop chunk 1: chunk 2 (the final one) then sits at index 1 and fails
        const rec = 1 + cs + 16;
        const dropped = new Blob([good.subarray(0, headerEnd + rec), good.subarray(headerEnd + 2 * rec)]);
        await rejects(openS(dropped), "chunk_auth_failed", "dropped chunk");
        await rejects(open(new Blob([good]), { shares: shares.slice(0, 1) }), "not_enough_shares", "one share");
        await rejects(open(new Blob([good]), { shares: [shares[0], shares[0]] }), "bad_share", "duplicate share");
        const corrupt = { ...shares[0], y: b64uEncode(new Uint8Array(32)) };
        await rejects(verifyShare(new Blob([good]), corrupt), "bad_share", "corrupt share");
        await rejects(combineShares(new Blob([good]), [corrupt, shares[1]]), "bad_share", "corrupt share combine");
        await rejects(unwrapShare(new Blob([good]), keys.supplier_enc), "wrong_key", "not a custodian");
        await rejects(unwrapSelf(new Blob([good]), keys.agency), "wrong_key", "not the supplier");
        const other = JSON.parse(JSON.stringify(v.policy));
        other.k = 3;
        await rejects(inspect(new Blob([good]), { policy: other }), "policy_mismatch", "other policy");
        const info = await inspect(mut((b) => { b[b.length - 1] ^= 1; }));
        eq(info.signature_valid, false, "inspect reports a bad signature");
      },
    },
  ];
}

/** Round trips with fresh keys made in this environment. */
export function roundTripChecks() {
  return [
    {
      name: "round trip: sizes 0, 1, chunk-1, chunk, chunk+1 and 3 chunks; keys generated here",
      fn: async () => {
        const supplier = await unlockKeyFile(
          (await generateKeyFile("supplier", "供应商口令", { iterations: 1000 })).keyFile, "供应商口令");
        const custodians = [];
        for (let i = 0; i < 3; i++) {
          const made = await generateKeyFile("custodian", `c${i}`, { iterations: 1000 });
          custodians.push({ made, keys: await unlockKeyFile(made.keyFile, `c${i}`) });
        }
        const policy = {
          custodians: custodians.map((c, i) => ({ id: `c${i}`, label: `保管人${i}`, public_key: c.made.publicKeys.encrypt })),
          format: "biaoyun-policy/1", k: 2, lot: "2", tender_id: "T-JS-1",
        };
        const cs = 65536;
        const summary = { bidder: "测试供应商", price_fen: 100, delivery_days: 7 };
        const overhead = 4 + canonicalJsonText({ files: [{ name: "f.bin", size: 0 }], summary }).length + 2;
        for (const size of [0, 1, cs - 1, cs, cs + 1, 3 * cs + 5, cs - overhead]) {
          const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
          let last = null;
          const sealed = await seal({
            policy, signingKey: supplier.signing, encryptionKey: supplier.encryption, bidderId: "BIDDER-1",
            summary, files: [{ name: "f.bin", blob: new Blob([data]) }], chunkSize: cs, concurrency: 3,
            onProgress: (p) => { last = p; },
          });
          eq(last.phase, "done", "progress ends with done");
          eq(last.done, last.total, "progress reaches the total");
          const info = await inspect(sealed.blob, { policy, requireSignature: true });
          eq(info.sha256, sealed.sha256, "digest");
          eq(info.size, sealed.blob.size, "size");
          const shares = [await unwrapShare(sealed.blob, custodians[2].keys), await unwrapShare(sealed.blob, custodians[0].keys)];
          for (const how of [{ shares }, { supplierKey: supplier }]) {
            const r = await open(sealed.blob, how, { policy, concurrency: 2 });
            eq(r.summary, summary, "summary");
            eq(await blobBytes(r.files[0].blob), data, `content of ${size} bytes`);
          }
        }
      },
    },
  ];
}

/** Streaming to a writer, aborting, and refusing bad input before anything is written. */
export function apiChecks() {
  return [
    {
      name: "api: seal to a writer, abort with a signal, bad summary and names refused",
      fn: async () => {
        const made = await generateKeyFile("supplier", "p", { iterations: 1000 });
        const supplier = await unlockKeyFile(made.keyFile, "p");
        const custodian = await generateKeyFile("custodian", "q", { iterations: 1000 });
        const policy = {
          custodians: [{ id: "only", label: "", public_key: custodian.publicKeys.encrypt }],
          format: "biaoyun-policy/1", k: 1, lot: "1", tender_id: "T",
        };
        const base = {
          policy, signingKey: supplier.signing, encryptionKey: supplier.encryption, bidderId: "B", summary: {},
          chunkSize: 65536,
        };
        const parts = [];
        const data = new Uint8Array(200000).map((_, i) => i & 0xff);
        const streamed = await seal({
          ...base, files: [{ name: "x", blob: new Blob([data]) }],
          writer: { write: async (bytes) => { parts.push(bytes.slice()); } },
        });
        eq(streamed.blob, null, "no blob when a writer is given");
        const blob = new Blob(parts);
        eq(blob.size, streamed.size, "bytes written");
        const info = await inspect(blob, { policy, requireSignature: true });
        eq(info.sha256, streamed.sha256, "digest of the written bytes");
        const opened = await open(blob, { supplierKey: supplier });
        eq(await blobBytes(opened.files[0].blob), data, "written bytes open");

        const controller = new AbortController();
        controller.abort(new Error("stop"));
        let aborted = false;
        await seal({ ...base, files: [{ name: "x", blob: new Blob([data]) }], signal: controller.signal })
          .catch((err) => { aborted = err.message === "stop"; });
        assert(aborted, "abort signal stops sealing");

        await rejects(seal({ ...base, summary: { price_fen: 1.5 }, files: [] }), "payload_invalid", "float price");
        await rejects(seal({ ...base, summary: { price_fen: -1 }, files: [] }), "payload_invalid", "negative price");
        await rejects(seal({ ...base, summary: { note: 0.5 }, files: [] }), "payload_invalid", "float anywhere");
        for (const name of ["a/b", "..", "", "a\\b", "x\u0001"]) {
          await rejects(seal({ ...base, files: [{ name, blob: new Blob([]) }] }), "payload_invalid", `name ${name}`);
        }
        const twice = [{ name: "a", blob: new Blob([]) }, { name: "a", blob: new Blob([]) }];
        await rejects(seal({ ...base, files: twice }), "payload_invalid", "duplicate names");
        await rejects(seal({ ...base, policy: { ...policy, k: 2 }, files: [] }), "policy_mismatch", "k > n");
        const empty = await seal({ ...base, files: [] });
        const r = await open(empty.blob, { shares: [await unwrapShare(empty.blob, await unlockKeyFile(custodian.keyFile, "q"))] });
        eq(r.files, [], "no files");
      },
    },
    {
      name: "api: signatures are low-s (containers and documents); the high-s twin is refused",
      fn: async () => {
        const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
        const sOf = (sig) => BigInt(`0x${toHex(sig.subarray(32, 64))}`);
        const twin = (sig) => {
          const out = sig.slice();
          out.set(fromHex((n - sOf(sig)).toString(16).padStart(64, "0")), 32);
          return out;
        };
        const supplier = await unlockKeyFile((await generateKeyFile("supplier", "p", { iterations: 1000 })).keyFile, "p");
        const custodian = await generateKeyFile("custodian", "q", { iterations: 1000 });
        const policy = {
          custodians: [{ id: "only", label: "", public_key: custodian.publicKeys.encrypt }],
          format: "biaoyun-policy/1", k: 1, lot: "1", tender_id: "T",
        };
        // WebCrypto's nonces are random: half of raw signatures would be high-s without the fix
        for (let i = 0; i < 12; i++) {
          const sealed = await seal({
            policy, signingKey: supplier.signing, encryptionKey: supplier.encryption, bidderId: "B",
            summary: { i }, files: [], chunkSize: 65536,
          });
          const bytes = await blobBytes(sealed.blob);
          const sig = bytes.subarray(bytes.length - 64);
          assert(sOf(sig) <= n >> 1n, `container signature ${i} is low-s`);
          const flipped = concat(bytes.subarray(0, bytes.length - 64), twin(sig));
          eq((await inspect(new Blob([flipped]))).signature_valid, false, "the high-s twin does not verify");
          const doc = b64uDecode(await signDocument(supplier.signing, await documentDigest({ i })), 64);
          assert(sOf(doc) <= n >> 1n, `document signature ${i} is low-s`);
        }
      },
    },
  ];
}

/** All checks, in order. */
export function allChecks(vectors) {
  return [...rfcChecks(), ...vectorChecks(vectors), ...roundTripChecks(), ...apiChecks()];
}
