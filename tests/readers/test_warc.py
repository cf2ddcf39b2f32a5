"""WARC/ARC reading: documents, kinds skipped, damage and recovery, size limits, header values."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from conftest import make_warc

from corpusclean.readers import InputError, ReadOptions, ReadStats, read_chunks, read_file
from corpusclean.testing import synth


def read_all(path: Path, fmt: str = "warc", **opts) -> tuple[list[dict], ReadStats]:
    stats = ReadStats()
    return list(read_file(str(path), fmt, ReadOptions(**opts), stats)), stats


def chunk_of(path: Path, fmt: str = "warc", **opts):
    (chunk,) = list(read_chunks(str(path), fmt, ReadOptions(**opts), 1000, False))
    return chunk


def pages(n: int) -> list[bytes]:
    return [synth.response_record(f"http://a/{i}", f"<html><body>page {i}</body></html>", str(i)) for i in range(n)]


def with_length(record: bytes, value: str) -> bytes:
    i = record.index(b"Content-Length: ") + 16
    j = record.index(b"\r", i)
    return record[:i] + value.encode() + record[j:]


def test_warc_responses_become_documents(tmp_path: Path) -> None:
    p = tmp_path / "a.warc.gz"
    ids = make_warc(p, n_pages=5)
    docs, stats = read_all(p)
    assert [d["source_id"] for d in docs] == ids
    assert docs[0]["url"] == "https://site0.example/page/0"
    assert docs[0]["html"].startswith("<!DOCTYPE html>")
    assert docs[0]["date"] == "2024-01-15T12:00:00Z"
    assert docs[0]["source"] == str(p)
    assert stats.skipped == {"request": 5, "metadata": 1}
    assert chunk_of(p).docs.column("id").to_pylist() == ids  # one input file: its own ids


def test_uncompressed_warc_reads_the_same(tmp_path: Path) -> None:
    a, b = tmp_path / "a.warc.gz", tmp_path / "a.warc"
    make_warc(a, 4)
    make_warc(b, 4, compress=False)
    assert [d["source_id"] for d in read_all(a)[0]] == [d["source_id"] for d in read_all(b)[0]]


def test_non_html_binary_redirects_and_revisits_counted_by_kind(tmp_path: Path) -> None:
    recs = [
        synth.response_record("http://a/img.png", b"\x89PNG\r\n\x1a\n" + bytes(300), "1", "image/png"),
        synth.response_record("http://a/bin", b"\x00\x01" * 500, "2", "text/html"),
        synth.response_record("http://a/moved", "<html>moved</html>", "3", status=301),
        synth.response_record("http://a/gone", "<html>gone</html>", "6", status=404),
        synth.warc_record("revisit", "http://a/x", b"HTTP/1.1 200 OK\r\n\r\n", "4"),
        synth.response_record("http://a/ok", "<html><body>fine</body></html>", "5"),
    ]
    p = tmp_path / "n.warc.gz"
    synth.write_warc(str(p), recs)
    chunk = chunk_of(p)
    assert chunk.docs.column("id").to_pylist() == ["urn:uuid:5"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.binary"]
    assert chunk.stats.skipped == {"non_html": 1, "http_3xx": 1, "http_4xx": 1, "revisit": 1}


def test_truncated_warc_keeps_records_before_the_damage(tmp_path: Path) -> None:
    p = tmp_path / "t.warc.gz"
    make_warc(p, 6)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 300])
    docs, stats = read_all(p)
    assert len(docs) == 5
    assert len(stats.errors) == 1
    err = stats.errors[0]
    assert err["file"] == str(p) and 0 < err["offset"] < len(data) and "truncated" in err["error"]


@pytest.mark.parametrize("at", [0, 2, 3])
def test_corrupt_gzip_member_reports_its_offset_and_later_records_are_kept(tmp_path: Path, at: int) -> None:
    members = [gzip.compress(r, mtime=0) for r in pages(4)]
    bad = bytearray(members[at])
    bad[20:40] = b"\xff" * 20
    members[at] = bytes(bad)
    p = tmp_path / "bad.warc.gz"
    p.write_bytes(b"".join(members))
    docs, stats = read_all(p)
    assert [d["source_id"] for d in docs] == [f"urn:uuid:{i}" for i in range(4) if i != at]
    assert len(stats.errors) == 1 and stats.errors[0]["offset"] == sum(len(m) for m in members[:at])


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("delta", [-5, +7, +5000])
def test_content_length_a_little_off_loses_only_that_record(tmp_path: Path, compress: bool, delta: int) -> None:
    recs = pages(5)
    n = int(recs[2].split(b"Content-Length: ")[1].split(b"\r")[0])
    recs[2] = with_length(recs[2], str(n + delta))
    p = tmp_path / ("cl.warc.gz" if compress else "cl.warc")
    synth.write_warc(str(p), recs, compress=compress)
    docs, stats = read_all(p)
    got = [d["source_id"] for d in docs]
    assert {"urn:uuid:0", "urn:uuid:1", "urn:uuid:3", "urn:uuid:4"} <= set(got)
    # fastwarc absorbs a few surplus bytes of a plain record silently; anything else is reported
    assert len(stats.errors) == (0 if (delta, compress) == (7, False) else 1)
    assert all(e["file"] == str(p) for e in stats.errors)


@pytest.mark.parametrize("value", ["-50", "abc", ""])
def test_invalid_or_negative_content_length_is_damage_not_a_document(tmp_path: Path, value: str) -> None:
    recs = pages(4)
    recs[1] = with_length(recs[1], value)
    for compress in (True, False):
        p = tmp_path / f"neg{compress}.warc{'.gz' if compress else ''}"
        synth.write_warc(str(p), recs, compress=compress)
        docs, stats = read_all(p)
        assert [d["source_id"] for d in docs] == ["urn:uuid:0", "urn:uuid:2", "urn:uuid:3"]
        assert stats.errors and stats.errors[0]["offset"] > 0
        assert all("WARC/1" not in (d["html"] or "") for d in docs)


def test_strict_makes_damage_fatal(tmp_path: Path) -> None:
    p = tmp_path / "t.warc.gz"
    make_warc(p, 3)
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(InputError, match="damaged at byte"):
        list(read_chunks(str(p), "warc", ReadOptions(), 100, strict=True))


@pytest.mark.parametrize("junk", [b"this is not a warc file at all\n" * 10, b"\x1f\x8b\x08garbage" * 3, b"\x00" * 50])
def test_garbage_file_is_damage_not_a_crash(tmp_path: Path, junk: bytes) -> None:
    p = tmp_path / "junk.warc"
    p.write_bytes(junk)
    docs, stats = read_all(p)
    assert docs == [] and len(stats.errors) == 1 and stats.errors[0]["offset"] == 0


def test_garbage_between_records_is_skipped_with_its_offset(tmp_path: Path) -> None:
    recs = pages(3)
    p = tmp_path / "mid.warc"
    p.write_bytes(recs[0] + b"some junk the writer left\r\n" + recs[1] + recs[2])
    docs, stats = read_all(p)
    assert [d["source_id"] for d in docs] == ["urn:uuid:0", "urn:uuid:1", "urn:uuid:2"]
    assert len(stats.errors) == 1


def test_oversized_records_are_rejected_not_loaded(tmp_path: Path) -> None:
    big = "<html><body>" + "x" * 5000 + "</body></html>"
    recs = [synth.response_record("http://a/big", big, "big"), synth.response_record("http://a/s", "<html>s</html>", "s")]
    p = tmp_path / "big.warc.gz"
    synth.write_warc(str(p), recs)
    chunk = chunk_of(p, max_record_bytes=1000)
    assert chunk.docs.column("id").to_pylist() == ["urn:uuid:s"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.too_large"]
    assert chunk.rejected.column("url").to_pylist() == ["http://a/big"]


def test_wet_conversion_records(tmp_path: Path) -> None:
    recs = [synth.warc_record("warcinfo", "", b"x", "0"),
            synth.warc_record("conversion", "http://a/1", b"Plain text here.\nSecond line.", "1")]
    p = tmp_path / "a.warc.wet.gz"
    synth.write_warc(str(p), recs)
    docs, stats = read_all(p, "wet")
    assert docs == [{"source_id": "urn:uuid:1", "url": "http://a/1", "source": str(p),
                     "date": "2024-01-15T12:00:00Z", "text": "Plain text here.\nSecond line."}]
    assert stats.skipped == {"warcinfo": 1}


def _bracketed(url: str, rid: str, target: str) -> bytes:
    rec = synth.response_record(url, "<html><body>x</body></html>", rid)
    return rec.replace(f"WARC-Target-URI: {url}".encode(), f"WARC-Target-URI: {target}".encode())


@pytest.mark.parametrize("target", ["<https://news.example/a.html>", "  <https://news.example/a.html>  ",
                                    "< https://news.example/a.html >", "https://news.example/a.html\t"])
def test_header_values_lose_angle_brackets_and_whitespace(tmp_path: Path, target: str) -> None:
    p = tmp_path / "b.warc.gz"
    synth.write_warc(str(p), [_bracketed("https://news.example/a.html", "1", target)])
    (doc,) = read_all(p)[0]
    assert doc["url"] == "https://news.example/a.html" and doc["source_id"] == "urn:uuid:1"


# --------------------------------------------------------------------------------------- ARC
ARC_BODY = b"1 0 Example\nURL IP-address Archive-date Content-type Archive-length\n"
ARC_HEAD = b"filedesc://crawl.arc 0.0.0.0 20010601120000 text/plain %d\n%s" % (len(ARC_BODY), ARC_BODY)


def arc_record(url: str, html: str, status: str = "200 OK") -> bytes:
    http = f"HTTP/1.0 {status}\r\nContent-Type: text/html\r\n\r\n{html}".encode()
    return f"{url} 192.0.2.1 20010601120500 text/html {len(http)}\n".encode() + http + b"\n"


def write_arc(path: Path, records: list[bytes], compress: bool) -> None:
    parts = [ARC_HEAD + b"\n"] + records
    path.write_bytes(b"".join(gzip.compress(r, mtime=0) for r in parts) if compress else b"".join(parts))


@pytest.mark.parametrize("compress", [False, True])
def test_arc_files_give_their_pages(tmp_path: Path, compress: bool) -> None:
    recs = [arc_record("http://lib.test/opening-hours.html", "<html><body><p>Opening hours</p></body></html>"),
            arc_record("http://lib.test/moved.html", "<html>moved</html>", "302 Found"),
            arc_record("http://lib.test/new-books.html", "<html><body><p>New books</p></body></html>")]
    p = tmp_path / ("a.arc.gz" if compress else "a.arc")
    write_arc(p, recs, compress)
    docs, stats = read_all(p)
    assert [d["url"] for d in docs] == ["http://lib.test/opening-hours.html", "http://lib.test/new-books.html"]
    assert "Opening hours" in docs[0]["html"] and docs[0]["source_id"] is None
    assert stats.errors == [] and stats.skipped == {"warcinfo": 1, "http_3xx": 1}


def test_damaged_arc_record_keeps_the_others(tmp_path: Path) -> None:
    recs = [arc_record(f"http://lib.test/{i}.html", f"<html><body><p>page {i}</p></body></html>") for i in range(4)]
    members = [gzip.compress(r, mtime=0) for r in [ARC_HEAD + b"\n"] + recs]
    bad = bytearray(members[2])
    bad[15:30] = b"\xff" * 15
    members[2] = bytes(bad)
    p = tmp_path / "d.arc.gz"
    p.write_bytes(b"".join(members))
    docs, stats = read_all(p)
    assert [d["url"] for d in docs] == ["http://lib.test/0.html", "http://lib.test/2.html", "http://lib.test/3.html"]
    assert len(stats.errors) == 1


def test_reader_accepts_any_seekable_stream() -> None:
    from corpusclean.readers.warc import iter_records

    data = b"".join(gzip.compress(r, mtime=0) for r in pages(3))
    got = [r.offset for r in iter_records(io.BytesIO(data), 10**6, lambda o, m: None)]
    assert got[0] == 0 and len(got) == 3
