"""Reading the per-shard scan files of the dedup stages (the runner hands ``reduce`` their paths
in shard order, rows in shard order, so a *global row number* is a position in corpus order).

Files are read column by column (Parquet projection) so no step holds more than the columns it
needs; :func:`gather` fetches the rows of a sorted row list one file at a time. Paths are local
:class:`~pathlib.Path` objects or :class:`~corpusclean.io.storage.RemotePath` objects: scan files
on an object store are read where they are (ranged reads of the projected columns), never staged.

Pass-2 state *per shard* (issue 17): a reduce that decides about individual documents writes its
decisions split by the shard the document came from (:func:`write_shard_states`, one Parquet file
per scan file, named by the shard key), so pass 2 loads only the shard it is processing
(:func:`read_shard_state`) and a worker's memory does not grow with the corpus.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from corpusclean.io.storage import AnyPath
from corpusclean.output.writer import parquet_file, read_parquet, write_parquet

__all__ = ["binary16", "gather", "read_column", "read_shard_state", "row_counts", "row_offsets",
           "shard_of", "shard_state_writer", "write_shard_states"]


def row_counts(scan_files: list[AnyPath]) -> np.ndarray:
    """Rows of each file (int64), from the Parquet footers only."""
    return np.array([parquet_file(p).metadata.num_rows for p in scan_files], np.int64)


def row_offsets(scan_files: list[AnyPath]) -> np.ndarray:
    """``len(files) + 1`` int64 offsets: file ``f`` holds global rows ``[off[f], off[f+1])``."""
    return np.concatenate(([0], np.cumsum(row_counts(scan_files)))).astype(np.int64)


def read_column(scan_files: list[AnyPath], column: str) -> pa.ChunkedArray:
    """One column of every scan file, concatenated in corpus order (Parquet column projection)."""
    chunks = []
    for p in scan_files:
        chunks.extend(read_parquet(p, columns=[column]).column(0).chunks)
    if not chunks:
        return pa.chunked_array([], pa.null())
    return pa.chunked_array(chunks)


def gather(scan_files: list[AnyPath], offsets: np.ndarray, rows: np.ndarray,
           columns: list[str]) -> dict[str, pa.Array]:
    """Values of ``columns`` at global row numbers ``rows`` (sorted), one file at a time.

    A column with no selected row at all maps to None.
    """
    out: dict[str, list[pa.Array]] = {c: [] for c in columns}
    for f, path in enumerate(scan_files):
        lo, hi = offsets[f], offsets[f + 1]
        a, b = np.searchsorted(rows, [lo, hi])
        if a == b:
            continue
        t = read_parquet(path, columns=columns)
        take = pa.array(rows[a:b] - lo, pa.int64())
        for c in columns:
            out[c].append(t.column(c).take(take).combine_chunks())
    return {c: pa.concat_arrays(v) if v else None for c, v in out.items()}  # type: ignore[misc]


def binary16(col: pa.ChunkedArray) -> np.ndarray:
    """A fixed_size_binary(16) column as an ``(n, 16)`` uint8 array."""
    arr = col.combine_chunks()
    if len(arr) == 0:
        return np.empty((0, 16), np.uint8)
    raw = np.frombuffer(arr.buffers()[1], np.uint8, count=16 * (arr.offset + len(arr)))
    return np.ascontiguousarray(raw[16 * arr.offset:].reshape(-1, 16))


# ------------------------------------------------------------------------- per-shard state
def shard_of(scan_file: AnyPath) -> str:
    """The shard key of a scan file (``part-00003-00001.parquet`` → ``"00003-00001"``)."""
    stem = scan_file.name.split(".", 1)[0]
    return stem[5:] if stem.startswith("part-") else stem


def write_shard_states(table: pa.Table, rows: np.ndarray, offsets: np.ndarray, scan_files: list[AnyPath],
                       folder: Path) -> None:
    """Write ``table`` (one row per decided document) split by shard: ``folder/<key>.parquet``.

    ``rows`` are the documents' global row numbers (int64, any order; ``table`` row ``i`` is
    about ``rows[i]``), ``offsets`` the scan files' :func:`row_offsets`. Every scan file gets a
    file, empty when none of its documents was decided, so a missing file means a broken state.
    Rows keep their order within a shard.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = np.asarray(rows, np.int64)
    which = np.searchsorted(offsets, rows, side="right") - 1
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(scan_files) + 1))
    for f, path in enumerate(scan_files):
        take = pa.array(order[bounds[f]:bounds[f + 1]], pa.int64())
        write_parquet(table.take(take), folder / f"{shard_of(path)}.parquet")


@contextlib.contextmanager
def shard_state_writer(folder: Path, scan_files: list[AnyPath], schema: pa.Schema,
                       first_row: int = 0) -> Iterator[Callable[[pa.Table], None]]:
    """A ``write(piece)`` callback for a middle step that produces its state in pieces, each with
    a ``row`` column (int64 global row; pieces and rows in increasing row order): every piece is
    split by shard into ``folder/<key>.parquet`` (``row`` dropped, ``schema`` columns kept).

    Rows are numbered over ``first_row`` leading rows (earlier indexes) then ``scan_files``. A
    shard's file is closed as soon as rows move past it, so memory is one piece plus one open
    writer; shards that got no row get an empty file when the block ends. Files appear atomically.
    """
    folder.mkdir(parents=True, exist_ok=True)
    offsets = row_offsets(scan_files) + first_row
    state: dict[str, Any] = {"file": -1, "rows": []}

    def flush() -> None:
        f = state["file"]
        if f >= 0:
            t = pa.concat_tables(state["rows"]) if state["rows"] else schema.empty_table()
            write_parquet(t.select(schema.names).cast(schema), folder / f"{shard_of(scan_files[f])}.parquet")
        state["rows"] = []

    def write(piece: pa.Table) -> None:
        rows = piece.column("row").to_numpy()
        which = np.searchsorted(offsets, rows, side="right") - 1
        for f in np.unique(which).tolist():
            if f != state["file"]:
                flush()
                for skipped in range(state["file"] + 1, f):  # shards without rows
                    write_parquet(schema.empty_table(), folder / f"{shard_of(scan_files[skipped])}.parquet")
                state["file"] = f
            state["rows"].append(piece.filter(pa.array(which == f)))

    yield write
    flush()
    for skipped in range(state["file"] + 1, len(scan_files)):
        write_parquet(schema.empty_table(), folder / f"{shard_of(scan_files[skipped])}.parquet")


def read_shard_state(folder: AnyPath, shard: str | None, schema: pa.Schema) -> pa.Table:
    """The state rows of ``shard`` (None: every shard's, in key order) written by :func:`write_shard_states`.

    Raises ``FileNotFoundError`` naming the file when the shard's state is missing.
    """
    if shard is not None:
        return read_parquet(folder / f"{shard}.parquet").cast(schema)
    files = sorted(folder.glob("*.parquet"), key=lambda p: p.name) if folder.is_dir() else []
    return pa.concat_tables([read_parquet(p).cast(schema) for p in files]) if files else schema.empty_table()
