"""The driver's task order (largest input file first) and its overlapped executor shutdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import comparable_stats, snapshot

from corpusclean.config import parse_config
from corpusclean.executors.local import LocalExecutor
from corpusclean.runner import run
from corpusclean.runner.plan import Task


def _jsonl(path: Path, n: int, words: int) -> None:
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"{path.stem}-{i}", "text": " ".join(f"w{i}x{j}" for j in range(words))}) + "\n")


class Recording(LocalExecutor):
    """The local executor (one worker, in this process) noting the order tasks reach it."""

    def __init__(self, config: Any, fail_close: bool = False):
        super().__init__(config)
        self.order: list[tuple[int, str | None]] = []
        self.closed = False
        self.fail_close = fail_close

    def run(self, tasks: list[Task], on_done: Any, on_docs: Any) -> None:
        self.order += [(t.segment, Path(t.file[1]).name if t.file else t.shard) for t in tasks]
        super().run(tasks, on_done, on_docs)

    def close(self) -> None:
        super().close()
        self.closed = True
        if self.fail_close:
            raise RuntimeError("pool did not shut down")


def _inputs(root: Path) -> Path:
    root.mkdir()
    _jsonl(root / "a_small.jsonl", 5, 10)
    _jsonl(root / "b_large.jsonl", 40, 60)
    _jsonl(root / "c_medium.jsonl", 20, 30)
    _jsonl(root / "d_tiny.jsonl", 2, 3)
    return root


STAGES = [{"passthrough": {}}, {"exact_dedup": {}}, {"passthrough": {}}]


def test_input_tasks_largest_file_first_and_results_unchanged(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in")
    cfg = parse_config({"input": str(inputs), "output": str(tmp_path / "out"), "shard_size": 7,
                        "report": False, "stages": STAGES})
    ex = Recording(cfg)
    run(cfg, progress=False, executor=ex)
    first_pass = [name for seg, name in ex.order if seg == 0]
    assert first_pass == ["b_large.jsonl", "c_medium.jsonl", "a_small.jsonl", "d_tiny.jsonl"]
    assert ex.closed
    # the same documents, shards and statistics as a run with two worker processes
    cfg2 = parse_config({"input": str(inputs), "output": str(tmp_path / "out2"), "shard_size": 7,
                         "report": False, "stages": STAGES, "executor": {"kind": "local", "workers": 2}})
    run(cfg2, progress=False)
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "out2")
    assert comparable_stats(tmp_path / "out") == comparable_stats(tmp_path / "out2")


def test_an_error_closing_the_executor_is_raised_after_the_statistics(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in")
    cfg = parse_config({"input": str(inputs), "output": str(tmp_path / "out"), "report": False, "stages": STAGES})
    with pytest.raises(RuntimeError, match="did not shut down"):
        run(cfg, progress=False, executor=Recording(cfg, fail_close=True))
    assert (tmp_path / "out" / "stats.json").exists()
