"""``corpusclean report``: one self-contained HTML file that shows what a run did.

* :mod:`~corpusclean.report.gather` — what is read from the run (column projection; texts only
  from the row groups holding the examples);
* :mod:`~corpusclean.report.svg` — the charts (inline SVG) and number formats;
* :mod:`~corpusclean.report.sections` — the sections, and what each number is;
* :mod:`~corpusclean.report.safe` — crawled text made safe to show (also used by ``inspect``).

Safety: everything taken from the run (texts, URLs, ids, details, reasons, even parameter
values) is HTML-escaped, has its control and bidirectional-formatting characters shown as
escapes, and sits in its own ``<bdi>``; the page carries a Content-Security-Policy that forbids
every script, so a crawled page's ``<script>`` shows as text and could not run even if escaping
were bypassed. No JavaScript, no CDN, no network: the file opens from disk anywhere.

Cost: a 1,000,000-document run is reported in seconds (``scripts/benches/report.py``). The run's
folder may be local or remote (``s3://``, ``file://``, ``memory://``…); so may the report.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from corpusclean.io.files import atomic_write_bytes
from corpusclean.io.storage import AnyPath, RemotePath, as_path
from corpusclean.output.run_folder import RunFolder
from corpusclean.report import sections
from corpusclean.report.gather import ordered_stats
from corpusclean.report.safe import visible
from corpusclean.report.svg import esc
from corpusclean.whatif.output import RunOutput

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 18px 40px;color:#222}
h1{margin-bottom:4px} h2{border-bottom:2px solid #ddd;padding-bottom:3px;margin-top:36px}
table{border-collapse:collapse;margin:10px 0} td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,th:first-child,td.reasons{text-align:left} thead{background:#f3f3f3}
.grid{display:flex;flex-wrap:wrap;gap:10px} figure{margin:4px;border:1px solid #eee;padding:4px}
figcaption{font-size:12px;color:#555;max-width:460px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 3px 0 10px;vertical-align:middle}
.doc{border:1px solid #e3e3e3;margin:6px 0;background:#fcfcfc}
.doc .meta{font-size:12px;padding:3px 6px;background:#f3f3f3;word-break:break-all}
.doc pre{white-space:pre-wrap;word-wrap:break-word;margin:0;padding:6px;font-size:12px;max-height:260px;overflow:auto}
.side{display:flex;gap:8px} .side .col{flex:1;min-width:0} .cluster{margin:10px 0}
summary{cursor:pointer} .warn{color:#a00} .url{color:#336} .sig{color:#555}
"""


def build_report(output: str | Path | RemotePath, *, examples: int = 3, max_chars: int = 600,
                 clusters: int = 3) -> str:
    """The report of a finished run, as one HTML string (no external resource, no script).

    Raises :class:`~corpusclean.errors.RunError` (exit code 1) if ``output`` is not a finished run.
    """
    run = RunOutput.open(output)
    run.stats = ordered_stats(run.stats)
    body = "".join([sections.header(run), sections.funnel(run), sections.signals(run),
                    sections.duplicates(run, clusters, max_chars), sections.counters(run),
                    sections.examples(run, examples, max_chars)])
    generated = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            # No script of any kind may run, no resource may load: defence in depth behind escaping.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">"
            "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
            f"<title>corpusclean report — {esc(run.name)}</title><style>{CSS}</style></head><body>"
            f"{body}<footer><p>Generated {esc(generated)} by <code>corpusclean report</code>.</p></footer>"
            "</body></html>\n")


def write_report(output: str | Path | RemotePath, out: str | Path | RemotePath | None = None,
                 **kwargs: Any) -> AnyPath:
    """Write the report of ``output`` to ``out`` (default ``OUTPUT/report.html``, local or remote)
    atomically; return where. Raises ``RunError`` (not a finished run) or ``OSError``."""
    path = as_path(out) if out else RunFolder(output).report_path
    doc = build_report(output, **kwargs)
    # lone surrogates from damaged input are shown as escapes; any other unencodable character becomes U+FFFD
    atomic_write_bytes(path, doc.encode("utf-8", "replace"))
    return path


def report_after_run(out: str | Path | RemotePath) -> AnyPath | None:
    """The ``report: true`` hook at the end of a run: write ``OUTPUT/report.html``.

    The run's data is complete by then, so a report that fails only warns on stderr (with the
    command to retry); it never fails the run.
    """
    try:
        return write_report(out)
    except Exception as e:  # noqa: BLE001 - the run itself succeeded; never lose it to the report
        print(f"warning: the report could not be written ({type(e).__name__}: {visible(e)}); "
              f"retry with: corpusclean report {out}", file=sys.stderr)
        return None


__all__ = ["build_report", "report_after_run", "write_report"]
