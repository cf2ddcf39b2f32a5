"""A JSONL or Parquet ``date`` lands in the ``date`` column, as a WARC record's date does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.config import parse_config
from corpusclean.readers import sample_path
from corpusclean.runner import run


def _kept(out: Path) -> pa.Table:
    return pq.read_table(out / "final")  # the clean dataset: kept documents only


def _run(inp: Path, out: Path) -> pa.Table:
    run(parse_config({"input": str(inp), "output": str(out), "executor": {"kind": "local", "workers": 1},
                      "stages": [{"passthrough": {}}]}), progress=False)
    return _kept(out)


def test_jsonl_date_is_the_date_column(tmp_path: Path) -> None:
    rows = [{"id": "a", "text": "x y z", "date": "2019-04-01T10:00:00Z", "lang": "en"},
            {"id": "b", "text": "p q r"},
            {"id": "c", "text": "s t u", "date": "2020-01-02"}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    t = _run(tmp_path / "d.jsonl", tmp_path / "out")
    assert t.column("date").to_pylist() == ["2019-04-01T10:00:00Z", None, "2020-01-02"]
    assert t.column("lang").to_pylist() == ["en", None, None]  # other fields: typed columns
    assert "meta" not in t.column_names


def test_parquet_timestamp_date_is_iso(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": ["a b c"], "date": pa.array([dt.datetime(2021, 5, 6, 7, 8, 9)],
                                                                 pa.timestamp("s"))}), tmp_path / "d.parquet")
    t = _run(tmp_path / "d.parquet", tmp_path / "out")
    assert t.column("date").to_pylist() == ["2021-05-06T07:08:09"]


def test_warc_date_lands_in_the_same_column(tmp_path: Path) -> None:
    t = _run(sample_path(), tmp_path / "out")
    assert t.column("date").null_count == 0 and t.column("date")[0].as_py().startswith("20")
