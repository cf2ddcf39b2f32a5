"""Schema probing beyond the sample: a field null, empty or missing in the first SAMPLE_LINES lines
is typed by later lines, never a conflict; a real conflict is still ``read.schema_conflict``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import yaml
from click.testing import CliRunner
from conftest import cli_passthrough

from corpusclean.cli import main
from corpusclean.readers import ReadOptions, ReadStats, read_file
from corpusclean.readers.schema import SAMPLE_LINES, probe_schema

N = SAMPLE_LINES + 100  # the interesting line is past the sample
TEXT = "The regional rail timetable changes on the first of next month for every line."


def _run(tmp_path: Path, rows: list[dict], name: str = "d.jsonl") -> tuple[dict, pa.Table, list[dict]]:
    inp = tmp_path / name
    inp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    stats = cli_passthrough(inp, out)
    rejected = out / "00_read" / "rejected"
    rej = pq.read_table(rejected).to_pylist() if rejected.exists() and any(rejected.iterdir()) else []
    return stats, ds.dataset(out / "final").to_table(), rej


def _doc(i: int, **fields) -> dict:
    return {"id": f"d{i}", "text": f"{TEXT} {i}", **fields}


def _assert_all_kept(stats: dict, table: pa.Table, n: int) -> None:
    assert stats["read"]["documents"] == n and stats["read"].get("rejected_by_reason", {}) == {}
    assert table.num_rows == n


def test_null_in_the_sample_then_int(tmp_path: Path) -> None:
    rows = [_doc(i, x=None if i < N else 5) for i in range(N + 100)]
    stats, t, _ = _run(tmp_path, rows)
    _assert_all_kept(stats, t, N + 100)
    assert t.schema.field("x").type == pa.int64()
    assert t.column("x").to_pylist() == [None] * N + [5] * 100


def test_empty_list_in_the_sample_then_ints(tmp_path: Path) -> None:
    rows = [_doc(i, tags=[] if i < N else [1, 2]) for i in range(N + 10)]
    stats, t, _ = _run(tmp_path, rows)
    _assert_all_kept(stats, t, N + 10)
    assert t.schema.field("tags").type == pa.list_(pa.int64())
    assert t.column("tags").to_pylist()[-1] == [1, 2]


def test_null_struct_field_in_the_sample_then_string(tmp_path: Path) -> None:
    rows = [_doc(i, meta={"lang": None, "n": i} if i < N else {"lang": "en", "n": i}) for i in range(N + 5)]
    stats, t, _ = _run(tmp_path, rows)
    _assert_all_kept(stats, t, N + 5)
    assert t.schema.field("meta").type == pa.struct([("lang", pa.string()), ("n", pa.int64())])
    assert t.column("meta").to_pylist()[-1] == {"lang": "en", "n": N + 4}


def test_field_first_seen_after_the_sample_is_a_column(tmp_path: Path) -> None:
    rows = [_doc(i) if i < N else _doc(i, late={"k": "v"}, later=None) for i in range(N + 20)]
    rows[-1]["last_line_only"] = 1.5
    stats, t, _ = _run(tmp_path, rows)
    _assert_all_kept(stats, t, N + 20)
    assert t.schema.field("late").type == pa.struct([("k", pa.string())])
    assert t.schema.field("last_line_only").type == pa.float64()
    assert t.column("last_line_only").to_pylist()[-2:] == [None, 1.5]
    assert t.column("late").to_pylist()[N] == {"k": "v"}


def test_a_real_conflict_after_the_sample_is_still_rejected(tmp_path: Path) -> None:
    rows = [_doc(i, n=i) for i in range(N + 3)]
    rows[N]["n"] = "not a number"           # int64 is determined by the sample
    rows[N + 1]["z"] = None                 # undetermined, then a list: typed list<string>
    rows[N + 2]["z"] = ["a"]
    stats, t, rej = _run(tmp_path, rows)
    assert stats["read"]["documents"] == N + 2
    assert stats["read"]["rejected_by_reason"] == {"read.schema_conflict": 1}
    assert rej[0]["id"] == f"d{N}"
    assert rej[0]["detail"] == "field 'n' is int64 in the run's input schema but string here"
    assert t.schema.field("z").type == pa.list_(pa.string())


def test_probe_merges_files_and_stays_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(json.dumps(_doc(i, x=None, y=[])) + "\n" for i in range(N)))
    b.write_text("".join(json.dumps(_doc(i, x=None if i < N else 2.5)) + "\n" for i in range(N + 1)))
    files = [(str(a), "jsonl"), (str(b), "jsonl")]
    first = probe_schema(files, ReadOptions())
    assert first == probe_schema(files, ReadOptions())
    assert first.field("x").type == pa.float64() and first.field("y").type == pa.list_(pa.null())


def test_null_and_wrongly_typed_text_details(tmp_path: Path) -> None:
    p = tmp_path / "t.jsonl"
    p.write_text('{"text": null}\n{"body": "x"}\n{"text": 3}\n{"text": ["a"]}\n')
    rows = list(read_file(str(p), "jsonl", ReadOptions(), ReadStats()))
    assert [r["reason"] for r in rows] == ["read.missing_text"] * 4
    assert [r["detail"] for r in rows] == ["field 'text' is null", "field 'text' is absent",
                                           "field 'text' is a JSON number, not a string",
                                           "field 'text' is a JSON array, not a string"]


def test_parquet_date_types_are_the_warc_style_string_column(tmp_path: Path) -> None:
    """``date`` is a string column (DOC_SCHEMA, as WARC-Date): Parquet date32 and timestamps become
    ISO 8601; a UTC-aware timestamp is written like WARC-Date (``…Z``)."""
    when = dt.datetime(2021, 5, 6, 7, 8, 9)
    for name, arr, want in [
        ("d32", pa.array([dt.date(2021, 5, 6)], pa.date32()), "2021-05-06"),
        ("tsutc", pa.array([when], pa.timestamp("ms", tz="UTC")), "2021-05-06T07:08:09Z"),
        ("tsplus2", pa.array([when], pa.timestamp("s", tz="+02:00")), "2021-05-06T07:08:09Z"),
    ]:
        sub = tmp_path / name
        sub.mkdir()
        pq.write_table(pa.table({"text": [TEXT], "date": arr}), sub / "d.parquet")
        out = sub / "out"
        cfg = sub / "cfg.yaml"
        cfg.write_text(yaml.safe_dump({"input": str(sub / "d.parquet"), "output": str(out),
                                       "stages": [{"passthrough": {}}], "executor": {"kind": "local", "workers": 1}}))
        assert CliRunner().invoke(main, ["run", str(cfg), "--quiet"]).exit_code == 0
        t = pq.read_table(out / "final")
        assert t.schema.field("date").type == pa.string()
        assert t.column("date").to_pylist() == [want], name
