"""HTTP payloads in WARC responses: transfer and content codings, bombs, undecodable bodies."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard

from corpusclean.readers import ReadOptions, read_chunks
from corpusclean.readers.http import dechunk
from corpusclean.testing import synth


def http(body: bytes, headers: str) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{headers}\r\n".encode() + body


def read(tmp_path: Path, blocks: list[bytes], **opts):
    recs = [synth.warc_record("response", f"http://a/{i}", b, str(i))
            for i, b in enumerate(blocks)]
    p = tmp_path / "e.warc.gz"
    synth.write_warc(str(p), recs)
    (chunk,) = list(read_chunks(str(p), "warc", ReadOptions(**opts), 1000, False))
    return chunk


def page(word: str) -> bytes:
    return f"<html><body><p>{word} encoded article</p></body></html>".encode()


ENCODERS = {
    "br": brotli.compress,
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "x-gzip": lambda b: gzip.compress(b, mtime=0),
    "zstd": zstandard.ZstdCompressor().compress,
    "deflate": zlib.compress,
}


def test_case_read_content_encoding_br_gzip_zstd(tmp_path: Path) -> None:
    blocks = [http(ENCODERS[e](page(w)), f"Content-Encoding: {e}\r\n")
              for e, w in (("br", "Brotli"), ("gzip", "Gzip"), ("zstd", "Zstd"))]
    chunk = read(tmp_path, blocks)
    assert chunk.rejected.num_rows == 0
    assert [h.split("<p>")[1].split(" ")[0] for h in chunk.docs.column("html").to_pylist()] == ["Brotli", "Gzip", "Zstd"]


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_every_coding_with_chunked_transfer(tmp_path: Path, encoding: str) -> None:
    data = ENCODERS[encoding](page(encoding))
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 7]), data[i:i + 7]) for i in range(0, len(data), 7)) + b"0\r\n\r\n"
    chunk = read(tmp_path, [http(chunked, f"Transfer-Encoding: chunked\r\nContent-Encoding: {encoding}\r\n")])
    assert f"{encoding} encoded article" in chunk.docs.column("html")[0].as_py()


def test_raw_deflate_and_mislabelled_bodies(tmp_path: Path) -> None:
    raw = zlib.compressobj(wbits=-15)
    deflated = raw.compress(page("Raw")) + raw.flush()
    chunk = read(tmp_path, [http(deflated, "Content-Encoding: deflate\r\n"),
                            http(page("Plain"), "Content-Encoding: gzip\r\n"),  # stored already decoded
                            http(page("Twice"), "Content-Encoding: identity\r\n"),
                            http(page("None"), "Content-Encoding: none\r\n"),
                            http(brotli.compress(gzip.compress(page("Chain"))), "Content-Encoding: GZIP, br\r\n")])
    assert [h.split("<p>")[1].split(" ")[0] for h in chunk.docs.column("html").to_pylist()] == [
        "Raw", "Plain", "Twice", "None", "Chain"]


def test_truncated_chunked_body_keeps_data_without_size_lines() -> None:
    body = b"18\r\n<html><body><p>Hello the\r\n10\r\nre, partial page"
    assert dechunk(body) == b"<html><body><p>Hello there, partial page"
    assert dechunk(b"5\r\nhello\r\n0\r\n\r\n") == b"hello"
    assert dechunk(b"<html>not chunked</html>") is None


def test_unsupported_or_broken_encoding_is_a_named_rejection(tmp_path: Path) -> None:
    chunk = read(tmp_path, [http(b"\x1f\x9d\x90abc", "Content-Encoding: compress\r\n"),
                            http(b"\x1f\x8b\x08\x00garbage-not-gzip", "Content-Encoding: gzip\r\n"),
                            http(b"\xff\xff\xff\xff garbage", "Content-Encoding: br\r\n")])
    assert chunk.docs.num_rows == 0
    assert chunk.rejected.column("reason").to_pylist() == ["read.content_encoding"] * 3
    details = chunk.rejected.column("detail").to_pylist()
    assert "'compress'" in details[0] and "gzip" in details[1] and "br" in details[2]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_content_encoding_bomb_stops_at_the_limit(tmp_path: Path, encoding: str) -> None:
    bomb = ENCODERS[encoding](b"<html><body>" + b"A" * 20_000_000)
    assert len(bomb) < 30_000
    chunk = read(tmp_path, [http(bomb, f"Content-Encoding: {encoding}\r\n"), http(page("Fine"), "")],
                 max_record_bytes=1_000_000)
    assert chunk.rejected.column("reason").to_pylist() == ["read.too_large"]
    assert chunk.docs.num_rows == 1
