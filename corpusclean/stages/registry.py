"""The stage registry: YAML names to stage classes, discovery, user modules and entry points.

``@register(name)`` makes a class a keyword-only dataclass and files it under ``name`` (the YAML
key and the reason prefix). :func:`load_stages` imports every module of ``corpusclean.stages``
and the ``corpusclean.stages`` entry-point group of installed packages; a config's ``modules:``
are imported by :func:`import_stage_modules`. Errors are :class:`~corpusclean.errors.ConfigError`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from corpusclean.errors import ConfigError
from corpusclean.typecheck import check_params

if TYPE_CHECKING:
    from corpusclean.stages.base import Stage

STAGES: dict[str, type[Stage]] = {}
S = TypeVar("S", bound="type[Stage]")


def register(name: str) -> Callable[[S], S]:
    """Class decorator: make ``cls`` a keyword-only dataclass and register it under ``name``."""

    def deco(cls: S) -> S:
        own = cls.__dict__.get("__post_init__")
        if own is not None and not getattr(own, "_checks_params", False):
            def __post_init__(self: Stage, _own: Callable[[Stage], None] = own) -> None:
                check_params(self)
                _own(self)

            __post_init__._checks_params = True  # type: ignore[attr-defined]
            cls.__post_init__ = __post_init__  # type: ignore[attr-defined]
        if "__dataclass_fields__" not in cls.__dict__:
            cls = dataclass(kw_only=True)(cls)  # type: ignore[assignment]
        cls.name = name
        if name in STAGES and STAGES[name] is not cls:
            raise ValueError(f"stage name {name!r} registered twice ({STAGES[name]} and {cls})")
        STAGES[name] = cls
        return cls

    return deco


_loaded = False
#: Entry-point group of installed packages' stage modules (``name = "my_pkg.stages"``).
ENTRY_POINT_GROUP = "corpusclean.stages"


def load_stages() -> dict[str, type[Stage]]:
    """The registry, after importing every module in ``corpusclean.stages`` and every module an
    installed package declares in the ``corpusclean.stages`` entry-point group (once per process).

    A broken plugin raises :class:`ConfigError` naming the entry point.
    """
    global _loaded
    if not _loaded:
        import corpusclean.stages as pkg

        for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not mod.name.startswith("_"):
                importlib.import_module(f"corpusclean.stages.{mod.name}")
        from importlib.metadata import entry_points

        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                ep.load()
            except Exception as e:
                raise ConfigError(f"entry point {ENTRY_POINT_GROUP}:{ep.name} = {ep.value}: cannot import "
                                  f"({type(e).__name__}: {e})") from None
        _loaded = True
    return STAGES


def import_stage_modules(modules: Sequence[str], where: str = "modules") -> None:
    """Import the user's stage modules (the config's ``modules:``) so their ``@register`` runs.

    Names are dotted module names importable from ``sys.path`` (e.g. ``my_pkg.my_stages``;
    a folder can be added with ``PYTHONPATH``). Importing twice is a no-op. A module that
    cannot be imported raises :class:`ConfigError` naming ``where[i]`` and the cause.
    """
    load_stages()
    for i, name in enumerate(modules):
        try:
            importlib.import_module(name)
        except Exception as e:
            missing = isinstance(e, ModuleNotFoundError) and name.startswith(str(e.name))
            hint = " (is its folder on PYTHONPATH?)" if missing else ""
            raise ConfigError(f"{where}[{i}]: cannot import {name!r}: {type(e).__name__}: {e}{hint}") from None


def get_stage_class(name: str) -> type[Stage]:
    stages = load_stages()
    if name not in stages:
        raise KeyError(name)
    return stages[name]
