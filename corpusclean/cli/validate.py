"""``corpusclean validate``: check a config file without running it."""

from __future__ import annotations

import click

from corpusclean.cli.configs import resolve_config
from corpusclean.config import load_config
from corpusclean.errors import InputError
from corpusclean.readers import detect_format, expand_inputs
from corpusclean.runner.columns import check_runnable


@click.command("validate")
@click.argument("config")
def command(config: str) -> None:
    """Check a config file (or a built-in one, @gopher) without running it.

    Checks keys, types and values, the optional packages the stages and executor need, and, when
    the input files can be listed, that each stage gets the columns it needs from the input
    (HTML input needs an `extract` stage before text filters).
    """
    path = resolve_config(config)
    cfg = load_config(path)
    cfg.require_stages()  # as `run` does: a config with nothing to run is not ok
    note = ""
    if cfg.input.paths:
        try:
            files = expand_inputs(cfg.input.paths, cfg.input.format)
        except InputError as e:  # the input may live elsewhere: check what can be checked
            files = [(p, f) for p in cfg.input.paths
                     if (f := cfg.input.format if cfg.input.format != "auto" else detect_format(p))]
            note = f"; input not checked: {e}"
        check_runnable(cfg, files)
    click.echo(f"{config}: ok ({len(cfg.stages)} stages: {', '.join(s.name for s in cfg.stages)}; "
               f"fingerprint {cfg.fingerprint()}{note})")
