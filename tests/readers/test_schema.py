"""Typed extra columns (corpusclean/readers/schema.py): JSONL/Parquet fields reach final/ with their
types; a record that does not fit the run's schema is one counted ``read.schema_conflict``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.readers import ReadOptions, read_chunks, schema
from corpusclean.readers.schema import probe_schema, schema_changes, schema_to_json

TEXT = "The regional rail timetable changes on the first of next month for every line. "


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _config(tmp_path: Path, inputs: list[Path] | Path, stages: list | None = None, **extra) -> Path:
    cfg = {"input": [str(p) for p in inputs] if isinstance(inputs, list) else str(inputs),
           "output": str(tmp_path / "out"), "executor": {"kind": "local", "workers": 1},
           "stages": stages or [{"passthrough": {}}], **extra}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _rows(n: int = 6) -> list[dict]:
    return [{"id": f"d{i}", "text": f"{TEXT} Document {i}.", "n": i, "score": i + 0.25, "ok": i % 2 == 0,
             "lang": "en", "nest": {"tags": [f"t{i}"], "depth": {"k": i}}, "date": f"2020-01-0{i + 1}"}
            for i in range(n)]


def test_jsonl_fields_are_typed_columns_in_final(tmp_path: Path) -> None:
    cfg = _config(tmp_path, _jsonl(tmp_path / "d.jsonl", _rows()), [{"gopher_quality": {"min_doc_words": 5}}])
    res = CliRunner().invoke(main, ["run", str(cfg), "--quiet"])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(tmp_path / "out" / "final")
    assert str(df["n"].dtype) == "int64" and str(df["score"].dtype) == "float64" and str(df["ok"].dtype) == "bool"
    assert df["lang"].tolist() == ["en"] * 6 and df["date"].tolist()[0] == "2020-01-01"
    assert df["nest"].tolist()[3] == {"tags": ["t3"], "depth": {"k": 3}}
    assert "meta" not in df.columns
    t = ds.dataset(tmp_path / "out" / "final").to_table()
    assert t.schema.field("n").type == pa.int64() and t.schema.field("score").type == pa.float64()
    assert t.schema.field("nest").type.field("depth").type == pa.struct([("k", pa.int64())])
    # extra columns come right after the document columns, before the stage's signals
    names = t.column_names
    assert names.index("source_id") < names.index("n") < names.index("gq_word_count")
    # inspect shows signals as signals: the input's own columns are not listed among them
    shown = CliRunner().invoke(main, ["inspect", str(tmp_path / "out"), "--stage", "gopher_quality", "-n", "1",
                                      "--all-signals"])
    assert shown.exit_code == 0 and "gq_word_count=" in shown.output
    assert "score=" not in shown.output and "nest=" not in shown.output


def test_later_line_with_another_type_is_one_rejection(tmp_path: Path) -> None:
    rows = _rows(6)
    rows[4]["n"] = "four"          # string where the sample says int64
    rows[5]["nest"] = {"tags": "x"}  # a struct whose child has another type
    cfg = _config(tmp_path, _jsonl(tmp_path / "d.jsonl", rows))
    assert CliRunner().invoke(main, ["run", str(cfg), "--quiet"]).exit_code == 0
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["read"]["documents"] == 4 and stats["read"]["rejected_by_reason"] == {"read.schema_conflict": 2}
    assert stats["stages"][0]["in"] == stats["stages"][0]["kept"] == 4
    rej = pq.read_table(tmp_path / "out" / "00_read" / "rejected").to_pylist()
    assert [r["id"] for r in rej] == ["d4", "d5"]
    assert rej[0]["detail"] == "field 'n' is int64 in the run's input schema but string here"
    assert rej[0]["n"] is None and rej[0]["score"] == 4.25  # the conflicting value is not stored; the rest is
    assert "field 'nest'" in rej[1]["detail"] and "tags: string" in rej[1]["detail"]


def test_conflict_after_the_sample_and_a_field_the_sample_never_saw_is_a_column(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "SAMPLE_LINES", 3)
    rows = _rows(6)
    rows[3]["score"] = 7           # an int where the schema says double: fits
    rows[4]["n"] = 4.5             # a float where it says int64: does not
    rows[5]["late"] = "new field"  # never seen in the sample: found by the scan of the rest
    p = _jsonl(tmp_path / "d.jsonl", rows)
    (chunk,) = read_chunks(str(p), "jsonl", ReadOptions(), 100, False)
    assert chunk.docs.column("id").to_pylist() == ["d0", "d1", "d2", "d3", "d5"]
    assert chunk.docs.column("score").to_pylist()[3] == 7.0
    assert chunk.docs.column("late").to_pylist() == [None] * 4 + ["new field"]
    assert chunk.rejected.column("detail").to_pylist() == [
        "field 'n' is int64 in the run's input schema but double here"]
    assert chunk.stats.documents + sum(chunk.stats.rejected.values()) == 6


def test_sample_merges_int_and_float_and_keeps_the_first_of_two_types(tmp_path: Path) -> None:
    p = _jsonl(tmp_path / "d.jsonl", [{"text": "a", "x": 1, "y": "s", "z": None, "e": {}},
                                      {"text": "b", "x": 2.5, "y": 3, "z": None, "e": {}}])
    extras = probe_schema([(str(p), "jsonl")], ReadOptions())
    assert extras == pa.schema([("x", pa.float64()), ("y", pa.string()), ("z", pa.null()), ("e", pa.null())])
    (chunk,) = read_chunks(str(p), "jsonl", ReadOptions(), 100, False, extras)
    assert chunk.docs.column("x").to_pylist() == [1.0]
    assert chunk.rejected.column("detail").to_pylist() == [
        "field 'y' is string in the run's input schema but int64 here"]


def test_html_field_is_the_html_column_and_checked(tmp_path: Path) -> None:
    p = _jsonl(tmp_path / "d.jsonl", [{"text": "a", "html": "<p>a</p>"}, {"text": "b", "html": 5}])
    (chunk,) = read_chunks(str(p), "jsonl", ReadOptions(), 100, False)
    assert chunk.docs.column("html").to_pylist() == ["<p>a</p>"]
    assert chunk.rejected.column("reason").to_pylist() == ["read.schema_conflict"]
    assert "field 'html'" in chunk.rejected.column("detail")[0].as_py()


def test_parquet_types_are_kept_and_promoted_across_files(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"text": ["a b", "c d"], "n": pa.array([1, 2], pa.int32()),
                             "when": pa.array([0, 1], pa.timestamp("us")),
                             "tags": pa.array([["x"], []], pa.list_(pa.string()))}), tmp_path / "in" / "a.parquet")
    pq.write_table(pa.table({"text": ["e f"], "n": pa.array([3], pa.int64()), "extra": [True]}),
                   tmp_path / "in" / "b.parquet")
    cfg = _config(tmp_path, tmp_path / "in")
    assert CliRunner().invoke(main, ["run", str(cfg), "--quiet"]).exit_code == 0
    t = pq.read_table(tmp_path / "out" / "final")
    assert t.schema.field("n").type == pa.int64() and t.schema.field("when").type == pa.timestamp("us")
    assert t.schema.field("tags").type == pa.list_(pa.string())
    assert t.column("n").to_pylist() == [1, 2, 3] and t.column("extra").to_pylist() == [None, None, True]


def test_parquet_files_with_conflicting_types_are_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    a, b = tmp_path / "in" / "a.parquet", tmp_path / "in" / "b.parquet"
    pq.write_table(pa.table({"text": ["a"], "score": [1]}), a)
    pq.write_table(pa.table({"text": ["b"], "score": ["high"]}), b)
    cfg = _config(tmp_path, tmp_path / "in")
    for cmd in (["validate", str(cfg)], ["run", str(cfg)]):
        res = CliRunner().invoke(main, cmd)
        assert res.exit_code == 2, res.output
        assert res.output == f"error: input schemas conflict: field 'score' is int64 in {a} but string in {b}\n"
    assert not (tmp_path / "out" / "final").exists()


@pytest.mark.parametrize(("field", "stage", "says"), [
    ("reason", "passthrough", "the rejection reason"),
    ("source", "passthrough", "the input file"),
    ("gq_word_count", "gopher_quality", "signal column 'gq_word_count' of stage 'gopher_quality'"),
])
def test_field_named_like_our_columns_is_an_error_at_validation(tmp_path: Path, field: str, stage: str,
                                                                says: str) -> None:
    p = _jsonl(tmp_path / "d.jsonl", [{"text": TEXT, field: 1}])
    cfg = _config(tmp_path, p, [{stage: {}}])
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 2 and res.output.count("\n") == 1
    assert f"input field {field!r} collides with" in res.output and says in res.output


def test_text_field_configured_elsewhere_makes_text_a_collision(tmp_path: Path) -> None:
    p = _jsonl(tmp_path / "d.jsonl", [{"body": TEXT, "text": "other"}])
    cfg = _config(tmp_path, p, input={"paths": [str(p)], "text_field": "body"})
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 2 and "input.text_field is 'body'" in res.output


def test_schema_changes_say_what_changed() -> None:
    old = schema_to_json(pa.schema([("a", pa.int64()), ("b", pa.string())]))
    new = schema_to_json(pa.schema([("a", pa.float64()), ("c", pa.bool_())]))
    assert schema_changes(old, new) == ["input column 'c' added (bool)", "input column 'b' removed (was string)",
                                        "input column 'a': int64 -> double"]
    assert schema_changes(old, old) == []
    assert "older corpusclean" in schema_changes(None, new)[0]


def test_lone_surrogate_inside_a_nested_field_is_repaired_and_rejected(tmp_path: Path) -> None:
    p = tmp_path / "s.jsonl"
    p.write_text('{"text": "a", "tags": ["ok", "bad \\ud800"], "m": {"k": "x"}}\n{"text": "b", "tags": [], "m": {"k": "y"}}\n')
    (chunk,) = read_chunks(str(p), "jsonl", ReadOptions(), 100, False)
    (rej,) = chunk.rejected.to_pylist()
    assert rej["reason"] == "read.invalid_unicode" and rej["detail"].startswith("field 'tags'")
    assert rej["tags"] == ["ok", "bad \ufffd"] and chunk.docs.column("m").to_pylist() == [{"k": "y"}]


def test_arrow_ipc_columns_keep_their_types(tmp_path: Path) -> None:
    table = pa.table({"text": ["a b"], "score": pa.array([0.5], pa.float32()),
                      "labels": pa.array([{"x": 1}], pa.struct([("x", pa.int8())]))})
    with pa.OSFile(str(tmp_path / "d.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    (chunk,) = read_chunks(str(tmp_path / "d.arrow"), "arrow", ReadOptions(), 100, False)
    assert chunk.docs.schema.field("score").type == pa.float32()
    assert chunk.docs.schema.field("labels").type == pa.struct([("x", pa.int8())])
    assert chunk.docs.column("labels").to_pylist() == [{"x": 1}]
