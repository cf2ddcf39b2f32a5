"""EXECUTORS: where tasks run. One :class:`~corpusclean.executors.base.Executor` subclass each.

This module is the registry and imports nothing, so the config layer can check
``executor.kind`` (and the CLI list ``--executor`` choices) without importing the executors
themselves (Ray stays optional, and there is no import cycle). An entry maps a kind, the YAML
``executor: {kind: …}`` value, to the dotted path of its class, imported on first use by
:func:`executor_class`.

Adding an executor: subclass :class:`~corpusclean.executors.base.Executor` (implement ``run``;
``pmap`` and ``close`` if it can do better than the defaults) and add one line to
:data:`EXECUTORS` — or, from outside the package, call :func:`register_executor` or declare an
entry point in the ``corpusclean.executors`` group (``kind = "my_pkg.module:MyExecutor"``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from corpusclean.errors import ConfigError

if TYPE_CHECKING:  # annotations only: importing them here would make a cycle through the runner
    from corpusclean.config import PipelineConfig
    from corpusclean.executors.base import Executor

#: kind → ``"module:Class"`` of the executor class.
EXECUTORS: dict[str, str] = {
    "local": "corpusclean.executors.local:LocalExecutor",
    "ray": "corpusclean.executors.ray:RayExecutor",
}

ENTRY_POINT_GROUP = "corpusclean.executors"
_entry_points_loaded = False


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        EXECUTORS.setdefault(ep.name, ep.value)


def register_executor(kind: str, target: str | type) -> None:
    """Register executor class ``target`` (a class, or ``"module:Class"``) under ``kind``."""
    if isinstance(target, type):
        target = f"{target.__module__}:{target.__qualname__}"
    EXECUTORS[kind] = target


def executor_names() -> list[str]:
    """Every known executor kind, sorted (built-in, registered, and installed entry points)."""
    _load_entry_points()
    return sorted(EXECUTORS)


def executor_class(kind: str) -> Any:
    """The executor class for ``kind`` (``KeyError`` if unknown)."""
    _load_entry_points()
    module, _, name = EXECUTORS[kind].partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def make_executor(config: PipelineConfig) -> Executor:
    """The executor ``config.executor.kind`` names, built with the config.

    Raises :class:`ConfigError` (``executor.kind: …``) for an unknown kind, and whatever the
    executor raises when it cannot start (e.g. ``RunError`` when Ray is not installed).
    """
    kind = config.executor.kind
    names = executor_names()
    if kind not in names:
        raise ConfigError(f"executor.kind: expected one of {', '.join(map(repr, names))}, got {kind!r}")
    return executor_class(kind)(config)


__all__ = ["ENTRY_POINT_GROUP", "EXECUTORS", "executor_class", "executor_names", "make_executor",
           "register_executor"]
