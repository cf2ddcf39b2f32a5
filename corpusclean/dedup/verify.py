"""Candidate verification for ``minhash_dedup`` (step 3 of 4): which LSH candidate pairs are
accepted as near-duplicates before they link documents into clusters.

``verify`` (the stage parameter):

* ``exact`` — the Jaccard similarity of the two documents' *distinct* shingle-hash sets is at
  least ``threshold`` (exact up to 32-bit shingle-hash collisions);
* ``signature`` — the MinHash estimate (the share of equal signature values) is at least
  ``threshold``;
* ``none`` — every candidate is accepted (plain LSH, as datatrove and NeMo Curator do by default).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa

__all__ = ["Verify", "estimated_jaccard", "accept"]

Verify = Literal["exact", "signature", "none"]
_BLOCK = 65536


def estimated_jaccard(sig: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Share of equal values of signatures ``sig[ia]`` and ``sig[ib]`` (float64 per pair).

    ``sig`` is ``(nodes, num_perm)`` uint32; computed in blocks to bound memory.
    """
    est = np.empty(ia.size, np.float64)
    for s in range(0, ia.size, _BLOCK):
        est[s:s + _BLOCK] = (sig[ia[s:s + _BLOCK]] == sig[ib[s:s + _BLOCK]]).mean(axis=1)
    return est


def accept(mode: Verify, threshold: float, sig: np.ndarray, ia: np.ndarray, ib: np.ndarray,
           shingles: pa.LargeListArray | None = None) -> np.ndarray:
    """A bool per pair ``(ia[e], ib[e])`` (indexes into the gathered nodes): accepted or not.

    ``shingles`` (needed for ``exact``) holds each node's shingle hashes, a large list per node.
    """
    if mode == "none":
        return np.ones(ia.size, bool)
    if mode == "signature":
        return estimated_jaccard(sig, ia, ib) >= threshold
    if shingles is None:
        raise ValueError("verify: exact needs the shingle sets")
    offs = shingles.offsets.to_numpy()
    vals = shingles.values.to_numpy()
    ok = np.zeros(ia.size, bool)
    distinct: dict[int, np.ndarray] = {}

    def shingles_of(i: int) -> np.ndarray:
        if i not in distinct:
            distinct[i] = np.unique(vals[offs[i]:offs[i + 1]])
        return distinct[i]

    for e in range(ia.size):
        a = shingles_of(int(ia[e]))
        b = shingles_of(int(ib[e]))
        inter = np.intersect1d(a, b, assume_unique=True).size
        union = a.size + b.size - inter
        ok[e] = union > 0 and inter >= threshold * union
    return ok
