"""The local executor: a process pool over tasks (``workers`` processes, default = cores).

With one worker the tasks run in this process (no pool: simpler tracebacks, no pickling). Each
pool process builds its stages once and keeps them for every task it runs. Pool processes ask the
kernel to kill them when the driver dies, so a killed run leaves nothing writing behind it.

``pmap`` (a global stage's parallel middle step, e.g. dedup's band-by-band grouping) runs on the
same pool; with one worker, or a function that cannot be pickled, it is the builtin ``map``.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import pickle
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Any

from corpusclean.config import PipelineConfig
from corpusclean.runner.plan import Task, Worker
from corpusclean.stages.base import Stage, load_stages


def stage_classes(config: PipelineConfig) -> dict[str, type[Stage]]:
    """The pipeline's stage classes, sent to worker processes so that a stage registered by the
    user's own module (imported in the driver) is known there too."""
    registry = load_stages()
    return {s.name: registry[s.name] for s in config.stages}

_worker: Worker | None = None
_progress: Any = None
log = logging.getLogger("corpusclean.runner")


def _die_with_parent() -> None:
    try:  # Linux: SIGKILL this process when the driver dies
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _init(config: PipelineConfig, progress_queue: Any, classes: dict[str, type[Stage]]) -> None:
    global _worker, _progress
    _die_with_parent()
    registry = load_stages()
    for name, cls in classes.items():  # unpickling imported their modules; make sure they are known
        registry.setdefault(name, cls)
    _worker = Worker(config)
    _progress = progress_queue


def _run(task: Task) -> list[str]:
    assert _worker is not None
    return _worker.run_task(task, _progress.put)


class LocalExecutor:
    """Runs tasks in a pool of ``workers`` processes (or in-process for one worker)."""

    def __init__(self, workers: int, config: PipelineConfig | None = None):
        self.workers = max(1, workers)
        self.config = config
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None
        self._inline: Worker | None = None

    def _ensure_pool(self, config: PipelineConfig) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = mp.get_context("spawn")
            self._queue = ctx.Queue()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init,
                                             initargs=(config, self._queue, stage_classes(config)))
        return self._pool

    def pmap(self, fn: Callable[[Any], Any], items: Iterable[Any], local_only: bool = False) -> Iterator[Any]:
        """``map(fn, items)`` on the worker pool, results in item order (``local_only``: always true here)."""
        items = list(items)
        if self.workers == 1 or self.config is None or len(items) < 2:
            return map(fn, items)
        try:
            pickle.dumps(fn)
        except Exception as e:  # a lambda or closure: run it here rather than fail
            log.info("pmap: %r cannot be sent to worker processes (%s); running it in the driver", fn, e)
            return map(fn, items)
        return self._ensure_pool(self.config).map(fn, items)

    def run(self, config: PipelineConfig, tasks: list[Task], on_done: Callable[[Task, list[str]], None],
            on_docs: Callable[[int], None]) -> None:
        if self.workers == 1:
            if self._inline is None:
                self._inline = Worker(config)
            for task in tasks:
                on_done(task, self._inline.run_task(task, on_docs))
            return
        if self.config is None:
            self.config = config
        self._ensure_pool(config)
        assert self._pool is not None
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
            futures = {self._pool.submit(_run, t): t for t in tasks}
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
