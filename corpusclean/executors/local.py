"""The local executor: a process pool over tasks (``executor.workers`` processes, default = cores).

The number of processes is bounded by the cores and the available memory
(:func:`bounded_workers`); a larger request is lowered with a warning.

With one worker the tasks run in this process (no pool: simpler tracebacks, no pickling). Each
pool process runs the shared start-up once (:func:`~corpusclean.executors.base.start_worker`,
as the pool's initializer) and keeps its :class:`~corpusclean.runner.worker.ShardRunner` for
every task. Processes are *spawned* (not forked), so a user module reaches them through
``modules:`` or by being importable. Pool processes ask the kernel to kill them when the driver
dies, first thing in their start-up, and exit if it is already gone, so a killed run (even in its
first seconds) leaves nothing writing behind it.

``pmap`` (a global stage's parallel middle step, e.g. dedup's band-by-band grouping) runs on the
same pool; with one worker, or a function that cannot be pickled, it is the builtin ``map``.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing as mp
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Any

from corpusclean.config import PipelineConfig
from corpusclean.executors.base import (
    Executor,
    OnDocs,
    OnDone,
    WorkerContext,
    cpu_count,
    run_task,
    start_worker,
)
from corpusclean.executors.memlog import measured
from corpusclean.runner.plan import Task

log = logging.getLogger("corpusclean.runner")

# ---------------------------------------------------------------------- in a pool process
_context: WorkerContext | None = None
_progress: Any = None


#: The pool's initializer, run by the builtin ``exec`` so nothing is imported or unpickled before
#: it: first ask the kernel to SIGKILL this process when the driver dies (``PR_SET_PDEATHSIG``),
#: then exit if the driver is already gone (it died while this process started), and only then
#: unpickle the run's context (which imports corpusclean and the user's stage modules, seconds).
_EARLY_INIT = """
import os, pickle
try:
    import ctypes, signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
except (OSError, AttributeError):
    pass
if os.getppid() != parent:
    os._exit(0)
from corpusclean.executors.local import _init
_init(pickle.loads(payload), queue, parent)
"""


def _init(ctx: WorkerContext, progress_queue: Any, parent: int) -> None:
    global _context, _progress
    start_worker(ctx)
    if os.getppid() != parent:  # the driver died during the imports (platforms without PDEATHSIG)
        os._exit(0)
    _context, _progress = ctx, progress_queue


def _run(task: Task) -> list[str]:
    assert _context is not None
    return measured(functools.partial(run_task, _context, progress=_progress.put))(task)


# ------------------------------------------------------------------------------ in the driver
#: Memory a worker process may need (imports, a shard of documents, a model): the bound on
#: workers from available memory is ``MemAvailable / WORKER_MEMORY``.
WORKER_MEMORY = 512 << 20


def available_memory() -> int | None:
    """Bytes of memory available to new processes (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def bounded_workers(requested: int | None) -> int:
    """Worker processes to start: ``requested`` (default: the cores), at most the cores this
    process may use and the memory available for :data:`WORKER_MEMORY` each, at least 1.

    A request above the bound is lowered, with a warning saying so (more processes than cores
    only compete for them; more than memory allows ends with the OOM killer).
    """
    cores = cpu_count()
    limit, why = cores, f"{cores} CPU core{'s' if cores != 1 else ''} available"
    mem = available_memory()
    if mem is not None and mem // WORKER_MEMORY < limit:
        limit = max(1, mem // WORKER_MEMORY)
        why = f"{mem >> 20} MiB of memory available, {WORKER_MEMORY >> 20} MiB per worker"
    if requested is None:
        return limit
    if requested > limit:
        log.warning("executor.workers: %d requested, using %d (%s)", requested, limit, why)
        return limit
    return max(1, requested)


class LocalExecutor(Executor):
    """Runs tasks in a pool of ``config.executor.workers`` processes (in-process for one worker)."""

    kind = "local"

    def __init__(self, config: PipelineConfig):
        super().__init__(config)
        self.workers = bounded_workers(config.executor.workers)
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = mp.get_context("spawn")
            self._queue = ctx.Queue()
            env = {"parent": os.getpid(), "payload": pickle.dumps(self.context), "queue": self._queue}
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=exec,
                                             initargs=(_EARLY_INIT, env))
        return self._pool

    def pmap(self, fn: Callable[[Any], Any], items: Iterable[Any], *, local_only: bool = False) -> Iterator[Any]:
        """``map(fn, items)`` on the worker pool, results in item order (always on this machine)."""
        items = list(items)
        fn = measured(fn)
        if self.workers == 1 or not items:  # a single item too goes to the pool: the driver stays small
            return map(fn, items)
        try:
            pickle.dumps(fn)
        except Exception as e:  # a lambda or closure: run it here rather than fail
            log.info("pmap: %r cannot be sent to worker processes (%s); running it in the driver", fn, e)
            return map(fn, items)
        return self._ensure_pool().map(fn, items)

    def run(self, tasks: list[Task], on_done: OnDone, on_docs: OnDocs) -> None:
        if self.workers == 1:
            for task in tasks:
                on_done(task, run_task(self.context, task, on_docs))
            return
        pool = self._ensure_pool()
        stop = threading.Event()

        def pump() -> None:
            while not stop.is_set():
                try:
                    on_docs(self._queue.get(timeout=0.2))
                except queue.Empty:
                    continue

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            futures = {pool.submit(_run, t): t for t in tasks}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for fut in finished:
                    exc = fut.exception()
                    if exc is not None:
                        for p in pending:
                            p.cancel()
                        raise exc
                    on_done(futures[fut], fut.result())
        finally:
            stop.set()
            reader.join()
            while True:  # drain what is left so the bar ends at the true count
                try:
                    on_docs(self._queue.get_nowait())
                except queue.Empty:
                    break

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        super().close()


__all__ = ["LocalExecutor"]
