"""The fast ranking and leaf code give exactly what the definition in verifier.py's docstring says.

The reference functions below are the definition written out literally (one SHA-256 per call,
integer keys for every weight); the verifier's versions reuse hash prefixes and compare digests
as bytes where all weights are equal. Any difference would change who is drawn.
"""

import hashlib
import math
import random
from functools import reduce

import pytest

from expert_draw.verifier import DOMAIN, leaf_of, leaves_of, rank_hash, rank_order


def ref_leaf(salt: bytes, expert_id: int) -> str:
    return hashlib.sha256(DOMAIN + b"/leaf\0" + salt + b"expert:" + str(expert_id).encode()).hexdigest()


def ref_hash(seed: bytes, draw_id: int, leaf: str) -> int:
    data = DOMAIN + b"/rank\0" + seed + draw_id.to_bytes(8, "big") + bytes.fromhex(leaf)
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def ref_order(seed: bytes, draw_id: int, pool) -> list[str]:
    lcm = reduce(math.lcm, {w for _, w in pool}, 1)
    keyed = [((ref_hash(seed, draw_id, leaf) + 1) ** (lcm // w) << (256 * (lcm - lcm // w)), leaf) for leaf, w in pool]
    keyed.sort(key=lambda kl: (-kl[0], kl[1]))
    return [leaf for _, leaf in keyed]


def test_leaf_matches_the_definition():
    rng = random.Random(1)
    for expert_id in [1, 9, 10, 12345, 10**12]:
        salt = rng.randbytes(16)
        assert leaf_of(salt, expert_id) == ref_leaf(salt, expert_id)
    with pytest.raises(ValueError):
        leaf_of(b"short", 1)


@pytest.mark.parametrize(
    "weights",
    [(1,), (2,), (4,), (1, 2), (1, 3), (1, 2, 3, 4), (2, 4)],
)
def test_rank_order_matches_the_definition(weights):
    rng = random.Random(str(weights))
    for _ in range(5):
        pool = [[ref_leaf(rng.randbytes(16), i), rng.choice(weights)] for i in range(rng.randint(0, 300))]
        rng.shuffle(pool)
        seed, draw_id = rng.randbytes(32), rng.randint(1, 2**40)
        assert rank_order(seed, draw_id, pool) == ref_order(seed, draw_id, pool)
    leaf = ref_leaf(b"\1" * 16, 7)
    assert rank_hash(b"s" * 32, 3, leaf) == ref_hash(b"s" * 32, 3, leaf)


def test_rank_order_keeps_duplicates_and_rejects_bad_weights():
    leaves = [ref_leaf(bytes([i]) * 16, i) for i in range(1, 6)]
    pool = [[leaf, 1] for leaf in leaves + leaves[:2]]
    assert rank_order(b"d" * 32, 5, pool) == ref_order(b"d" * 32, 5, pool)
    with pytest.raises(ValueError):
        rank_order(b"d" * 32, 5, [[leaves[0], 5]])
    assert rank_order(b"d" * 32, 5, []) == []


def test_leaves_in_bulk_match_the_definition():
    rng = random.Random(2)
    salted = [(rng.randbytes(16), expert_id) for expert_id in [1, 9, 10, 12345, 10**12, *range(100, 400)]]
    assert leaves_of(salted) == [ref_leaf(salt, expert_id) for salt, expert_id in salted]
    with pytest.raises(ValueError):
        leaves_of([(b"short", 1)])


def test_rank_order_of_malformed_leaves_hashes_each_as_it_decodes():
    """A record under check whose leaves are not all 64 hex digits (the bulk decoding would split them
    elsewhere) ranks exactly as the definition decodes each one."""
    leaves = [ref_leaf(bytes([i]) * 16, i) for i in range(1, 6)]
    odd = [leaves[0][:62], leaves[1] + "ab", leaves[2].upper(), leaves[3][:32] + " " + leaves[3][32:], leaves[4]]
    pool = [[leaf, 1] for leaf in odd]
    assert rank_order(b"d" * 32, 5, pool) == ref_order(b"d" * 32, 5, pool)
