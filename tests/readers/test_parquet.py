"""Parquet and Arrow inputs, and Hugging Face ``save_to_disk`` folders."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.readers import ReadOptions, ReadStats, expand_inputs, read_chunks, read_file


def chunk_of(path: Path, fmt: str = "parquet", **opts):
    (chunk,) = list(read_chunks(str(path), fmt, ReadOptions(**opts), 100_000, False))
    return chunk


def test_parquet_with_configured_fields(tmp_path: Path) -> None:
    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"key": ["a", None], "content": ["one", "two"], "score": [1.5, 2.5]}), p)
    docs = chunk_of(p, id_field="key", text_field="content").docs.to_pylist()
    assert [d["id"] for d in docs] == ["a", f"{p}#1"]
    assert [d["text"] for d in docs] == ["one", "two"]
    assert [d["score"] for d in docs] == [1.5, 2.5]


def test_corrupt_parquet_is_recorded(tmp_path: Path) -> None:
    p = tmp_path / "bad.parquet"
    p.write_bytes(b"PAR1 not really parquet")
    stats = ReadStats()
    assert list(read_file(str(p), "parquet", ReadOptions(), stats)) == []
    assert "unreadable Parquet" in stats.errors[0]["error"]


def _invalid_utf8_strings(values: list[bytes]) -> pa.Array:
    binary = pa.array(values, pa.binary())
    return pa.Array.from_buffers(pa.string(), len(binary), binary.buffers())


def test_invalid_utf8_in_a_string_column_rejects_only_that_row(tmp_path: Path) -> None:
    p = tmp_path / "u.parquet"
    text = _invalid_utf8_strings([b"good one", b"bad \xff\xfe text", b"good two"])
    url = _invalid_utf8_strings([b"http://a/", b"http://b/", b"http://c/\xc3"])
    pq.write_table(pa.table({"id": ["1", "2", "3"], "text": text, "url": url}), p)
    chunk = chunk_of(p)
    assert chunk.docs.column("text").to_pylist() == ["good one"]
    rej = chunk.rejected.to_pylist()
    assert [(r["id"], r["reason"]) for r in rej] == [("2", "read.invalid_utf8"), ("3", "read.invalid_utf8")]
    assert "'text'" in rej[0]["detail"] and "'url'" in rej[1]["detail"]
    assert rej[0]["text"] == "bad \ufffd\ufffd text"


def test_arrow_stream_file(tmp_path: Path) -> None:
    p = tmp_path / "d.arrow"
    table = pa.table({"id": [10, 11], "text": ["alpha", "beta"]})
    with pa.OSFile(str(p), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    assert expand_inputs([str(p)]) == [(str(p), "arrow")]
    assert chunk_of(p, "arrow").docs.column("id").to_pylist() == ["10", "11"]


def test_hugging_face_save_to_disk_folders(tmp_path: Path) -> None:
    datasets = __import__("pytest").importorskip("datasets")
    ds = datasets.Dataset.from_dict({"id": [0, 1, 2], "text": ["one", "two", "three"]})
    ds.save_to_disk(str(tmp_path / "single"))
    datasets.DatasetDict({"train": ds, "test": ds.select([0])}).save_to_disk(str(tmp_path / "dict"))
    single = expand_inputs([str(tmp_path / "single")])
    assert [(Path(p).suffix, f) for p, f in single] == [(".arrow", "arrow")]
    assert chunk_of(Path(single[0][0]), "arrow").docs.column("text").to_pylist() == ["one", "two", "three"]
    both = expand_inputs([str(tmp_path)])  # a folder holding both: metadata JSON never read as data
    assert all(f == "arrow" for _, f in both) and len(both) == 3
    assert {Path(p).parent.name for p, _ in both} == {"single", "train", "test"}
