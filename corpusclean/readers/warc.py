"""WARC and ARC records through maintained libraries, with our recovery promises on top.

Libraries (chosen by measurement, ``scripts/bench.py --only readers``): WARC through
``fastwarc`` (resiliparse; about 3x the records/s of ``warcio`` and of our former hand parser),
ARC through ``warcio`` (``fastwarc`` has no ARC support). What the libraries do not do, we do
here:

* **Offsets.** fastwarc gives each record's start (``stream_pos``; the compressed offset of its
  gzip member for ``.warc.gz``), warcio ``get_record_offset()``; damage is reported by file and
  that offset.
* **Recovery.** Both libraries stop at the first unreadable record (an exception, or a block
  shorter than its ``Content-Length``). We then look for the next record start after the last
  good one — the next gzip member that inflates to a record header, or for plain files the next
  ``WARC/1.x`` (or ARC URL) line — and start the library again there, so good records before
  *and after* a damaged one are kept. Blank lines between plain records (some writers add one)
  are not damage.
* **Header checks.** A ``Content-Length`` that is missing, not a number or negative is damage
  (fastwarc reads a negative length as 0 and would parse the body as the next record).
* **Leniency.** Where fastwarc cannot parse a record that starts like one (header lines ending in
  CR CR LF, as some old writers did), warcio reads the file from that record on.
* **Size.** A record whose ``Content-Length`` exceeds ``max_bytes`` is skipped unread (the
  library streams past it) and yielded with ``block=None``.

Header values are normalised: surrounding whitespace and the ``<…>`` of the WARC 1.0 grammar
(``WARC-Target-URI: <https://…>``, ``WARC-Record-ID: <urn:uuid:…>``) are removed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from corpusclean.io.files import DecompressionLimit, next_gzip_member
from corpusclean.io.storage import open_input
from corpusclean.readers.base import ReadOptions, ReadStats
from corpusclean.readers.charset import decode_html
from corpusclean.readers.http import BodyError, parse_http

_SCAN = 1 << 20
#: exceptions that mean a bug in this module, never damaged input
_BUGS = (TypeError, AttributeError, NameError, AssertionError, KeyError, IndexError)
_WARC_START = re.compile(rb"WARC/1\.[01]\r*\n")
_ARC_START = re.compile(rb"(?:filedesc|https?|ftp|dns|ftps)://\S* \S+ \d{12,14} \S* -?\d+\r?\n")


@dataclass
class RawRecord:
    """One archive record: offset in the file, lower-cased type, normalised headers, block."""

    offset: int
    kind: str
    uri: str | None
    date: str | None
    record_id: str | None
    length: int
    #: the record block (for responses: the HTTP message); None when longer than ``max_bytes``
    block: bytes | None


def clean_header_value(value: str | None) -> str | None:
    """Strip whitespace and the WARC 1.0 angle brackets; None for an empty value."""
    if value is None:
        return None
    value = " ".join(value.split())
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value or None


def _sniff(f: IO[bytes]) -> tuple[bool, bytes | None]:
    """(gzip?, first decompressed bytes, None if they do not decompress) of the file; rewinds ``f``."""
    head = f.read(4096)
    f.seek(0)
    if head[:2] == b"\x1f\x8b":
        try:
            return True, zlib.decompressobj(31).decompress(head, 64)
        except zlib.error:
            return True, None
    return False, head[:64]


def is_arc(f: IO[bytes]) -> bool:
    """True if the file (plain or gzip) starts with an ARC ``filedesc://`` header record."""
    return (_sniff(f)[1] or b"").lstrip().startswith(b"filedesc://")


def _is_start(f: IO[bytes], pos: int, arc: bool) -> bool:
    f.seek(pos)
    return bool((_ARC_START if arc else _WARC_START).match(f.read(8192)))


def _candidates(f: IO[bytes], start: int, arc: bool) -> Iterator[int]:
    """Positions ≥ ``start`` of a plain file where a record may begin, in order."""
    pat = _ARC_START if arc else _WARC_START
    pos = start
    while True:
        f.seek(pos)
        buf = f.read(_SCAN + 64)
        if not buf:
            return
        found = [m.start() + (1 if buf[m.start():m.start() + 1] == b"\n" else 0)
                 for m in re.finditer(b"(?:^|\n)" + pat.pattern, buf[:_SCAN + 64], re.M)]
        for i in found:
            if i < _SCAN or len(buf) <= _SCAN:
                yield pos + i
        if len(buf) <= _SCAN:
            return
        pos += _SCAN


def _next_start(f: IO[bytes], after: int, gzip: bool, arc: bool) -> tuple[int | None, int | None]:
    """(first candidate position > ``after``, first verified record start > ``after``); for gzip
    the shared member scan (:func:`corpusclean.io.files.next_gzip_member`)."""
    pat = _ARC_START if arc else _WARC_START
    if gzip:
        return next_gzip_member(f, after, lambda head: bool(pat.match(head)))
    first = None
    for cand in _candidates(f, after + 1, arc):
        if first is None:
            first = cand
        if _is_start(f, cand, arc):
            return first, cand
    return first, None


def _blank_gap(f: IO[bytes], start: int, end: int) -> bool:
    """True if the plain record at ``start`` ends (by its Content-Length) with only blank bytes before ``end``."""
    if end - start > _SCAN * 16:
        return False
    f.seek(start)
    data = f.read(end - start)
    sep = data.find(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", data[:sep if sep >= 0 else 0])
    if sep < 0 or m is None:
        return False
    return not data[sep + 4 + int(m.group(1)):].strip()


# ------------------------------------------------------------------------- library adapters
def _fastwarc_records(f: IO[bytes], pos: int, max_bytes: int,
                      wanted: str | None) -> Iterator[tuple[int, RawRecord | str]]:
    """(offset, record) or (offset, damage message) from fastwarc, starting at ``pos``.

    Records of another type than ``wanted`` are yielded with their type and length only (unread).
    """
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    kinds = {int(getattr(WarcRecordType, k)): k for k in ("warcinfo", "response", "resource", "request",
                                                       "metadata", "revisit", "conversion", "continuation")}
    f.seek(pos)
    for rec in ArchiveIterator(f, parse_http=False):
        h = rec.headers
        offset = rec.stream_pos
        length = rec.content_length
        if length <= 0:  # fastwarc reads a missing, invalid or negative length as 0: look at it
            raw_len = (h.get("Content-Length") or "").strip()
            if not raw_len.isdigit():
                yield offset, f"invalid WARC Content-Length {raw_len[:40]!r}"
                return
        kind = kinds.get(int(rec.record_type)) or (h.get("WARC-Type") or "unknown").strip().lower()
        if wanted is not None and kind != wanted:
            yield offset, RawRecord(offset, kind, None, None, None, length, None)
            continue
        block = None
        if length <= max_bytes:
            block = rec.reader.read()
            if len(block) < length:
                yield offset, f"truncated record ({len(block)} of {length} bytes)"
                return
        yield offset, RawRecord(offset, kind, clean_header_value(h.get("WARC-Target-URI")),
                                clean_header_value(h.get("WARC-Date")), clean_header_value(rec.record_id),
                                length, block)


def _warcio_records(f: IO[bytes], pos: int, max_bytes: int,
                    wanted: str | None) -> Iterator[tuple[int, RawRecord | str]]:
    """The same from warcio (ARC files), converted to WARC-style headers by ``arc2warc``."""
    from warcio.archiveiterator import ArchiveIterator

    f.seek(pos)
    it = ArchiveIterator(f, arc2warc=True, no_record_parse=True, verify_http=False)
    for rec in it:
        length = rec.length if isinstance(rec.length, int) else -1
        read = 0 <= length <= max_bytes and (wanted is None or rec.rec_type == wanted)
        block = rec.raw_stream.read() if read else None
        offset = pos + it.get_record_offset()  # (reads the rest of the record first: call after reading)
        if length < 0:
            yield offset, f"invalid ARC record length {rec.length!r}"
            return
        uri = clean_header_value(rec.rec_headers.get_header("WARC-Target-URI"))
        date = clean_header_value(rec.rec_headers.get_header("WARC-Date"))
        kind = rec.rec_type
        if block is not None:
            if len(block) < length:
                yield offset, f"truncated record ({len(block)} of {length} bytes)"
                return
        # warcio invents a random WARC-Record-ID for ARC records: not an identity, so none is kept
        yield offset, RawRecord(offset, kind, uri, date, None, length, block)


def iter_records(f: IO[bytes], max_bytes: int, on_damage: Callable[[int, str], None],
                 wanted: str | None = None) -> Iterator[RawRecord]:
    """Every readable record of a seekable WARC/ARC stream (plain or per-record gzip), in order.

    With ``wanted`` (a record type), records of other types come with ``kind`` and ``length``
    only (not read: ``block`` None).

    ``on_damage(offset, message)`` is called for each unreadable stretch; reading resumes at the
    next record start (see the module docstring). Never raises for damaged input.
    """
    gzip, sniffed = _sniff(f)
    if sniffed is not None and not sniffed.strip():
        return  # an empty file (or only blank bytes) holds no records and no damage
    head = (sniffed or b"").lstrip()
    arc = head.startswith(b"filedesc://")
    lenient_at = -1  # a record start fastwarc cannot parse: warcio (more lenient) reads from there
    if not (arc or _WARC_START.match(head)):
        found = "data that does not decompress" if sniffed is None else repr(head[:40])
        on_damage(0, f"expected a WARC or ARC record header, found {found}")
        first, nxt = _next_start(f, 0, gzip, arc)
        if nxt is None:
            return
        pos = nxt
    else:
        pos = 0
    while True:
        last: int | None = None
        problem: tuple[int, str] | None = None
        source = _warcio_records if arc or lenient_at == pos else _fastwarc_records
        try:
            for offset, item in source(f, pos, max_bytes, wanted):
                if isinstance(item, str):
                    if last is None and source is _fastwarc_records:
                        break  # let warcio try this record (below)
                    problem = (offset, item)
                    last = offset
                    break
                last = offset
                yield item
            else:
                return
            if problem is None:
                lenient_at = pos
                continue
        except _BUGS:
            raise  # our own mistakes are not damage
        except Exception as e:  # the libraries raise OSError, ValueError, EOFError, zlib.error, …
            if last is None and source is _fastwarc_records:
                lenient_at = pos  # e.g. header lines ending in CR CR LF: let warcio try
                continue
            msg = f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"
            problem = (pos, f"unreadable record ({msg})") if last is None else (-1, msg)
        after = pos if last is None else last
        first, nxt = _next_start(f, after, gzip, arc)
        assert problem is not None
        offset, message = problem
        if offset == -1:  # the library failed after the record at ``after``
            if not gzip and nxt is not None and _blank_gap(f, after, nxt):
                pos = nxt
                continue
            if gzip and first is not None and first != nxt:
                offset, message = first, f"unreadable gzip member or record ({message})"
            else:
                offset, message = after, f"data after this record does not parse; its length may be wrong ({message})"
        where = f"; resumed at byte {nxt}" if nxt is not None else ""
        on_damage(offset, message + where)
        if nxt is None:
            return
        pos = nxt


# ------------------------------------------------------------------------- records -> rows
def _too_large(base: dict[str, Any], size: int, limit: int, where: str) -> dict[str, Any]:
    return {**base, "reason": "read.too_large", "detail": f"{where}{size} bytes > max_record_bytes={limit}"}


def read_warc(path: str, opts: ReadOptions, stats: ReadStats, wet: bool = False) -> Iterator[dict[str, Any]]:
    """Rows of a WARC/ARC file (``response`` records; WET: ``conversion`` records).

    Skipped by kind (``stats.skipped``): other record types, non-2xx statuses (``http_3xx`` …),
    non-HTML payloads (``non_html``). Rejected: ``read.too_large`` (record, or body once
    decompressed), ``read.content_encoding`` (a body that cannot be decoded, the encoding named),
    ``read.binary`` (labelled HTML, holds binary data).
    """
    limit = opts.max_record_bytes
    wanted = "conversion" if wet else "response"
    with open_input(path) as f:
        for rec in iter_records(f, limit, lambda off, msg: stats.damaged(path, off, msg), wanted):
            if rec.kind != wanted:
                stats.skipped[rec.kind] += 1
                continue
            base = {"source_id": rec.record_id, "url": rec.uri, "source": path, "date": rec.date}
            if rec.block is None:
                yield _too_large(base, rec.length, limit, f"record at offset {rec.offset}: ")
                continue
            stats.bytes += rec.length
            if wet:
                yield {**base, "text": rec.block.decode("utf-8", "replace")}
                continue
            try:
                msg = parse_http(rec.block, limit)
            except DecompressionLimit:
                yield _too_large(base, limit + 1, limit, "decoded body: more than ")
                continue
            except BodyError as e:
                yield {**base, "reason": e.reason, "detail": str(e)}
                continue
            if msg.status is not None and not 200 <= msg.status < 300:
                stats.skipped[f"http_{msg.status // 100}xx"] += 1
                continue
            if not _is_html(msg.headers, msg.body):
                stats.skipped["non_html"] += 1
                continue
            html, _codec = decode_html(msg.body, msg.headers.get("content-type", ""))
            if html[:4096].count("\x00") > len(html[:4096]) // 100:
                yield {**base, "reason": "read.binary", "detail": "payload labelled HTML holds binary data"}
                continue
            yield {**base, "text": None, "html": html}


def _is_html(headers: dict[str, str], body: bytes) -> bool:
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype:
        return ctype in ("text/html", "application/xhtml+xml")
    head = body[:1024].lower()
    return b"<html" in head or b"<!doctype html" in head
