"""The per-task memory log (CORPUSCLEAN_TASK_RSS): one line per task, the task's own peak."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from corpusclean.executors import memlog


def _allocate(mib: int, item: int) -> int:
    block = np.ones(mib << 17, np.float64)  # mib MiB, touched
    return int(block[0]) + item


def test_each_task_logs_its_own_peak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "tasks.log"
    assert memlog.measured(_allocate) is _allocate  # unset: nothing wrapped
    monkeypatch.setenv(memlog.ENV, str(log))
    big = memlog.measured(functools.partial(_allocate, 200))
    small = memlog.measured(functools.partial(_allocate, 1))
    assert big(3) == 4 and small(5) == 6
    memlog.note("after both")
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [f[1] for f in lines] == ["_allocate:3", "_allocate:5", "note:after_both"]
    assert all(len(f) == 6 for f in lines)
    peak_big, peak_small = float(lines[0][3]), float(lines[1][3])
    assert peak_big - float(lines[0][5]) >= 190  # the 200 MiB block, above the RSS it started with
    assert peak_small < peak_big - 150  # the peak was reset between tasks
