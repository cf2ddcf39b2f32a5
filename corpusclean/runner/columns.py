"""Which columns reach each stage, decided from declarations before anything is read.

Readers declare the content columns they fill (:data:`corpusclean.readers.FORMAT_COLUMNS`: a WARC
record yields ``html``, a JSONL record ``text``); stages declare what they need
(``Stage.requires``) and what they add (``Stage.columns``). :func:`check_columns` walks the
pipeline from each input format and raises :class:`~corpusclean.errors.ConfigError` (exit code 2,
one line) at the first stage whose needs nothing upstream fills, naming the stage to add (a
registered stage that fills the missing column from what the input carries). HTML stages pass
documents that already have text through unchanged (``extract``, ``hidden_text``), so a missing
``html`` where ``text`` is carried is not an error (``@gopher`` runs on JSONL). A column's presence
in a batch proves nothing: a WARC batch has a ``text`` column, all null, until ``extract`` fills it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa

from corpusclean.config import PipelineConfig, check_executor_packages
from corpusclean.errors import ConfigError
from corpusclean.stages.base import Stage, load_stages

#: Columns every reader fills (``id`` always; ``url``/``source``/``date`` where the input has them).
COMMON_COLUMNS = ("id", "url", "source", "date", "source_id")


def _format_columns() -> dict[str, tuple[str, ...]]:
    from corpusclean.readers import FORMAT_COLUMNS

    return FORMAT_COLUMNS


def providers(column: str, available: Iterable[str]) -> list[str]:
    """Registered stages that add ``column`` and can run on ``available`` columns, by name."""
    have = set(available)
    return sorted(name for name, cls in load_stages().items()
                  if column in cls.columns and set(cls.requires) <= have)


def check_columns(stages: Sequence[Stage], formats: Iterable[str], inputs: str = "the input") -> None:
    """Raise :class:`ConfigError` if a stage needs a column that neither the input (read as each
    of ``formats``) nor an earlier stage fills. ``inputs`` names the input in the message."""
    table = _format_columns()
    for fmt in sorted(set(formats)):
        if fmt not in table:
            continue
        available = set(COMMON_COLUMNS) | set(table[fmt])
        for i, stage in enumerate(stages):
            missing = [c for c in stage.requires if c not in available
                       and not (c == "html" and "text" in available)]
            if missing:
                where = f"stages[{i}].{stage.name}"
                if "text" in missing and "html" in available:
                    add = providers("text", available) or ["extract"]
                    raise ConfigError(
                        f"{where}: needs text, but {inputs} is {fmt} and carries HTML; "
                        f"add {' or '.join(repr(a) for a in add)} before {stage.name!r}")
                add = sorted({p for c in missing for p in providers(c, available)})
                hint = f"; add {' or '.join(repr(a) for a in add)} before it" if add else ""
                raise ConfigError(f"{where}: needs column(s) {', '.join(missing)}, which {inputs} ({fmt}) "
                                  f"does not carry and no earlier stage fills{hint}")
            available |= set(stage.columns)


def takes_pages(stage_names: Iterable[str]) -> bool:
    """Whether a pipeline of these stages can take records that carry only ``html`` (a JSONL page):
    False when a stage needs ``text`` before any stage has added it (``extract``)."""
    stages = load_stages()
    for name in stage_names:
        cls = stages[name]
        if "text" in cls.requires:
            return False
        if "text" in cls.columns:
            return True
    return True


def check_config_columns(config: PipelineConfig, files: Sequence[tuple[str, str]]) -> None:
    """:func:`check_columns` for a config over its expanded input ``files`` ((path, format) pairs)."""
    if not files:
        return
    by_format: dict[str, str] = {}
    for path, fmt in files:
        by_format.setdefault(fmt, path)
    stages = [spec.build() for spec in config.stages]
    for fmt, path in sorted(by_format.items()):
        n = sum(1 for _, f in files if f == fmt)
        name = path if n == 1 else f"{path} (and {n - 1} more {fmt} files)"
        check_columns(stages, [fmt], inputs=name)


def check_runnable(config: PipelineConfig, files: Sequence[tuple[str, str]]) -> pa.Schema:
    """Everything checked before a run starts that the config alone cannot tell: the executor's
    packages (``--executor`` may have changed it), the columns each input format carries and the
    input's own fields (:func:`~corpusclean.runner.inputs.input_schema`). Returns the run's extra
    columns (a schema); raises ``ConfigError``/``SchemaError`` (exit code 2)."""
    from corpusclean.runner.inputs import input_schema

    check_executor_packages(config.executor)
    check_config_columns(config, files)
    return input_schema(config, list(files))


__all__ = ["check_runnable", "COMMON_COLUMNS", "check_columns", "check_config_columns", "providers", "takes_pages"]
