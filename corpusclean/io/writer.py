"""Atomic writes: a file appears under its final name only when it is complete.

Local files (plain paths) are written to a temporary name in the same folder and then renamed
(``os.replace`` is atomic on POSIX). On an object store (``s3://``, ``gs://``…; see
:mod:`corpusclean.io.storage`) the file is written in one stream under its final name: a PUT —
or the completion of a multipart upload — is atomic, so readers see the whole object or none.
Either way a crash or SIGKILL never leaves a half file that looks whole, and a retried task that
writes the same file again is harmless.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.io.storage import AnyPath, RemotePath


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_table(table: pa.Table, where: Any) -> None:
    with pq.ParquetWriter(where, table.schema, compression="zstd") as writer:
        if table.num_rows:
            writer.write_table(table)


def write_parquet(table: pa.Table, path: AnyPath) -> None:
    """Write ``table`` to ``path`` atomically (zstd-compressed, readable by pandas/DuckDB/datasets).

    An empty table is written with its schema and no row group: Hugging Face ``datasets`` fails
    on a zero-row row group ("BatchSize must be greater than 0").
    """
    if isinstance(path, RemotePath):
        with path.open_output() as sink:
            _write_table(table, sink)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    _write_table(table, tmp)
    os.replace(tmp, path)


def read_parquet(path: AnyPath, columns: list[str] | None = None) -> pa.Table:
    """Read one Parquet file from a local path or a URI."""
    if isinstance(path, RemotePath):
        return pq.read_table(path.path, columns=columns, filesystem=path.fs)
    return pq.read_table(path, columns=columns)


def write_json(obj: Any, path: AnyPath) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    text = json.dumps(obj, indent=1, sort_keys=True, default=str)
    if isinstance(path, RemotePath):
        path.write_text(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: AnyPath) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
