// The container digest is SHA-256 over the whole file, computed while records stream by.
// In a browser the hashing runs in a module Worker (hash-worker.js) so it overlaps with
// reading and AES-GCM; elsewhere (Node, or if the worker cannot start) it runs in place.
// Both give the same async interface: await update(bytes); await snapshot(); await digest().

import { Sha256 } from "./sha256.js";

const MAX_PENDING = 16 << 20; // bytes posted to the worker and not hashed yet

class LocalHasher {
  constructor() {
    this.kind = "inline";
    this.h = new Sha256();
  }

  update(bytes) {
    this.h.update(bytes);
  }

  async snapshot() {
    return this.h.copy().digest();
  }

  async digest() {
    return this.h.digest();
  }

  close() {}
}

class WorkerHasher {
  constructor(worker) {
    this.kind = "worker";
    this.worker = worker;
    this.pending = 0;
    this.waiters = [];
    this.replies = new Map();
    this.nextId = 1;
    this.failure = null;
    worker.onmessage = ({ data: msg }) => {
      if (msg.op === "ack") {
        this.pending -= msg.n;
        while (this.waiters.length && this.pending <= MAX_PENDING) this.waiters.shift().resolve();
      } else if (msg.op === "digest") {
        this.replies.get(msg.id).resolve(msg.digest);
        this.replies.delete(msg.id);
      }
    };
    worker.onerror = (event) => {
      this.failure = new Error(`hash worker failed: ${event.message || "error"}`);
      for (const w of this.waiters) w.reject(this.failure);
      for (const r of this.replies.values()) r.reject(this.failure);
      this.waiters = [];
      this.replies.clear();
    };
  }

  update(bytes) {
    if (this.failure) throw this.failure;
    this.pending += bytes.length;
    this.worker.postMessage({ op: "update", data: bytes }); // structured clone: a copy
    if (this.pending > MAX_PENDING) {
      return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
    return undefined;
  }

  request(final) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.worker.postMessage({ op: "digest", id, final });
    });
  }

  snapshot() {
    return this.request(false);
  }

  async digest() {
    try {
      return await this.request(true);
    } finally {
      this.close();
    }
  }

  close() {
    this.worker.terminate();
  }
}

/**
 * A streaming SHA-256: a Worker one where the platform has module workers and `useWorker`.
 * Callers must `await` update() (it returns a promise only when the worker is behind).
 */
export async function createHasher({ useWorker = true } = {}) {
  if (useWorker && typeof Worker !== "undefined" && typeof document !== "undefined") {
    let worker;
    try {
      worker = new Worker(new URL("./hash-worker.js", import.meta.url), { type: "module" });
      await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => (data.op === "pong" ? resolve() : reject(new Error("unexpected")));
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error("worker failed to start"));
        };
        worker.postMessage({ op: "ping" });
      });
      return new WorkerHasher(worker);
    } catch {
      if (worker) worker.terminate(); // CSP or no module workers: hash in place
    }
  }
  return new LocalHasher();
}
