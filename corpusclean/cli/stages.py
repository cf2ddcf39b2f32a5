"""``corpusclean stages``: every registered stage with its parameters, defaults and docs."""

from __future__ import annotations

import dataclasses
import textwrap

import click

from corpusclean.stages.base import load_stages


@click.command("stages")
def command() -> None:
    """List every stage with its parameters, defaults and docs."""
    registry = load_stages()
    for name in sorted(registry):
        cls = registry[name]
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        click.echo(f"{name} ({cls.kind}): {doc}")
        types = cls.param_types()
        for f in cls.params():
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
            tname = getattr(types[f.name], "__name__", str(types[f.name]).replace("typing.", ""))
            click.echo(f"  {f.name}: {tname} = {default!r}")
            if f.metadata.get("doc"):
                click.echo(textwrap.fill(f.metadata["doc"], 100, initial_indent="      ", subsequent_indent="      "))
        click.echo()
