"""LSH banding for ``minhash_dedup`` (step 2 of 4): band keys, the (bands, rows) rule, and the
candidate pairs of each band.

A signature of ``bands * rows`` values is cut into ``bands`` bands; two documents become a
*candidate pair* when all ``rows`` values of at least one band agree, which happens with
probability ``1 - (1 - s**rows)**bands`` for Jaccard similarity ``s`` (:func:`s_curve`).
Candidates are found band by band (:func:`band_edges`, one Parquet column at a time, so memory
is bounded by one band), in parallel through the executor's ``pmap`` (:func:`candidates`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from corpusclean.dedup.minhash import U64, fmix64, splitmix64
from corpusclean.dedup.scan_files import read_column

_BAND_M = np.array(splitmix64(256, 0xBA4D), dtype=U64)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(ndocs, bands) uint64``: band j's key hashes signature values ``[j*rows, (j+1)*rows)``."""
    out = np.zeros((sigs.shape[0], bands), U64)
    for j in range(bands):
        acc = np.zeros(sigs.shape[0], U64)
        for i in range(rows):
            acc += sigs[:, j * rows + i].astype(U64) * _BAND_M[i]
        out[:, j] = fmix64(acc + U64(j))
    return out


_GL_X, _GL_W = np.polynomial.legendre.leggauss(96)


def _integral(lo: float, hi: float, b: np.ndarray, r: np.ndarray, complement: bool) -> np.ndarray:
    s = (hi - lo) / 2 * _GL_X[None, :] + (hi + lo) / 2
    p = 1.0 - (1.0 - s ** r[:, None]) ** b[:, None]
    if complement:
        p = 1.0 - p
    return (p * _GL_W[None, :]).sum(axis=1) * (hi - lo) / 2


@lru_cache(maxsize=64)
def optimal_param(threshold: float, num_perm: int, fp_weight: float = 0.5,
                  fn_weight: float = 0.5) -> tuple[int, int]:
    """datasketch's rule: ``(bands, rows)`` minimising the weighted false positive + negative areas.

    False positives are the area under the S-curve ``1 - (1 - s**r)**b`` below ``threshold``,
    false negatives the area above it beyond ``threshold``. The integrands are polynomials of
    degree ``b*r <= num_perm``, so 96-point Gauss-Legendre quadrature is exact (to rounding) for
    ``num_perm <= 191``; datasketch integrates the same with scipy's ``quad``.
    """
    bs, rs = [], []
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            bs.append(b)
            rs.append(r)
    b_arr = np.array(bs, float)
    r_arr = np.array(rs, float)
    fp = _integral(0.0, threshold, b_arr, r_arr, False)
    fn = _integral(threshold, 1.0, b_arr, r_arr, True)
    err = fp * fp_weight + fn * fn_weight
    i = int(np.argmin(err))
    return bs[i], rs[i]


def s_curve(s: np.ndarray | float, bands: int, rows: int) -> np.ndarray:
    """Probability that two documents of Jaccard ``s`` share at least one band."""
    return 1.0 - (1.0 - np.asarray(s, float) ** rows) ** bands


def band_edges(files: list[Path], valid_rows: np.ndarray, n_old: int, total: int, j: int) -> np.ndarray:
    """Candidate edges of band ``j`` as ``a * total + b`` int64 codes (a = the bucket's first row).

    ``files`` are the scan files (earlier-index files first), ``valid_rows`` the global rows that
    have a signature, ``n_old`` how many leading rows come from earlier indexes (edges among them
    are not needed). Module-level so a process pool or Ray can run bands in parallel; it reads
    only band ``j``'s column (``b{j}``), so its memory is bounded by one band.
    """
    keys = read_column(files, f"b{j}").to_numpy()[valid_rows] if total else np.empty(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    rows = valid_rows[order]
    new = np.empty(ks.size, bool)
    if ks.size:
        new[0] = True
        np.not_equal(ks[1:], ks[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    first = np.repeat(rows[starts], np.diff(starts, append=ks.size))
    member = ~new & (rows >= n_old)  # edges among old documents are not needed
    return np.unique(first[member] * total + rows[member])


def candidates(files: list[Path], valid_rows: np.ndarray, n_old: int, total: int, bands: int,
               pmap: Callable[..., Iterable[Any]] = map) -> tuple[np.ndarray, np.ndarray, int]:
    """Every candidate pair over all bands: ``(a rows, b rows, band collisions)``.

    Star edges from each bucket's first row to its others, deduplicated across bands; only
    edges travel back from ``pmap``'s workers, never documents. ``a`` and ``b`` are int64
    global row numbers (``a < b`` is not promised; each pair appears once).
    """
    edge_codes = np.empty(0, np.int64)
    collisions = 0
    band = functools.partial(band_edges, files, valid_rows, n_old, total)
    for codes in pmap(band, range(bands)):
        collisions += int(codes.size)
        edge_codes = np.unique(np.concatenate([edge_codes, codes]))
    return edge_codes // max(total, 1), edge_codes % max(total, 1), collisions
