"""The README's Python examples run as written, saved as scripts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


# ------------------------------------------------------------------ every block of the README
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.+?)\s*-->\s*$")


def readme_blocks() -> list[tuple[int, str, str, str | None]]:
    """Every ```bash/```python block of README.md: (line, language, code, not-run reason or None).

    A block is skipped only when the line before it is ``<!-- not-run: <why> -->``.
    """
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        m = re.match(r"```(bash|sh|python)\s*$", lines[i])
        if m:
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            prev = next((ln for ln in reversed(lines[:i]) if ln.strip()), "")
            reason = NOT_RUN.match(prev.strip())
            blocks.append((i + 1, m.group(1), "\n".join(lines[i + 1:j]) + "\n",
                           reason.group(1) if reason else None))
            i = j
        i += 1
    return blocks


def test_every_unmarked_block_is_covered_and_marked_ones_say_why() -> None:
    blocks = readme_blocks()
    assert blocks
    for line, _, _, reason in blocks:
        assert reason is None or len(reason) > 5, f"README.md:{line}: a not-run marker must say why"
    assert sum(1 for b in blocks if b[3] is None) >= 4


def _workspace(tmp_path: Path) -> dict[str, str]:
    """What the README's commands assume exists: a crawl/ folder, my.yaml, configs/ (a checkout)."""
    from corpusclean.readers import sample_path

    (tmp_path / "configs").symlink_to(ROOT / "configs")
    (tmp_path / "crawl").mkdir()
    shutil.copy(sample_path(), tmp_path / "crawl" / "sample.warc.gz")
    shutil.copy(ROOT / "configs" / "minimal.yaml", tmp_path / "my.yaml")
    bindir = tmp_path / "bin"  # `corpusclean` as installed, importing this checkout
    bindir.mkdir()
    exe = bindir / "corpusclean"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} -m corpusclean.cli \"$@\"\n", encoding="utf-8")
    exe.chmod(0o755)
    return dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}",
                PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                CORPUSCLEAN_PROGRESS_SECONDS="60")


@pytest.mark.slow
def test_every_unmarked_block_runs_as_written(tmp_path: Path) -> None:
    """Each unmarked shell block runs with ``bash -e`` and each Python block as a script, in order,
    in one folder (later blocks may use what earlier ones wrote)."""
    env = _workspace(tmp_path)
    ran = 0
    for line, lang, code, reason in readme_blocks():
        if reason is not None:
            continue
        if lang == "python":
            script = tmp_path / f"readme_{line}.py"
            script.write_text(code, encoding="utf-8")
            cmd = [sys.executable, str(script)]
        else:
            cmd = ["bash", "-e", "-o", "pipefail", "-c", code]
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, f"README.md:{line} ({lang}) failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        ran += 1
    assert ran >= 4
    assert (tmp_path / "out" / "stats.json").exists() and (tmp_path / "kept.parquet").exists()
