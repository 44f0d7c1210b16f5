"""Near-duplicate text: character shingles hashed with numpy, a consistent sample, datasketch's MinHash.

Chinese needs no word segmentation to be shingled (and cannot afford it here: jieba segments about 1.3 MB/s
on this machine, so a lot of 30 bids of 5 MB would take two minutes before any hashing): every run of `k`
consecutive characters (letters,
digits and CJK only — spacing, punctuation and layout are dropped, so re-typesetting a copied text does
not hide it) is one shingle. Each shingle is hashed in one vectorised pass (a polynomial over the code
points, then the SplitMix64 finaliser). A 5 MB bid has ~1.7 million shingles, too many to MinHash in
Python in the time an opening allows, so a document keeps the shingles whose hash is divisible by its
sampling modulus (a power of two chosen so at most `SAMPLE_TARGET` remain: Broder's "mod m" sample, a
uniform sample of the shingle *set*, which keeps the resemblance of two documents in expectation).
The moduli are powers of two, so a coarser sample is a subset of a finer one and two documents compare
at the coarser of their two levels. The sampled set of each document goes into a datasketch `MinHash`
(affine32 scheme, `NUM_PERM` permutations), whose `jaccard` is the similarity shown as evidence. Shingles
most of a lot's bids contain (the tender document's own requirements, a public form) are left out first:
only what two bidders share with each other, and not with everyone, makes them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
SAMPLE_TARGET = 16384  # shingles kept per document at most (before de-duplication)
SEED = 20261203
_PRIME = np.uint64(0x100000001B3)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def code_points(text: str) -> np.ndarray:
    """The text's letters, digits and CJK characters as code points, ASCII letters lowercased."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    upper = (points >= 65) & (points <= 90)
    points = np.where(upper, points + 32, points)
    keep = (((points >= 48) & (points <= 57)) | ((points >= 97) & (points <= 122))
            | ((points >= 0x3400) & (points <= 0x9FFF)) | ((points >= 0xF900) & (points <= 0xFAFF))
            | ((points >= 0x20000) & (points <= 0x3FFFF)) | ((points >= 0xC0) & (points <= 0x24F)))
    return points[keep].astype(np.uint64)


def shingle_hashes(points: np.ndarray, k: int) -> np.ndarray:
    """One 64-bit hash per run of k consecutive code points (empty if the text is shorter)."""
    n = len(points) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = h * _PRIME + points[j:j + n]
        h ^= h >> np.uint64(30)
        h *= _MIX1
        h ^= h >> np.uint64(27)
        h *= _MIX2
        h ^= h >> np.uint64(31)
    return h


@dataclass
class TextSketch:
    """One document's sampled shingles (level: the modulus is 2**level) and its MinHash per level."""

    shingles: int
    level: int
    sample: np.ndarray  # sorted unique uint64 hashes divisible by 2**level
    _minhashes: dict[tuple[int, int], MinHash] = field(default_factory=dict)

    def at(self, level: int) -> np.ndarray:
        """The sample at a coarser (or the same) level: a subset of this one."""
        if level <= self.level:
            return self.sample
        return self.sample[(self.sample & np.uint64((1 << level) - 1)) == 0]

    def kept(self, level: int, common: np.ndarray | None) -> np.ndarray:
        """The sample at `level` without the lot's common shingles (`common`: sorted, at that level)."""
        values = self.at(level)
        if common is None or not len(common):
            return values
        return values[~np.isin(values, common, assume_unique=True)]

    def minhash(self, level: int, common: np.ndarray | None = None) -> MinHash:
        key = (level, -1 if common is None else len(common))  # one lot's common set per level
        if key not in self._minhashes:
            found = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=low32)
            values = self.kept(level, common)
            if len(values):
                found.update_batch((values >> np.uint64(32)).tolist())
            self._minhashes[key] = found
        return self._minhashes[key]


def low32(value: int) -> int:
    """The hash function given to datasketch: the values are already 32-bit hashes."""
    return value & 0xFFFFFFFF


def sketch(text: str, k: int) -> TextSketch:
    """Shingle, hash and sample one document."""
    hashes = shingle_hashes(code_points(text), k)
    level = 0
    while len(hashes) >> level > SAMPLE_TARGET:
        level += 1
    kept = hashes[(hashes & np.uint64((1 << level) - 1)) == 0] if level else hashes
    return TextSketch(shingles=len(hashes), level=level, sample=np.unique(kept))


def common_shingles(sketches: list[TextSketch], level: int, min_documents: int) -> np.ndarray:
    """The sampled shingles (at `level`) found in at least `min_documents` of a lot's documents: text every
    bidder copied from the tender documents or a public template, not from one another."""
    if len(sketches) < min_documents:
        return np.empty(0, dtype=np.uint64)
    values, counts = np.unique(np.concatenate([s.at(level) for s in sketches]), return_counts=True)
    return values[counts >= min_documents]


def similarity(a: TextSketch, b: TextSketch, common: dict[int, np.ndarray] | None = None) -> tuple[float, int]:
    """MinHash's Jaccard estimate of two documents' shingle sets (without the lot's common shingles at
    the level compared, `common[level]`), and that sampling level. Empty documents are like nothing."""
    level = max(a.level, b.level)
    shared = (common or {}).get(level)
    if not len(a.kept(level, shared)) or not len(b.kept(level, shared)):
        return 0.0, level
    return float(a.minhash(level, shared).jaccard(b.minhash(level, shared))), level


def exact_jaccard(a: TextSketch, b: TextSketch) -> float:
    """The sampled sets' own Jaccard (tests and the benchmark check MinHash's estimate against it)."""
    level = max(a.level, b.level)
    x, y = a.at(level), b.at(level)
    if not len(x) or not len(y):
        return 0.0
    common = len(np.intersect1d(x, y, assume_unique=True))
    return common / (len(x) + len(y) - common)
