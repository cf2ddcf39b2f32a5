"""LSH banding for ``minhash_dedup`` (step 2 of 4): band keys, the (bands, rows) rule, and the
candidate pairs of each band.

A signature of ``bands * rows`` values is cut into ``bands`` bands; two documents become a
*candidate pair* when all ``rows`` values of at least one band agree, which happens with
probability ``1 - (1 - s**rows)**bands`` for Jaccard similarity ``s`` (:func:`s_curve`).
Candidates are found by :func:`band_task`, one task per band and key partition (one Parquet
column read file by file, rows of other key partitions dropped as they are read, so a task's
memory is bounded by its partition), in parallel through the executor's ``pmap``; each task
writes its edges to the middle step's work folder (:mod:`corpusclean.dedup.exchange`), never
back to the driver.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from corpusclean.dedup import exchange
from corpusclean.dedup.minhash import U64, fmix64, splitmix64

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


def bucket_edges(keys: np.ndarray, rows: np.ndarray, n_old: int, total: int) -> np.ndarray:
    """Star edges of the buckets of one band as sorted unique ``a * total + b`` int64 codes.

    ``keys`` are band keys and ``rows`` their global rows (ascending). Each bucket (equal keys)
    links its first row ``a`` (its smallest) to every other member ``b``, so ``a < b``; members
    below ``n_old`` (earlier runs' indexes) get no edge: edges among old documents are not needed.
    """
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    rows = rows[order]
    new = np.empty(ks.size, bool)
    if ks.size:
        new[0] = True
        np.not_equal(ks[1:], ks[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    first = np.repeat(rows[starts], np.diff(starts, append=ks.size))
    member = ~new & (rows >= n_old)
    return exchange.unique(first[member] * total + rows[member])


def band_rows(files: list[Path], offsets: np.ndarray, j: int, q: int = 0,
              key_parts: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(band keys, global rows)`` of band ``j`` for documents with a signature whose key falls in
    key partition ``q`` of ``key_parts`` (``key % key_parts == q``; the keys are uniform hashes).

    Reads the files one by one, projected to ``b{j}`` and ``n_shingles``, so memory is bounded by
    one file plus the partition's rows: about ``16 * documents / key_parts`` bytes.
    """
    keys_l, rows_l = [np.empty(0, U64)], [np.empty(0, np.int64)]
    for f, path in enumerate(files):
        t = pq.read_table(path, columns=[f"b{j}", "n_shingles"])
        keys = t.column(0).to_numpy()
        ok = t.column(1).to_numpy() > 0
        if key_parts > 1:
            ok &= keys % U64(key_parts) == U64(q)
        sel = np.flatnonzero(ok)
        keys_l.append(keys[sel])
        rows_l.append(sel + offsets[f])
    return np.concatenate(keys_l), np.concatenate(rows_l)


def band_task(files: list[Path], offsets: np.ndarray, n_old: int, key_parts: int, edge_parts: int,
              work: Path, jq: tuple[int, int]) -> int:
    """One band-grouping task (band ``j``, key partition ``q``): its candidate edges, written as a
    keyed array ``work/edges/b<j>-q<q>.npy`` partitioned by edge hash, and its endpoints'
    row requests ``work/requests/b<j>-q<q>.npy`` (see :mod:`corpusclean.dedup.exchange`).

    Returns the number of edges (band collisions). Module-level so process pools and Ray can run
    it; only that count travels back.
    """
    j, q = jq
    total = int(offsets[-1])
    keys, rows = band_rows(files, offsets, j, q, key_parts)
    codes = bucket_edges(keys, rows, n_old, total)
    parts = exchange.hash_part(codes, edge_parts)
    name = f"b{j:03d}-q{q:05d}.npy"
    exchange.write_keyed(work / "edges" / name, codes, parts, edge_parts)
    t = max(total, 1)
    exchange.write_requests(work / "requests" / name, np.concatenate([codes // t, codes % t]),
                            np.concatenate([parts, parts]), edge_parts)
    return int(codes.size)
