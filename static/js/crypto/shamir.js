// Shamir k-of-n secret sharing over GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FORMAT.md §4),
// the same steps as crypto/shamir.py: table-free, branch-free multiplication.

import { randomBytes } from "./primitives.js";

/** Multiply in GF(2^8) (AES polynomial 0x11B). */
export function gfMul(a, b) {
  let product = 0;
  for (let i = 0; i < 8; i++) {
    product ^= -(b & 1) & a;
    const carry = -((a >> 7) & 1) & 0x1b;
    a = ((a << 1) & 0xff) ^ carry;
    b >>= 1;
  }
  return product & 0xff;
}

/** Inverse as a^254; gfInv(0) = 0. */
export function gfInv(a) {
  let result = 1;
  let base = a;
  for (let e = 254; e; e >>= 1) {
    if (e & 1) result = gfMul(result, base);
    base = gfMul(base, base);
  }
  return result;
}

/**
 * Split `secret` into n shares Y_1..Y_n; any k rebuild it.
 * @param {Uint8Array} secret @param {number} k @param {number} n
 * @param {(n: number) => Uint8Array} [rand] coefficient source (one block of size·(k−1) bytes)
 * @returns {Uint8Array[]} shares[x-1] = Y_x
 */
export function split(secret, k, n, rand = randomBytes) {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 1 && k <= n && n <= 255)) {
    throw new RangeError("need 1 <= k <= n <= 255");
  }
  const size = secret.length;
  const coeff = rand(size * (k - 1));
  if (coeff.length !== size * (k - 1)) throw new RangeError("random source returned the wrong length");
  const shares = [];
  for (let x = 1; x <= n; x++) {
    const share = new Uint8Array(size);
    for (let j = 0; j < size; j++) {
      let y = 0;
      for (let t = k - 1; t > 0; t--) y = gfMul(y, x) ^ coeff[size * (t - 1) + j];
      share[j] = gfMul(y, x) ^ secret[j];
    }
    shares.push(share);
  }
  return shares;
}

/**
 * Lagrange interpolation at 0 of [x, Y_x] pairs with distinct x in 1..255.
 * @param {Array<[number, Uint8Array]>} shares @returns {Uint8Array}
 */
export function combine(shares) {
  const xs = shares.map(([x]) => x);
  if (!shares.length || new Set(xs).size !== xs.length || xs.some((x) => !(Number.isInteger(x) && x >= 1 && x <= 255))) {
    throw new RangeError("share indices must be distinct and in 1..255");
  }
  const size = shares[0][1].length;
  if (shares.some(([, y]) => y.length !== size)) throw new RangeError("shares differ in length");
  const secret = new Uint8Array(size);
  shares.forEach(([xm, ym], m) => {
    let num = 1;
    let den = 1;
    xs.forEach((xl, l) => {
      if (l !== m) {
        num = gfMul(num, xl);
        den = gfMul(den, xl ^ xm);
      }
    });
    const weight = gfMul(num, gfInv(den));
    for (let j = 0; j < size; j++) secret[j] ^= gfMul(ym[j], weight);
  });
  return secret;
}
