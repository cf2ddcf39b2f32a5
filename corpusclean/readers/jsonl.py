"""JSON Lines (plain, .gz, .zst, .bz2, .xz) and JSON array files (``[{…}, {…}]``).

Each line (or array element) is one record: a JSON object whose text, id and url fields are
named by :class:`~corpusclean.readers.base.ReadOptions`. A line longer than ``max_record_bytes``
is skipped without being held in memory and rejected ``read.too_large``; invalid JSON is
``read.invalid_json`` with the line number; a line with invalid UTF-8 is rejected ``read.invalid_utf8`` (as in Parquet). A corrupt or
truncated compressed stream keeps every line decompressed before the damage and records the
damage. A JSON array file (a ``.json`` name, first byte ``[``) is parsed whole, so it is
refused (``read.too_large``) above ``max_record_bytes``; the array's elements are the records.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterator
from typing import Any

from corpusclean.io.files import open_decompressed
from corpusclean.io.storage import open_input
from corpusclean.readers.base import ReadOptions, ReadStats, doc_from_record, rejection

_CHUNK = 1 << 16


def _first_byte(f: io.BufferedReader) -> bytes:
    head = f.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1]


def _is_json_name(path: str) -> bool:
    """``.json`` (possibly compressed): the one extension under which a JSON array file is read."""
    name = path.lower()
    for suffix in (".gz", ".zst", ".zstd", ".bz2", ".xz"):
        name = name.removesuffix(suffix)
    return name.endswith(".json")


def read_jsonl(path: str, opts: ReadOptions, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Records of a JSONL or JSON-array file (see the module docstring)."""
    limit = opts.max_record_bytes
    lineno = 0
    with open_input(path) as raw:
        try:
            f = io.BufferedReader(open_decompressed(raw), _CHUNK)  # type: ignore[arg-type]
            if _is_json_name(path) and _first_byte(f) == b"[":
                yield from _read_array(f, path, opts, stats)
                return
            while True:
                line = f.readline(limit + 1)
                if not line:
                    return
                lineno += 1
                if len(line) > limit and not line.endswith(b"\n"):
                    size = len(line)
                    while True:  # skip the rest of the oversized line without holding it
                        rest = f.readline(_CHUNK)
                        size += len(rest)
                        if not rest or rest.endswith(b"\n"):
                            break
                    yield rejection(path, "read.too_large", f"line {lineno}: {size} bytes > max_record_bytes={limit}")
                    continue
                if not line.strip():
                    continue
                stats.bytes += len(line)
                try:
                    record = json.loads(line.decode("utf-8"))
                except UnicodeDecodeError as e:  # as Parquet does: the line is rejected, not repaired
                    yield rejection(path, "read.invalid_utf8", f"line {lineno}: {e.reason} at byte {e.start}")
                    continue
                except ValueError as e:
                    yield rejection(path, "read.invalid_json", f"line {lineno}: {e}")
                    continue
                yield doc_from_record(record, opts, path)
        except (OSError, EOFError, zlib.error, ValueError) as e:
            # gzip/bz2/xz raise OSError/EOFError, pyarrow's zstd stream ArrowInvalid (a ValueError)
            stats.damaged(path, raw.tell(), f"corrupt or truncated compressed stream after line {lineno} "
                                            f"({' '.join(str(e).split())[:200]})")


def _read_array(f: io.BufferedReader, path: str, opts: ReadOptions, stats: ReadStats) -> Iterator[dict[str, Any]]:
    limit = opts.max_record_bytes
    data = f.read(limit + 1)
    if len(data) > limit:
        yield rejection(path, "read.too_large",
                        f"JSON array file larger than max_record_bytes={limit}; convert it to JSON Lines")
        return
    stats.bytes += len(data)
    try:
        records = json.loads(data.decode("utf-8-sig", "replace"))
    except ValueError as e:
        yield rejection(path, "read.invalid_json", f"JSON array: {e}")
        return
    for record in records:
        yield doc_from_record(record, opts, path)

