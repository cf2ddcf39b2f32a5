"""Readers on good, broken, empty and oversized inputs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import make_warc

from corpusclean.config import InputConfig
from corpusclean.io.readers import InputError, ReadStats, expand_inputs, read_chunks, read_file
from corpusclean.testing import synth


def read_all(path: Path, fmt: str, **cfg) -> tuple[list[dict], ReadStats]:
    stats = ReadStats()
    return list(read_file(str(path), fmt, InputConfig(**cfg), stats)), stats


def test_warc_responses_become_documents(tmp_path: Path) -> None:
    p = tmp_path / "a.warc.gz"
    ids = make_warc(p, n_pages=5)
    docs, stats = read_all(p, "warc")
    assert [d["id"] for d in docs] == ids
    assert docs[0]["url"] == "https://site0.example/page/0"
    assert docs[0]["html"].startswith("<!DOCTYPE html>")
    assert docs[0]["date"] == "2024-01-15T12:00:00Z"
    assert docs[0]["source"] == str(p)
    assert stats.skipped == {"request": 5, "metadata": 1}
    assert stats.documents == 0  # counted by read_chunks, not by the raw iterator


def test_uncompressed_warc_reads_the_same(tmp_path: Path) -> None:
    a, b = tmp_path / "a.warc.gz", tmp_path / "a.warc"
    make_warc(a, 4)
    make_warc(b, 4, compress=False)
    assert [d["id"] for d in read_all(a, "warc")[0]] == [d["id"] for d in read_all(b, "warc")[0]]


def test_charset_from_http_header_meta_tag_and_detection(tmp_path: Path) -> None:
    text = "Café crème à l'hôtel — déjà vu"
    russian = "Привет, как дела? Это проверка кодировки страницы без объявления. "
    recs = [
        synth.response_record("http://a/1", f"<html><body><p>{text}</p></body></html>".encode("cp1252"),
                              "1", "text/html; charset=windows-1252"),
        synth.response_record("http://a/2", f'<html><head><meta charset="iso-8859-15"></head><body>{text[:20]}</body></html>'
                              .encode("iso-8859-15"), "2", "text/html"),
        synth.response_record("http://a/3", ("<html><body>" + russian * 5 + "</body></html>").encode("cp1251"), "3",
                              "text/html"),
        synth.response_record("http://a/4", b"<html><body>ok \xff\xfe broken</body></html>", "4",
                              "text/html; charset=utf-8"),
    ]
    p = tmp_path / "c.warc.gz"
    synth.write_warc(str(p), recs)
    docs, _ = read_all(p, "warc")
    assert text in docs[0]["html"]
    assert text[:20] in docs[1]["html"]
    assert russian in docs[2]["html"]  # no declaration, not UTF-8: detected
    assert "\ufffd" in docs[3]["html"] and "broken" in docs[3]["html"]


def test_non_html_binary_and_redirects(tmp_path: Path) -> None:
    recs = [
        synth.response_record("http://a/img.png", b"\x89PNG\r\n\x1a\n" + bytes(300), "1", "image/png"),
        synth.response_record("http://a/bin", b"\x00\x01" * 500, "2", "text/html"),
        synth.response_record("http://a/moved", "<html>moved</html>", "3", status=301),
        synth.warc_record("revisit", "http://a/x", b"HTTP/1.1 200 OK\r\n\r\n", "4"),
        synth.response_record("http://a/ok", "<html><body>fine</body></html>", "5"),
    ]
    p = tmp_path / "n.warc.gz"
    synth.write_warc(str(p), recs)
    (chunk,) = list(read_chunks(str(p), "warc", InputConfig(), 100, False))
    assert chunk.docs.column("id").to_pylist() == ["urn:uuid:5"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.binary"]
    assert chunk.stats.skipped == {"non_html": 1, "http_3xx": 1, "revisit": 1}


def test_truncated_warc_keeps_records_before_the_damage(tmp_path: Path) -> None:
    p = tmp_path / "t.warc.gz"
    make_warc(p, 6)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 300])
    docs, stats = read_all(p, "warc")
    assert len(docs) == 5
    assert len(stats.errors) == 1
    err = stats.errors[0]
    assert err["file"] == str(p) and 0 < err["offset"] < len(data) and "truncated" in err["error"]


def test_corrupt_gzip_member_reports_its_offset(tmp_path: Path) -> None:
    recs = [synth.response_record(f"http://a/{i}", f"<html><body>page {i}</body></html>", str(i)) for i in range(4)]
    members = [gzip.compress(r, mtime=0) for r in recs]
    bad = bytearray(members[2])
    bad[20:40] = b"\xff" * 20
    members[2] = bytes(bad)
    p = tmp_path / "bad.warc.gz"
    p.write_bytes(b"".join(members))
    docs, stats = read_all(p, "warc")
    assert [d["id"] for d in docs] == ["urn:uuid:0", "urn:uuid:1"]
    assert stats.errors[0]["offset"] == len(members[0]) + len(members[1])


def test_strict_makes_damage_fatal(tmp_path: Path) -> None:
    p = tmp_path / "t.warc.gz"
    make_warc(p, 3)
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(InputError, match="damaged at byte"):
        list(read_chunks(str(p), "warc", InputConfig(), 100, strict=True))


def test_garbage_file_is_damage_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "junk.warc"
    p.write_bytes(b"this is not a warc file at all\n" * 10)
    docs, stats = read_all(p, "warc")
    assert docs == [] and "expected a WARC record header" in stats.errors[0]["error"]


def test_empty_files_are_fine(tmp_path: Path) -> None:
    for name, fmt in [("e.warc.gz", "warc"), ("e.jsonl", "jsonl"), ("e.jsonl.gz", "jsonl")]:
        p = tmp_path / name
        p.write_bytes(b"" if not name.endswith(".gz") else gzip.compress(b""))
        docs, stats = read_all(p, fmt)
        assert docs == [] and stats.errors == []
        chunks = list(read_chunks(str(p), fmt, InputConfig(), 10, False))
        assert len(chunks) == 1 and chunks[0].docs.num_rows == 0


def test_oversized_records_are_rejected_not_loaded(tmp_path: Path) -> None:
    big = "<html><body>" + "x" * 5000 + "</body></html>"
    recs = [synth.response_record("http://a/big", big, "big"), synth.response_record("http://a/s", "<html>s</html>", "s")]
    p = tmp_path / "big.warc.gz"
    synth.write_warc(str(p), recs)
    (chunk,) = list(read_chunks(str(p), "warc", InputConfig(max_record_bytes=1000), 100, False))
    assert chunk.docs.column("id").to_pylist() == ["urn:uuid:s"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.too_large"]
    assert chunk.rejected.column("url").to_pylist() == ["http://a/big"]

    j = tmp_path / "big.jsonl"
    j.write_text(json.dumps({"text": "y" * 5000}) + "\n" + json.dumps({"text": "small"}) + "\n")
    (chunk,) = list(read_chunks(str(j), "jsonl", InputConfig(max_record_bytes=1000), 100, False))
    assert chunk.docs.column("text").to_pylist() == ["small"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.too_large"]


def test_wet_conversion_records(tmp_path: Path) -> None:
    recs = [synth.warc_record("warcinfo", "", b"x", "0"),
            synth.warc_record("conversion", "http://a/1", b"Plain text here.\nSecond line.", "1")]
    p = tmp_path / "a.warc.wet.gz"
    synth.write_warc(str(p), recs)
    assert expand_inputs([str(p)]) == [(str(p), "wet")]
    docs, stats = read_all(p, "wet")
    assert docs == [{"id": "urn:uuid:1", "url": "http://a/1", "source": str(p), "date": "2024-01-15T12:00:00Z",
                     "text": "Plain text here.\nSecond line."}]
    assert stats.skipped == {"warcinfo": 1}


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_jsonl_plain_gzip_zstd_with_field_names(tmp_path: Path, suffix: str) -> None:
    lines = [json.dumps({"doc_id": 7, "body": "hello", "link": "http://x", "lang": "en"}),
             json.dumps({"body": "no id here"}), "", "{broken", json.dumps(["not", "a", "dict"]),
             json.dumps({"body": 3}), "\xff invalid utf8 line"]
    raw = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
    raw = raw.replace("\xff".encode(), b"\xff")
    data = {"": raw, ".gz": gzip.compress(raw), ".zst": zstandard.ZstdCompressor().compress(raw)}[suffix]
    p = tmp_path / f"d.jsonl{suffix}"
    p.write_bytes(data)
    cfg = InputConfig(id_field="doc_id", text_field="body", url_field="link")
    (chunk,) = list(read_chunks(str(p), "jsonl", cfg, 100, False))
    docs = chunk.docs.to_pylist()
    assert [d["id"] for d in docs] == ["7", f"{p}#1"]
    assert docs[0]["url"] == "http://x" and json.loads(docs[0]["meta"]) == {"lang": "en"}
    assert chunk.rejected.column("reason").to_pylist() == [
        "read.invalid_json", "read.not_an_object", "read.missing_text", "read.invalid_json"]
    assert chunk.stats.errors == []


def test_truncated_gzip_jsonl_keeps_earlier_lines(tmp_path: Path) -> None:
    raw = "".join(json.dumps({"text": f"line {i} " * 20}) + "\n" for i in range(2000)).encode()
    p = tmp_path / "t.jsonl.gz"
    p.write_bytes(gzip.compress(raw)[:-2000])
    docs, stats = read_all(p, "jsonl")
    assert 0 < len(docs) < 2000
    assert docs[-1]["text"].startswith(f"line {len(docs) - 1} ")
    assert len(stats.errors) == 1 and stats.errors[0]["file"] == str(p)


def test_parquet_with_configured_fields(tmp_path: Path) -> None:
    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"key": ["a", None], "content": ["one", "two"], "score": [1.5, 2.5]}), p)
    docs, _ = read_all(p, "parquet", id_field="key", text_field="content")
    assert [d["id"] for d in docs] == ["a", f"{p}#1"]
    assert [d["text"] for d in docs] == ["one", "two"]
    assert json.loads(docs[0]["meta"]) == {"score": 1.5}


def test_corrupt_parquet_is_recorded(tmp_path: Path) -> None:
    p = tmp_path / "bad.parquet"
    p.write_bytes(b"PAR1 not really parquet")
    docs, stats = read_all(p, "parquet")
    assert docs == [] and "unreadable Parquet" in stats.errors[0]["error"]


def test_chunks_are_bounded_and_deterministic(tmp_path: Path) -> None:
    p = tmp_path / "a.warc.gz"
    make_warc(p, 23)
    sizes = [c.docs.num_rows for c in read_chunks(str(p), "warc", InputConfig(), 10, False)]
    assert sizes == [10, 10, 3]


def test_expand_inputs_files_folders_globs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ["b.jsonl", "sub/a.warc.gz", "sub/c.parquet", "notes.txt"]:
        (tmp_path / name).write_bytes(b"")
    found = expand_inputs([str(tmp_path)])
    assert [Path(p).name for p, _ in found] == ["b.jsonl", "a.warc.gz", "c.parquet"]
    assert [f for _, f in found] == ["jsonl", "warc", "parquet"]
    assert len(expand_inputs([str(tmp_path / "sub" / "*.gz"), str(tmp_path / "sub/a.warc.gz")])) == 1
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([str(tmp_path / "missing.warc")])
    with pytest.raises(InputError, match="cannot tell the format"):
        expand_inputs([str(tmp_path / "notes.txt")])
    assert expand_inputs([str(tmp_path / "notes.txt")], "jsonl")[0][1] == "jsonl"
