"""LSH banding for ``minhash_dedup`` (step 2 of 4): band keys, the (bands, rows) rule, and the
candidate pairs of each band.

A signature of ``bands * rows`` values is cut into ``bands`` bands; two documents become a
*candidate pair* when all ``rows`` values of at least one band agree, which happens with
probability ``1 - (1 - s**rows)**bands`` for Jaccard similarity ``s`` (:func:`s_curve`).
Candidates are found in two rounds of tasks through the executor's ``pmap``: :func:`key_split`
(one task per group of scan files) reads the band columns once and cuts each band's keys into key
partitions; :func:`band_task` (one task per band and key partition) reads its partition's slice
of every split file, so a task's memory is set by the partition size, not by the corpus. Each
task writes its edges to the middle step's work folder (:mod:`corpusclean.dedup.exchange`),
never back to the driver.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from corpusclean.dedup import exchange
from corpusclean.dedup.minhash import U64, fmix64, splitmix64
from corpusclean.io.files import atomic_output
from corpusclean.io.storage import AnyPath
from corpusclean.output.writer import parquet_file

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


def key_split(files: list[AnyPath], offsets: np.ndarray, bands: int, key_parts: int, work: Path,
              group: tuple[int, int]) -> int:
    """One key-split task: the band keys of scan files ``[f_lo, f_hi)``, cut by key partition.

    Reads each file's ``n_shingles`` and then its band columns one at a time (each byte once),
    and writes ``work/keys/g<f_lo>.npy``, an ``(bands * n, 2)`` int64 array of ``(key, global
    row)`` pairs (the uint64 key's bits), band by band and within a band by key partition
    ``key % key_parts`` (rows ascending inside a partition), plus ``g<f_lo>.off.npy``: the
    ``bands * key_parts + 1`` offsets, so band ``j``'s partition ``q`` is rows
    ``off[j * key_parts + q]`` to ``off[j * key_parts + q + 1]``. Only documents with a signature
    (``n_shingles > 0``) take part. Memory: about 40 bytes per document of the group. Returns ``n``.
    """
    f_lo, f_hi = group
    pfs = [parquet_file(files[f]) for f in range(f_lo, f_hi)]  # read where they are (object stores too)
    sel = [np.flatnonzero(pf.read(columns=["n_shingles"]).column(0).to_numpy() > 0) for pf in pfs]
    rows = np.concatenate([np.empty(0, np.int64)] + [s + offsets[f] for f, s in zip(range(f_lo, f_hi), sel)])
    n = int(rows.size)
    off = np.zeros(bands * key_parts + 1, np.int64)
    path = work / "keys" / f"g{f_lo:08d}.npy"
    with atomic_output(path) as sink:
        np.lib.format.write_array_header_1_0(sink, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.int64)),
                                                    "fortran_order": False, "shape": (bands * n, 2)})
        for j in range(bands):
            keys = np.concatenate([np.empty(0, U64)] + [
                pf.read(columns=[f"b{j}"]).column(0).to_numpy()[s] for pf, s in zip(pfs, sel)])
            part = (keys % U64(key_parts)).astype(np.int64) if key_parts > 1 else np.zeros(n, np.int64)
            order = np.argsort(part, kind="stable")
            block = np.empty((n, 2), np.int64)
            block[:, 0] = keys[order].view(np.int64)
            block[:, 1] = rows[order]
            sink.write(block.tobytes())
            off[j * key_parts + 1:(j + 1) * key_parts + 1] = j * n + np.cumsum(np.bincount(part, minlength=key_parts))
    exchange.save(path.with_suffix(".off.npy"), off)
    return n


def band_rows(key_files: list[Path], j: int, q: int, key_parts: int) -> tuple[np.ndarray, np.ndarray]:
    """``(band keys, global rows ascending)`` of band ``j``'s key partition ``q``: one memory-mapped
    slice of every :func:`key_split` file, so memory is about ``16 * documents / key_parts`` bytes."""
    keys_l, rows_l = [np.empty(0, U64)], [np.empty(0, np.int64)]
    for path in key_files:
        off = np.load(path.with_suffix(".off.npy"))
        a, b = off[j * key_parts + q], off[j * key_parts + q + 1]
        if b > a:
            block = np.array(np.load(path, mmap_mode="r")[a:b])
            keys_l.append(block[:, 0].view(U64))
            rows_l.append(block[:, 1])
    return np.concatenate(keys_l), np.concatenate(rows_l)


def band_task(key_files: list[Path], total: int, n_old: int, key_parts: int, edge_parts: int,
              work: Path, jq: tuple[int, int]) -> int:
    """One band-grouping task (band ``j``, key partition ``q``): its candidate edges, written as a
    keyed array ``work/edges/b<j>-q<q>.npy`` partitioned by edge hash, and its endpoints'
    row requests ``work/requests/b<j>-q<q>.npy`` (see :mod:`corpusclean.dedup.exchange`).

    ``key_files`` are the :func:`key_split` files in row order; ``total`` the number of rows.
    Returns the number of edges (band collisions). Module-level so process pools and Ray can run
    it; only that count travels back.
    """
    j, q = jq
    keys, rows = band_rows(key_files, j, q, key_parts)
    codes = bucket_edges(keys, rows, n_old, total)
    parts = exchange.hash_part(codes, edge_parts)
    name = f"b{j:03d}-q{q:05d}.npy"
    exchange.write_keyed(work / "edges" / name, codes, parts, edge_parts)
    t = max(total, 1)
    exchange.write_requests(work / "requests" / name, np.concatenate([codes // t, codes % t]),
                            np.concatenate([parts, parts]), edge_parts)
    return int(codes.size)
