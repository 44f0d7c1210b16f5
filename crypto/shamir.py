"""Shamir k-of-n secret sharing over GF(2^8), byte-wise (FORMAT.md §4).

Written here rather than imported so the JavaScript side can follow the exact same steps;
arithmetic is table-free (no secret-indexed lookups) and branch-free per bit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence


def gf_mul(a: int, b: int) -> int:
    """Multiply in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, with masks instead of branches."""
    product = 0
    for _ in range(8):
        product ^= -(b & 1) & a
        carry = -((a >> 7) & 1) & 0x1B
        a = ((a << 1) & 0xFF) ^ carry
        b >>= 1
    return product


def gf_inv(a: int) -> int:
    """Inverse as a^254 (Fermat), so no lookup depends on the value; gf_inv(0) is 0."""
    result, base, exponent = 1, a, 254
    while exponent:
        if exponent & 1:
            result = gf_mul(result, base)
        base = gf_mul(base, base)
        exponent >>= 1
    return result


def split(secret: bytes, k: int, n: int, rand: Callable[[int], bytes] = secrets.token_bytes) -> list[bytes]:
    """Shares Y_1..Y_n of ``secret``; any k of them rebuild it, any k-1 reveal nothing."""
    if not 1 <= k <= n <= 255:
        raise ValueError("need 1 <= k <= n <= 255")
    size = len(secret)
    coefficients = rand(size * (k - 1))
    if len(coefficients) != size * (k - 1):
        raise ValueError("random source returned the wrong length")
    shares = []
    for x in range(1, n + 1):
        share = bytearray(size)
        for j in range(size):
            # Horner's rule from the highest coefficient down to the secret byte.
            y = 0
            for t in range(k - 1, 0, -1):
                y = gf_mul(y, x) ^ coefficients[size * (t - 1) + j]
            share[j] = gf_mul(y, x) ^ secret[j]
        shares.append(bytes(share))
    return shares


def combine(shares: Sequence[tuple[int, bytes]]) -> bytes:
    """Lagrange interpolation at 0 of (x, Y_x) pairs with distinct non-zero x."""
    xs = [x for x, _ in shares]
    if not shares or len(set(xs)) != len(xs) or any(not 1 <= x <= 255 for x in xs):
        raise ValueError("share indices must be distinct and in 1..255")
    size = len(shares[0][1])
    if any(len(y) != size for _, y in shares):
        raise ValueError("shares differ in length")
    secret = bytearray(size)
    for m, (x_m, y_m) in enumerate(shares):
        numerator, denominator = 1, 1
        for l_, x_l in enumerate(xs):
            if l_ != m:
                numerator = gf_mul(numerator, x_l)
                denominator = gf_mul(denominator, x_l ^ x_m)
        weight = gf_mul(numerator, gf_inv(denominator))
        for j in range(size):
            secret[j] ^= gf_mul(y_m[j], weight)
    return bytes(secret)
