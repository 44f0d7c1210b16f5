"""Shamir over GF(2^8): field arithmetic, round trips, and that k-1 shares carry no information."""

from __future__ import annotations

import itertools
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import shamir


def test_gf_mul_matches_fips197_examples() -> None:
    # FIPS-197 §4.2: {57}·{83} = {c1}, {57}·{13} = {fe}
    assert shamir.gf_mul(0x57, 0x83) == 0xC1
    assert shamir.gf_mul(0x57, 0x13) == 0xFE


def test_every_nonzero_element_has_an_inverse() -> None:
    for a in range(1, 256):
        assert shamir.gf_mul(a, shamir.gf_inv(a)) == 1


@settings(max_examples=40, deadline=None)
@given(secret=st.binary(min_size=1, max_size=40), n=st.integers(1, 7), data=st.data())
def test_any_k_shares_rebuild_the_secret(secret: bytes, n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, n))
    shares = shamir.split(secret, k, n)
    chosen = data.draw(st.lists(st.integers(1, n), min_size=k, max_size=n, unique=True))
    assert shamir.combine([(x, shares[x - 1]) for x in chosen]) == secret


def test_k_minus_one_shares_are_consistent_with_every_secret_byte() -> None:
    # For one byte with k=3, n=5: for any 2 fixed shares and any candidate secret byte there is
    # exactly one polynomial through them, so the shares say nothing about the secret.
    secret = bytes([0x42])
    shares = shamir.split(secret, 3, 5)
    known = [(1, shares[0]), (4, shares[3])]
    for candidate in range(256):
        # the unique degree-2 polynomial through (0, candidate) and the known points exists:
        # evaluating it at x=0 must give the candidate back
        points = [*known]
        rebuilt = shamir.combine([*points, (5, _third_share(known, candidate, 5))])
        assert rebuilt == bytes([candidate])


def _third_share(known: list[tuple[int, bytes]], secret_byte: int, x: int) -> bytes:
    """Value at x of the polynomial through (0, secret_byte) and the known points (Lagrange)."""
    points = [(0, secret_byte), *[(xi, yi[0]) for xi, yi in known]]
    total = 0
    for m, (x_m, y_m) in enumerate(points):
        num, den = 1, 1
        for l_, (x_l, _) in enumerate(points):
            if l_ != m:
                num = shamir.gf_mul(num, x ^ x_l)
                den = shamir.gf_mul(den, x_m ^ x_l)
        total ^= shamir.gf_mul(y_m, shamir.gf_mul(num, shamir.gf_inv(den)))
    return bytes([total])


def test_fewer_than_k_shares_give_a_wrong_secret() -> None:
    secret = secrets.token_bytes(32)
    shares = shamir.split(secret, 3, 5)
    for pair in itertools.combinations(range(1, 6), 2):
        assert shamir.combine([(x, shares[x - 1]) for x in pair]) != secret


@pytest.mark.parametrize("bad", [[(1, b"a"), (1, b"b")], [(0, b"a")], [], [(1, b"ab"), (2, b"a")]])
def test_combine_rejects_bad_input(bad: list[tuple[int, bytes]]) -> None:
    with pytest.raises(ValueError):
        shamir.combine(bad)
