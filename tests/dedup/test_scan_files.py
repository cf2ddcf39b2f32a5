"""Per-shard state files: written whole (write_shard_states) or streamed in pieces (shard_state_writer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusclean.dedup.scan_files import read_shard_state, row_offsets, shard_state_writer, write_shard_states
from corpusclean.output.writer import write_parquet

SCHEMA = pa.schema({"id": pa.string(), "v": pa.int64()})


def scans(folder: Path, sizes: list[int]) -> list[Path]:
    files = []
    for k, n in enumerate(sizes):
        p = folder / f"part-00000-{k:05d}.parquet"
        write_parquet(pa.table({"id": [f"s{k}-{i}" for i in range(n)]}), p)
        files.append(p)
    return files


def by_shard(folder: Path) -> dict[str, list[str]]:
    return {p.stem: pq.read_table(p).column("id").to_pylist() for p in sorted(folder.glob("*.parquet"))}


@pytest.mark.parametrize("first_row", [0, 5])
def test_pieces_land_in_their_shards_and_every_shard_gets_a_file(tmp_path: Path, first_row: int) -> None:
    files = scans(tmp_path, [3, 0, 4, 2, 0])
    rows = np.array([0, 2, 3, 6, 7, 8]) + first_row  # global rows (after first_row earlier-index rows)
    ids = ["s0-0", "s0-2", "s2-0", "s2-3", "s3-0", "s3-1"]
    with shard_state_writer(tmp_path / "st", files, SCHEMA, first_row=first_row) as write:
        for lo, hi in ((0, 1), (1, 4), (4, 4), (4, 6)):  # pieces in row order, one of them empty
            write(pa.table({"id": ids[lo:hi], "v": list(range(lo, hi)), "row": pa.array(rows[lo:hi], pa.int64())}))
    got = by_shard(tmp_path / "st")
    assert got == {"00000-00000": ["s0-0", "s0-2"], "00000-00001": [], "00000-00002": ["s2-0", "s2-3"],
                   "00000-00003": ["s3-0", "s3-1"], "00000-00004": []}
    assert pq.read_schema(tmp_path / "st" / "00000-00002.parquet").names == ["id", "v"]
    # the same as writing the whole table at once
    write_shard_states(pa.table({"id": ids, "v": list(range(6))}), rows - first_row, row_offsets(files), files,
                       tmp_path / "whole")
    assert by_shard(tmp_path / "whole") == got
    assert read_shard_state(tmp_path / "st", None, SCHEMA).column("id").to_pylist() == ids
    assert read_shard_state(tmp_path / "st", "00000-00003", SCHEMA).column("v").to_pylist() == [4, 5]


def test_a_missing_shard_state_is_an_error_not_an_empty_state(tmp_path: Path) -> None:
    files = scans(tmp_path, [2])
    write_shard_states(pa.table({"id": ["s0-1"], "v": [1]}), np.array([1]), row_offsets(files), files, tmp_path / "st")
    with pytest.raises(FileNotFoundError):
        read_shard_state(tmp_path / "st", "00000-00009", SCHEMA)
