"""``corpusclean inspect``: sample documents of one stage, to see what it kept or why it removed them.

Crawled text, ids, URLs and details are shown through
:func:`~corpusclean.report.safe.visible`: control characters, terminal escape sequences and
bidirectional controls appear as escapes (``\\x1b``, ``\\u202e``), never raw.
"""

from __future__ import annotations

import textwrap
from typing import Any

import click
import pyarrow.compute as pc

from corpusclean.errors import ConfigError, RunError
from corpusclean.report.safe import visible
from corpusclean.whatif.output import READ_FOLDER, RunOutput, parquet_file

#: Columns shown by name, not as signals.
FIELDS = ("url", "stage", "reason", "detail")


@click.command("inspect")
@click.argument("output")
@click.option("--stage", "stage", required=True, help="Stage name (gopher_quality), folder (03_gopher_quality) or 'read'.")
@click.option("--rejected", is_flag=True, help="Show rejected documents instead of kept ones.")
@click.option("--reason", help="Only rejected documents with this reason (implies --rejected).")
@click.option("-n", "limit", default=5, show_default=True, type=click.IntRange(min=1), help="How many documents.")
@click.option("--chars", default=400, show_default=True, help="Characters of text shown per document.")
@click.option("--all-signals", is_flag=True, help="Also show the signal columns of earlier stages.")
def command(output: str, stage: str, rejected: bool, reason: str | None, limit: int, chars: int,
            all_signals: bool) -> None:
    """Show sample documents of a stage: text, reason, detail and the stage's own signals.

    OUTPUT is a folder or an object-store URI (s3://bucket/out, file:///abs/out, …).
    """
    run = RunOutput.open(output, need_stats=False, need_modules=False)  # samples need no stage class
    folders = run.folders()
    matches = [f for f in folders if f == stage or f.split("_", 1)[1] == stage]
    if len(matches) != 1:
        what = "matches several stages" if matches else "matches no stage"
        raise ConfigError(f"--stage {stage!r} {what}; choose one of: {', '.join(folders)}")
    folder = matches[0]
    info = next((s for s in run.stages if s.folder == folder), None)
    own = set(info.columns()) if info is not None else set()
    # signals are the stages' own columns; document columns and the input's extra columns are not
    signal_names = {c for s in run.stages for c in s.columns()}
    if reason or folder == READ_FOLDER:
        rejected = True
    files = run.rejected_files(folder) if rejected else run.kept_files(folder)
    total, rows, reasons = 0, [], set()
    for f in files:
        pf = parquet_file(f)
        mask = None
        if reason:
            col = pf.read(columns=["reason"]).column("reason")
            reasons.update(col.unique().to_pylist())
            mask = pc.equal(col, reason)
            n = int(pc.sum(mask).as_py() or 0)
        else:
            n = pf.metadata.num_rows
        total += n
        if n and len(rows) < limit:
            t = pf.read(columns=[c for c in pf.schema_arrow.names if c != "html"])
            t = t.filter(mask) if mask is not None else t
            rows.extend(t.slice(0, limit - len(rows)).to_pylist())
    kind = "rejected" if rejected else "kept"
    if not files or (total == 0 and not reason):
        click.echo(f"no {kind} documents in {folder}")
        return
    if reason and total == 0:
        raise RunError(f"no documents with reason {reason!r} in {folder}; reasons there: "
                       + ", ".join(sorted(r for r in reasons if r)))
    click.echo(f"{folder}: {total:,} {kind} documents" + (f" with reason {visible(reason)}" if reason else "")
               + f"; showing {min(limit, total)}\n")
    if not rejected and not run.folder.kept_is_full(folder):
        click.echo("(this run stored only the id and signal columns of this stage's kept documents: "
                   "write_kept: final; the full documents are in final/, or in every stage with write_kept: all)\n")
    for row in rows:
        show_row(row, chars, own, all_signals, signal_names)


def show_row(row: dict[str, Any], chars: int, own: set[str], all_signals: bool, signal_names: set[str]) -> None:
    """Print one document: id, fields, the stage's signals (or all stages' ``signal_names``), and
    the start of its text."""
    click.echo(click.style(f"── {visible(row['id'])}", bold=True))
    for key in FIELDS:
        if row.get(key) is not None:
            click.echo(f"  {key}: {visible(row[key])}")
    signals = {k: v for k, v in row.items() if k in signal_names and v is not None}
    shown = {k: v for k, v in signals.items() if all_signals or k in own}
    more = len(signals) - len(shown)
    if shown or more:
        line = ", ".join(f"{k}={_short(v)}" for k, v in shown.items()) or "none of its own"
        hint = f" (+{more} of earlier stages: --all-signals)" if more else ""
        click.echo(f"  signals: {line}{hint}")
    text = row.get("text") or ""
    if text:
        body = text[:chars] + ("…" if len(text) > chars else "")
        click.echo(textwrap.indent(visible(body, multiline=True), "  | ", lambda _line: True))
    click.echo()


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    s = visible(v)
    return s if len(s) <= 60 else s[:57] + "..."
