"""The fuzzy-dedup steps one by one: LSH candidates, verification, clusters and survivors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.dedup import exchange, lsh, verify
from corpusclean.dedup.components import clusters, connected_components, survivors
from corpusclean.dedup.scan_files import row_offsets


def _scan(path: Path, band0: list[int], band1: list[int], n_shingles: list[int] | None = None) -> Path:
    n = n_shingles if n_shingles is not None else [1] * len(band0)
    pq.write_table(pa.table({"b0": pa.array(band0, pa.uint64()), "b1": pa.array(band1, pa.uint64()),
                             "n_shingles": pa.array(n, pa.int32())}), path)
    return path


def _split(files: list[Path], key_parts: int, work: Path, groups: list[tuple[int, int]] | None = None) -> list[Path]:
    """The key-split round over ``groups`` of files (default: one file per group); its files."""
    offsets = row_offsets(files)
    groups = groups or [(f, f + 1) for f in range(len(files))]
    for g in groups:
        lsh.key_split(files, offsets, 2, key_parts, work, g)
    return [work / "keys" / f"g{lo:08d}.npy" for lo, _ in groups]


def _edges(files: list[Path], n_old: int = 0, key_parts: int = 1) -> list[tuple[int, int]]:
    offsets = row_offsets(files)
    total = int(offsets[-1])
    key_files = _split(files, key_parts, files[0].parent / f"w-{key_parts}-{n_old}")
    codes = np.unique(np.concatenate([lsh.bucket_edges(*lsh.band_rows(key_files, j, q, key_parts), n_old, total)
                                      for j in range(2) for q in range(key_parts)]))
    return sorted(zip((codes // total).tolist(), (codes % total).tolist()))


def test_key_split_cuts_each_band_by_key_partition(tmp_path: Path) -> None:
    files = [_scan(tmp_path / "s0.parquet", [7, 8, 1], [5, 6, 9], [1, 0, 1]),
             _scan(tmp_path / "s1.parquet", [7, 2], [5, 9])]
    (one,) = _split(files, 3, tmp_path / "w", [(0, 2)])
    for j, band in enumerate(([7, 8, 1, 7, 2], [5, 6, 9, 5, 9])):
        got = []
        for q in range(3):
            keys, rows = lsh.band_rows([one], j, q, 3)
            assert (keys % np.uint64(3) == q).all() and (np.diff(rows) > 0).all()
            got += list(zip(rows.tolist(), keys.tolist()))
        assert sorted(got) == [(r, band[r]) for r in (0, 2, 3, 4)]  # row 1 has no signature


def test_candidates_are_star_edges_deduplicated_over_bands_and_files(tmp_path: Path) -> None:
    files = [_scan(tmp_path / "s0.parquet", [7, 7, 1], [5, 6, 9]),
             _scan(tmp_path / "s1.parquet", [7, 2], [5, 9])]
    # band 0: rows 0,1,3 share key 7 (edges 0-1, 0-3); band 1: 0,3 share 5 (0-3 again), 2,4 share 9
    assert _edges(files) == [(0, 1), (0, 3), (2, 4)]
    assert _edges(files, key_parts=3) == [(0, 1), (0, 3), (2, 4)]  # key partitions: same edges
    # edges among earlier-index rows are skipped
    assert (0, 1) not in _edges(files, n_old=2)
    # rows without a signature (no shingles) take no part
    files[1] = _scan(tmp_path / "s1.parquet", [7, 2], [5, 9], [0, 1])
    assert _edges(files) == [(0, 1), (2, 4)]


def test_band_task_writes_partitioned_edges_and_requests(tmp_path: Path) -> None:
    files = [_scan(tmp_path / "s0.parquet", [7, 7, 1], [5, 6, 9]),
             _scan(tmp_path / "s1.parquet", [7, 2], [5, 9])]
    key_files = _split(files, 1, tmp_path / "w")
    assert lsh.band_task(key_files, 5, 0, 1, 3, tmp_path / "w", (0, 0)) == 2  # 0-1, 0-3
    edge_file = tmp_path / "w" / "edges" / "b000-q00000.npy"
    parts = [exchange.read_keyed([edge_file], p).tolist() for p in range(3)]
    assert sorted(sum(parts, [])) == [0 * 5 + 1, 0 * 5 + 3]
    req = np.load(tmp_path / "w" / "requests" / "b000-q00000.npy")
    # each endpoint is requested by the partition of each of its edges
    wanted = {(r, p) for p in range(3) for c in parts[p] for r in (c // 5, c % 5)}
    assert {(int(c) // 3, int(c) % 3) for c in req} == wanted


def test_route_sends_each_partition_its_rows(tmp_path: Path) -> None:
    files = []
    for f in range(3):
        path = tmp_path / f"s{f}.parquet"
        pq.write_table(pa.table({"id": [f"d{f}{i}" for i in range(4)], "length": list(range(4))}), path)
        files.append(path)
    offsets = row_offsets(files)
    exchange.write_requests(tmp_path / "r.npy", np.array([1, 5, 5, 11, 0]), np.array([0, 1, 0, 1, 1]), 2)
    groups = exchange.file_groups(offsets, 8)
    assert groups == [(0, 2), (2, 3)]
    for g in groups:
        exchange.route(files, offsets, ["id"], [tmp_path / "r.npy"], 2, tmp_path / "out", g)
    out = sorted((tmp_path / "out").glob("*.arrow"))
    assert exchange.read_partition(out, 0).to_pydict() == {"row": [1, 5], "id": ["d01", "d11"]}
    assert exchange.read_partition(out, 1).to_pydict() == {"row": [0, 5, 11], "id": ["d00", "d11", "d23"]}


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


def test_clusters_and_earlier_index_documents_survive() -> None:
    # global rows; row 0 comes from an earlier run's index; accepted edges 0-4, 4-5; 8 alone
    a, b = np.array([4, 0]), np.array([5, 4])
    nodes, size, surv = clusters(a, b, np.array([9, 1]), np.array([1, 9]), n_old=1, keep="longest")
    assert nodes.tolist() == [0, 4, 5] and size.tolist() == [3, 3, 3]
    assert surv.tolist() == [0, 0, 0]  # the earlier document wins whatever the keep rule
    nodes, size, surv = clusters(a, b, np.array([9, 1]), np.array([1, 9]), n_old=0, keep="longest")
    assert surv.tolist() == [4, 4, 4]  # lengths: row 0 -> 1, row 4 -> 9, row 5 -> 1
    assert clusters(a[:0], b[:0], a[:0], b[:0], 0, "first")[0].size == 0


def test_connected_components_labels_are_smallest_members_in_int32() -> None:
    a = np.array([5, 3, 1, 7], np.int32)
    b = np.array([3, 1, 0, 6], np.int32)
    root = connected_components(a, b, 8)
    assert root.dtype == np.int32
    assert root.tolist() == [0, 0, 2, 0, 4, 0, 6, 6]
    shuffled = connected_components(a[::-1].copy(), b[::-1].copy(), 8)
    assert shuffled.tolist() == root.tolist()
