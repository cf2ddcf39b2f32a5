"""The report's sections, each an HTML string: funnel, signals, clusters, counters, examples.

What each section shows, and where each number comes from:

* **Funnel** — documents and bytes kept after each stage, share removed, top reasons by count:
  from ``stats.json`` alone.
* **Signals** — for every numeric signal column a streaming stage stored, a histogram of the
  documents that entered the stage, kept and rejected stacked, with the stage's thresholds drawn
  on it (the class's ``thresholds`` say which parameter cuts which column and from which side).
* **Deduplication** — for every stage declaring a ``duplicate_column``: cluster sizes and a few of
  the largest clusters side by side. **Counters** — what stages counted (titles from the stage's
  ``counter_titles``). No section tests a stage's name.
* **Examples** — for every rejection reason, a few removed documents (truncated).

Every value from the run goes through :func:`show` (isolated in ``<bdi>``, unsafe characters as
visible escapes, HTML-escaped) or, inside attributes and SVG, :func:`~corpusclean.report.svg.esc`.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa

from corpusclean.report import gather
from corpusclean.report.safe import visible
from corpusclean.report.svg import (
    KEPT_COLOR,
    REJECTED_COLOR,
    esc,
    fmt_bytes,
    fmt_num,
    make_histogram,
    svg_hbars,
    svg_histogram,
)
from corpusclean.stages.base import GlobalStage
from corpusclean.whatif.output import READ_FOLDER, RunOutput
from corpusclean.whatif.sets import threshold_pairs


def show(value: Any) -> str:
    """One field from the run, for HTML text: escaped and isolated, so its direction stays inside."""
    return f"<bdi>{esc(value)}</bdi>"


def _removed(s: dict[str, Any]) -> int:
    """Bytes removed by a stage in the unit of what it kept (text after extraction): the rejected
    documents' bytes when the run recorded them, else bytes in − bytes kept (older runs)."""
    if "bytes_rejected" in s:
        return int(s["bytes_rejected"])
    return max(int(s.get("bytes_in", 0)) - int(s.get("bytes_kept", 0)), 0)


def _converts(s: dict[str, Any]) -> bool:
    """The stage turned HTML into text (its byte counts in and out are of different things)."""
    return s.get("bytes_in_of") == "html" and s.get("bytes_kept_of") == "text"


def funnel(run: RunOutput) -> str:
    read = run.stats.get("read", {})
    n0 = int(read.get("documents", 0)) + int(read.get("rejected", 0))
    rows = [(READ_FOLDER, n0, int(read.get("documents", 0)), read.get("bytes", 0), 0,
             read.get("rejected_by_reason", {}), {})]
    for s in run.stats.get("stages", []):
        rows.append((s["folder"], s["in"], s["kept"], s.get("bytes_kept", 0), _removed(s),
                     s.get("rejected_by_reason", {}), s))
    bars = [(name, [kept, n_in - kept]) for name, n_in, kept, *_ in rows]
    chart = _figure(svg_hbars(bars, [KEPT_COLOR, REJECTED_COLOR], "documents kept and removed by each stage"),
                    "Documents entering each stage: kept (green) and removed (red); numbers: kept / removed.")
    byte_rows = [(name, [bk, br]) for name, _i, _k, bk, br, _r, _s in rows[1:]]
    converts = [s for *_, s in rows[1:] if _converts(s)]
    note = ""
    if converts:
        c = converts[0]
        note = (f" At {c['folder']} HTML becomes text: {fmt_bytes(c.get('bytes_in', 0))} of HTML went in and "
                f"{fmt_bytes(c.get('bytes_kept', 0))} of text came out; the markup is not counted as removed "
                "content, only the text of the pages it rejected.")
    byte_chart = _figure(svg_hbars(byte_rows, [KEPT_COLOR, REJECTED_COLOR], "bytes of text kept and removed",
                                   value_fmt=fmt_bytes),
                         "UTF-8 bytes of the documents' text at each stage (of their HTML before extraction): "
                         "kept (green) and removed (red)." + note) \
        if any(bk or br for _n, _i, _k, bk, br, _r, _s in rows[1:]) else ""
    trs = []
    for name, n_in, kept, bk, br, reasons, s in rows:
        pct = f"{100 * (n_in - kept) / n_in:.1f}%" if n_in else "–"
        unit = " text" if _converts(s) else ""
        bpct = f"{100 * br / (bk + br):.1f}%" if bk + br else "–"
        kept_cell = esc(fmt_bytes(bk)) + unit + (f" <small>(HTML in: {esc(fmt_bytes(s.get('bytes_in', 0)))})</small>"
                                                 if _converts(s) else "")
        if name == READ_FOLDER:
            kept_cell, bpct = esc(fmt_bytes(bk or read.get("bytes", 0))) + " <small>(read)</small>", "–"
        top = ", ".join(f"{show(r)} <b>{c:,}</b>" for r, c in list(gather.by_count(reasons).items())[:4])
        trs.append(f"<tr data-stage=\"{esc(name)}\"><td>{esc(name)}</td><td>{n_in:,}</td><td>{kept:,}</td>"
                   f"<td>{pct}</td><td class=bytes-kept>{kept_cell}</td><td class=bytes-removed>{bpct}</td>"
                   f"<td class=reasons>{top}</td></tr>")
    extra = []
    skipped = gather.by_count(read.get("skipped_by_kind") or {})
    if skipped:
        extra.append("<p>Skipped records (not documents): "
                     + ", ".join(f"{show(k)} {v:,}" for k, v in skipped.items()) + "</p>")
    for err in read.get("errors", []):
        extra.append(f"<p class=warn>Damaged input: {show(err.get('file'))} at byte {show(err.get('offset'))}: "
                     f"{show(err.get('error'))}</p>")
    return (f'<section id="funnel"><h2>Funnel</h2>{chart}{byte_chart}'
            '<table class="funnel"><thead><tr><th>stage</th><th>in</th><th>kept</th><th>removed</th>'
            '<th>bytes kept</th><th>bytes removed</th><th>top reasons</th></tr></thead><tbody>'
            + "".join(trs) + "</tbody></table>" + "".join(extra) + "</section>")


def _figure(chart: str, caption: str) -> str:
    return f"<figure>{chart}<figcaption>{esc(caption)}</figcaption></figure>"


def signals(run: RunOutput) -> str:
    blocks = []
    for info in run.stages:
        if info.cls is None or issubclass(info.cls, GlobalStage):
            continue
        stage = info.build()  # some stages (classifier) name their columns from their parameters
        cols = {c: t for c, t in info.columns().items() if c not in gather.TEXT_COLUMNS}
        pairs = threshold_pairs(stage if stage is not None else info.cls)
        cols = {c: t for c, t in cols.items() if gather.numeric(t) or c in pairs}
        if not cols:
            continue
        names = list(cols)
        kept = gather.read_columns(run.kept_files(info.folder), names, dict(cols))
        rej = gather.read_columns(run.rejected_files(info.folder), names, dict(cols))
        params = gather.stage_params(info)
        charts = []
        for c in names:
            cuts = []
            for pname, mode in pairs.get(c, []):
                v = params.get(pname)
                if mode in ("min", "max") and isinstance(v, (int, float)) and not isinstance(v, bool):
                    cuts.append((float(v), f"{pname} = {fmt_num(v)}", mode))
            if gather.numeric(cols[c]):
                kv, rv = gather.values(kept.column(c)), gather.values(rej.column(c))
                h = make_histogram(kv, rv, [x for x, _l, _m in cuts], pa.types.is_integer(cols[c]))
                if h is None:
                    continue
                both = np.concatenate([kv, rv])
                q = np.quantile(both, [0.05, 0.5, 0.95])
                caption = (f"{both.size:,} documents; median {fmt_num(float(q[1]))}, 5–95%: "
                           f"{fmt_num(float(q[0]))} – {fmt_num(float(q[2]))}")
                charts.append(f'<figure>{svg_histogram(h, cuts, c)}<figcaption>{esc(caption)}</figcaption></figure>')
            else:
                charts.append(_categorical(c, kept.column(c), rej.column(c), pairs.get(c, []), params))
        if charts:
            blocks.append(f'<h3>{esc(info.folder)}</h3><div class="grid">{"".join(charts)}</div>')
    if not blocks:
        return ""
    legend = (f'<p class=legend><span style="background:{KEPT_COLOR}"></span> kept by the stage '
              f'<span style="background:{REJECTED_COLOR}"></span> rejected by the stage (any of its rules) '
              '— dashed lines: thresholds. Documents shown are those that entered the stage.</p>')
    return f'<section id="signals"><h2>Signals and thresholds</h2>{legend}{"".join(blocks)}</section>'


def _categorical(col: str, kept: pa.ChunkedArray, rej: pa.ChunkedArray, pairs: list[tuple[str, str]],
                 params: dict[str, Any]) -> str:
    kc = Counter(kept.to_pylist())
    rc = Counter(rej.to_pylist())
    total = kc + rc
    top = [k for k, _ in total.most_common(15)]
    rows = [(str(k), [kc.get(k, 0), rc.get(k, 0)]) for k in top]
    chart = svg_hbars(rows, [KEPT_COLOR, REJECTED_COLOR], f"{col}: most frequent values", width=460)
    wanted = [f"{p} = {params.get(p)!r}" for p, m in pairs if m == "in"]
    caption = f"{len(total):,} distinct values" + (f"; {'; '.join(wanted)}" if wanted else "")
    return f'<figure>{chart}<figcaption>{show(col)} — {show(caption)}</figcaption></figure>'


def doc_html(row: dict[str, Any], max_chars: int, signal_cols: list[str]) -> str:
    """One document: id, URL, detail, signals, and the start of its text (or HTML source)."""
    text = row.get("text")
    label = "text"
    if not text and row.get("html"):
        text, label = row["html"], "html source"
    text = text or ""
    body = text[:max_chars] + ("…" if len(text) > max_chars else "")
    meta = [f"<b>{show(row.get('id'))}</b>"]
    if row.get("url"):
        meta.append(f"<span class=url>{show(row['url'])}</span>")
    if row.get("detail"):
        meta.append(f"detail: {show(row['detail'])}")
    sig = [f"{esc(c)}={show(fmt_num(row[c]) if isinstance(row.get(c), (int, float)) else row.get(c))}"
           for c in signal_cols if row.get(c) is not None]
    if sig:
        meta.append("<span class=sig>" + ", ".join(sig) + "</span>")
    shown = html.escape(visible(body, multiline=True), quote=True)  # line breaks and tabs kept
    return (f'<div class="doc"><div class="meta">{" · ".join(meta)}</div>'
            f'<pre title="{esc(label)}, {len(text):,} characters"><bdi>{shown}</bdi></pre></div>')


def examples(run: RunOutput, n_examples: int, max_chars: int) -> str:
    sections = []
    folders: list[tuple[str, dict[str, Any], list[str]]] = [(READ_FOLDER, run.stats.get("read", {}), [])]
    for info in run.stages:
        cols = [c for c in info.columns() if c not in gather.TEXT_COLUMNS]
        folders.append((info.folder, run.stage_stats(info.folder), cols))
    for folder, st, sig_cols in folders:
        counts = gather.by_count(st.get("rejected_by_reason") or {})
        if not counts:
            continue
        files = run.rejected_files(folder)
        where = gather.first_by_reason(files, list(counts), n_examples)
        rows = gather.fetch_rows(files, where, ["id", "url", "text", "html", "reason", "detail", *sig_cols])
        by_reason: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_reason.setdefault(row.get("reason") or "", []).append(row)
        details = st.get("top_details") or {}
        items = []
        for reason, count in counts.items():
            top = gather.by_count(details.get(reason) or {})
            top_html = ""
            if top:
                top_html = ('<p class=details>most frequent details: '
                            + ", ".join(f"{show(d)} ({c:,})" for d, c in list(top.items())[:6]) + "</p>")
            docs = "".join(doc_html(r, max_chars, sig_cols) for r in by_reason.get(reason, []))
            items.append(f'<details class="reason"><summary><code>{show(reason)}</code> — {count:,} documents'
                         f'</summary>{top_html}{docs}</details>')
        sections.append(f'<h3>{esc(folder)}</h3>{"".join(items)}')
    if not sections:
        return ""
    return ('<section id="examples"><h2>Removed documents, by reason</h2>'
            f'<p>Up to {n_examples} examples per reason, first {max_chars:,} characters, shown as plain text.</p>'
            + "".join(sections) + "</section>")


def duplicates(run: RunOutput, n_clusters: int, max_chars: int) -> str:
    blocks = []
    for info in run.stages:
        column = getattr(info.cls, "duplicate_column", None)
        if not column:
            continue
        found = gather.clusters(run, info, column, n_clusters)
        sizes = found.sizes()
        glob = (run.stage_stats(info.folder).get("global") or {}).get("summary") or {}
        bins = [(2, 2), (3, 3), (4, 4), (5, 9), (10, 99), (100, 999), (1000, 10 ** 12)]
        rows = []
        for lo, hi in bins:
            n = sum(v for s, v in sizes.items() if lo <= s <= hi)
            if n or lo <= 4:
                label = str(lo) if lo == hi else (f"{lo}–{hi}" if hi < 10 ** 12 else f"≥{lo}")
                rows.append((f"size {label}", [float(n)]))
        chart = svg_hbars(rows, ["#5b6fb3"], f"{info.folder}: clusters by size (documents per cluster)")
        summary = ", ".join(f"{show(k)}: {show(fmt_num(v) if isinstance(v, (int, float)) else v)}"
                            for k, v in glob.items())
        cluster_html = []
        for k, (survivor, members) in found.samples.items():
            cells = []
            if survivor is not None:
                cells.append('<div class="col"><h4>kept</h4>' + doc_html(survivor, max_chars, []) + "</div>")
            for m in members:
                cells.append('<div class="col"><h4>removed</h4>' + doc_html(m, max_chars, []) + "</div>")
            cluster_html.append(f'<div class="cluster"><p>cluster of {found.removed_per_survivor[k] + 1:,} documents '
                                f'(kept: <code>{show(k)}</code>)</p><div class="side">{"".join(cells)}</div></div>')
        removed = found.removed_per_survivor
        blocks.append(f'<h3>{esc(info.folder)}</h3><p>{summary}</p>{chart}'
                      f'<p>{len(removed):,} clusters with duplicates; {sum(removed.values()):,} documents removed.</p>'
                      + "".join(cluster_html))
    if not blocks:
        return ""
    return f'<section id="dedup"><h2>Deduplication</h2>{"".join(blocks)}</section>'


def counters(run: RunOutput) -> str:
    classes = {s.folder: s.cls for s in run.stages}
    blocks = []
    for s in run.stats.get("stages", []):
        titles = getattr(classes.get(s["folder"]), "counter_titles", None) or {}
        parts = []
        for name, counter in (s.get("counters") or {}).items():
            items = list(gather.by_count(counter).items())[:15]
            if not items:
                continue
            rows = [(str(k), [float(v)]) for k, v in items]
            title = f"{s['folder']}: {name}" + (f" ({titles[name]})" if name in titles else "")
            more = f" ({len(counter) - 15:,} more)" if len(counter) > 15 else ""
            parts.append(f"<figure>{svg_hbars(rows, ['#8a6bb0'], title, width=560)}"
                         f"<figcaption>{esc(title)}{esc(more)}</figcaption></figure>")
        if parts:
            blocks.append(f'<h3>{esc(s["folder"])}</h3><div class="grid">{"".join(parts)}</div>')
    if not blocks:
        return ""
    return ('<section id="counters"><h2>Decontamination and other counters</h2>'
            '<p>Counts the stages recorded while running (hits per benchmark, blocked domains, …).</p>'
            + "".join(blocks) + "</section>")


def header(run: RunOutput) -> str:
    m = run.manifest
    stages = "".join(
        f"<li><code>{esc(s.folder)}</code> {show(', '.join(f'{k}={v!r}' for k, v in s.params.items()))}</li>"
        for s in run.stages)
    inputs = m.get("inputs", [])
    where = run.path.resolve() if hasattr(run.path, "resolve") else run.path
    return (f"<header><h1>corpusclean report</h1><p>Output <code>{show(where)}</code> · config "
            f"fingerprint <code>{show(m.get('fingerprint'))}</code> · corpusclean {show(m.get('corpusclean_version'))}"
            f" · started {show(m.get('started'))}, finished {show(m.get('finished'))} · {len(inputs):,} input files</p>"
            f"<details><summary>Stages and parameters</summary><ol class=stages>{stages}</ol></details>"
            '<nav><a href="#funnel">funnel</a> · <a href="#signals">signals</a> · <a href="#dedup">dedup</a> · '
            '<a href="#counters">counters</a> · <a href="#examples">examples</a></nav></header>')
