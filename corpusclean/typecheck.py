"""Type checking of configuration values against type hints (a leaf module: no corpusclean imports
but :mod:`corpusclean.errors`, so both :mod:`corpusclean.config` and stage classes use it).

:func:`coerce` checks one value against a hint (``int``, ``float``, ``str``, ``bool``,
``Literal``, unions, ``list[...]``, ``dict[str, ...]``, dataclasses) and raises
:class:`~corpusclean.errors.ConfigError` naming the key path, what was expected and what was found.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal

from corpusclean.errors import ConfigError


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if hint is bool:
        return "true or false"
    if hint is str:
        return "a string"
    if hint is type(None):
        return "null"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return f"a list of {_describe(args[0])[2:] if args else 'values'}s" if args else "a list"
    if origin is dict:
        return "a mapping"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if hint is Any:
        return "any value"
    return getattr(hint, "__name__", str(hint))


def coerce(value: Any, hint: Any, path: str) -> Any:
    """Check ``value`` against a type hint; return it (ints accepted where floats are expected)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(value, arg, path)
            except ConfigError as e:
                errors.append(e)
        raise ConfigError(f"{path}: expected {_describe(hint)}, got {value!r}")
    if origin is Literal:
        if value in args:
            return value
        raise ConfigError(f"{path}: expected {_describe(hint)}, got {value!r}")
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin in (list, tuple) or hint is list:
        if isinstance(value, (list, tuple)):
            inner = args[0] if args else Any
            return [coerce(v, inner, f"{path}[{i}]") for i, v in enumerate(value)]
    elif origin is dict or hint is dict:
        if isinstance(value, dict):
            vt = args[1] if len(args) == 2 else Any
            return {str(k): coerce(v, vt, f"{path}.{k}") for k, v in value.items()}
    elif dataclasses.is_dataclass(hint):
        if isinstance(value, hint):  # built in Python: already checked by its own __init__
            return value
        if isinstance(value, dict):
            return build_dataclass(hint, value, path)
    else:  # pragma: no cover - a stage declared a type we do not check
        return value
    raise ConfigError(f"{path}: expected {_describe(hint)}, got {value!r}")


def build_dataclass(cls: Any, data: dict[str, Any], path: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{path}.{key}: unknown key; valid keys: {', '.join(fields)}"
                              if path else f"{key}: unknown key; valid keys: {', '.join(fields)}")
        kwargs[key] = coerce(value, hints[key], f"{path}.{key}" if path else key)
    return cls(**kwargs)


def check_params(stage: Any) -> None:
    """Type-check a stage's parameter values against their annotations, as YAML values are.

    ``stage``: a stage instance (:class:`corpusclean.stages.base.Stage`). Runs when a stage is built, from Python as from a config (``Stage.__post_init__``, and before
    a registered stage's own ``__post_init__``). Raises :class:`ConfigError` naming the parameter
    (``gopher_quality.min_doc_words: expected an integer, got 'fifty'``). An int given for a float
    parameter becomes a float.
    """
    hints = type(stage).param_types()
    label = type(stage).name or type(stage).__name__
    for f in type(stage).params():
        value = getattr(stage, f.name)
        checked = coerce(value, hints[f.name], f"{label}.{f.name}")
        if isinstance(checked, float) and type(value) is int:
            object.__setattr__(stage, f.name, checked)


__all__ = ["build_dataclass", "check_params", "coerce"]
