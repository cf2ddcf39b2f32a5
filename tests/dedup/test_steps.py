"""The fuzzy-dedup steps one by one: LSH candidates, verification, clusters and survivors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.dedup import lsh, verify
from corpusclean.dedup.components import cluster_table, survivors


def _scan(path: Path, band0: list[int], band1: list[int]) -> Path:
    pq.write_table(pa.table({"b0": pa.array(band0, pa.uint64()), "b1": pa.array(band1, pa.uint64())}), path)
    return path


def test_candidates_are_star_edges_deduplicated_over_bands_and_files(tmp_path: Path) -> None:
    files = [_scan(tmp_path / "s0.parquet", [7, 7, 1], [5, 6, 9]),
             _scan(tmp_path / "s1.parquet", [7, 2], [5, 9])]
    a, b, collisions = lsh.candidates(files, np.arange(5), n_old=0, total=5, bands=2)
    pairs = sorted(zip(a.tolist(), b.tolist()))
    # band 0: rows 0,1,3 share key 7 (edges 0-1, 0-3); band 1: 0,3 share 5 (0-3 again), 2,4 share 9
    assert pairs == [(0, 1), (0, 3), (2, 4)]
    assert collisions == 4
    # rows without a signature take no part; edges among earlier-index rows are skipped
    a, b, _ = lsh.candidates(files, np.array([0, 1, 2, 4]), n_old=0, total=5, bands=2)
    assert sorted(zip(a.tolist(), b.tolist())) == [(0, 1), (2, 4)]
    a, b, _ = lsh.candidates(files, np.arange(5), n_old=2, total=5, bands=2)
    assert (0, 1) not in set(zip(a.tolist(), b.tolist()))


def test_verify_modes() -> None:
    sig = np.array([[1, 2, 3, 4], [1, 2, 3, 9], [5, 6, 7, 8]], np.uint32)
    ia, ib = np.array([0, 0]), np.array([1, 2])
    assert verify.estimated_jaccard(sig, ia, ib).tolist() == [0.75, 0.0]
    assert verify.accept("signature", 0.7, sig, ia, ib).tolist() == [True, False]
    assert verify.accept("none", 0.7, sig, ia, ib).tolist() == [True, True]
    # exact: distinct shingle sets {1,2,3,4} vs {1,2,3,5}: 3/5 = 0.6; vs {9}: 0
    sh = pa.LargeListArray.from_arrays(pa.array([0, 5, 9, 10], pa.int64()),
                                       pa.array([1, 2, 3, 4, 4, 1, 2, 3, 5, 9], pa.uint32()))
    assert verify.accept("exact", 0.6, sig, ia, ib, sh).tolist() == [True, False]
    assert verify.accept("exact", 0.61, sig, ia, ib, sh).tolist() == [False, False]


def test_survivor_rules() -> None:
    comp = np.array([0, 0, 0, 3])
    length = np.array([5, 9, 9, 1])
    order = np.array([10, 11, 12, 13])
    assert survivors(comp, length, order, "first").tolist() == [0, 0, 0, 3]
    assert survivors(comp, length, order, "last").tolist() == [2, 2, 2, 3]
    assert survivors(comp, length, order, "longest").tolist() == [1, 1, 1, 3]  # tie: first in order
    assert survivors(comp, length, order, "shortest").tolist() == [0, 0, 0, 3]


def test_cluster_table_and_earlier_index_documents_survive() -> None:
    nodes = np.array([0, 4, 5, 8])  # global rows; row 0 comes from an earlier run's index
    ia, ib = np.array([1, 0, 2]), np.array([2, 1, 3])
    ok = np.array([True, True, False])
    ids = pa.array(["old", "a", "b", "c"])
    sig = np.array([[1, 1], [1, 1], [1, 2], [3, 3]], np.uint32)
    state, removed, clusters = cluster_table(nodes, ia, ib, ok, ids, np.array([1, 1, 1, 1]), sig,
                                             n_old=1, keep="first")
    assert (removed, clusters) == (2, 1)
    rows = state.to_pylist()
    assert [r["id"] for r in rows] == ["a", "b"]  # the earlier document itself is not in the state
    assert all(r["duplicate_of"] == "old" and r["cluster_size"] == 3 for r in rows)
    assert rows[0]["similarity"] == 1.0 and rows[1]["similarity"] == 0.5
