"""The ``corpusclean`` command line: one module per command, one place for errors.

Errors a user can fix (a bad config key, a missing input, a folder that is not ours) are
:class:`~corpusclean.errors.CorpusCleanError` subclasses, printed here as one line on stderr and
exiting with the class's ``exit_code`` (2: configuration or usage, 1: input and run). Anything
else is a bug or a disk error: one line too, with the traceback kept in a file. Never a traceback
on the terminal.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from typing import Any, NoReturn

import click

from corpusclean.errors import CorpusCleanError
from corpusclean.report.safe import visible
from corpusclean.runner.progress import lines_for_warnings


def fail(message: str, code: int) -> NoReturn:
    """Print ``error: <message>`` (one line, unsafe characters escaped) on stderr and exit with ``code``."""
    click.echo(f"error: {visible(message)}", err=True)
    sys.exit(code)


def _keep_traceback() -> str:
    """Write the current traceback to a new file of its own (never a fixed name); return its path."""
    fd, path = tempfile.mkstemp(prefix="corpusclean-error-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(traceback.format_exc())
    return path


class _Main(click.Group):
    """The command group: turns every error into one line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with lines_for_warnings():  # `warning: <message> (FutureWarning)`, one line, no source line
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except CorpusCleanError as e:
            fail(str(e), e.exit_code)
        except KeyboardInterrupt:
            fail("interrupted" + _resume(ctx), 130)
        except BrokenPipeError:  # `corpusclean stages | head`: the reader left; not an error of ours
            import os
            import sys

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so Python's exit-time flush stays quiet
            sys.exit(0)
        except Exception as e:  # a disk error, a bug: one line here, the traceback kept in a file
            log = _keep_traceback()
            first = str(e).splitlines()[0] if str(e) else ""
            fail(f"{type(e).__name__}: {first} (traceback in {log}{_resume(ctx)})", 1)


def _resume(ctx: click.Context) -> str:
    return "; run the same command again to resume" if ctx.invoked_subcommand == "run" else ""


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="corpusclean")
def main() -> None:
    """Clean a pretraining corpus, Gopher-style: extract, filter, deduplicate, decontaminate."""


def _register() -> None:
    from corpusclean.cli import configs, inspect, report, run, stages, stats, validate, whatif

    for module in (run, validate, configs, stages, stats, inspect, report, whatif):
        main.add_command(module.command)


_register()

__all__ = ["fail", "main"]
