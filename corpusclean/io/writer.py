"""Atomic writes: a file appears under its final name only when it is complete.

Every Parquet and JSON file of a run is written to a temporary name in the same folder and then
renamed (``os.replace`` is atomic on POSIX), so a crash or SIGKILL never leaves a half file that
looks whole, and a retried task that writes the same file again is harmless.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically (zstd-compressed, readable by pandas/DuckDB/datasets).

    An empty table is written with its schema and no row group: Hugging Face ``datasets`` fails
    on a zero-row row group ("BatchSize must be greater than 0").
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    with pq.ParquetWriter(tmp, table.schema, compression="zstd") as writer:
        if table.num_rows:
            writer.write_table(table)
    os.replace(tmp, path)


def write_json(obj: Any, path: Path) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
