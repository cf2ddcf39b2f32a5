"""The HTTP message inside a WARC/ARC response record: status, headers and the decoded body.

* ``Transfer-Encoding: chunked`` is undone (RFC 9112 §7.1); a body cut short by the crawler (no
  final zero-size chunk) keeps every complete and partial chunk's data, never the size lines.
  A body that says chunked but is not (writers that stored the de-chunked body and kept the
  header) is passed on as it is.
* ``Content-Encoding`` (RFC 9110 §8.4) gzip, x-gzip, deflate (zlib or raw), br and zstd are
  undone in reverse order of application. Every decompressor stops at ``limit`` bytes, so a small
  "bomb" cannot inflate in memory: the record is then rejected ``read.too_large``. A body whose
  bytes are not in the declared encoding (writers that stored the decoded body and kept the
  header) is passed on as it is; an encoding we cannot undo (``compress``, ``sdch``, …) or a body
  that fails to decode is a :class:`BodyError` naming the encoding.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass

from corpusclean.io.files import DecompressionLimit, open_decompressed

#: the blank line ending the HTTP head (CRLF CRLF, LF LF, or the CR CR LF of some old writers)
_HEAD_END = re.compile(rb"\r*\n\r*\n")


class BodyError(Exception):
    """The body cannot be decoded; ``reason`` is the rejection reason, ``str(e)`` the detail."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass
class HttpMessage:
    """A parsed response: ``status`` (None if the block is not HTTP), lower-cased headers, body."""

    status: int | None
    headers: dict[str, str]
    body: bytes


def parse_headers(lines: list[bytes]) -> dict[str, str]:
    """``Name: value`` lines to a dict with lower-cased names and stripped values (last wins)."""
    headers: dict[str, str] = {}
    for line in lines:
        text = line.decode("latin-1")
        if ":" in text:
            k, v = text.split(":", 1)
            headers[k.strip().lower()] = " ".join(v.split())
    return headers


def dechunk(body: bytes) -> bytes | None:
    """Undo chunked transfer coding; a truncated body gives the data it holds; None if not chunked."""
    out = bytearray()
    pos = 0
    while pos < len(body):
        nl = body.find(b"\n", pos)
        line = body[pos:] if nl < 0 else body[pos:nl]
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            return None if pos == 0 else bytes(out)
        if size < 0:
            return None if pos == 0 else bytes(out)
        if size == 0 or nl < 0:
            return bytes(out)
        out += body[nl + 1: nl + 1 + size]
        pos = nl + 1 + size
        while body[pos:pos + 1] in (b"\r", b"\n") and pos < len(body):  # the CRLF after the data
            pos += 1
    return bytes(out)


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(body, limit + 1)
    if len(out) > limit:
        raise DecompressionLimit(limit)
    return out


def _brotli(body: bytes, limit: int) -> bytes:
    import brotli

    d = brotli.Decompressor()
    out = d.process(body, output_buffer_limit=limit + 1)
    if len(out) > limit or not d.is_finished() and not d.can_accept_more_data():
        raise DecompressionLimit(limit)
    return out


def decode_content(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo one content coding; :class:`DecompressionLimit` past ``limit`` bytes."""
    if encoding in ("identity", "none", ""):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            if body[:2] != b"\x1f\x8b":
                return body  # stored already decoded
            return open_decompressed(io.BytesIO(body), limit=limit).read()
        if encoding == "zstd":
            if body[:4] != b"\x28\xb5\x2f\xfd":
                return body
            return open_decompressed(io.BytesIO(body), limit=limit).read()
        if encoding == "deflate":
            if body[:1] == b"<" or not body:
                return body
            try:
                return _inflate(body, 15, limit)  # zlib wrapper, as RFC 9110 says
            except zlib.error:
                return _inflate(body, -15, limit)  # raw deflate, as some servers send
        if encoding == "br":
            if body[:1] == b"<":
                return body
            return _brotli(body, limit)
    except DecompressionLimit:
        raise
    except Exception as e:  # zlib.error, brotli.error, OSError/EOFError from gzip, ArrowInvalid from zstd
        raise BodyError("read.content_encoding", f"Content-Encoding {encoding}: cannot decode ({e})") from None
    raise BodyError("read.content_encoding", f"Content-Encoding {encoding!r} is not supported")


def parse_http(block: bytes, limit: int) -> HttpMessage:
    """Split an HTTP response block; undo transfer and content codings (see module docstring).

    Raises :class:`DecompressionLimit` (body larger than ``limit`` once decoded) or
    :class:`BodyError`.
    """
    end = _HEAD_END.search(block, 0, 1 << 20)
    if not block.startswith(b"HTTP/") or end is None:
        return HttpMessage(None, {}, block)
    sep, seplen = end.start(), end.end() - end.start()
    head = block[:sep].split(b"\n")
    parts = head[0].split()
    status = int(parts[1][:3]) if len(parts) >= 2 and parts[1][:3].isdigit() else None
    headers = parse_headers(head[1:])
    body = block[sep + seplen:]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        plain = dechunk(body)
        body = body if plain is None else plain
    codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",") if c.strip()]
    for coding in reversed(codings):
        body = decode_content(body, coding, limit)
    return HttpMessage(status, headers, body)
