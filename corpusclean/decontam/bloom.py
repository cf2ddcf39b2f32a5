"""The anchor bitmap in front of the decontamination index: a Bloom filter over gram hashes.

Every indexed gram's first ``A`` tokens (``A`` = the shortest indexed length) are hashed into a
bitmap with :data:`BLOOM_PROBES` bits each. Every document position is probed; only positions
that pass are looked up exactly (``searchsorted``). With >= 16 bitmap bits per anchor, 3 probes
let ~0.5% of clean positions through (one probe: ~6%). False positives cost a lookup; there are
no false negatives.
"""

from __future__ import annotations

import numpy as np

from corpusclean.decontam.tokens import mix64

__all__ = ["BLOOM_PROBES", "bloom_hash", "bit_is_set", "set_bits", "sorted_unique"]

_U64 = np.uint64
_MASK = (1 << 64) - 1

#: Bits set per indexed anchor. With >= 16 bitmap bits per anchor, 3 probes let ~0.5% of clean
#: positions through to the exact check (one probe: ~6%), which is what dominates scan time.
BLOOM_PROBES = 3


def bloom_hash(h: np.ndarray, j: int) -> np.ndarray:
    return h if j == 0 else mix64(h ^ _U64((j * 0xA0761D6478BD642F) & _MASK))


def bit_is_set(bitmap: np.ndarray, bits: int, h: np.ndarray) -> np.ndarray:
    idx = h >> _U64(64 - bits)
    return ((bitmap[idx >> _U64(3)] >> (idx & _U64(7)).astype(np.uint8)) & np.uint8(1)).astype(bool)


def sorted_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, their counts) by sorting: numpy 2.3+'s hash-based ``np.unique``
    is ~15x slower than a sort on millions of uint64 hashes."""
    v = np.sort(values)
    if not len(v):
        return v, np.empty(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    return v[first], np.diff(np.r_[first, len(v)])


def set_bits(bitmap: np.ndarray, bits: int, h: np.ndarray) -> None:
    u, _ = sorted_unique(h >> _U64(64 - bits))
    if not len(u):
        return
    byte = (u >> _U64(3)).astype(np.int64)
    val = np.left_shift(np.uint8(1), (u & _U64(7)).astype(np.uint8))
    first = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]])
    bitmap[byte[first]] |= np.bitwise_or.reduceat(val, first)
