"""``corpusclean whatif``: re-apply changed thresholds to a finished run's stored signals."""

from __future__ import annotations

import json

import click

from corpusclean.whatif import format_result, whatif


@click.command("whatif")
@click.argument("output")
@click.option("--set", "sets", multiple=True, required=True, metavar="STAGE.PARAM=VALUE",
              help="A threshold to change (repeatable), e.g. gopher_quality.min_doc_words=100.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def command(output: str, sets: tuple[str, ...], as_json: bool) -> None:
    """Re-apply changed thresholds to a finished run's stored signals and print both funnels.

    Nothing is recomputed. Changes that stored signals cannot answer (dedup parameters, stages
    that rewrite text, parameters that change how a signal is computed) are refused with the
    reason; documents whose fate the run cannot tell (kept now, but never seen by a later stage)
    are counted as unknown. OUTPUT is a folder or an object-store URI.
    """
    res = whatif(output, list(sets))
    click.echo(json.dumps(res.to_dict(), indent=1, default=str) if as_json else format_result(res))
