"""``corpusclean report``: write a self-contained HTML report of a finished run."""

from __future__ import annotations

import time

import click

from corpusclean.cli import fail
from corpusclean.report import write_report


@click.command("report")
@click.argument("output")
@click.option("--out", "out", help="Where to write the HTML, a path or URI (default: OUTPUT/report.html).")
@click.option("--examples", default=3, show_default=True, type=click.IntRange(min=0),
              help="Example documents per rejection reason.")
@click.option("--chars", default=600, show_default=True, type=click.IntRange(min=1),
              help="Characters of text shown per example.")
def command(output: str, out: str | None, examples: int, chars: int) -> None:
    """Write a self-contained HTML report of a finished run: funnel, signal histograms with their
    thresholds, dedup clusters, counters and examples of removed documents. Opens from disk.
    OUTPUT is a folder or an object-store URI."""
    t0 = time.perf_counter()
    try:
        path = write_report(output, out, examples=examples, max_chars=chars)
    except OSError as e:
        fail(f"cannot write the report: {e}", 1)
    click.echo(f"report: {path} ({time.perf_counter() - t0:.1f} s)")
