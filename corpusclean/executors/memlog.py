"""Debugging memory: the peak RSS of every task, logged when ``CORPUSCLEAN_TASK_RSS`` names a file.

With the variable set (``CORPUSCLEAN_TASK_RSS=/tmp/tasks.log corpusclean run ...``), every
``pmap`` task and every shard task of the local and Ray executors appends one line to that file::

    <pid> <what> <seconds> <peak MiB during the task> <RSS MiB after> <RSS MiB before>

``what`` is the task function's name and its item (for middle-step tasks: the band, partition or
file group). The peak is the process's ``VmHWM`` after resetting it (``/proc/self/clear_refs``,
Linux), so each line is that task's own high-water mark, not the process's lifetime peak — but never
below the RSS the task started with, which includes memory the allocator kept from the process's
previous task (hence the last field).
:func:`note` logs a line for a point in the driver (a middle step's rounds). Unset, nothing is
wrapped and nothing is written. Lines are single ``O_APPEND`` writes, so processes can share one
file. ``scripts/bench.py --only scale --task-rss`` summarises the log per function.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ENV", "Measured", "measured", "note"]

ENV = "CORPUSCLEAN_TASK_RSS"


def _status(field: str) -> float:
    """``VmHWM`` / ``VmRSS`` of this process in MiB (0 where /proc is not there)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _write(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def _name(fn: Callable[..., Any]) -> str:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return getattr(fn, "__name__", type(fn).__name__)


def _short(item: Any) -> str:
    text = repr(item) if isinstance(item, (int, str, tuple)) and len(repr(item)) < 40 else type(item).__name__
    return text.replace(" ", "")


class Measured:
    """``fn`` wrapped to log its peak RSS per call to ``path`` (picklable when ``fn`` is)."""

    def __init__(self, fn: Callable[[Any], Any], path: str):
        self.fn, self.path = fn, path

    def __call__(self, item: Any) -> Any:
        _reset_peak()
        before = _status("VmRSS")
        t0 = time.perf_counter()
        result = self.fn(item)
        _write(self.path, f"{os.getpid()} {_name(self.fn)}:{_short(item)} {time.perf_counter() - t0:.2f} "
                          f"{_status('VmHWM'):.0f} {_status('VmRSS'):.0f} {before:.0f}")
        return result


def measured(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` itself, or :class:`Measured` when :data:`ENV` names a log file."""
    path = os.environ.get(ENV)
    return Measured(fn, path) if path else fn


def note(what: str) -> None:
    """Log this process's peak and current RSS at a named point (when :data:`ENV` is set)."""
    path = os.environ.get(ENV)
    if path:
        rss = _status("VmRSS")
        _write(path, f"{os.getpid()} note:{what.replace(' ', '_')} 0 {_status('VmHWM'):.0f} {rss:.0f} {rss:.0f}")
