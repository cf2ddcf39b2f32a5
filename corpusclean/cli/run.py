"""``corpusclean run``: run a pipeline (resumes when run again)."""

from __future__ import annotations

import click

from corpusclean.cli.configs import resolve_config
from corpusclean.config import builtin_config, load_config
from corpusclean.executors import executor_names
from corpusclean.output.run_folder import RunFolder
from corpusclean.readers import SAMPLE_INPUT
from corpusclean.report.safe import visible
from corpusclean.runner.driver import run
from corpusclean.runner.stats import funnel_table

#: Where ``corpusclean run`` without a config writes.
DEFAULT_OUTPUT = "corpusclean-output"


@click.command("run")
@click.argument("config", required=False)
@click.option("--input", "inputs", multiple=True, help="Input file, folder or glob (repeatable); overrides the config.")
@click.option("--output", help="Output folder; overrides the config.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: number of cores).")
@click.option("--overwrite", is_flag=True, help="Start over if OUTPUT holds a run with another config.")
@click.option("--strict", is_flag=True, help="Stop at the first damaged input file instead of recording it.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--executor", type=click.Choice(executor_names()), help="Where tasks run (default: the config's, else local).")
@click.option("--address", help="Ray cluster: auto, ray://host:10001 or host:6379 (implies --executor ray).")
def command(config: str | None, inputs: tuple[str, ...], output: str | None, workers: int | None,
            overwrite: bool, strict: bool, quiet: bool, executor: str | None = None,
            address: str | None = None) -> None:
    """Run a pipeline. CONFIG: a YAML file, or @NAME for a built-in one (`corpusclean config list`).
    Without CONFIG: the built-in Gopher pipeline (@gopher) on the bundled sample crawl.

    Running the same command again resumes: complete shards are skipped.
    """
    cfg = load_config(resolve_config(config) if config else builtin_config("gopher"))
    if inputs:
        cfg.input.paths = list(inputs)
    elif not config and not cfg.input.paths:
        cfg.input.paths = [SAMPLE_INPUT]
    if output:
        cfg.output = output
    elif not cfg.output and not config:
        cfg.output = DEFAULT_OUTPUT
    if workers:
        cfg.workers = workers
    if strict:
        cfg.strict = True
    if executor or address:
        cfg.executor.kind = "ray" if address and not executor else executor  # type: ignore[assignment]
        if address:
            cfg.executor.address = address
    stats = run(cfg, overwrite=overwrite, progress=not quiet)
    click.echo(visible(funnel_table(stats), multiline=True))  # file names and details come from the input
    folder = RunFolder(cfg.output or ".")
    click.echo(f"\nclean corpus: {visible(folder.final)}")
    if cfg.report and (folder.root / "report.html").exists():
        click.echo(f"report: {visible(folder.root / 'report.html')}")
    read = stats.get("read", {})
    if not read.get("documents") and not read.get("rejected"):
        click.echo("warning: no documents were read from the input (empty files, or only damaged or "
                   "skipped records: see above)", err=True)
