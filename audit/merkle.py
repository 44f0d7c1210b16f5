"""RFC 9162 (Certificate Transparency v2) Merkle tree: hashing, compact ranges and proofs.

Pure hashlib, no I/O: the database layer and the standalone verifier share this one module,
so a proof the platform issues is checked by exactly the code that built it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from hashlib import sha256

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()  # RFC 9162 §2.1.1: MTH({}) = HASH()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf; the 0x00 prefix keeps leaves and inner nodes from colliding."""
    return sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an inner node from its two children."""
    return sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2): where MTH splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of the given leaf hashes, written straight from the RFC 9162 definition.

    Kept independent of CompactRange and MerkleTree so that each checks the others in tests.
    """

    def mth(start: int, end: int) -> bytes:
        n = end - start
        if n == 1:
            return leaf_hashes[start]
        k = _split(n)
        return node_hash(mth(start, start + k), mth(start + k, end))

    return mth(0, len(leaf_hashes)) if leaf_hashes else EMPTY_ROOT


class CompactRange:
    """The right edge of a tree: the roots of its perfect subtrees, largest (leftmost) first.

    This is all that must be stored to append and to compute the root, so the database keeps
    one small row (to_json) instead of rereading every leaf on each append.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a compact range of size {size} holds {size.bit_count()} hashes, "
                             f"not {len(hashes)}")
        if not all(_is_hash(h) for h in hashes):
            raise ValueError("compact range hashes must be 32-byte values")
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Sequence[bytes]) -> CompactRange:
        """Rebuild the range from all leaves (e.g. to check or repair the stored row)."""
        cr = cls()
        for h in leaf_hashes:
            cr.append(h)
        return cr

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash; each trailing 1 bit of the old size is one merge of equal subtrees."""
        if not _is_hash(leaf_hash):
            raise ValueError("leaf hash must be 32 bytes")
        h = leaf_hash
        n = self._size
        hashes = self._hashes
        while n & 1:
            h = sha256(_NODE_PREFIX + hashes.pop() + h).digest()
            n >>= 1
        hashes.append(h)
        self._size += 1

    def root(self) -> bytes:
        """Root of the whole tree: fold the subtree roots from the right (smallest) end."""
        if not self._hashes:
            return EMPTY_ROOT
        it = reversed(self._hashes)
        r = next(it)
        for h in it:
            r = sha256(_NODE_PREFIX + h + r).digest()
        return r

    def to_json(self) -> dict[str, object]:
        """JSON-ready {"size": N, "hashes": ["<hex>", ...]}; store it with json.dumps."""
        return {"size": self._size, "hashes": [h.hex() for h in self._hashes]}

    @classmethod
    def from_json(cls, data: dict[str, object] | str | bytes) -> CompactRange:
        """Inverse of to_json; also takes the JSON text itself, as read from a text column."""
        if isinstance(data, (str, bytes)):
            data = json.loads(data)
        if not isinstance(data, dict):
            raise ValueError('compact range JSON must be an object {"size": N, "hashes": [...]}')
        size, hashes = data.get("size"), data.get("hashes")
        if not isinstance(size, int) or isinstance(size, bool) or not isinstance(hashes, list):
            raise ValueError("compact range needs an integer 'size' and a list 'hashes'")
        try:
            return cls(size, [bytes.fromhex(h) for h in hashes])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad compact range: {exc}") from exc

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


def subtree_levels(leaf_hashes: list[bytes]) -> list[list[bytes]]:
    """Every complete aligned subtree over a run of leaves that starts at a multiple of a power of two
    at least as large as the run, level by level (level h: the roots of 2**h leaves), computed a whole
    level at a time: one pass per level and no per-leaf call, the cheapest way to hash a tree in CPython.
    """
    levels = [leaf_hashes]
    below = leaf_hashes
    while len(below) >= 2:
        pairs = iter(below)
        below = [sha256(_NODE_PREFIX + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
        levels.append(below)
    return levels


def prefix_subtrees(levels: list[list[bytes]], count: int) -> list[bytes]:
    """The roots of the perfect subtrees that cover the first `count` leaves of subtree_levels' run,
    largest first: the run's part of a compact range ending there (`fold_right` gives its root)."""
    hashes: list[bytes] = []
    offset = 0
    for height in range(count.bit_length() - 1, -1, -1):
        if count >> height & 1:
            hashes.append(levels[height][offset >> height])
            offset += 1 << height
    return hashes


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Root of a tree from its compact range (perfect subtree roots, largest first), as CompactRange.root."""
    if not hashes:
        return EMPTY_ROOT
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = sha256(_NODE_PREFIX + h + r).digest()
    return r


class MerkleTree:
    """All leaf hashes plus every perfect-subtree hash, so proofs cost O(log n) after an O(n) build.

    Level h holds the roots of the aligned subtrees of 2**h leaves; any subtree that the RFC's
    recursive definitions ask for is either one of those or a right edge folded from them.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        if not all(_is_hash(h) for h in leaf_hashes):
            raise ValueError("leaf hashes must be 32-byte values")
        self._levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self._levels[-1]) >= 2:
            below = self._levels[-1]
            self._levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf, completing the parents it finishes (amortised O(1) hashes)."""
        if not _is_hash(leaf_hash):
            raise ValueError("leaf hash must be 32 bytes")
        self._levels[0].append(leaf_hash)
        h = 0
        while len(self._levels[h]) % 2 == 0:
            below = self._levels[h]
            if h + 1 == len(self._levels):
                self._levels.append([])
            self._levels[h + 1].append(node_hash(below[-2], below[-1]))
            h += 1

    def _check_size(self, tree_size: int) -> None:
        if not 0 <= tree_size <= self.size:
            raise ValueError(f"tree size {tree_size} is outside 0..{self.size}")

    def _mth(self, start: int, end: int) -> bytes:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self._levels[n.bit_length() - 1][start // n]
        k = _split(n)
        return node_hash(self._mth(start, start + k), self._mth(start + k, end))

    def root(self, tree_size: int | None = None) -> bytes:
        """Root of the first tree_size leaves (default: all), e.g. for an older checkpoint."""
        size = self.size if tree_size is None else tree_size
        self._check_size(size)
        return self._mth(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.3.1 PATH(index, D[tree_size]), leaf-to-root order."""
        size = self.size if tree_size is None else tree_size
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is outside a tree of size {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._mth(start + k, end))
                end = start + k
            else:
                path.append(self._mth(start, start + k))
                start += k
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.4.1 PROOF(m, D[n]); empty when m is 0 or m == n."""
        n = self.size if new_size is None else new_size
        self._check_size(n)
        if not 0 <= old_size <= n:
            raise ValueError(f"old size {old_size} is outside 0..{n}")
        if old_size in (0, n):
            return []
        proof: list[bytes] = []
        m, start, end, whole = old_size, 0, n, True  # whole: RFC's flag b
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                proof.append(self._mth(start + k, end))
                end = start + k
            else:
                proof.append(self._mth(start, start + k))
                m -= k
                start += k
                whole = False
        if not whole:
            proof.append(self._mth(start, end))
        proof.reverse()
        return proof


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, tree_size: int) -> list[bytes]:
    """Audit path for leaf `index` in the tree of the first `tree_size` leaves (O(n) hashing)."""
    if not 0 <= tree_size <= len(leaf_hashes):
        raise ValueError(f"tree size {tree_size} is outside 0..{len(leaf_hashes)}")
    return MerkleTree(leaf_hashes[:tree_size]).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], m: int, n: int) -> list[bytes]:
    """Proof that the tree of size m is a prefix of the tree of size n (O(n) hashing)."""
    if not 0 <= n <= len(leaf_hashes):
        raise ValueError(f"tree size {n} is outside 0..{len(leaf_hashes)}")
    return MerkleTree(leaf_hashes[:n]).consistency_proof(m)


def root_from_inclusion_proof(leaf_hash: bytes, index: int, tree_size: int,
                              proof: Sequence[bytes]) -> bytes | None:
    """The root that the proof implies (RFC 9162 §2.1.3.2), or None if it is malformed."""
    if not (0 <= index < tree_size and _is_hash(leaf_hash) and all(_is_hash(p) for p in proof)):
        return None
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """True iff `proof` shows leaf `index` of a `tree_size` tree with `root` is `leaf_hash`."""
    computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    return computed is not None and _is_hash(root) and hmac.compare_digest(computed, root)


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> bool:
    """True iff `proof` shows the size-m tree `root_m` is a prefix of the size-n tree `root_n`.

    RFC 9162 §2.1.4.2 covers 0 < m < n; we add m == n (same root, empty proof) and m == 0
    (empty proof, root_m must be the empty-tree hash), as transparency-dev/merkle does.
    """
    if not (0 <= m <= n and _is_hash(root_m) and _is_hash(root_n) and all(_is_hash(p) for p in proof)):
        return False
    if m == n:
        return not proof and hmac.compare_digest(root_m, root_n)
    if m == 0:
        return not proof and hmac.compare_digest(root_m, EMPTY_ROOT)
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:  # the old tree is a perfect subtree: its root starts the path
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, root_m) and hmac.compare_digest(sr, root_n)
