"""The ``corpusclean`` command line.

Errors a user can fix (a bad config key, a missing input, a folder that is not ours) are printed
as one line on stderr: exit code 2 for configuration errors, 1 for input and run errors. Never a
traceback for those.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import textwrap
import traceback
from pathlib import Path
from typing import Any

import click

from corpusclean.config import SAMPLE_INPUT, ConfigError, builtin_config, load_config
from corpusclean.io.readers import InputError
from corpusclean.report import report_cmd
from corpusclean.runner.driver import RunError, funnel_table, load_stats, run
from corpusclean.stages.base import StageInputError, load_stages
from corpusclean.whatif import whatif_cmd

DEFAULT_OUTPUT = "corpusclean-output"


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="corpusclean")
def main() -> None:
    """Clean a pretraining corpus, Gopher-style: extract, filter, deduplicate, decontaminate."""


@main.command("run")
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--input", "inputs", multiple=True, help="Input file, folder or glob (repeatable); overrides the config.")
@click.option("--output", help="Output folder; overrides the config.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: number of cores).")
@click.option("--overwrite", is_flag=True, help="Start over if OUTPUT holds a run with another config.")
@click.option("--strict", is_flag=True, help="Stop at the first damaged input file instead of recording it.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--executor", type=click.Choice(["local", "ray"]), help="Where tasks run (default: the config's, else local).")
@click.option("--address", help="Ray cluster: auto, ray://host:10001 or host:6379 (implies --executor ray).")
def run_cmd(config: str | None, inputs: tuple[str, ...], output: str | None, workers: int | None,
            overwrite: bool, strict: bool, quiet: bool, executor: str | None = None,
            address: str | None = None) -> None:
    """Run a pipeline. Without CONFIG: the built-in Gopher pipeline on the bundled sample crawl.

    Running the same command again resumes: complete shards are skipped.
    """
    try:
        cfg = load_config(config if config else builtin_config("gopher"))
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
    except ConfigError as e:
        _fail(str(e), 2)
    except (InputError, RunError, StageInputError) as e:
        _fail(str(e), 1)
    except KeyboardInterrupt:
        _fail("interrupted; run the same command again to resume", 130)
    except Exception as e:  # a disk error, a bug: one line here, the traceback kept in a file
        log = Path(tempfile.gettempdir()) / "corpusclean-error.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        first = str(e).splitlines()[0] if str(e) else ""
        _fail(f"{type(e).__name__}: {first} (traceback in {log}; run the same command again to resume)", 1)
    click.echo(funnel_table(stats))
    click.echo(f"\nclean corpus: {Path(cfg.output or '') / 'final'}")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
def validate(config: str) -> None:
    """Check a config file without running it."""
    try:
        cfg = load_config(config)
    except ConfigError as e:
        _fail(str(e), 2)
    click.echo(f"{config}: ok ({len(cfg.stages)} stages: {', '.join(s.name for s in cfg.stages)}; "
               f"fingerprint {cfg.fingerprint()})")


@main.command()
def stages() -> None:
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


@main.command("stats")
@click.argument("output", type=click.Path(file_okay=False))
def stats_cmd(output: str) -> None:
    """Print the funnel table of a finished run."""
    try:
        click.echo(funnel_table(load_stats(output)))
    except RunError as e:
        _fail(str(e), 1)


@main.command()
@click.argument("output", type=click.Path(file_okay=False))
@click.option("--stage", "stage", required=True, help="Stage name (gopher_quality), folder (03_gopher_quality) or 'read'.")
@click.option("--rejected", is_flag=True, help="Show rejected documents instead of kept ones.")
@click.option("--reason", help="Only rejected documents with this reason (implies --rejected).")
@click.option("-n", "limit", default=5, show_default=True, type=click.IntRange(min=1), help="How many documents.")
@click.option("--chars", default=400, show_default=True, help="Characters of text shown per document.")
def inspect(output: str, stage: str, rejected: bool, reason: str | None, limit: int, chars: int) -> None:
    """Show sample documents of a stage, to see what it kept or why it removed something."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    out = Path(output)
    folders = sorted(p.name for p in out.glob("[0-9][0-9]_*") if p.is_dir())
    if not folders:
        _fail(f"{output}: no stage folders here (not a corpusclean output folder)", 1)
    matches = [f for f in folders if f == stage or f.split("_", 1)[1] == stage]
    if len(matches) != 1:
        what = "matches several stages" if matches else "matches no stage"
        _fail(f"--stage {stage!r} {what}; choose one of: {', '.join(folders)}", 2)
    folder = out / matches[0]
    if reason or matches[0] == "00_read":
        rejected = True
    path = folder / "rejected" if rejected else folder
    files = sorted(path.glob("part-*.parquet"))
    if not files:
        click.echo(f"no {'rejected' if rejected else 'kept'} documents in {matches[0]}")
        return
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    filt = pc.field("reason") == reason if reason else None
    columns = [c for c in dataset.schema.names if c not in ("html",)]
    table = dataset.to_table(columns=columns, filter=filt)
    total = table.num_rows
    if reason and total == 0:
        reasons = sorted(set(dataset.to_table(columns=["reason"]).column("reason").to_pylist()))
        _fail(f"no documents with reason {reason!r} in {matches[0]}; reasons there: {', '.join(reasons)}", 1)
    click.echo(f"{matches[0]}: {total:,} {'rejected' if rejected else 'kept'} documents"
               + (f" with reason {reason}" if reason else "") + f"; showing {min(limit, total)}\n")
    for row in table.slice(0, limit).to_pylist():
        _show(row, chars)


def _show(row: dict[str, Any], chars: int) -> None:
    click.echo(click.style(f"── {row['id']}", bold=True))
    for key in ("url", "stage", "reason", "detail"):
        if row.get(key) is not None:
            click.echo(f"  {key}: {row[key]}")
    skip = {"id", "url", "stage", "reason", "detail", "text", "source", "meta", "html"}
    signals = {k: v for k, v in row.items() if k not in skip and v is not None}
    if signals:
        click.echo("  signals: " + ", ".join(f"{k}={_short(v)}" for k, v in signals.items()))
    text = row.get("text") or ""
    if text:
        body = text[:chars] + ("…" if len(text) > chars else "")
        click.echo(textwrap.indent(body, "  | "))
    click.echo()


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    s = str(v)
    return s if len(s) <= 60 else s[:57] + "..."


main.add_command(report_cmd)
main.add_command(whatif_cmd)

if __name__ == "__main__":  # pragma: no cover
    main()
