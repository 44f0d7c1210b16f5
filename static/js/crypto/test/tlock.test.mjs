// Node tests of the browser time-lock module (static/js/crypto/tlock.js) against crypto/vectors/tlock.json,
// the vectors crypto/tlock.py is checked against; tlock-js (the drand project's library) opens what it writes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { fromHex, toHex } from "../bytes.js";
import * as tlock from "../tlock.js";

const V = JSON.parse(readFileSync(fileURLToPath(new URL("../../../../crypto/vectors/tlock.json", import.meta.url)),
  "utf-8"));
const QN_SIG = fromHex(V.quicknet.signature);
const QN_PK = fromHex(V.quicknet.public_key);

function draws(hex) {
  const bytes = fromHex(hex);
  let offset = 0;
  return (n) => {
    const out = bytes.slice(offset, offset + n);
    offset += n;
    return out;
  };
}

test("tlock: the real quicknet signature verifies; another round's is refused", async () => {
  await tlock.verifyRound(QN_PK, V.quicknet.round, QN_SIG);
  await assert.rejects(tlock.verifyRound(QN_PK, V.quicknet.round + 1, QN_SIG), { code: "tlock_invalid" });
  assert.equal(toHex(await tlock.roundMessage(V.quicknet.round)), V.quicknet.round_message);
});

for (const vector of V.interop) {
  test(`tlock: opens the ciphertext of ${vector.made_by}`, async () => {
    const data = tlock.dearmor(vector.armored);
    assert.equal(tlock.parse(data).round, V.quicknet.round);
    assert.equal(toHex(await tlock.decrypt(data, QN_SIG)), vector.plaintext_hex);
  });
}

test("tlock: deterministic IBE and age vectors, bit for bit", async () => {
  const { ibe, age, local_beacon: local } = V;
  const ct = await tlock.ibeEncrypt(fromHex(ibe.public_key), ibe.round, fromHex(ibe.msg), () => fromHex(ibe.sigma));
  assert.equal(toHex(ct), ibe.ciphertext);
  assert.equal(toHex(await tlock.ibeDecrypt(fromHex(local.signature), ct)), ibe.msg);
  const made = await tlock.encrypt(fromHex(age.public_key), age.chain_hash, age.round, fromHex(age.plaintext_hex),
    draws(age.draws_hex));
  assert.equal(toHex(made), age.file_hex);
  assert.equal(toHex(await tlock.decrypt(made, fromHex(local.signature))), age.plaintext_hex);
  await assert.rejects(tlock.decrypt(made, fromHex(local.wrong_round_signature)), { code: "tlock_invalid" });
  await assert.rejects(tlock.verifyRound(QN_PK, local.round, fromHex(local.signature)), { code: "tlock_invalid" });
  for (const r of V.rounds) assert.equal(tlock.roundAt(r.time, r.genesis_time, r.period), r.round);
});

test("tlock: tlock-js 0.9.0 opens a share wrapped here", async () => {
  const require = createRequire(import.meta.url);
  const { timelockDecrypt } = require("tlock-js");
  const share = new Uint8Array(32).map((_, i) => 255 - i);
  const data = await tlock.encrypt(QN_PK, V.quicknet.chain_hash, V.quicknet.round, share);
  const info = { hash: V.quicknet.chain_hash, public_key: V.quicknet.public_key, period: 3,
    genesis_time: V.quicknet.genesis_time, schemeID: V.quicknet.scheme, groupHash: "", metadata: { beaconID: "quicknet" } };
  const client = {
    chain: () => ({ info: async () => info }),
    get: async (round) => ({ round, randomness: "", signature: V.quicknet.signature }),
    latest: async () => null,
    options: { disableBeaconVerification: true, noCache: true },
  };
  const opened = await timelockDecrypt(tlock.armor(data), client);
  assert.equal(toHex(new Uint8Array(opened)), toHex(share));
});
