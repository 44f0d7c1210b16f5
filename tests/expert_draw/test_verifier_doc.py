"""The draw's definition as documented (issue 11): weights 1–4 (not 1–9), the order and its ties, and what
`skipped` holds — the docstring of expert_draw/verifier.py is the specification a third party implements."""

from __future__ import annotations

import hashlib

import pytest

from expert_draw import verifier


def test_weights_are_1_to_4_as_documented():
    doc = verifier.__doc__
    assert "1 ≤ w ≤ 4" in doc and "decimal digit 1–4 per leaf" in doc and verifier.MAX_WEIGHT == 4
    leaf = hashlib.sha256(b"x").hexdigest()
    for weight in (0, 5, 9):
        with pytest.raises(ValueError):
            verifier.rank_order(b"\0" * 32, 1, [[leaf, weight]])
    assert verifier.rank_order(b"\0" * 32, 1, [[leaf, 4]]) == [leaf]


def test_the_documented_weighted_key_gives_the_order():
    """The key written in the docstring, (h+1)^(L/w) · 2^(256·(L − L/w)), recomputed here from it alone."""
    seed = hashlib.sha256(b"seed").digest()
    pool = [[hashlib.sha256(bytes([i])).hexdigest(), 1 + i % 4] for i in range(40)]
    lcm = 12  # of 1, 2, 3, 4

    def key(leaf: str, w: int) -> int:
        h = int.from_bytes(hashlib.sha256(b"biaoyun/expert-draw/v1/rank\0" + seed + (7).to_bytes(8, "big")
                                          + bytes.fromhex(leaf)).digest(), "big")
        return (h + 1) ** (lcm // w) << (256 * (lcm - lcm // w))

    expected = [leaf for leaf, w in sorted(pool, key=lambda lw: (-key(*lw), lw[0]))]
    assert verifier.rank_order(seed, 7, pool) == expected
    assert "Ties (equal keys, impossible in practice) go by leaf ascending" in verifier.__doc__


def test_skipped_entries_are_documented():
    doc = verifier.__doc__
    assert "`skipped` as [leaf, reason]" in doc and "already_drawn" in doc and "or null when the walk" in doc
