"""``whatif`` and ``report`` import the run's ``modules:`` back from its manifest (README's
``MinWordsStored`` example), in a fresh process that has never seen the user's stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]

USER_MODULE = '''
import pyarrow as pa
from corpusclean import FilterStage, param, register
from corpusclean.stages.base import Cut

@register("min_words_stored")
class MinWordsStored(FilterStage):
    """Rejects documents with fewer than ``min_words`` words; stores the count."""
    retunable = True
    columns = {"n_words": pa.int64()}
    cuts = (Cut(column="n_words", param="min_words", side="min", rule="too_short"),)
    min_words: int | None = param(50, "Minimum number of words (none: off)")

    def compute(self, doc):
        return {"n_words": len((doc["text"] or "").split())}
'''


def cli(args: list[str], cwd: Path, user_path: Path | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([str(user_path)] if user_path else []))
    return subprocess.run([sys.executable, "-m", "corpusclean.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


def make_run(tmp_path: Path) -> tuple[Path, Path]:
    user = tmp_path / "user"
    user.mkdir()
    (user / "r2_user_stages.py").write_text(USER_MODULE)
    with open(tmp_path / "docs.jsonl", "w") as f:
        for i in range(40):  # 10 … 790 words
            f.write(json.dumps({"id": f"d{i}", "text": " ".join(["word"] * (10 + 20 * i))}) + "\n")
    cfg = {"input": str(tmp_path / "docs.jsonl"), "output": str(tmp_path / "out"),
           "executor": {"kind": "local", "workers": 1}, "modules": ["r2_user_stages"],
           "stages": [{"passthrough": {}}, {"min_words_stored": {"min_words": 50}}]}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    done = cli(["run", str(tmp_path / "cfg.yaml"), "--quiet"], tmp_path, user)
    assert done.returncode == 0, done.stderr + done.stdout
    return tmp_path / "out", user


def test_whatif_and_report_know_the_runs_user_stage(tmp_path: Path) -> None:
    out, user = make_run(tmp_path)
    # 40 documents of 10, 30, …, 790 words: >= 50 keeps 38; >= 500 keeps those of 510 … 790 words (15)
    done = cli(["whatif", str(out), "--set", "min_words_stored.min_words=500", "--json"], tmp_path, user)
    assert done.returncode == 0, done.stderr + done.stdout
    result = json.loads(done.stdout)
    text = json.dumps(result)
    assert "min_words_stored" in text and "stage 'min_words_stored' is not installed here" not in text
    shown = cli(["whatif", str(out), "--set", "min_words_stored.min_words=500"], tmp_path, user)
    assert shown.returncode == 0 and "final: 15 documents kept (actual 38, -23)" in shown.stdout, shown.stdout

    report = cli(["report", str(out)], tmp_path, user)
    assert report.returncode == 0, report.stderr + report.stdout
    html = (out / "report.html").read_text()
    assert "02_min_words_stored" in html and "min_words = 50" in html  # the user stage's threshold drawn


def test_whatif_names_the_module_it_cannot_import(tmp_path: Path) -> None:
    out, _user = make_run(tmp_path)
    for args in (["whatif", str(out), "--set", "min_words_stored.min_words=500"], ["report", str(out)]):
        done = cli(args, tmp_path, None)  # the user's folder is not on PYTHONPATH here
        assert done.returncode == 2, done.stderr + done.stdout
        msg = done.stderr + done.stdout
        assert "config.modules[0]: cannot import 'r2_user_stages'" in msg and "PYTHONPATH" in msg
        assert "Traceback" not in msg
    seen = cli(["inspect", str(out), "--stage", "min_words_stored", "--rejected"], tmp_path, None)
    assert seen.returncode == 0, seen.stderr + seen.stdout  # samples need no stage class
