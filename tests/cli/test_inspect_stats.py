"""``inspect`` shows a stage's own signals and never prints crawled control characters raw;
``stats`` lists top reasons by count, exactly as the run prints them; the report isolates fields."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.report import build_report
from corpusclean.report.safe import BIDI_CONTROLS
from corpusclean.testing import synth

#: Crawled text that tries to drive a terminal or reorder what a reader sees.
HOSTILE = [
    {"id": "esc\x1b[2J", "url": "https://evil.example/\u202efdp.exe",
     "text": "Title\x1b]0;owned\x07 then \x1b]52;c;ZXZpbA==\x07 and \x9b31m red"},
    {"id": "bidi\u2066id\u2069", "url": "https://evil.example/\x1b]8;;https://x.example\x1b\\link",
     "text": "short \u202eeert\u202c text\rcarriage \u2028sep"},
]
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029" + "".join(BIDI_CONTROLS) + "]")


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("inspect")
    rng = random.Random(2)
    docs = list(HOSTILE)
    for i in range(80):
        text = synth.document(rng, rng.choice([20, 300, 800]))
        if i % 4 == 0:
            text = "\n".join(text.split("\n") * 3)
        docs.append({"id": f"d{i}", "text": text, "url": f"https://s{i % 3}.example/{i}"})
    (root / "in.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    cfg = {"input": str(root / "in.jsonl"), "output": str(root / "out"), "executor": {"kind": "local", "workers": 1}, "shard_size": 30,
           "stages": [{"gopher_quality": {}}, {"gopher_repetition": {}}]}
    (root / "cfg.yaml").write_text(json.dumps(cfg))
    res = CliRunner().invoke(main, ["run", str(root / "cfg.yaml"), "--quiet"])
    assert res.exit_code == 0, res.output
    (root / "run.txt").write_text(res.output)
    return root / "out"


def invoke(*argv: str) -> str:
    res = CliRunner().invoke(main, list(argv))
    assert res.exit_code == 0, res.output
    return res.output


def test_inspect_shows_only_the_stages_own_signals_unless_asked(output):
    shown = invoke("inspect", str(output), "--stage", "gopher_repetition", "-n", "3")
    signals = [line for line in shown.splitlines() if line.startswith("  signals: ")]
    assert len(signals) == 3
    for line in signals:
        assert "gr_dup_line_frac=" in line and "gq_" not in line
        assert line.endswith("(+8 of earlier stages: --all-signals)")
    every = invoke("inspect", str(output), "--stage", "gopher_repetition", "-n", "3", "--all-signals")
    assert "gq_word_count=" in every and "gr_dup_line_frac=" in every and "--all-signals)" not in every
    rejected = invoke("inspect", str(output), "--stage", "gopher_quality", "--rejected", "-n", "2")
    assert "reason: gopher_quality." in rejected and "| " in rejected
    assert "gq_word_count=" in rejected and "gr_" not in rejected


def test_inspect_never_prints_control_characters_or_bidi_controls(output):
    shown = invoke("inspect", str(output), "--stage", "gopher_quality", "--reason", "gopher_quality.word_count",
                   "-n", "50", "--chars", "2000")
    assert not CONTROLS.search(shown), repr(CONTROLS.search(shown))
    assert "── esc\\x1b[2J" in shown and "── bidi\\u2066id\\u2069" in shown
    assert "url: https://evil.example/\\u202efdp.exe" in shown
    assert "Title\\x1b]0;owned\\x07 then \\x1b]52;c;ZXZpbA==\\x07 and \\x9b31m red" in shown
    assert "short \\u202eeert\\u202c text\\x0dcarriage \\u2028sep" in shown
    assert "url: https://evil.example/\\x1b]8;;https://x.example\\x1b\\link" in shown


def test_stats_lists_top_reasons_by_count_as_the_run_does(output):
    run_table = (output.parent / "run.txt").read_text().split("\n\nclean corpus:")[0].strip()
    stats = invoke("stats", str(output)).strip()
    assert stats == run_table
    saved = json.loads((output / "stats.json").read_text())["stages"][0]["rejected_by_reason"]
    by_count = sorted(saved.items(), key=lambda kv: (-kv[1], kv[0]))
    assert list(saved) != [r for r, _ in by_count], "stats.json must be alphabetical for this test to mean anything"
    line = next(line for line in stats.splitlines() if line.startswith("01_gopher_quality"))
    top = ", ".join(f"{r} {c:,}" for r, c in by_count[:3])
    assert line.endswith(top)


def test_report_isolates_fields_and_shows_controls(output):
    page = build_report(output, examples=50, max_chars=2000)
    assert not CONTROLS.search(page.replace("\n", "").replace("\t", ""))
    assert "<bdi>https://evil.example/\\u202efdp.exe</bdi>" in page
    assert "<b><bdi>esc\\x1b[2J</bdi></b>" in page
    assert "Title\\x1b]0;owned\\x07" in page
