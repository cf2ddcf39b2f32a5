"""Kill a run at every filesystem step of a small chain (global stages included), resume it, and
check the output is identical to a run that was never interrupted.

The steps come from the run itself: a clean run logs every atomic write
(``CORPUSCLEAN_WRITE_LOG``, :mod:`corpusclean.io.files`); then, for each step k, a run SIGKILLs
itself just before its k-th write is renamed into place (``CORPUSCLEAN_KILL_AT_WRITE=k``), and a
second run resumes it. Runs are forked from the test process (one worker, so every write happens
in the forked process), which keeps the sweep to seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from corpusclean.config import parse_config
from corpusclean.io.files import KILL_AT_WRITE, WRITE_LOG
from corpusclean.runner import run

#: Two global stages (each with a reduce step between passes) and a streaming one; MinHash with two
#: bands so its middle step writes few work files.
CHAIN = [{"exact_dedup": {}},
         {"minhash_dedup": {"threshold": 0.8, "ngram_size": 3, "num_perm": 16, "bands": 2, "rows": 8}},
         {"passthrough": {}}]


def corpus(folder: Path) -> Path:
    folder.mkdir()
    for f, n in (("a.jsonl", 14), ("b.jsonl", 9)):
        with open(folder / f, "w") as out:
            for i in range(n):
                text = f"the document number {i % 7} talks about {'cats' if i % 2 else 'dogs'} and more words here"
                out.write(json.dumps({"id": f"{f}{i}", "text": text, "url": f"https://h{i % 4}.example/{f}{i}"}) + "\n")
    return folder


def in_child(fn: Callable[[], Any], env: dict[str, str]) -> int:
    """Run ``fn`` in a forked process with ``env`` added; its wait status (0: returned)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.environ.update(env)
            fn()
        except BaseException:
            traceback.print_exc()
            code = 3
        os._exit(code)
    return os.waitpid(pid, 0)[1]


def untimed(value: Any) -> Any:
    """``value`` without its timings (every ``*seconds`` key, at any depth)."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if not k.endswith("seconds")}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def result(out: Path) -> dict[str, Any]:
    """Every Parquet part (rows), every marker, and the statistics without timings."""
    parts = {str(p.relative_to(out)): pq.read_table(p).to_pylist()
             for p in sorted(out.glob("[0-9][0-9]_*/**/*.parquet"))}
    stats = untimed(json.loads((out / "stats.json").read_text()))
    stats.pop("disk")  # bytes on disk: the shard markers hold timings, so their sizes vary
    markers = {str(p.relative_to(out)): untimed(json.loads(p.read_text()))
               for p in sorted((out / "_state").rglob("*.json"))}
    manifest = json.loads((out / "manifest.json").read_text())
    return {"parts": parts, "stats": stats, "markers": markers, "status": manifest["status"],
            "final": {p.name: pq.read_table(p).to_pylist() for p in sorted((out / "final").glob("*.parquet"))}}


@pytest.mark.slow  # ~50 writes x (killed run + resume), forked: ~2 min on a busy 2-core machine
def test_a_run_killed_at_every_write_resumes_to_the_same_output(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in")

    def go(out: Path) -> Callable[[], Any]:
        cfg = {"input": str(src), "output": str(out), "shard_size": 10, "stages": CHAIN,
               "executor": {"kind": "local", "workers": 1}}
        return lambda: run(parse_config(cfg), progress=False)

    log = tmp_path / "writes.log"
    assert in_child(go(tmp_path / "whole"), {WRITE_LOG: str(log)}) == 0
    steps = log.read_text().splitlines()
    assert len(steps) > 25  # parts, rejected parts, scans, global states, markers, manifests, stats
    whole = result(tmp_path / "whole")
    for k in range(1, len(steps) + 1):
        out = tmp_path / f"k{k}"
        status = in_child(go(out), {KILL_AT_WRITE: str(k)})
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (k, steps[k - 1], status)
        assert in_child(go(out), {}) == 0, (k, steps[k - 1])
        assert result(out) == whole, f"resumed after a kill at write {k} ({steps[k - 1]}) differs"
        shutil.rmtree(out)
