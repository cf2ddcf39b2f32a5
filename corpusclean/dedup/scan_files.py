"""Reading the per-shard scan files of the dedup stages (the runner hands ``reduce`` their paths
in shard order, rows in shard order, so a *global row number* is a position in corpus order).

Files are read column by column (Parquet projection) so no step holds more than the columns it
needs; :func:`gather` fetches the rows of a sorted row list one file at a time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["row_counts", "row_offsets", "read_column", "gather", "binary16"]


def row_counts(scan_files: list[Path]) -> np.ndarray:
    """Rows of each file (int64), from the Parquet footers only."""
    return np.array([pq.ParquetFile(p).metadata.num_rows for p in scan_files], np.int64)


def row_offsets(scan_files: list[Path]) -> np.ndarray:
    """``len(files) + 1`` int64 offsets: file ``f`` holds global rows ``[off[f], off[f+1])``."""
    return np.concatenate(([0], np.cumsum(row_counts(scan_files)))).astype(np.int64)


def read_column(scan_files: list[Path], column: str) -> pa.ChunkedArray:
    """One column of every scan file, concatenated in corpus order (Parquet column projection)."""
    chunks = []
    for p in scan_files:
        chunks.extend(pq.read_table(p, columns=[column]).column(0).chunks)
    if not chunks:
        return pa.chunked_array([], pa.null())
    return pa.chunked_array(chunks)


def gather(scan_files: list[Path], offsets: np.ndarray, rows: np.ndarray,
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
        t = pq.read_table(path, columns=columns)
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
