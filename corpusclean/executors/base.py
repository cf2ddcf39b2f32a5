"""The executor contract, and the start-up every worker process shares.

An executor runs :class:`~corpusclean.runner.plan.Task` objects somewhere and reports each
finished one; the driver (:mod:`corpusclean.runner.driver`) does everything else (which shards
remain, the global middle steps, the manifest, the statistics). A subclass of :class:`Executor`
implements :meth:`Executor.run`, and may override :meth:`Executor.pmap` (a parallel map for
global stages' middle step) and :meth:`Executor.close`. It receives the config once, in the
constructor.

In each worker process, whatever the executor, the same start-up happens
(:func:`start_worker`): the user's stage modules named in ``modules:`` are imported, the stage
classes shipped with the :class:`WorkerContext` are registered (a stage defined in a script or
notebook), and a :class:`~corpusclean.runner.worker.ShardRunner` is built once per process and
run (:func:`shard_runner`, :func:`run_task`), with a process-wide cache of streaming stages so a
model is loaded once per process even across runs.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from corpusclean.config import PipelineConfig
from corpusclean.executors import EXECUTORS
from corpusclean.extras import Package
from corpusclean.runner.plan import Task
from corpusclean.runner.worker import ShardRunner
from corpusclean.stages.base import Stage, import_stage_modules, load_stages

#: ``on_done(task, completed shard keys)`` — called in the driver for each finished task.
OnDone = Callable[[Task, list[str]], None]
#: ``on_docs(n)`` — ``n`` more documents processed (progress).
OnDocs = Callable[[int], None]


def cpu_count() -> int:
    """CPUs this process may use (its affinity mask where the platform has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ------------------------------------------------------------------- worker-process start-up
@dataclass
class WorkerContext:
    """What a worker process needs to run a run's tasks (picklable; sent once per process or task)."""

    config: PipelineConfig
    #: The pipeline's stage classes by name, shipped by value for stages defined in ``__main__``.
    classes: dict[str, type[Stage]] = field(default_factory=dict)
    #: User stage modules to import first (the config's ``modules:``).
    modules: list[str] = field(default_factory=list)
    #: Identifies the run (a process keeps the ShardRunners of its last few runs).
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def for_config(cls, config: PipelineConfig) -> WorkerContext:
        registry = load_stages()
        return cls(config, {s.name: registry[s.name] for s in config.stages}, list(config.modules))


_RUNNERS: OrderedDict[str, ShardRunner] = OrderedDict()
_SHARED_STAGES: dict[str, Stage] = {}
#: ShardRunners kept per process (runs served by one long-lived process, e.g. a Ray worker).
KEEP_RUNNERS = 2


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def start_worker(ctx: WorkerContext) -> None:
    """Make this process know the run's stages: import ``modules:``, register shipped classes.

    A module that is not importable in this process is skipped when every stage of the pipeline
    came with the context (Ray ships user modules by value); otherwise it is a ``ConfigError``.
    """
    names = {s.name for s in ctx.config.stages}
    shipped = names <= set(ctx.classes)
    import_stage_modules([m for m in ctx.modules if not shipped or _importable(m)])
    registry = load_stages()
    for name, cls in ctx.classes.items():  # unpickling imported their modules; make sure they are known
        registry.setdefault(name, cls)


def shard_runner(ctx: WorkerContext) -> ShardRunner:
    """This process's :class:`ShardRunner` for the run ``ctx`` (built once, after :func:`start_worker`)."""
    runner = _RUNNERS.get(ctx.token)
    if runner is None:
        start_worker(ctx)
        runner = ShardRunner(ctx.config, shared=_SHARED_STAGES)
        _RUNNERS[ctx.token] = runner
        while len(_RUNNERS) > KEEP_RUNNERS:
            _RUNNERS.popitem(last=False)[1].close()
    else:
        _RUNNERS.move_to_end(ctx.token)
    return runner


def run_task(ctx: WorkerContext, task: Task, progress: OnDocs | None = None) -> list[str]:
    """Run ``task`` in this process; return its completed shard keys (``progress(n)`` per shard)."""
    return shard_runner(ctx).run_task(task, progress)


def forget_run(token: str) -> None:
    """Drop this process's ShardRunner of run ``token`` (its local copies of global states go too)."""
    runner = _RUNNERS.pop(token, None)
    if runner is not None:
        runner.close()


# ------------------------------------------------------------------------------- the base
class Executor(ABC):
    """Runs tasks; one subclass per place they can run (registered in :data:`EXECUTORS`).

    Subclasses get ``self.config`` and ``self.context`` (the :class:`WorkerContext` to send to
    their workers, which call :func:`run_task` with it). Usable as a context manager (``close``).
    """

    #: The YAML ``executor.kind`` value.
    kind: ClassVar[str] = ""
    #: Optional packages the executor imports (checked at config time, see :mod:`corpusclean.extras`).
    requires_packages: ClassVar[tuple[Package, ...]] = ()

    def __init__(self, config: PipelineConfig):
        self.config = config
        self.context = WorkerContext.for_config(config)

    @abstractmethod
    def run(self, tasks: list[Task], on_done: OnDone, on_docs: OnDocs) -> None:
        """Run every task; call ``on_done(task, keys)`` (in this thread) as each finishes and
        ``on_docs(n)`` for progress. The first task error stops the run and is raised here
        (finished shards keep their markers: the next run resumes)."""

    def pmap(self, fn: Callable[[Any], Any], items: Iterable[Any], *,
             local_only: bool = False) -> Iterator[Any]:
        """``map(fn, items)``, results in item order, in parallel where the executor can.

        ``local_only``: keep the calls on this machine (they read files only it holds). The
        default runs them here, one after another.
        """
        return map(fn, items)

    def pmap_local(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """:meth:`pmap` with ``local_only=True``."""
        return self.pmap(fn, items, local_only=True)

    def close(self) -> None:
        """Release processes or cluster connections (the executor may not be used afterwards)."""
        forget_run(self.context.token)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["EXECUTORS", "Executor", "OnDocs", "OnDone", "WorkerContext", "cpu_count", "forget_run", "run_task",
           "shard_runner", "start_worker"]
