// Node test runner entry: `node --test static/js/crypto/test/` (or `npm run test:js`).
// Checks the browser modules against crypto/vectors/v1.json and v2.json, RFC 9180 A.3.1, tampering
// and round trips (Node >= 20: globalThis.crypto.subtle and Blob).

import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { allChecks, vectorChecks } from "./checks.js";

for (const version of [1, 2]) {
  const path = fileURLToPath(new URL(`../../../../crypto/vectors/v${version}.json`, import.meta.url));
  const vectors = JSON.parse(readFileSync(path, "utf-8"));
  // the RFC, round-trip and API checks do not depend on the vectors: run them once
  const checks = version === 1 ? allChecks(vectors) : vectorChecks(vectors);
  for (const check of checks) test(`v${version} ${check.name}`, check.fn);
}
