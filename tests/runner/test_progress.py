"""Progress: input bytes of the input size in pass 1, plain lines without carriage returns in a log,
warnings on lines of their own."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from corpusclean.io.storage import open_input
from corpusclean.runner.progress import InputTicker, Progress, Tick, lines_for_warnings
from corpusclean.testing.synth import documents

ROOT = Path(__file__).resolve().parents[2]


def _run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **env)
    return subprocess.run([sys.executable, "-m", "corpusclean.cli", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=300)


def test_log_of_a_run_to_a_file_is_plain_lines(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    with docs.open("w", encoding="utf-8") as f:
        for i, text in enumerate(documents(300, size=800)):
            f.write(json.dumps({"id": str(i), "text": text}) + "\n")
    (tmp_path / "c.yaml").write_text(
        f"input: {docs}\noutput: {tmp_path / 'out'}\nworkers: 1\nshard_size: 40\n"
        "stages:\n  - gopher_quality: {}\n  - exact_dedup: {}\n", encoding="utf-8")
    done = _run_cli(["run", "c.yaml"], tmp_path, CORPUSCLEAN_PROGRESS_SECONDS="0")
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "\r" not in err and "\x1b" not in err
    lines = err.splitlines()
    # the deprecated `workers` key: one line, no source line
    assert lines[0] == ("warning: config key 'workers' is deprecated; write 'executor: {kind: local, "
                        "workers: N}' (FutureWarning)")
    assert not any("config.py" in ln for ln in lines)
    pass1 = [ln for ln in lines if ln.startswith("pass 1/2")]
    assert len(pass1) >= 8  # one line per shard at least: 300 docs / 40
    size = docs.stat().st_size
    m = re.search(r"input ([\d.]+) kB of ([\d.]+) kB \(100%\)", pass1[-1])
    assert m and abs(float(m.group(2)) * 1000 - size) < 100 and pass1[-1].endswith("done")
    assert "300 docs" in pass1[-1]
    pass2 = [ln for ln in lines if ln.startswith("pass 2/2")]
    kept = json.loads((tmp_path / "out" / "stats.json").read_text())["stages"][0]["kept"]
    assert kept > 0 and f"{kept} of {kept} docs (100%)" in pass2[-1]
    assert any(ln.startswith("reduce 02_exact_dedup") for ln in lines)


def test_quiet_prints_no_progress(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"text": "a b c"}\n', encoding="utf-8")
    (tmp_path / "c.yaml").write_text(f"input: {tmp_path / 'd.jsonl'}\noutput: {tmp_path / 'o'}\n"
                                     "stages:\n  - gopher_quality: {}\n", encoding="utf-8")
    done = _run_cli(["run", "c.yaml", "--quiet"], tmp_path)
    assert done.returncode == 0 and done.stderr == ""


def test_terminal_form_is_a_bar_and_plain_form_is_not() -> None:
    tty, plain = io.StringIO(), io.StringIO()
    for stream, is_tty in ((tty, True), (plain, False)):
        p = Progress("pass 1/1: read", total_bytes=1000, stream=stream, tty=is_tty, interval=0)
        p.update(Tick(docs=5, bytes=500))
        p.write("warning: something (UserWarning)")
        p.update(Tick(docs=5, bytes=500))
        p.close()
    assert "\r" in tty.getvalue()
    out = plain.getvalue()
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0].startswith("pass 1/1: read: 5 docs") and "input 500 B of 1.0 kB (50%)" in lines[0]
    assert lines[1] == "warning: something (UserWarning)"
    assert "10 docs" in lines[-1] and "(100%)" in lines[-1] and lines[-1].endswith("done")


def test_resumed_work_counts_as_done_and_eta_uses_only_new_work() -> None:
    s = io.StringIO()
    p = Progress("pass 2/2: x", total_docs=100, done=Tick(docs=50), stream=s, tty=False, interval=0)
    p.update(25)  # plain ints (documents) are accepted as well
    assert "75 of 100 docs (75%)" in s.getvalue() and "left ~" in s.getvalue()


def test_ticks_add_like_ints_for_executors_that_sum() -> None:
    total = 0
    for t in (Tick(1, 10), Tick(2, 20)):
        total += t
    assert total == Tick(3, 30)


def test_input_ticker_reports_read_position_then_the_rest(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"x" * 100_000)
    got: list[Tick] = []
    with InputTicker(str(f), got.append, interval=0.01):
        with open_input(str(f)) as fh:
            fh.read(40_000)
            time.sleep(0.1)
            assert sum(t.bytes for t in got) == 40_000
    assert sum(t.bytes for t in got) == 100_000


def test_warnings_are_one_line_each(capsys) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with lines_for_warnings():
            warnings.warn("two\nlines", FutureWarning, stacklevel=1)
    assert capsys.readouterr().err == "warning: two lines (FutureWarning)\n"
