"""JSON Lines and JSON array files: fields, bad lines, damage, bombs, invalid Unicode."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard

from corpusclean.readers import ReadOptions, ReadStats, read_chunks, read_file


def chunk_of(path: Path, **opts):
    chunks = list(read_chunks(str(path), "jsonl", ReadOptions(**opts), 100_000, False))
    assert len(chunks) == 1
    return chunks[0]


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_jsonl_plain_gzip_zstd_with_field_names(tmp_path: Path, suffix: str) -> None:
    lines = [json.dumps({"doc_id": 7, "body": "hello", "link": "http://x", "lang": "en"}),
             json.dumps({"body": "no id here"}), "", "{broken", json.dumps(["not", "a", "dict"]),
             json.dumps({"body": 3})]
    raw = ("\n".join(lines) + "\n").encode() + b"\xff invalid utf8 line\n"
    data = {"": raw, ".gz": gzip.compress(raw), ".zst": zstandard.ZstdCompressor().compress(raw)}[suffix]
    p = tmp_path / f"d.jsonl{suffix}"
    p.write_bytes(data)
    chunk = chunk_of(p, id_field="doc_id", text_field="body", url_field="link")
    docs = chunk.docs.to_pylist()
    assert [d["id"] for d in docs] == ["7", f"{p}#1"]
    assert [d["source_id"] for d in docs] == ["7", None]
    assert docs[0]["url"] == "http://x" and [d["lang"] for d in docs] == ["en", None]  # a typed column
    assert chunk.rejected.column("reason").to_pylist() == [
        "read.invalid_json", "read.not_an_object", "read.missing_text", "read.invalid_utf8"]
    assert chunk.stats.errors == []


def test_truncated_gzip_jsonl_keeps_earlier_lines(tmp_path: Path) -> None:
    raw = "".join(json.dumps({"text": f"line {i} " * 20}) + "\n" for i in range(2000)).encode()
    p = tmp_path / "t.jsonl.gz"
    p.write_bytes(gzip.compress(raw)[:-2000])
    stats = ReadStats()
    rows = list(read_file(str(p), "jsonl", ReadOptions(), stats))
    docs = [r for r in rows if "reason" not in r]
    assert 0 < len(docs) < 2000
    assert docs[-1]["text"].startswith(f"line {len(docs) - 1} ")
    # the line cut by the truncation is a counted rejection, not silently dropped
    assert [r["reason"] for r in rows[len(docs):]] in ([], ["read.invalid_json"])
    assert len(stats.errors) == 1 and stats.errors[0]["file"] == str(p)
    assert "truncated gzip member" in stats.errors[0]["error"] and stats.errors[0]["offset"] == p.stat().st_size


@pytest.mark.parametrize("compress", [gzip.compress, zstandard.ZstdCompressor().compress])
def test_compressed_bomb_line_is_rejected_not_held(tmp_path: Path, compress) -> None:
    raw = (json.dumps({"text": "a" * 30_000_000}) + "\n" + json.dumps({"text": "after"}) + "\n").encode()
    p = tmp_path / "bomb.jsonl.gz"
    p.write_bytes(compress(raw))
    assert p.stat().st_size < 100_000
    chunk = chunk_of(p, max_record_bytes=1_000_000)
    assert chunk.docs.column("text").to_pylist() == ["after"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.too_large"]


def test_json_array_file(tmp_path: Path) -> None:
    p = tmp_path / "export.json"
    p.write_text(json.dumps([{"id": 1, "text": "first"}, {"id": 2, "text": "second"}, "oops"], indent=2))
    chunk = chunk_of(p)
    assert chunk.docs.column("text").to_pylist() == ["first", "second"]
    assert chunk.docs.column("id").to_pylist() == ["1", "2"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.not_an_object"]
    (tmp_path / "gz.json.gz").write_bytes(gzip.compress(b"\xef\xbb\xbf  [{\"text\": \"bom\"}]"))
    assert chunk_of(tmp_path / "gz.json.gz").docs.column("text").to_pylist() == ["bom"]
    (tmp_path / "big.json").write_text(json.dumps([{"text": "x" * 5000}]))
    assert chunk_of(tmp_path / "big.json", max_record_bytes=1000).rejected.column("reason").to_pylist() == [
        "read.too_large"]
    (tmp_path / "broken.json").write_text('[{"text": "a"},')
    assert chunk_of(tmp_path / "broken.json").rejected.column("reason").to_pylist() == ["read.invalid_json"]


@pytest.mark.parametrize("field", ["text", "url", "id", "extra"])
def test_lone_surrogate_is_that_records_rejection(tmp_path: Path, field: str) -> None:
    bad = {"id": "b", "text": "fine text", "url": "http://x/", "extra": "y"}
    bad[field] = "broken \ud800 value"
    p = tmp_path / "s.jsonl"
    p.write_text("\n".join([json.dumps({"id": "a", "text": "before"}), json.dumps(bad),
                            json.dumps({"id": "c", "text": "after \udc80 \ud83d\ude00 ok"}), json.dumps({"id": "d", "text": "end"})]) + "\n")
    chunk = chunk_of(p)
    assert chunk.docs.column("text").to_pylist() == ["before", "end"]
    rej = chunk.rejected.to_pylist()
    assert [r["reason"] for r in rej] == ["read.invalid_unicode"] * 2
    column = {"id": "source_id"}.get(field, field)  # other fields are columns of their own
    assert rej[0]["detail"] == f"field {column!r} holds a lone surrogate (shown as U+FFFD)"
    assert "\ufffd" in (rej[1]["text"]) and "😀" in rej[1]["text"]


def test_jsonl_whose_first_line_is_an_array_is_still_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "lines.jsonl"
    p.write_text('["an", "array"]\n{"text": "a document"}\n')
    chunk = chunk_of(p)
    assert chunk.docs.column("text").to_pylist() == ["a document"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.not_an_object"]


@pytest.mark.parametrize("bad", [b"hello \xff\xfe world", b"caf\xe9 latin-1", b"cut \xe2\x82"])
def test_invalid_utf8_line_is_rejected_not_repaired(tmp_path: Path, bad: bytes) -> None:
    p = tmp_path / "u.jsonl"
    p.write_bytes(b'{"id": "a", "text": "before"}\n{"id": "b", "text": "' + bad + b'"}\n{"id": "c", "text": "after"}\n')
    chunk = chunk_of(p)
    assert chunk.docs.column("text").to_pylist() == ["before", "after"]
    rej = chunk.rejected.to_pylist()
    assert [r["reason"] for r in rej] == ["read.invalid_utf8"] and rej[0]["detail"].startswith("line 2: ")


def test_html_records_without_text_are_pages_for_extract(tmp_path: Path) -> None:
    # JSONL/Parquet of crawled pages (id, url, html): the text is extract's to make, as for WARC
    page = "<html><body><main><h1>Bridge</h1><p>Engineers reopened the old river bridge on Monday.</p></main></body></html>"
    rows = [{"id": "a", "url": "https://x.example/a", "html": page},
            {"id": "b", "html": page, "text": None},
            {"id": "c", "text": "already text", "html": page},
            {"id": "d", "html": None},
            {"id": "e", "html": page * 100}]
    p = tmp_path / "pages.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    chunk = chunk_of(p, max_record_bytes=5_000)
    docs = chunk.docs.to_pylist()
    assert [(d["source_id"], d["text"], d["html"] == page) for d in docs] == [
        ("a", None, True), ("b", None, True), ("c", "already text", True)]
    assert chunk.rejected.column("reason").to_pylist() == ["read.missing_text", "read.too_large"]

    from corpusclean.pipeline import Pipeline
    from corpusclean.stages.base import get_stage_class

    res = Pipeline([get_stage_class("extract")()]).apply(chunk.docs.to_pylist())
    # extract fills text from html wherever there is html
    assert [d["text"] for d in res.kept_docs] == ["Bridge\n\nEngineers reopened the old river bridge on Monday."] * 3


def test_html_records_are_pages_only_when_a_stage_makes_their_text(tmp_path: Path) -> None:
    # without extract, a text stage would see empty text and reject every page for its length
    from corpusclean import Pipeline
    from corpusclean.stages.base import get_stage_class

    page = "<html><body><main><p>" + "The bridge reopened on Monday after repairs. " * 20 + "</p></main></body></html>"
    p = tmp_path / "pages.jsonl"
    p.write_text("".join(json.dumps({"id": str(i), "html": page}) + "\n" for i in range(3)))
    stats = Pipeline([get_stage_class("gopher_quality")()]).run(str(p), tmp_path / "no-extract", workers=1)
    assert stats["read"]["rejected_by_reason"] == {"read.missing_text": 3}
    stats = Pipeline([get_stage_class("extract")(), get_stage_class("gopher_quality")()]).run(
        str(p), tmp_path / "extract", workers=1)
    assert stats["read"]["documents"] == 3 and stats["stages"][1]["kept"] == 3
