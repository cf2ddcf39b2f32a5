"""Readers for what users have: WARC / WARC.gz, WET, JSONL (plain, .gz, .zst) and Parquet.

Every reader yields documents as dicts with the base columns (see :mod:`corpusclean.document`).
A record that cannot become a document but *is* one (too large, invalid JSON, binary payload)
is yielded as a rejection (``reason`` set) so it is counted, never silently dropped. Records that
are not documents at all (WARC ``request``, ``revisit``, ``metadata``, non-HTML responses) are
counted by kind in :class:`ReadStats`.

Damaged files (corrupt gzip, truncated record): every good record before the damage is kept, the
file and byte offset of the damage are recorded in the stats, and reading goes on with the next
file — unless ``strict``, which raises :class:`InputError`.

The WARC parser is our own (about a hundred lines over ``zlib``): it knows the compressed offset of
each gzip member, so damage is reported at the record where it starts, and it never loads a record
larger than the limit.
"""

from __future__ import annotations

import contextlib
import glob
import io
import json
import logging
import os
import re
import zlib
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.config import SAMPLE_INPUT, InputConfig, sample_path
from corpusclean.document import BASE_FIELDS, OPTIONAL_FIELDS, REJECT_FIELDS
from corpusclean.io.storage import RemotePath, as_path, getsize, is_remote, open_input

log = logging.getLogger("corpusclean.readers")

_CHUNK = 1 << 16
_FORMATS = ("warc", "wet", "jsonl", "parquet")


from corpusclean.errors import InputError  # noqa: E402,F401  (re-exported)


@dataclass
class ReadStats:
    """What a reader saw: documents, rejections, skipped records by kind, damage."""

    documents: int = 0
    rejected: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    bytes: int = 0

    def take(self) -> ReadStats:
        """A copy of the counts so far, resetting them (the reader keeps counting into ``self``)."""
        copy = ReadStats(self.documents, self.rejected.copy(), self.skipped.copy(), list(self.errors), self.bytes)
        self.documents, self.bytes = 0, 0
        self.rejected.clear()
        self.skipped.clear()
        self.errors.clear()
        return copy

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "rejected": dict(self.rejected),
                "skipped": dict(self.skipped), "errors": list(self.errors), "bytes": self.bytes}


# --------------------------------------------------------------------------- input expansion
def detect_format(path: str) -> str | None:
    name = os.path.basename(path).lower()
    for suffix in (".gz", ".zst", ".zstd"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith(".wet") or ".wet." in name:
        return "wet"
    if name.endswith((".warc", ".arc")):
        return "warc"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return None


def expand_inputs(paths: list[str], fmt: str = "auto") -> list[tuple[str, str]]:
    """Files, folders (searched recursively) and globs → sorted, de-duplicated (path, format) pairs.

    A folder contributes only files whose format is recognised from the extension; a file named
    directly must have a recognised extension unless ``fmt`` is set.
    """
    if not paths:
        raise InputError("no input: give --input PATH or 'input:' in the config")
    out: dict[str, str] = {}
    for raw in paths:
        p = str(sample_path()) if raw == SAMPLE_INPUT else os.path.expanduser(raw)
        if is_remote(p):
            found = _expand_remote(raw, p, fmt)
        elif os.path.isdir(p):
            found = sorted(
                os.path.join(root, f) for root, _, files in os.walk(p) for f in files
                if (fmt != "auto" or detect_format(f)) and not f.startswith(".")
            )
            if not found:
                raise InputError(f"{raw}: folder holds no WARC, WET, JSONL or Parquet files")
        elif any(ch in p for ch in "*?["):
            found = sorted(f for f in glob.glob(p, recursive=True) if os.path.isfile(f))
            if not found:
                raise InputError(f"{raw}: no file matches this pattern")
        elif os.path.isfile(p):
            found = [p]
        else:
            raise InputError(f"{raw}: no such file or folder")
        for f in found:
            kind = fmt if fmt != "auto" else detect_format(f)
            if kind is None:
                raise InputError(f"{f}: cannot tell the format from the extension; "
                                 f"set input.format to one of {', '.join(_FORMATS)}")
            out.setdefault(f, kind)
    return sorted(out.items())


def _expand_remote(raw: str, uri: str, fmt: str) -> list[str]:
    """A URI: an object, a folder (prefix, searched recursively) or a glob on the last parts."""
    if any(ch in uri for ch in "*?["):
        cut = min(uri.index(c) for c in "*?[" if c in uri)
        base_uri, pattern = uri[:cut].rsplit("/", 1)
        base = as_path(base_uri)
        pattern += uri[cut:]
        assert isinstance(base, RemotePath)
        found = [str(f) for f in base.glob(pattern) if f.is_file()]
        if not found:
            raise InputError(f"{raw}: no file matches this pattern")
        return sorted(found)
    p = as_path(uri)
    assert isinstance(p, RemotePath)
    if p.is_file():
        return [str(p)]
    if p.is_dir():
        found = [str(f) for f in p.walk_files()
                 if (fmt != "auto" or detect_format(f.name)) and not f.name.startswith(".")]
        if not found:
            raise InputError(f"{raw}: folder holds no WARC, WET, JSONL or Parquet files")
        return found
    raise InputError(f"{raw}: no such object or folder")


# ----------------------------------------------------------------------- decompressing streams
class _Damage(Exception):
    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


class _Source:
    """A byte stream over a plain or gzip file that knows where each gzip member starts.

    ``record_offset()`` gives the file offset to report for the record starting at the current
    position: the compressed offset of the gzip member holding it (exact for per-record gzip, as
    Common Crawl writes), or the plain offset for uncompressed files. Damage found while
    decompressing ahead is raised only once every byte before it has been consumed, so every good
    record before the damage is still read.
    """

    def __init__(self, f: IO[bytes]):
        self.f = f
        head = f.read(2)
        f.seek(0)
        self.gzip = head == b"\x1f\x8b"
        self.buf = bytearray()
        self.pos = 0  # uncompressed offset of buf[0]
        self.consumed = 0  # compressed bytes fed so far
        self._d = zlib.decompressobj(31) if self.gzip else None
        self._started = False
        self._members: deque[tuple[int, int]] = deque([(0, 0)])  # (uncompressed, compressed) starts
        self._damage: _Damage | None = None
        self.eof = False

    def _fill(self) -> bool:
        if self._damage is not None:
            raise self._damage
        if self.eof:
            return False
        raw = self.f.read(_CHUNK)
        if not self.gzip:
            if not raw:
                self.eof = True
                return False
            self.buf += raw
            return True
        assert self._d is not None
        if not raw:
            self.eof = True
            if not self._d.eof and self._started:
                self._damage = _Damage(self._members[-1][1],
                                       "truncated gzip stream (file ends inside a compressed member)")
            return False
        data = raw
        base = self.consumed
        self.consumed += len(raw)
        while data:
            if self._d.eof:
                self._members.append((self.pos + len(self.buf), base + len(raw) - len(data)))
                self._d = zlib.decompressobj(31)
            try:
                out = self._d.decompress(data)
            except zlib.error as e:
                self._damage = _Damage(self._members[-1][1], f"corrupt gzip data ({e})")
                self.eof = True
                return True
            self._started = True
            self.buf += out
            data = self._d.unused_data if self._d.eof else b""
        return True

    def tell(self) -> int:
        return self.pos

    def record_offset(self) -> int:
        if not self.gzip:
            return self.pos
        members = self._members
        while len(members) > 1 and members[1][0] <= self.pos:
            members.popleft()
        return members[0][1]

    def readline(self, limit: int = 1 << 20) -> bytes:
        while True:
            i = self.buf.find(b"\n", 0, limit)
            if i >= 0:
                return self._take(i + 1)
            if len(self.buf) >= limit or not self._fill():
                return self._take(min(len(self.buf), limit))

    def read(self, n: int) -> bytes:
        while len(self.buf) < n and self._fill():
            pass
        return self._take(min(n, len(self.buf)))

    def skip(self, n: int) -> int:
        """Discard ``n`` bytes without holding them; return how many were there."""
        done = 0
        while done < n:
            if not self.buf and not self._fill():
                break
            k = min(n - done, len(self.buf))
            self._take(k)
            done += k
        return done

    def _take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        self.pos += n
        return out


# ------------------------------------------------------------------------------------ WARC
def _parse_headers(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        text = line.decode("utf-8", "replace")
        if ":" in text:
            k, v = text.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return headers


def _iter_warc_records(src: _Source, max_bytes: int) -> Iterator[tuple[int, dict[str, str], bytes | None, int]]:
    """Yield (offset, WARC headers, block or None if larger than ``max_bytes``, block length)."""
    while True:
        offset = src.record_offset()
        line = src.readline()
        while line in (b"\r\n", b"\n"):
            offset = src.record_offset()
            line = src.readline()
        if not line:
            return
        if not line.startswith(b"WARC/"):
            raise _Damage(offset, f"expected a WARC record header, found {line[:40]!r}")
        header_lines = []
        while True:
            h = src.readline()
            if not h:
                raise _Damage(offset, "truncated WARC record (file ends inside the headers)")
            if h in (b"\r\n", b"\n"):
                break
            header_lines.append(h)
        headers = _parse_headers(header_lines)
        try:
            length = int(headers.get("content-length", ""))
        except ValueError:
            raise _Damage(offset, "WARC record without a valid Content-Length") from None
        if length > max_bytes:
            got = src.skip(length)
            if got < length:
                raise _Damage(offset, f"truncated WARC record ({got} of {length} bytes)")
            yield offset, headers, None, length
            continue
        block = src.read(length)
        if len(block) < length:
            raise _Damage(offset, f"truncated WARC record ({len(block)} of {length} bytes)")
        yield offset, headers, block, length


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a page: HTTP charset, then the page's meta tag, then UTF-8, then detection.

    Undecodable bytes are replaced (U+FFFD), never fatal.
    """
    candidates: list[str] = []
    m = _HTTP_CHARSET.search(content_type or "")
    if m:
        candidates.append(m.group(1))
    m2 = _META_CHARSET.search(body[:4096])
    if m2:
        candidates.append(m2.group(1).decode("ascii", "replace"))
    for enc in candidates:
        try:
            return body.decode(enc, errors="replace")
        except LookupError:
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body[:65536]).best()
    enc = best.encoding if best is not None else "cp1252"
    try:
        return body.decode(enc, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _looks_binary(body: bytes) -> bool:
    head = body[:4096]
    return bool(head) and head.count(b"\x00") > len(head) // 100


def _dechunk(body: bytes) -> bytes | None:
    """Undo HTTP chunked transfer encoding; None if the body is not validly chunked."""
    out = bytearray()
    pos = 0
    while True:
        nl = body.find(b"\r\n", pos)
        if nl < 0:
            return None
        try:
            size = int(body[pos:nl].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return bytes(out)
        out += body[nl + 2: nl + 2 + size]
        pos = nl + 2 + size + 2


def _split_http(block: bytes) -> tuple[int | None, dict[str, str], bytes]:
    sep = block.find(b"\r\n\r\n")
    seplen = 4
    if sep < 0:
        sep = block.find(b"\n\n")
        seplen = 2
    if sep < 0:
        return None, {}, block
    head = block[:sep].split(b"\n")
    status = None
    parts = head[0].split()
    if len(parts) >= 2 and parts[1][:3].isdigit():
        status = int(parts[1][:3])
    headers = _parse_headers(head[1:])
    body = block[sep + seplen:]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body) or body
    enc = headers.get("content-encoding", "").lower()
    if enc in ("gzip", "x-gzip", "deflate") and body[:1] in (b"\x1f", b"\x78"):
        try:
            body = zlib.decompress(body, 47)
        except zlib.error:
            pass
    return status, headers, body


def _is_html(headers: dict[str, str], body: bytes) -> bool:
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype:
        return ctype in ("text/html", "application/xhtml+xml")
    head = body[:1024].lower()
    return b"<html" in head or b"<!doctype html" in head


def _record_id(headers: dict[str, str], path: str, ordinal: int) -> str:
    rid = headers.get("warc-record-id", "").strip().strip("<>")
    return rid or f"{path}#{ordinal}"


def read_warc(path: str, cfg: InputConfig, stats: ReadStats, wet: bool = False) -> Iterator[dict[str, Any]]:
    with open_input(path) as f:
        src = _Source(f)
        ordinal = 0
        try:
            for offset, h, block, length in _iter_warc_records(src, cfg.max_record_bytes):
                kind = h.get("warc-type", "unknown").lower()
                wanted = "conversion" if wet else "response"
                if kind != wanted:
                    stats.skipped[kind] += 1
                    continue
                doc_id = _record_id(h, path, ordinal)
                ordinal += 1
                base = {"id": doc_id, "url": h.get("warc-target-uri") or None, "source": path,
                        "date": h.get("warc-date")}
                if block is None:
                    yield {**base, "reason": "read.too_large",
                           "detail": f"{length} bytes > max_record_bytes={cfg.max_record_bytes} at offset {offset}"}
                    continue
                stats.bytes += length
                if wet:
                    yield {**base, "text": block.decode("utf-8", "replace")}
                    continue
                status, http_headers, body = _split_http(block)
                if status is not None and not 200 <= status < 300:
                    stats.skipped[f"http_{status // 100}xx"] += 1
                    continue
                if not _is_html(http_headers, body):
                    stats.skipped["non_html"] += 1
                    continue
                if _looks_binary(body):
                    yield {**base, "reason": "read.binary", "detail": "payload labelled HTML holds binary data"}
                    continue
                yield {**base, "text": None, "html": decode_html(body, http_headers.get("content-type", ""))}
        except _Damage as e:
            _damaged(path, e.offset, e.message, stats)


def _damaged(path: str, offset: int, message: str, stats: ReadStats) -> None:
    stats.errors.append({"file": path, "offset": offset, "error": message})
    log.warning("%s: damaged at byte %d: %s; records before it were kept", path, offset, message)


# ----------------------------------------------------------------------------------- JSONL
def _open_decompressed(f: IO[bytes]) -> IO[bytes]:
    head = f.read(4)
    f.seek(0)
    if head[:2] == b"\x1f\x8b":
        import gzip

        return gzip.GzipFile(fileobj=f)  # type: ignore[return-value]
    if head == b"\x28\xb5\x2f\xfd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)  # type: ignore[return-value]
    return f


def _meta(record: dict[str, Any], used: set[str]) -> str | None:
    rest = {k: v for k, v in record.items() if k not in used}
    return json.dumps(rest, ensure_ascii=False, default=str, sort_keys=True) if rest else None


def _doc_from_record(record: Any, cfg: InputConfig, path: str, ordinal: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        return {"id": f"{path}#{ordinal}", "source": path, "reason": "read.not_an_object",
                "detail": f"record is a JSON {type(record).__name__}"}
    raw_id = record.get(cfg.id_field)
    doc_id = str(raw_id) if raw_id not in (None, "") else f"{path}#{ordinal}"
    url = record.get(cfg.url_field)
    text = record.get(cfg.text_field)
    base = {"id": doc_id, "url": str(url) if url is not None else None, "source": path,
            "meta": _meta(record, {cfg.id_field, cfg.text_field, cfg.url_field})}
    if not isinstance(text, str):
        return {**base, "reason": "read.missing_text",
                "detail": f"field {cfg.text_field!r} is {'absent' if text is None else type(text).__name__}"}
    if len(text) > cfg.max_record_bytes:
        return {**base, "reason": "read.too_large", "detail": f"{len(text)} characters > max_record_bytes"}
    return {**base, "text": text}


def read_jsonl(path: str, cfg: InputConfig, stats: ReadStats) -> Iterator[dict[str, Any]]:
    limit = cfg.max_record_bytes
    with open_input(path) as raw:
        f = io.BufferedReader(_open_decompressed(raw), _CHUNK)  # type: ignore[arg-type]
        ordinal = 0
        lineno = 0
        try:
            while True:
                line = f.readline(limit + 1)
                if not line:
                    return
                lineno += 1
                if len(line) > limit and not line.endswith(b"\n"):
                    size = len(line)
                    while True:  # skip the rest of the oversized line without loading it
                        rest = f.readline(_CHUNK)
                        size += len(rest)
                        if not rest or rest.endswith(b"\n"):
                            break
                    yield {"id": f"{path}#{ordinal}", "source": path, "reason": "read.too_large",
                           "detail": f"line {lineno}: {size} bytes > max_record_bytes={limit}"}
                    ordinal += 1
                    continue
                if not line.strip():
                    continue
                stats.bytes += len(line)
                try:
                    record = json.loads(line.decode("utf-8", "replace"))
                except ValueError as e:
                    yield {"id": f"{path}#{ordinal}", "source": path, "reason": "read.invalid_json",
                           "detail": f"line {lineno}: {e}"}
                    ordinal += 1
                    continue
                yield _doc_from_record(record, cfg, path, ordinal)
                ordinal += 1
        except (OSError, EOFError, zlib.error) as e:
            _damaged(path, raw.tell(), f"corrupt or truncated compressed stream after line {lineno} ({e})", stats)
        except Exception as e:  # zstandard raises its own ZstdError
            if type(e).__name__ != "ZstdError":
                raise
            _damaged(path, raw.tell(), f"corrupt zstd stream after line {lineno} ({e})", stats)


# --------------------------------------------------------------------------------- Parquet
def read_parquet(path: str, cfg: InputConfig, stats: ReadStats) -> Iterator[dict[str, Any]]:
    ordinal = 0
    try:
        src = as_path(path)
        # a local file is read by path as before; a URI through a NativeFile on its store
        with (src.open_input() if isinstance(src, RemotePath) else contextlib.nullcontext(path)) as f:
            pf = pq.ParquetFile(f)
            for batch in pf.iter_batches(batch_size=1024):
                for record in batch.to_pylist():
                    yield _doc_from_record(record, cfg, path, ordinal)
                    ordinal += 1
        stats.bytes += getsize(path)
    except (OSError, pa.ArrowException) as e:
        _damaged(path, ordinal, f"unreadable Parquet after row {ordinal} ({str(e).splitlines()[0]})", stats)


# ------------------------------------------------------------------------------------ shards
def read_file(path: str, fmt: str, cfg: InputConfig, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Documents (and rejections, which carry ``reason``) of one input file."""
    if fmt in ("warc", "wet"):
        return read_warc(path, cfg, stats, wet=fmt == "wet")
    if fmt == "jsonl":
        return read_jsonl(path, cfg, stats)
    if fmt == "parquet":
        return read_parquet(path, cfg, stats)
    raise InputError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(_FORMATS)}")


#: One schema for documents from every format (``html`` null where the input has text), so every
#: shard of a stage has the same schema even when a run mixes WARC and JSONL inputs.
DOC_SCHEMA = pa.schema(BASE_FIELDS + [pa.field(k, v) for k, v in OPTIONAL_FIELDS.items()])


def _to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.table({f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}, schema=schema)


@dataclass
class Chunk:
    """One shard's worth of input: documents, read-time rejections and what the reader saw."""

    index: int
    docs: pa.Table
    rejected: pa.Table
    stats: ReadStats


def read_chunks(path: str, fmt: str, cfg: InputConfig, shard_size: int, strict: bool) -> Iterator[Chunk]:
    """Split one file into chunks of ``shard_size`` records (documents + rejections), in order.

    Chunk boundaries depend only on the file and ``shard_size``, so shards are the same whatever
    the number of workers. A file with no records gives one empty chunk (so it is accounted for).
    """
    schema = DOC_SCHEMA
    rej_schema = pa.schema(list(schema) + REJECT_FIELDS)
    stats = ReadStats()
    docs: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    index = 0
    for rec in read_file(path, fmt, cfg, stats):
        if "reason" in rec:
            rec["stage"] = "read"
            stats.rejected[rec["reason"]] += 1
            rejected.append(rec)
        else:
            stats.documents += 1
            docs.append(rec)
        if len(docs) + len(rejected) >= shard_size:
            yield Chunk(index, _to_table(docs, schema), _to_table(rejected, rej_schema), stats.take())
            index += 1
            docs, rejected = [], []
    if strict and stats.errors:
        err = stats.errors[0]
        raise InputError(f"{err['file']}: damaged at byte {err['offset']}: {err['error']} (--strict)")
    if docs or rejected or index == 0 or stats.errors or stats.skipped:
        yield Chunk(index, _to_table(docs, schema), _to_table(rejected, rej_schema), stats.take())
