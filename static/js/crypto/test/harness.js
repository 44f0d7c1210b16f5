// Test harness for headless chromium (tests/e2e/test_crypto_browser.py, bench/crypto_browser_bench.py).
// Exposes window.harness; every function takes and returns JSON-friendly values (bytes as b64u).
// (`node --test static/js/crypto/test/` also loads this file, as it lives in test/: without a
// document it does nothing.)

import {
  b64uDecode, b64uEncode, generateKeyFile, inspect, open, seal, toHex, unlockKeyFile, unwrapShare,
} from "../index.js";
import { mountKeygenForm, mountSealForm, mountShareUnwrap } from "../seal-page.js";
import { Sha256 } from "../sha256.js";
import { allChecks } from "./checks.js";

function log(text) {
  document.getElementById("log").textContent += `${text}\n`;
}

/** Deterministic pseudo-random payload of `size` bytes, made chunk by chunk into a Blob. */
function makePayload(size, seed = 1) {
  const parts = [];
  let x = seed >>> 0 || 1;
  const step = 1 << 20;
  for (let off = 0; off < size; off += step) {
    const n = Math.min(step, size - off);
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      words[i] = x;
    }
    parts.push(new Uint8Array(words.buffer, 0, n));
  }
  return new Blob(parts);
}

async function sha256Hex(blob) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer())));
}

const harness = {
  /** Run every shared check; returns [{name, ok, error}]. */
  async runChecks(vectors) {
    const results = [];
    for (const check of allChecks(vectors)) {
      try {
        await check.fn();
        results.push({ name: check.name, ok: true });
        log(`ok ${check.name}`);
      } catch (err) {
        results.push({ name: check.name, ok: false, error: `${err && err.stack ? err.stack : err}` });
        log(`FAIL ${check.name}: ${err}`);
      }
    }
    return results;
  },

  /** Seal a generated payload with an unlocked supplier key file; returns the container as b64u. */
  async sealGenerated({ policy, keyFile, passphrase, bidderId, summary, sizes, chunkSize }) {
    const keys = await unlockKeyFile(keyFile, passphrase);
    const files = sizes.map((size, i) => ({ name: `附件-${i}.bin`, blob: makePayload(size, i + 7) }));
    const progress = [];
    const sealed = await seal({
      policy, signingKey: keys.signing, encryptionKey: keys.encryption, bidderId, summary, files, chunkSize,
      onProgress: (p) => progress.push(p.done),
    });
    const contents = [];
    for (const f of files) contents.push(b64uEncode(new Uint8Array(await f.blob.arrayBuffer())));
    return {
      container: b64uEncode(new Uint8Array(await sealed.blob.arrayBuffer())),
      sha256: sealed.sha256,
      hashedIn: sealed.hashedIn,
      files: files.map((f, i) => ({ name: f.name, content: contents[i] })),
      progress,
    };
  },

  /** A custodian unwraps its share of a container in the browser. */
  async unwrapShareOf({ container, keyFile, passphrase }) {
    const keys = await unlockKeyFile(keyFile, passphrase);
    return unwrapShare(new Blob([b64uDecode(container)]), keys);
  },

  /** Inspect and open a container here (with shares or a supplier key file). */
  async openHere({ container, shares, keyFile, passphrase }) {
    const blob = new Blob([b64uDecode(container)]);
    const how = shares ? { shares } : { supplierKey: await unlockKeyFile(keyFile, passphrase) };
    const result = await open(blob, how);
    const files = [];
    for (const f of result.files) files.push({ name: f.name, content: b64uEncode(new Uint8Array(await f.blob.arrayBuffer())) });
    return { summary: result.summary, files, info: await inspect(blob) };
  },

  /** Make keys in the browser (what the key-generation page does). */
  async keygen({ kind, passphrase, iterations }) {
    return generateKeyFile(kind, passphrase, { iterations });
  },

  /** Try something and return the error code (or "ok"). */
  async errorCode(fnName, args) {
    try {
      await this[fnName](args);
      return "ok";
    } catch (err) {
      return err.code || String(err);
    }
  },

  /** Benchmark, step 1: unlock the key and make the payload Blob (kept in the page). */
  async benchPrepare({ keyFile, passphrase, sizeMiB }) {
    this.benchKeys = await unlockKeyFile(keyFile, passphrase);
    this.benchPayload = makePayload(sizeMiB << 20, 3);
    await this.benchPayload.slice(0, 1).arrayBuffer();
    return this.benchPayload.size;
  },

  /** Benchmark, step 2: seal the payload (timed); the container Blob stays in the page. */
  async benchSeal({ policy, chunkSize = 1 << 20, concurrency = 4, hashWorker = true, discard = false, forceGc = false }) {
    // forceGc (chromium started with --js-flags=--expose-gc): collect garbage every 16 chunks, so
    // the memory samples show what sealing retains rather than what V8 has not collected yet
    const onProgress = forceGc && globalThis.gc ? (p) => { if (p.chunk % 16 === 0) globalThis.gc(); } : undefined;
    let written = 0;
    const writer = discard ? { write: (bytes) => { written += bytes.length; } } : undefined;
    const t0 = performance.now();
    const sealed = await seal({
      policy, signingKey: this.benchKeys.signing, encryptionKey: this.benchKeys.encryption, bidderId: "BENCH",
      summary: { bidder: "bench", price_fen: 1 }, files: [{ name: "payload.bin", blob: this.benchPayload }],
      chunkSize, concurrency, hashWorker, writer, onProgress,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (discard && written !== sealed.size) throw new Error("writer did not see every byte");
    this.benchSealed = sealed;
    return {
      seal_seconds: Number(seconds.toFixed(3)), container_bytes: sealed.size, hashed_in: sealed.hashedIn,
      seal_mb_s: Number((this.benchPayload.size / 1e6 / seconds).toFixed(1)),
    };
  },

  /** Benchmark, step 3: raw pipeline, JS SHA-256 alone and inspect(), on the same data. */
  async benchCompare({ chunkSize = 1 << 20 }) {
    const payload = this.benchPayload;
    const mb = payload.size / 1e6;
    // raw pipeline: AES-256-GCM + WebCrypto SHA-256 per chunk, no framing, no streaming hash
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    const t1 = performance.now();
    for (let off = 0; off < payload.size; off += chunkSize) {
      const chunk = await payload.slice(off, off + chunkSize).arrayBuffer();
      const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, key, chunk);
      await crypto.subtle.digest("SHA-256", ct);
    }
    const rawSeconds = (performance.now() - t1) / 1000;
    const t3 = performance.now();
    const h = new Sha256();
    for (let off = 0; off < payload.size; off += chunkSize) {
      h.update(new Uint8Array(await payload.slice(off, off + chunkSize).arrayBuffer()));
    }
    h.digest();
    const hashSeconds = (performance.now() - t3) / 1000;
    let info = { signature_valid: null };
    let inspectSeconds = NaN;
    if (this.benchSealed.blob) {
      const t2 = performance.now();
      info = await inspect(this.benchSealed.blob);
      inspectSeconds = (performance.now() - t2) / 1000;
    }
    return {
      raw_aesgcm_sha256_mb_s: Number((mb / rawSeconds).toFixed(1)),
      js_sha256_mb_s: Number((mb / hashSeconds).toFixed(1)),
      inspect_mb_s: Number.isNaN(inspectSeconds) ? null : Number((mb / inspectSeconds).toFixed(1)),
      signature_valid: info.signature_valid,
    };
  },

  /** Mount one of the seal-page.js widgets into #ui (for the UI tests). */
  mountUi({ widget, policy, bidderId, summary, containers, iterations, pickerThreshold }) {
    const root = document.getElementById("ui");
    window.uiEvents = [];
    if (widget === "seal") {
      mountSealForm(root, {
        policy, bidderId, summary, chunkSize: 65536, pickerThreshold,
        onSealed: (r) => window.uiEvents.push(r.sha256),
      });
    } else if (widget === "keygen") {
      mountKeygenForm(root, { kind: "custodian", iterations, onGenerated: (m) => window.uiEvents.push(m.publicKeys) });
    } else {
      const bids = containers.map((c, i) => ({ id: `bid-${i}`, label: `投标 ${i}`, header: new Blob([b64uDecode(c)]) }));
      mountShareUnwrap(root, { bids, onShare: (bid, share) => window.uiEvents.push(share) });
    }
  },

  /** A stand-in for the File System Access API's save picker, recording what is written. */
  fakeSavePicker() {
    const state = { chunks: [], closed: false, aborted: false, picked: 0 };
    window.savePicker = state;
    window.showSaveFilePicker = async ({ suggestedName }) => {
      state.picked += 1;
      state.name = suggestedName;
      return {
        createWritable: async () => ({
          write: async (bytes) => { state.chunks.push(bytes.slice()); },
          close: async () => { state.closed = true; },
          abort: async () => { state.aborted = true; },
        }),
      };
    };
  },

  async savedFile() {
    const s = window.savePicker;
    return {
      name: s.name, closed: s.closed, aborted: s.aborted, picked: s.picked,
      content: s.closed ? b64uEncode(new Uint8Array(await new Blob(s.chunks).arrayBuffer())) : null,
    };
  },

  makePayloadSha256: async (size, seed) => sha256Hex(makePayload(size, seed)),
};

if (typeof document !== "undefined") {
  window.harness = harness;
  document.body.dataset.ready = "1";
  log("harness ready");
}
