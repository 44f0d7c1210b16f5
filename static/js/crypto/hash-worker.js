// Dedicated module worker: streaming SHA-256 off the page's main thread (see hasher.js).
// Messages in: {op: "update", data: Uint8Array} | {op: "digest", id, final: boolean};
// out: {op: "ack", n} after each update, {op: "digest", id, digest} for each digest request.

import { Sha256 } from "./sha256.js";

const hasher = new Sha256();

self.onmessage = ({ data: msg }) => {
  if (msg.op === "update") {
    hasher.update(msg.data);
    self.postMessage({ op: "ack", n: msg.data.length });
  } else if (msg.op === "ping") {
    self.postMessage({ op: "pong" });
  } else if (msg.op === "digest") {
    const digest = msg.final ? hasher.digest() : hasher.copy().digest();
    self.postMessage({ op: "digest", id: msg.id, digest });
  }
};
