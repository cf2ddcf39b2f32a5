"""``corpusclean stats``: the funnel table of a finished run (local or remote output)."""

from __future__ import annotations

import click

from corpusclean.report.gather import ordered_stats
from corpusclean.report.safe import visible
from corpusclean.runner.driver import load_stats
from corpusclean.runner.stats import funnel_table


@click.command("stats")
@click.argument("output")
def command(output: str) -> None:
    """Print the funnel table of a finished run; top reasons by count, as the run prints them.

    OUTPUT is a folder or an object-store URI (s3://bucket/out, file:///abs/out, …).
    """
    click.echo(visible(funnel_table(ordered_stats(load_stats(output))), multiline=True))
