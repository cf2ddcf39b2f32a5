"""Run a command and measure it by CPU time as well as wall time (the machine is shared).

:func:`run_measured` starts a command, samples its process tree (``/proc/<pid>/stat``: user +
system clock ticks of the command and every descendant) every ``interval`` seconds, and reports:

* ``wall_s`` — wall seconds of the command;
* ``cpu_s`` — CPU seconds of the command and all its waited-for descendants
  (``getrusage(RUSAGE_CHILDREN)`` before/after: exact);
* ``per_process`` — CPU seconds per process seen (pid, command name, first/last seen), the
  command's own process first (``driver``);
* ``idle_wall_s`` — a projection of the wall time on an idle machine with ``cores`` cores: the
  run is cut into windows of ``window`` seconds (2 s), and each window counts
  ``max(largest process's CPU in it, total CPU in it / cores)`` (a process cannot run faster
  than one core; the command cannot use more than ``cores``). Serial work (one busy process)
  counts fully; CPU taken away by other users of the machine does not count at all. Windows of
  a few seconds, not single samples: on a loaded machine two workers are rarely scheduled in
  the same 0.1 s, which per sample would look serial (:meth:`Measured.idle_wall` gives other
  widths; 0.1 s is a pessimistic bound). CPU of processes that exited between two samples (not
  attributed) is added as serial time;
* ``runnable_wall_s`` — the same projection from the processes' scheduler states rather than
  windows: at every sample a process in state ``R`` (running *or waiting for a core*) wants CPU.
  Each 0.1 s step counts ``max(total CPU / cores, CPU of the wanting processes / min(their
  number, cores), largest CPU of a process not wanting)``. Two workers that both want CPU count
  half their CPU however the shared machine's scheduler split the cores between them (the kernel
  often leaves one alone on a core and the other sharing a core with another user for seconds,
  which the 2 s windows count as serial work); one process alone wanting CPU counts fully;
* ``phases()`` — the projected seconds of the run by how many processes wanted CPU: start-up
  (before two first did), one process alone (who), several, and the end (after the last time two
  did) — where the serial time went;
* ``load`` — the 1-minute load average before, the mean of the samples while it ran, and after.

Linux only (``/proc``); elsewhere only ``wall_s`` and ``cpu_s`` are filled.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Measured:
    """What :func:`run_measured` saw (seconds throughout)."""

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    idle_wall_s: float
    #: pid -> (command name, CPU seconds at the last sample)
    per_process: dict[int, tuple[str, float]] = field(default_factory=dict)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: (seconds since start, {pid: CPU seconds used since the previous sample}) per sample
    timeline: list[tuple[float, dict[int, float]]] = field(default_factory=list)
    cores: int = 2
    #: CPU seconds of processes that exited between two samples (not in ``per_process``)
    unattributed_s: float = 0.0
    #: per sample of ``timeline``: the processes in state R (running or runnable) at it
    runnable: list[frozenset[int]] = field(default_factory=list)
    #: :meth:`runnable_wall` (seconds; ``wall_s`` where /proc is missing)
    runnable_wall_s: float = 0.0

    def _steps(self) -> Iterator[tuple[float, float, dict[int, float], frozenset[int]]]:
        """(start, end, CPU per process, processes wanting CPU) of every step between samples."""
        for i in range(len(self.timeline)):
            t0, t1 = (self.timeline[i - 1][0] if i else 0.0), self.timeline[i][0]
            before = self.runnable[i - 1] if 0 < i <= len(self.runnable) else frozenset()
            wanting = before | (self.runnable[i] if i < len(self.runnable) else frozenset())
            yield t0, t1, self.timeline[i][1], wanting

    def _step_cost(self, step: dict[int, float], wanting: frozenset[int]) -> float:
        busy = {p: d for p, d in step.items() if d > 0}
        if not busy:
            return 0.0
        want = [d for p, d in busy.items() if p in wanting]
        rest = [d for p, d in busy.items() if p not in wanting]
        k = min(max(1, len(want)), self.cores)
        return max(sum(busy.values()) / self.cores, sum(want) / k, max(rest, default=0.0))

    def runnable_wall(self) -> float:
        """The idle-machine wall time projected from scheduler states (see the module)."""
        return sum(self._step_cost(step, w) for _, _, step, w in self._steps()) + self.unattributed_s

    def phases(self) -> dict[str, float]:
        """Projected seconds (as :meth:`runnable_wall`) by phase: ``start`` (before two processes
        first wanted CPU together), ``end`` (after the last time they did), and in between
        ``parallel`` (two or more wanting) and ``serial <name>`` (one alone: ``driver`` or
        ``worker``); plus ``unattributed``."""
        steps = list(self._steps())
        names = list(self.per_process)
        driver = names[0] if names else -1

        def many(step: dict[int, float], w: frozenset[int]) -> bool:
            return len([p for p in w if p in step]) >= 2

        both = [i for i, (_, _, step, w) in enumerate(steps) if many(step, w)]
        first, last = (both[0], both[-1]) if both else (len(steps), -1)
        out = {"start": 0.0, "parallel": 0.0, "serial driver": 0.0, "serial worker": 0.0, "end": 0.0}
        for i, (_, _, step, w) in enumerate(steps):
            cost = self._step_cost(step, w)
            if i < first:
                out["start"] += cost
            elif i > last:
                out["end"] += cost
            elif many(step, w):
                out["parallel"] += cost
            else:
                busiest = max(step, key=lambda p: step[p], default=driver)
                out["serial driver" if busiest == driver else "serial worker"] += cost
        out["unattributed"] = self.unattributed_s
        return out

    def idle_wall(self, window: float) -> float:
        """The projected idle-machine wall time with windows of ``window`` seconds (see the module)."""
        total = 0.0
        bucket: dict[int, float] = {}
        edge = window
        for t, step in self.timeline:
            if t > edge and bucket:
                total += max(max(bucket.values()), sum(bucket.values()) / self.cores)
                bucket = {}
                edge = (int(t / window) + 1) * window
            for pid, d in step.items():
                bucket[pid] = bucket.get(pid, 0.0) + d
        if bucket:
            total += max(max(bucket.values()), sum(bucket.values()) / self.cores)
        return total + self.unattributed_s

    @property
    def driver_cpu_s(self) -> float:
        """CPU seconds of the command's own process (the first one seen)."""
        return next(iter(self.per_process.values()), ("", 0.0))[1]

    @property
    def worker_cpu_s(self) -> list[float]:
        """CPU seconds of every descendant process that used more than 0.05 s, largest first."""
        return sorted((c for _, c in list(self.per_process.values())[1:] if c > 0.05), reverse=True)


def _loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def _stat(pid: str) -> tuple[int, str, float, str] | None:
    """(parent pid, command name, CPU seconds, state letter) of ``pid``, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1: raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2:].split()
    # fields after the name: state ppid ... utime(14th field overall = rest[11]) stime(rest[12])
    return int(rest[1]), name, (int(rest[11]) + int(rest[12])) / _TICK, rest[0]


def _tree(root: int) -> dict[int, tuple[str, float, str]]:
    """(name, CPU seconds, state) of every live process whose ancestor chain reaches ``root``
    (``root`` included)."""
    stats: dict[int, tuple[int, str, float, str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(entry)
            if st is not None:
                stats[int(entry)] = st
    out: dict[int, tuple[str, float, str]] = {}
    for pid in stats:
        p, hops = pid, 0
        while p in stats and p != root and hops < 64:
            p, hops = stats[p][0], hops + 1
        if p == root:
            out[pid] = (stats[pid][1], stats[pid][2], stats[pid][3])
    return out


def run_measured(cmd: list[str], env: dict[str, str] | None = None, cores: int = 2,
                 interval: float = 0.1, window: float = 2.0) -> Measured:
    """Run ``cmd`` to completion (output captured) and measure it; see the module docstring."""
    linux = Path("/proc/self/stat").exists()
    load0 = _loadavg()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict[int, tuple[str, float]] = {}
    loads: list[float] = []
    timeline: list[tuple[float, dict[int, float]]] = []
    runnable: list[frozenset[int]] = []
    out: dict[str, str] = {}

    def drain(name: str, stream: Any) -> None:
        out[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(n, s), daemon=True)
               for n, s in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    for t in readers:
        t.start()
    while proc.poll() is None:
        if linux:
            now = _tree(proc.pid)
            step = {pid: cpu - seen.get(pid, (name, 0.0))[1] for pid, (name, cpu, _) in now.items()}
            timeline.append((time.perf_counter() - w0, step))
            runnable.append(frozenset(pid for pid, (_, _, state) in now.items() if state == "R"))
            seen.update({pid: (name, cpu) for pid, (name, cpu, _) in now.items()})
            loads.append(_loadavg())
        time.sleep(interval)
    wall = time.perf_counter() - w0
    for t in readers:
        t.join()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    unattributed = max(0.0, cpu - sum(c for _, c in seen.values())) if linux else 0.0
    per = dict(seen)
    if proc.pid in per:  # the command's own process first
        per = {proc.pid: per.pop(proc.pid), **per}
    m = Measured(proc.returncode, out.get("stdout", ""), out.get("stderr", ""), wall, cpu, wall, per,
                 (load0, sum(loads) / len(loads) if loads else load0, _loadavg()), timeline, cores, unattributed,
                 runnable, wall)
    if linux:
        m.idle_wall_s = m.idle_wall(window)
        m.runnable_wall_s = m.runnable_wall()
    return m
