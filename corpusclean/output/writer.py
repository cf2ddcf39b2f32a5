"""Parquet and JSON files of a run, written atomically (through :mod:`corpusclean.io.files`).

A file appears under its final name only when complete: a temporary sibling renamed into place on
a local disk, one PUT (or completed multipart upload) on an object store. A crash or SIGKILL never
leaves a half file that looks whole, and a retried task that writes the same file again is
harmless. Paths are local :class:`~pathlib.Path` objects or
:class:`~corpusclean.io.storage.RemotePath` objects (``s3://``, ``file://``, ``memory://``…).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.io.files import atomic_output, atomic_write_text
from corpusclean.io.storage import AnyPath, RemotePath


def write_parquet(table: pa.Table, path: AnyPath, *, row_groups_by: str | None = None) -> int:
    """Write ``table`` to ``path`` atomically (zstd-compressed, readable by pandas/DuckDB/datasets);
    return the file's size in bytes.

    An empty table is written with its schema and no row group: Hugging Face ``datasets`` fails
    on a zero-row row group ("BatchSize must be greater than 0"). Parent folders are created.
    ``row_groups_by`` names a column the table is sorted by: each run of equal values becomes
    its own row group (readers then fetch one value's rows from the footer's statistics).
    """
    with atomic_output(path) as sink:
        with pq.ParquetWriter(sink, table.schema, compression="zstd") as writer:
            if table.num_rows and row_groups_by is None:
                writer.write_table(table)
            elif table.num_rows:
                values = table.column(row_groups_by).to_numpy()
                cuts = np.flatnonzero(values[1:] != values[:-1]) + 1
                for lo, hi in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [len(values)]))):
                    writer.write_table(table.slice(int(lo), int(hi - lo)))
        return int(sink.tell())


def read_parquet(path: AnyPath, columns: list[str] | None = None) -> pa.Table:
    """Read one Parquet file (all columns, or only ``columns``) from a local path or a URI."""
    if isinstance(path, RemotePath):
        return pq.read_table(path.path, columns=columns, filesystem=path.fs)
    return pq.read_table(path, columns=columns)


def parquet_file(path: AnyPath) -> pq.ParquetFile:
    """A :class:`pyarrow.parquet.ParquetFile` (schema, row count, column projection) on any path."""
    if isinstance(path, RemotePath):
        return pq.ParquetFile(path.open_input())
    return pq.ParquetFile(path)


def write_json(obj: Any, path: AnyPath) -> None:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically (non-JSON values via ``str``)."""
    atomic_write_text(path, json.dumps(obj, indent=1, sort_keys=True, default=str))


def read_json(path: AnyPath) -> Any:
    """Parse the JSON file at ``path`` (raises ``FileNotFoundError``/``ValueError`` as ``json`` does)."""
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = ["parquet_file", "read_json", "read_parquet", "write_json", "write_parquet"]
