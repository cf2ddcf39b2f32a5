"""Parquet files (local or on an object store), read in batches of 1024 rows.

Rows go through :func:`~corpusclean.readers.base.doc_from_record`. A string column holding
invalid UTF-8 (Parquet does not check it) does not stop the run: the bad values are decoded with
U+FFFD replacements and each such row is rejected ``read.invalid_utf8`` naming the column. An
unreadable file keeps the rows read before the damage and records it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.io.storage import RemotePath, as_path, getsize
from corpusclean.readers.base import ReadOptions, ReadStats, doc_from_record


def repair_utf8(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict[int, str]]:
    """``batch`` with invalid UTF-8 string values replaced (U+FFFD) and {row: column} of the bad rows."""
    bad: dict[int, str] = {}
    columns = list(batch.columns)
    for i, (name, col) in enumerate(zip(batch.schema.names, columns)):
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        try:
            col.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        values = []
        for row, raw in enumerate(col.cast(pa.large_binary() if pa.types.is_large_string(col.type)
                                           else pa.binary(), safe=False).to_pylist()):
            if raw is None:
                values.append(None)
                continue
            try:
                values.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                values.append(raw.decode("utf-8", "replace"))
                bad.setdefault(row, name)
        columns[i] = pa.array(values, col.type)
    if not bad:
        return batch, bad
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema), bad


def records_of_batches(batches: Iterator[pa.RecordBatch], opts: ReadOptions, path: str,
                       counter: list[int]) -> Iterator[dict[str, Any]]:
    """Rows of Arrow batches as documents or rejections; ``counter[0]`` counts rows read."""
    for batch in batches:
        batch, bad = repair_utf8(batch)
        for row, record in enumerate(batch.to_pylist()):
            counter[0] += 1
            doc = doc_from_record(record, opts, path)
            if row in bad and "reason" not in doc:
                doc = {**doc, "reason": "read.invalid_utf8",
                       "detail": f"column {bad[row]!r} holds invalid UTF-8 (shown with U+FFFD)"}
            yield doc


def read_parquet(path: str, opts: ReadOptions, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Rows of one Parquet file (see the module docstring)."""
    counter = [0]
    try:
        src = as_path(path)
        with (src.open_input() if isinstance(src, RemotePath) else contextlib.nullcontext(path)) as f:
            pf = pq.ParquetFile(f)
            yield from records_of_batches(pf.iter_batches(batch_size=1024), opts, path, counter)
        stats.bytes += getsize(path)
    except (OSError, pa.ArrowException) as e:
        stats.damaged(path, counter[0], f"unreadable Parquet after row {counter[0]} ({str(e).splitlines()[0]})")
