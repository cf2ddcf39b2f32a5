"""JSON Lines (plain, .gz, .zst, .bz2, .xz) and JSON array files (``[{…}, {…}]``).

Each line (or array element) is one record: a JSON object whose text, id and url fields are
named by :class:`~corpusclean.readers.base.ReadOptions`. A line longer than ``max_record_bytes``
is skipped without being held in memory and rejected ``read.too_large``; invalid JSON is
``read.invalid_json`` with the line number; a line with invalid UTF-8 is rejected ``read.invalid_utf8`` (as in Parquet).

Damage. A gzip file is read member by member (:func:`corpusclean.io.files.gzip_members`, the
mechanism the WARC reader resynchronises with): a member whose CRC, length or deflate data is bad
is not read at all — none of its lines become documents — and is recorded as damage at its byte
offset with the error, how many lines had come out of it, and the byte where reading resumed (the
next member). A truncated last member keeps its complete lines (a deflate prefix is exact); the
line cut in two is rejected ``read.invalid_json``. zstd, bzip2 and xz streams keep every line
decompressed before the damage and record it (no resynchronisation).

A JSON array file (a ``.json`` name, first byte ``[``) is parsed whole, so it is refused (``read.too_large``) above ``max_record_bytes``; the array's elements are the records.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterator
from typing import Any

from corpusclean.io.files import compression_of, gzip_members, open_decompressed
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


class _CheckedGzip(io.RawIOBase):
    """The decompressed bytes of a gzip file's members whose CRC checks (:func:`gzip_members`).

    A damaged member's bytes are never handed out: it is recorded as damage (its offset, the
    error, how many lines it held and where reading resumed); a line cut by the damage is ended
    with a newline, so it is rejected ``read.invalid_json`` rather than joined to another line.
    A truncated last member gives what was decompressed (a correct prefix) and is recorded too.
    """

    def __init__(self, raw: Any, path: str, stats: ReadStats):
        self.members = gzip_members(raw)
        self.path, self.stats = path, stats
        self.data: Any = iter(())
        self.pending = b""
        self.ends_line = True

    def readable(self) -> bool:
        return True

    def _next(self) -> bytes:
        while True:
            for chunk in self.data:
                self.ends_line = chunk.endswith(b"\n")
                return chunk
            member = next(self.members, None)
            if member is None:
                return b""
            if member.status == "ok":
                self.data = member.data
                continue
            where = f"; resumed at byte {member.resume}" if member.resume is not None else ""
            if member.status == "truncated":
                self.data = member.data
                self.stats.damaged(self.path, member.end, f"truncated gzip member (starting at byte "
                                                         f"{member.offset}): its lines up to the cut are read")
                continue
            lines = size = 0
            for chunk in member.data:
                lines += chunk.count(b"\n")
                size += len(chunk)
            self.stats.damaged(self.path, member.offset,
                               f"corrupt gzip member ({member.message}): not read ({lines} lines, {size} bytes "
                               f"decompressed before the error){where}")
            if not self.ends_line:
                self.ends_line = True
                return b"\n"

    def readinto(self, b: Any) -> int:
        if not self.pending:
            self.pending = self._next()
        n = min(len(b), len(self.pending))
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def _decompressed(raw: Any, path: str, stats: ReadStats) -> io.BufferedReader:
    head = raw.read(6)
    raw.seek(0)
    if compression_of(head) == "gzip":
        return io.BufferedReader(_CheckedGzip(raw, path, stats), _CHUNK)
    return io.BufferedReader(open_decompressed(raw), _CHUNK)  # type: ignore[arg-type]


def read_jsonl(path: str, opts: ReadOptions, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Records of a JSONL or JSON-array file (see the module docstring)."""
    limit = opts.max_record_bytes
    lineno = 0
    with open_input(path) as raw:
        try:
            f = _decompressed(raw, path, stats)
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

