"""The run's input schema (corpusclean/runner/inputs.py ``input_schema``): probed once by the driver,
recorded in the manifest, the same whatever the workers, checked on resume."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_warc

from corpusclean import Pipeline
from corpusclean.errors import RunError
from corpusclean.readers import schema
from corpusclean.stages.utility import PassThrough

TEXT = "The regional rail timetable changes on the first of next month for every line. "


def _inputs(folder: Path) -> Path:
    folder.mkdir()
    for f in range(3):
        rows = [{"id": f"f{f}-{i}", "text": f"{TEXT} {f} {i}", "n": i, "w": (i / 3 if f else i),
                 "meta": {"k": [i, f]}} for i in range(7)]
        rows[5]["n"] = "five" if f == 1 else rows[5]["n"]
        (folder / f"part{f}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    make_warc(folder / "crawl.warc.gz", 4)
    return folder


def _final(out: Path) -> pa.Table:
    return pq.read_table(out / "final")


def test_same_typed_output_whatever_the_workers(tmp_path: Path) -> None:
    inp = _inputs(tmp_path / "in")
    pipe = Pipeline([PassThrough()])
    stats1 = pipe.run(str(inp), tmp_path / "w1", workers=1, shard_size=3)
    stats2 = pipe.run(str(inp), tmp_path / "w2", workers=2, shard_size=3)
    assert stats1["read"] == stats2["read"]
    a, b = _final(tmp_path / "w1"), _final(tmp_path / "w2")
    assert a.schema == b.schema and a.equals(b)
    # int in file 0, float in files 1-2: one double column; a user field named meta is just a column
    assert a.schema.field("w").type == pa.float64() and a.schema.field("meta").type.field("k").type == pa.list_(pa.int64())
    assert a.column("n").type == pa.int64()
    warc = [r for r in a.to_pylist() if r["source"].endswith(".warc.gz")]
    assert warc and all(r["n"] is None and r["html"] for r in warc)  # other inputs: null there
    assert stats1["read"]["rejected_by_reason"] == {"read.schema_conflict": 1}
    manifest = json.loads((tmp_path / "w1" / "manifest.json").read_text())
    assert manifest["input_schema"]["fields"] == ["n: int64", "w: double", "meta: struct<k: list<item: int64>>"]


def test_resume_refuses_a_changed_input_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps({"text": f"{TEXT} {i}", **({"late": i} if i > 2 else {})}) + "\n"
                         for i in range(5)))
    monkeypatch.setattr(schema, "SAMPLE_LINES", 2)  # 'late' is not in the sample and
    monkeypatch.setattr(schema, "_scan_rest", lambda rows, types: None)  # (a probe without the scan): rejected
    pipe = Pipeline([PassThrough()])
    stats = pipe.run(str(p), tmp_path / "out", workers=1)
    assert stats["read"]["rejected_by_reason"] == {"read.schema_conflict": 2}
    assert pipe.run(str(p), tmp_path / "out", workers=1)["read"] == stats["read"]  # same probe: resumes
    monkeypatch.undo()  # the real probe scans past the sample and finds 'late'
    with pytest.raises(RunError, match=r"changed: input column 'late' added \(int64\)"):
        pipe.run(str(p), tmp_path / "out", workers=1)
    again = pipe.run(str(p), tmp_path / "out", workers=1, overwrite=True)
    assert again["read"]["documents"] == 5 and _final(tmp_path / "out").column("late").null_count == 3


def test_a_manifest_without_input_schema_is_refused_on_resume(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps({"text": TEXT, "x": 1}) + "\n")
    pipe = Pipeline([PassThrough()])
    pipe.run(str(p), tmp_path / "out", workers=1)
    mf = tmp_path / "out" / "manifest.json"
    manifest = json.loads(mf.read_text())
    del manifest["input_schema"]
    mf.write_text(json.dumps(manifest))
    with pytest.raises(RunError, match="input schema: not recorded"):
        pipe.run(str(p), tmp_path / "out", workers=1)
