"""The README's Python examples run as written, saved as scripts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_block(section: str) -> str:
    """The first ```python block after the heading ``section`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(section)
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match, f"no python block under {section!r}"
    return match.group(1)


def run_script(code: str, cwd: Path) -> subprocess.CompletedProcess:
    script = cwd / "example.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_from_python_example_runs_as_a_script(tmp_path: Path) -> None:
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    done = run_script(python_block("### From Python"), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "['domain_cap.over_cap']"
    assert lines[1].endswith(" documents kept") and int(lines[1].split()[0]) > 0
    assert (tmp_path / "out-python" / "stats.json").exists()
    assert (tmp_path / "corpusclean-output" / "stats.json").exists()


def test_writing_a_stage_example_runs_and_registers_the_stage(tmp_path: Path) -> None:
    code = python_block("## Writing a stage") + (
        "\nfrom corpusclean import Pipeline, get_stage_class\n"
        "stage = get_stage_class('min_words')(min_words=3)\n"
        "print([d['reason'] for d in Pipeline([stage]).apply([{'text': 'one two three'}, {'text': 'one'}]).rejected_docs])\n")
    done = run_script(code, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "['min_words.too_short']"
