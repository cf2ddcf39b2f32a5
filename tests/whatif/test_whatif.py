"""``corpusclean whatif``: re-applied thresholds agree exactly with real re-runs; unknowns are counted."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.config import parse_config
from corpusclean.runner import run
from corpusclean.testing import synth
from corpusclean.whatif import WhatIfError, format_result, whatif

STAGES = [{"gopher_quality": {}}, {"gopher_repetition": {}}, {"exact_dedup": {}}, {"fineweb_quality": {}}]


def make_input(path: Path, n: int = 240, seed: int = 7) -> Path:
    """Documents of varied length, some with repeated lines, and exact duplicates of some."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        text = synth.document(rng, rng.choice([150, 300, 600, 1200, 3000]))
        if i % 7 == 0:
            lines = text.split("\n")
            text = "\n".join(lines + lines[: max(1, len(lines) // 2)])
        if i % 11 == 0:  # many short lines: fineweb's short-line rule
            text = "\n".join(w for w in text.split(" "))
        docs.append({"id": f"d{i}", "text": text, "url": f"https://s{i % 5}.example/{i}"})
    for i in range(0, 60, 3):
        docs.append({"id": f"dup{i}", "text": docs[i]["text"], "url": "https://dup.example/"})
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    return path


def do_run(inp: Path, out: Path, stages: list[dict]) -> dict:
    cfg = parse_config({"input": str(inp), "output": str(out), "shard_size": 70, "executor": {"kind": "local", "workers": 1}, "stages": stages})
    return run(cfg, progress=False)


def with_changes(stages: list[dict], changes: dict[int, dict]) -> list[dict]:
    stages = copy.deepcopy(stages)
    for pos, params in changes.items():
        (name, p), = stages[pos].items()
        p.update(params)
    return stages


def funnel(stats: dict) -> list[tuple]:
    return [(s["folder"], s["in"], s["kept"], dict(sorted(s["rejected_by_reason"].items()))) for s in stats["stages"]]


def whatif_funnel(res) -> list[tuple]:
    return [(s.folder, s.docs_in, s.kept, dict(sorted(s.rejected_by_reason.items()))) for s in res.whatif]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("whatif")
    inp = make_input(root / "in.jsonl")
    out = root / "out"
    do_run(inp, out, STAGES)
    return inp, out


@pytest.mark.parametrize("sets,changes", [
    (["gopher_quality.min_doc_words=100", "gopher_repetition.max_dup_line_frac=0.1"],
     {0: {"min_doc_words": 100}, 1: {"max_dup_line_frac": 0.1}}),
    (["02_gopher_repetition.max_dup_line_frac=0.05", "fineweb_quality.max_short_line_frac=0.5"],
     {1: {"max_dup_line_frac": 0.05}, 3: {"max_short_line_frac": 0.5}}),
    (["gopher_quality.max_doc_words=400", "gopher_quality.min_stop_words=8"],
     {0: {"max_doc_words": 400, "min_stop_words": 8}}),
])
def test_tightening_agrees_exactly_with_a_real_rerun(base, tmp_path, sets, changes):
    inp, out = base
    res = whatif(out, sets)
    real = do_run(inp, tmp_path / "rerun", with_changes(STAGES, changes))
    assert res.unknown == 0 and res.exact
    assert whatif_funnel(res) == funnel(real)
    assert funnel(real) != [(a.folder, a.docs_in, a.kept, dict(sorted(a.rejected_by_reason.items())))
                            for a in res.actual], "the change must matter for this test to mean anything"


def test_loosening_counts_unknown_documents_and_bounds_the_rerun(base, tmp_path):
    inp, out = base
    res = whatif(out, ["gopher_quality.min_doc_words=5", "gopher_quality.min_stop_words=0"])
    real = do_run(inp, tmp_path / "rerun", with_changes(STAGES, {0: {"min_doc_words": 5, "min_stop_words": 0}}))
    assert res.unknown > 0 and not res.exact
    # the changed stage itself is exact; the new documents never reached stage 2 in the run
    assert whatif_funnel(res)[0] == funnel(real)[0]
    assert res.whatif[1].unknown == res.whatif[0].kept - res.actual[0].kept
    final_real = real["stages"][-1]["kept"]
    assert res.final_kept <= final_real <= res.final_kept + res.unknown
    assert "unknown fate" in format_result(res)


def test_loosening_the_last_stage_is_exact(tmp_path):
    inp = make_input(tmp_path / "in.jsonl", n=120, seed=3)
    stages = [{"exact_dedup": {}}, {"gopher_quality": {"min_doc_words": 200}}]
    do_run(inp, tmp_path / "out", stages)
    res = whatif(tmp_path / "out", ["gopher_quality.min_doc_words=60"])
    real = do_run(inp, tmp_path / "rerun", with_changes(stages, {1: {"min_doc_words": 60}}))
    assert res.exact and whatif_funnel(res) == funnel(real)


def test_changes_stored_signals_cannot_answer_are_refused(base):
    _, out = base
    cases = {
        "exact_dedup.keep=last": "global stage",
        "gopher_quality.stop_words=[a]": "changes how signals are computed",
        "fineweb_quality.short_line_length=10": "changes how signals are computed",
        "language.min_score=0.9": "no stage 'language'",
        "gopher_quality.nope=1": "no parameter 'nope'",
        "gopher_quality.min_doc_words=fifty": "expected an integer",
        "gopher_quality.min_doc_words=200000": "larger than max_doc_words",
        "min_doc_words=3": "STAGE.PARAMETER=VALUE",
    }
    for item, message in cases.items():
        with pytest.raises(WhatIfError, match=message):
            whatif(out, [item])


def test_whatif_reads_no_text(base, monkeypatch):
    _, out = base
    asked: list[str] = []
    original = pq.ParquetFile.read

    def spy(self, columns=None, **kw):
        asked.extend(columns or ["<all>"])
        return original(self, columns=columns, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read", spy)
    whatif(out, ["gopher_quality.min_doc_words=100"])
    assert asked and not {"text", "html", "<all>"} & set(asked)


def test_cli(base):
    _, out = base
    r = CliRunner().invoke(main, ["whatif", str(out), "--set", "gopher_quality.min_doc_words=100"])
    assert r.exit_code == 0, r.output
    assert "what if" in r.output and "01_gopher_quality" in r.output and "gopher_quality.word_count" in r.output
    r = CliRunner().invoke(main, ["whatif", str(out), "--set", "gopher_quality.min_doc_words=100", "--json"])
    data = json.loads(r.output)
    assert data["exact"] is True and data["whatif"][0]["folder"] == "01_gopher_quality"
    r = CliRunner().invoke(main, ["whatif", str(out), "--set", "exact_dedup.keep=last"])
    assert r.exit_code == 2 and "cannot be answered" in r.output
