"""``corpusclean validate``: check a config file without running it."""

from __future__ import annotations

import click

from corpusclean.config import load_config


@click.command("validate")
@click.argument("config", type=click.Path(dir_okay=False))
def command(config: str) -> None:
    """Check a config file without running it."""
    cfg = load_config(config)
    click.echo(f"{config}: ok ({len(cfg.stages)} stages: {', '.join(s.name for s in cfg.stages)}; "
               f"fingerprint {cfg.fingerprint()})")
