"""Packaging: every package the code imports is declared; the package ships py.typed and configs."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

from corpusclean.extras import EXTRAS

ROOT = Path(__file__).resolve().parent.parent
#: import name -> distribution name, for packages whose names differ (and that may not be installed)
IMPORT_TO_DIST = {"yaml": "pyyaml", "ahocorasick": "pyahocorasick", "fasttext": "fasttext-predict",
                  "charset_normalizer": "charset-normalizer", "lxml": "lxml"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_level() -> set[str]:
    """Top-level names of every import statement in corpusclean/ (function-level imports too)."""
    names: set[str] = set()
    for path in (ROOT / "corpusclean").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "corpusclean"}


def declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def dist(req: str) -> str:
        return _norm(re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0])

    core = {dist(r) for r in project["dependencies"]}
    extras = {k: {dist(r) for r in v} for k, v in project["optional-dependencies"].items()}
    return core, extras


def test_every_imported_package_is_declared() -> None:
    core, extras = declared()
    known = packages_distributions()
    all_declared = core | set().union(*extras.values())
    missing = []
    for name in sorted(imported_top_level()):
        dists = {_norm(d) for d in known.get(name, [])} | ({_norm(IMPORT_TO_DIST[name])} if name in IMPORT_TO_DIST else set())
        if not dists:
            dists = {_norm(name)}
        if not dists & all_declared:
            missing.append(f"{name} ({', '.join(sorted(dists))})")
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_no_zstandard_pyarrow_decompresses_zstd() -> None:
    core, extras = declared()
    assert "zstandard" not in core and "zstandard" not in imported_top_level()


def test_optional_packages_are_in_the_extra_that_the_error_names() -> None:
    from corpusclean.executors.ray import RayExecutor
    from corpusclean.stages.extract import Extract

    core, extras = declared()
    for pkg in (*Extract.requires_packages, *RayExecutor.requires_packages):
        assert _norm(pkg.module) in (core if pkg.extra is None else extras[pkg.extra])
    assert set(EXTRAS) == set(extras)  # every extra is described (README and `corpusclean` errors)


def test_package_data_ships_py_typed_and_configs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = project["tool"]["setuptools"]["package-data"]["corpusclean"]
    assert "py.typed" in data and "configs/*.yaml" in data
    assert (ROOT / "corpusclean" / "py.typed").exists()
