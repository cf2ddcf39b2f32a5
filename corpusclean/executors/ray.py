"""The Ray executor: the same plan and the same task function as the local executor, on a cluster.

Every :class:`~corpusclean.runner.plan.Task` (the shards of one input file, or one shard of a later
segment) becomes one Ray task running :func:`~corpusclean.executors.base.run_task`, exactly what a
local pool process runs, so outputs, markers, manifest and statistics are the same files. The driver (this process)
keeps what it does locally: the manifest, resume, the global stages' middle steps, the statistics.

* **Loaded once per worker process.** A Ray worker process keeps its
  :class:`~corpusclean.runner.worker.ShardRunner` (stages set up, global states loaded) in the
  process cache of :mod:`corpusclean.executors.base`, keyed by this run's token, and streaming
  stages (language model, block-lists, decontamination index) in a process-wide cache keyed by
  stage name and parameters, so a model is loaded once per process, not once per shard.
* **Fault tolerance.** A worker process that dies mid-task (OOM killer, preempted node) is
  retried by Ray (``max_retries``); every file is written atomically and the shard marker last,
  so a retried shard rewrites identical files. Exceptions raised by stage code are not retried
  (they would fail again); they stop the run like in the local executor, and the next run resumes.
* **Driver death.** Ray ends the tasks of a driver that dies; re-running the same command resumes
  from the markers, as locally.
* **Middle step in parallel.** :meth:`RayExecutor.pmap` runs a global stage's independent pieces
  (dedup's bands) as Ray tasks; only their small results (edges) come back to the driver.
* **Custom stages.** The modules named in ``modules:`` travel with the tasks by value
  (:meth:`RayExecutor._ship_user_modules`), and are imported too where the workers can import
  them; the pipeline's stage classes are shipped with the tasks, so a stage defined in the
  driver's script works as well.

Nothing here is imported unless ``executor: {kind: ray}`` is chosen, so Ray stays optional.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from corpusclean.config import PipelineConfig
from corpusclean.errors import RunError
from corpusclean.executors.base import Executor, OnDocs, OnDone, WorkerContext, run_task
from corpusclean.executors.memlog import measured
from corpusclean.extras import Package
from corpusclean.runner.plan import Task

log = logging.getLogger("corpusclean.runner")
#: Ray retries a task whose worker process died this many times (not a task that raised).
MAX_RETRIES = int(os.environ.get("CORPUSCLEAN_RAY_RETRIES", "3"))


# ---------------------------------------------------------------------- in the worker process
def _run_task(ctx: WorkerContext, task: Task) -> tuple[list[str], int]:
    """The Ray task: one :class:`Task`; returns its completed shard keys and documents read."""
    docs = 0

    def count(n: int) -> None:
        nonlocal docs
        docs += n

    keys = run_task(ctx, task, count)
    return keys, docs


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


# ------------------------------------------------------------------------------ in the driver
#: Seconds to wait for a TCP connection to a Ray cluster's GCS before calling it gone.
CONNECT_TIMEOUT = float(os.environ.get("CORPUSCLEAN_RAY_CONNECT_TIMEOUT", "5"))


def _reachable(address: str, timeout: float | None = None) -> bool:
    """Can a TCP connection be opened to ``host:port`` within ``timeout`` (default
    :data:`CONNECT_TIMEOUT`) seconds?"""
    import socket

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def cluster_address(address: str | None) -> str | None:
    """The ``address`` to give ``ray.init``, checked so a cluster that is gone never hangs the run.

    Ray itself would resolve ``None``/``"auto"`` through ``RAY_ADDRESS`` and the session file
    ``/tmp/ray/ray_current_cluster``, then retry a dead address for minutes. Here: with no
    address, a session file (or ``RAY_ADDRESS``) naming an unreachable cluster is ignored with a
    warning and a local instance is started (``"local"``); an explicit ``host:port`` or
    ``"auto"`` that is unreachable is a one-line :class:`RunError` within
    :data:`CONNECT_TIMEOUT` seconds. ``ray://`` (Ray Client) addresses are passed on as they are.
    """
    if address is not None and (address == "local" or "://" in address):
        return address
    try:
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:  # a Ray without this helper: let ray.init decide
        return address
    try:
        resolved = canonicalize_bootstrap_address(address)
    except (ConnectionError, ValueError) as e:
        raise RunError(f"executor.address {address!r}: {str(e).splitlines()[0]}") from None
    if resolved is None or _reachable(resolved):
        return address
    if address is None and not os.environ.get("RAY_ADDRESS"):
        log.warning("Ray: the last cluster recorded on this machine (%s) is gone; starting a local instance",
                    resolved)
        return "local"
    where = f"RAY_ADDRESS={os.environ['RAY_ADDRESS']!r}" if os.environ.get("RAY_ADDRESS") else \
        f"executor.address {address!r}"
    raise RunError(f"{where}: no Ray cluster answers at {resolved} (waited {CONNECT_TIMEOUT:g} s); "
                   "start it (ray start --head) or give another --address")


class RayExecutor(Executor):
    """Runs tasks as Ray tasks on the cluster at ``config.executor.address``.

    ``address``: ``None`` starts a local Ray instance (or joins the one ``RAY_ADDRESS`` names),
    ``"auto"`` joins the cluster running on this machine, ``"ray://host:10001"`` goes through
    Ray Client. If Ray is already initialised in this process it is used as it is.
    """

    kind = "ray"
    requires_packages = (Package("ray", "ray"),)

    def __init__(self, config: PipelineConfig, max_retries: int = MAX_RETRIES):
        super().__init__(config)
        try:
            import ray
        except ImportError:
            raise RunError("the ray executor needs Ray: pip install 'corpusclean[ray]'") from None
        self.ray = ray
        self.address = config.executor.address
        self.max_retries = max_retries
        self._owns = False
        if not ray.is_initialized():
            ray.init(address=cluster_address(self.address), include_dashboard=False, log_to_driver=True,
                     configure_logging=False)
            self._owns = True
        self._context_ref: Any = None
        self._ship_user_modules()
        self._task_fn = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)(_run_task)
        self._apply_fn = ray.remote(num_cpus=1, max_retries=max_retries)(_apply)

    def _ship_user_modules(self) -> None:
        """Send the user's ``modules:`` to the workers with the tasks, by value.

        Ray pickles with cloudpickle; a module registered "by value" travels as code (its
        classes and the module-level functions they use), so a stage module that exists only on
        the driver's machine works on every node. Where the module is importable on a worker
        (installed there) it is imported as well and its own classes are used.
        """
        for name in self.config.modules:
            module = sys.modules.get(name)
            if module is not None and not name.startswith("corpusclean"):
                self.ray.cloudpickle.register_pickle_by_value(module)

    def _cpus(self) -> int:
        try:
            return max(1, int(self.ray.cluster_resources().get("CPU", 1)))
        except Exception:
            return 1

    def _window(self) -> int:
        """Tasks in flight at once: enough to keep every CPU busy, bounded so the driver's
        bookkeeping stays small whatever the number of shards."""
        return max(4, 4 * self._cpus())

    def run(self, tasks: list[Task], on_done: OnDone, on_docs: OnDocs) -> None:
        ray = self.ray
        if self._context_ref is None:
            self._context_ref = ray.put(self.context)
        queue = deque(tasks)
        running: dict[Any, Task] = {}
        try:
            while queue or running:
                while queue and len(running) < self._window():
                    task = queue.popleft()
                    running[self._task_fn.remote(self._context_ref, task)] = task
                ready, _ = ray.wait(list(running), num_returns=1)
                for ref in ready:
                    task = running.pop(ref)
                    try:
                        keys, docs = ray.get(ref)
                    except ray.exceptions.RayTaskError as e:
                        raise e.as_instanceof_cause() from None
                    on_docs(docs)
                    on_done(task, keys)
        finally:
            for ref in running:  # an error stopped the run: do not leave work behind
                ray.cancel(ref, force=True)

    def pmap(self, fn: Callable[[Any], Any], items: Iterable[Any], *, local_only: bool = False) -> Iterator[Any]:
        """``map(fn, items)`` as Ray tasks, results yielded in item order.

        ``local_only`` keeps the tasks on the driver's node (they read files only it holds: the
        local copy of scan files staged from an object store).
        """
        ray = self.ray
        options: dict[str, Any] = {}
        if local_only:
            try:
                from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

                node = ray.get_runtime_context().get_node_id()
                options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=False)
            except Exception:  # Ray Client: no node of our own; run anywhere
                pass
        fn_ref = ray.put(measured(fn))
        remote = self._apply_fn.options(**options) if options else self._apply_fn
        items_iter = iter(items)
        window: deque[Any] = deque(remote.remote(fn_ref, it) for it in itertools.islice(items_iter, self._window()))
        while window:
            ref = window.popleft()
            try:
                result = ray.get(ref)
            except ray.exceptions.RayTaskError as e:
                for r in window:
                    ray.cancel(r, force=True)
                raise e.as_instanceof_cause() from None
            for it in itertools.islice(items_iter, 1):
                window.append(remote.remote(fn_ref, it))
            yield result

    def close(self) -> None:
        self._context_ref = None
        if self._owns and self.ray.is_initialized():
            self.ray.shutdown()
            self._owns = False
        super().close()


__all__ = ["RayExecutor"]
