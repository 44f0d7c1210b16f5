"""RFC 9162 Merkle tree: known answers from Certificate Transparency, and exhaustive small trees."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

# Reference vectors of the CT implementations (transparency-dev/merkle proof/verify_test.go).
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
CT_INCLUSION = [  # (0-based index, size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CT_CONSISTENCY = [  # (m, n, proof)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
CT_HASHES = [leaf_hash(d) for d in CT_LEAVES]
OTHER = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 8]) + h[1:]


def test_empty_tree_root_is_sha256_of_nothing():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == CompactRange().root() == MerkleTree().root() == EMPTY_ROOT


def test_domain_separation():
    assert leaf_hash(b"") == CT_ROOTS[0]
    assert node_hash(CT_HASHES[0], CT_HASHES[1]) == CT_ROOTS[1]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_ct_vectors(size):
    assert root(CT_HASHES[:size]) == CT_ROOTS[size - 1]
    assert CompactRange.from_leaf_hashes(CT_HASHES[:size]).root() == CT_ROOTS[size - 1]
    assert MerkleTree(CT_HASHES).root(size) == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_inclusion_matches_ct_vectors(index, size, proof):
    expected = [bytes.fromhex(p) for p in proof]
    assert inclusion_proof(CT_HASHES, index, size) == expected
    assert verify_inclusion(CT_HASHES[index], index, size, expected, CT_ROOTS[size - 1])


@pytest.mark.parametrize(("m", "n", "proof"), CT_CONSISTENCY)
def test_consistency_matches_ct_vectors(m, n, proof):
    expected = [bytes.fromhex(p) for p in proof]
    assert consistency_proof(CT_HASHES, m, n) == expected
    assert verify_consistency(m, n, CT_ROOTS[m - 1], CT_ROOTS[n - 1], expected)


@given(st.integers(min_value=0, max_value=300))
def test_compact_range_root_equals_mth(size):
    leaves = hashes(size)
    assert CompactRange.from_leaf_hashes(leaves).root() == root(leaves)


def test_compact_range_matches_at_every_size_and_round_trips():
    leaves = hashes(300)
    cr, tree = CompactRange(), MerkleTree()
    for n, h in enumerate(leaves, start=1):
        cr.append(h)
        tree.append(h)
        stored = CompactRange.from_json(json.loads(json.dumps(cr.to_json())))
        assert stored == cr and stored.size == n and len(stored.hashes) == n.bit_count()
        assert cr.root() == tree.root() == root(leaves[:n]) == MerkleTree(leaves).root(n)
    assert CompactRange.from_json(json.dumps(cr.to_json())) == cr  # the text form works too


@pytest.mark.parametrize("bad", [
    {"size": 3, "hashes": ["00" * 32]},  # 3 needs two subtree roots
    {"size": -1, "hashes": []},
    {"size": 1, "hashes": ["00" * 31]},
    {"size": 1, "hashes": ["zz" * 32]},
    {"size": True, "hashes": []},
    {"hashes": []},
    [],
])
def test_compact_range_rejects_bad_json(bad):
    with pytest.raises(ValueError):
        CompactRange.from_json(bad)


def test_append_rejects_non_hash():
    with pytest.raises(ValueError):
        CompactRange().append(b"short")


def _inclusion_mutants(h, i, n, proof, r):
    """Forged claims, as transparency-dev/merkle probes them. (Not size n+1: a size-3 path also
    fits a size-4 tree whose right half hashes to leaf 2, so the size must come from the
    signed checkpoint, never from the proof; verifier.py enforces that.)"""
    yield h, i - 1, n, proof, r
    yield h, i + 1, n, proof, r
    yield h, i ^ 2, n, proof, r
    yield h, i, n * 2, proof, r
    yield h, i, n // 2, proof, r
    yield flip(h), i, n, proof, r
    yield h, i, n, proof, flip(r)
    yield h, i, n, proof, EMPTY_ROOT
    yield h, i, n, [*proof, r], r
    yield h, i, n, [r, *proof], r
    if proof:
        yield h, i, n, proof[:-1], r
        yield h, i, n, [proof[0], OTHER, *proof[1:]], r
    for k in range(len(proof)):
        yield h, i, n, [*proof[:k], flip(proof[k]), *proof[k + 1:]], r


def test_inclusion_all_small_trees():
    leaves = hashes(64)
    tree = MerkleTree(leaves)
    for n in range(1, 65):
        r = root(leaves[:n])
        for i in range(n):
            proof = inclusion_proof(leaves, i, n)
            assert proof == tree.inclusion_proof(i, n)
            assert verify_inclusion(leaves[i], i, n, proof, r), (i, n)
            assert root_from_inclusion_proof(leaves[i], i, n, proof) == r
            for args in _inclusion_mutants(leaves[i], i, n, proof, r):
                assert not verify_inclusion(*args), (i, n, args[1:3])


def test_inclusion_rejects_out_of_range():
    leaves = hashes(4)
    with pytest.raises(ValueError):
        inclusion_proof(leaves, 4, 4)
    with pytest.raises(ValueError):
        inclusion_proof(leaves, 0, 5)
    with pytest.raises(ValueError):
        inclusion_proof(leaves, 0, 0)
    assert not verify_inclusion(leaves[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(leaves[0], -1, 1, [], leaves[0])
    assert not verify_inclusion(b"", 0, 1, [], b"")


def _consistency_mutants(m, n, r1, r2, proof):
    yield m - 1, n, r1, r2, proof
    yield m + 1, n, r1, r2, proof
    yield m ^ 2, n, r1, r2, proof
    yield m, n * 2, r1, r2, proof
    yield m, n // 2, r1, r2, proof
    yield m, n, flip(r1), r2, proof
    yield m, n, r1, flip(r2), proof
    yield m, n, r2, r1, proof
    yield m, n, r1, r2, []
    yield m, n, r1, r2, [*proof, r1]
    yield m, n, r1, r2, [*proof, r2]
    yield m, n, r1, r2, [r1, *proof]
    yield m, n, r1, r2, [r2, *proof]
    yield m, n, r1, r2, [proof[0], *proof]
    yield m, n, r1, r2, proof[:-1]
    for k in range(len(proof)):
        yield m, n, r1, r2, [*proof[:k], flip(proof[k]), *proof[k + 1:]]


def test_consistency_all_small_trees():
    leaves = hashes(40)
    tree = MerkleTree(leaves)
    roots = [root(leaves[:n]) for n in range(41)]
    for n in range(0, 41):
        for m in range(0, n + 1):
            proof = consistency_proof(leaves, m, n)
            assert proof == tree.consistency_proof(m, n)
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            if m in (0, n):
                assert proof == []
                continue
            for args in _consistency_mutants(m, n, roots[m], roots[n], proof):
                assert not verify_consistency(*args), (m, n, args[:2])


def test_consistency_edge_cases():
    r = root(hashes(1))
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 1, EMPTY_ROOT, r, [])
    assert not verify_consistency(0, 1, r, r, [])  # a size-0 tree has only one root
    assert not verify_consistency(0, 1, EMPTY_ROOT, r, [r])
    assert not verify_consistency(1, 1, r, EMPTY_ROOT, [])
    assert not verify_consistency(1, 1, r, r, [r])
    assert not verify_consistency(2, 1, r, r, [])
    assert not verify_consistency(1, 2, r, r, [])
    with pytest.raises(ValueError):
        consistency_proof(hashes(4), 5, 4)
    with pytest.raises(ValueError):
        consistency_proof(hashes(4), 1, 5)


def test_proofs_for_a_large_tree():
    leaves = hashes(100_000)
    tree = MerkleTree(leaves)
    r = CompactRange.from_leaf_hashes(leaves).root()
    assert tree.root() == r
    for i in (0, 1, 65_535, 65_536, 99_999):
        assert verify_inclusion(leaves[i], i, 100_000, tree.inclusion_proof(i), r)
    r_old = tree.root(70_001)
    assert verify_consistency(70_001, 100_000, r_old, r, tree.consistency_proof(70_001))
