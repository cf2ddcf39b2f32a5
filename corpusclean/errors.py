"""Every error corpusclean raises on purpose, in one module every layer can import.

Each class carries the process exit code the CLI uses for it, so the CLI needs one ``except``:

* ``ConfigError`` (2) — a configuration problem: a wrong key, type or value, worded for the user
  with the key path.
* ``StageInputError`` (2) — a batch lacks a column a stage needs (a pipeline ordered wrongly).
* ``InputError`` (1) — bad input that stops the run (a missing path, damage under ``--strict``).
* ``SchemaError`` (2) — input fields that cannot be the run's columns (conflicting Parquet types).
* ``RunError`` (1) — a run cannot start or go on.
* ``WhatIfError`` (2 or 1) — a ``whatif --set`` that cannot be answered (2), or an output folder
  that cannot be read (1).

Messages are one line; the CLI prints them as ``error: <message>``.
"""

from __future__ import annotations


class CorpusCleanError(Exception):
    """Base of corpusclean's own errors; ``exit_code`` is what the CLI exits with."""

    exit_code: int = 1


class ConfigError(CorpusCleanError, ValueError):
    """A configuration problem, worded for the user (one line)."""

    exit_code = 2


class StageInputError(CorpusCleanError, ValueError):
    """A batch lacks a column the stage needs (a pipeline ordered wrongly)."""

    exit_code = 2


class InputError(CorpusCleanError):
    """Bad input that stops the run (a missing path, or damage under ``--strict``)."""


class SchemaError(InputError):
    """Input fields that cannot be one run's columns (Parquet files whose types conflict, a field
    named like a column corpusclean fills), found before anything is read."""

    exit_code = 2


class RunError(CorpusCleanError):
    """A run cannot start or go on (worded for the user, one line)."""


class WhatIfError(CorpusCleanError, ValueError):
    """A ``--set`` that cannot be answered (exit code 2), or an output folder we cannot read (1)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
        self.exit_code = code
