// Node test runner entry: `node --test static/js/crypto/test/` (or `npm run test:js`).
// Checks the browser modules against crypto/vectors/v1.json, RFC 9180 A.3.1, tampering
// and round trips (Node >= 20: globalThis.crypto.subtle and Blob).

import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { allChecks } from "./checks.js";

const vectorsPath = fileURLToPath(new URL("../../../../crypto/vectors/v1.json", import.meta.url));
const vectors = JSON.parse(readFileSync(vectorsPath, "utf-8"));

for (const check of allChecks(vectors)) {
  test(check.name, check.fn);
}
