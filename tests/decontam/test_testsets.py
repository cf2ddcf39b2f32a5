"""decontam.testsets: every format, compressed or not, yields the same items."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusclean.decontam import testsets
from corpusclean.decontam.testsets import TestSetSpec, item_texts

RECORDS = [{"id": "q1", "question": "What colour is the sky on a clear day?", "choices": ["blue", "green"]},
           {"id": "q2", "question": "How many legs has a spider?", "choices": ["six", "eight"]}]
WANT = [("q1", ["What colour is the sky on a clear day?", "blue", "green"]),
        ("q2", ["How many legs has a spider?", "six", "eight"])]


def _compress(data: bytes, kind: str) -> bytes:
    if kind == "gz":
        return gzip.compress(data)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    if kind == "zst":
        return pa.compress(data, "zstd", asbytes=True)  # a zstd frame, as the zstd tool writes
    return data


@pytest.mark.parametrize("kind", ["", "gz", "bz2", "xz", "zst"])
def test_jsonl_any_compression(tmp_path: Path, kind: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in RECORDS).encode()
    path = tmp_path / ("t.jsonl" + (f".{kind}" if kind else ""))
    path.write_bytes(_compress(data, kind))
    spec = TestSetSpec(name="t", path=str(path), fields=["question", "choices"])
    assert list(item_texts(spec)) == WANT


def test_json_csv_tsv_parquet_text(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"test": RECORDS}))
    (tmp_path / "t.csv").write_text('id,question\nq1,"What colour is the sky, today?"\n')
    (tmp_path / "t.tsv").write_text("q1\tWhat colour\n")
    pq.write_table(pa.Table.from_pylist([{"id": "q1", "question": "Sky?"}]), tmp_path / "t.parquet")
    (tmp_path / "t.txt.gz").write_bytes(gzip.compress(b"first item\n\nsecond item\n"))
    assert list(item_texts(TestSetSpec(name="a", path=str(tmp_path / "t.json"), fields=["question"])))[0] == \
        ("q1", ["What colour is the sky on a clear day?"])
    assert list(item_texts(TestSetSpec(name="b", path=str(tmp_path / "t.csv")))) == \
        [("q1", ["What colour is the sky, today?"])]
    assert list(item_texts(TestSetSpec(name="c", path=str(tmp_path / "t.tsv"), header=False))) == \
        [("0", ["q1", "What colour"])]
    assert list(item_texts(TestSetSpec(name="d", path=str(tmp_path / "t.parquet")))) == [("q1", ["Sky?"])]
    assert list(item_texts(TestSetSpec(name="e", path=str(tmp_path / "t.txt.gz")))) == \
        [("0", ["first item"]), ("1", ["second item"])]
    assert len(testsets.test_set_files(TestSetSpec(name="all", path=str(tmp_path)))) == 5


def test_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: invalid JSON"):
        list(item_texts(TestSetSpec(name="t", path=str(bad))))
    with pytest.raises(ValueError, match="does not exist"):
        testsets.test_set_files(TestSetSpec(name="t", path=str(tmp_path / "missing.jsonl")))
