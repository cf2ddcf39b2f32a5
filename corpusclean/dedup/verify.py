"""Candidate verification for ``minhash_dedup`` (step 3 of 4): which LSH candidate pairs are
accepted as near-duplicates before they link documents into clusters.

``verify`` (the stage parameter):

* ``exact`` — the Jaccard similarity of the two documents' *distinct* shingle-hash sets is at
  least ``threshold`` (exact up to 32-bit shingle-hash collisions);
* ``signature`` — the MinHash estimate (the share of equal signature values) is at least
  ``threshold``;
* ``none`` — every candidate is accepted (plain LSH, as datatrove and NeMo Curator do by default).

Verification runs in partitions of edges (:func:`verify_partition`, one ``pmap`` task each):
a task reads its candidate edges and only its endpoints' rows (``length``, ``sig`` and, for
``exact``, ``shingles``), routed to it from the scan files by :mod:`corpusclean.dedup.exchange`,
and returns the accepted edges. No signature passes through the driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from corpusclean.dedup import exchange

__all__ = ["Verify", "estimated_jaccard", "accept", "verify_partition", "row_columns"]

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
            distinct[i] = exchange.unique(vals[offs[i]:offs[i + 1]])
        return distinct[i]

    for e in range(ia.size):
        a = shingles_of(int(ia[e]))
        b = shingles_of(int(ib[e]))
        inter = np.intersect1d(a, b, assume_unique=True).size
        union = a.size + b.size - inter
        ok[e] = union > 0 and inter >= threshold * union
    return ok


def row_columns(mode: Verify) -> list[str]:
    """The scan columns verification needs of each endpoint (``length`` for the keep rule)."""
    return ["length"] + (["sig"] if mode != "none" else []) + (["shingles"] if mode == "exact" else [])


def verify_partition(mode: Verify, threshold: float, num_perm: int, total: int, edge_files: list[Path],
                     route_files: list[Path], p: int) -> tuple[np.ndarray, ...]:
    """One verification task: partition ``p``'s candidate edges, checked.

    Returns ``(a, b, length_a, length_b, candidates)``: the accepted edges' global rows (int64,
    ``a < b``), their endpoints' text lengths (int64), and the number of distinct candidate edges
    in the partition (a 0-d int64 array). Memory: the partition's edges and endpoint rows only.
    """
    codes = exchange.unique(exchange.read_keyed(edge_files, p))
    t = max(total, 1)
    a, b = codes // t, codes % t
    rows = exchange.read_partition(route_files, p)
    node = rows.column("row").to_numpy()
    ia, ib = np.searchsorted(node, a), np.searchsorted(node, b)
    if codes.size and not (np.array_equal(node[ia], a) and np.array_equal(node[ib], b)):
        raise RuntimeError(f"verification partition {p}: endpoint rows missing from the routed files")
    sig = (rows.column("sig").combine_chunks().flatten().to_numpy().reshape(-1, num_perm)
           if mode != "none" else np.empty((node.size, 0), np.uint32))
    shingles = rows.column("shingles").combine_chunks() if mode == "exact" else None
    ok = accept(mode, threshold, sig, ia, ib, shingles)  # type: ignore[arg-type]
    length = rows.column("length").to_numpy()
    return a[ok], b[ok], length[ia[ok]], length[ib[ok]], np.array(codes.size, np.int64)
