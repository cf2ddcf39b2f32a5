"""``corpusclean report``: one self-contained HTML file that shows what a run did.

What it shows, and where each number comes from:

* **Funnel** — documents and bytes kept after each stage, share removed, top reasons: from
  ``stats.json`` alone.
* **Signals** — for every signal column a filter stored, a histogram of the documents that
  entered the stage, kept and rejected stacked, with the stage's thresholds drawn on it (the
  class's ``thresholds`` say which parameter cuts which column and from which side).
* **Deduplication** — the cluster-size distribution and a few of the largest clusters side by
  side; **decontamination** and other **counters** — hits per benchmark, blocked domains, …
* **Examples** — for every rejection reason, a few removed documents (truncated).

Safety: everything taken from the run (texts, URLs, ids, details, reasons, even parameter
values) goes through :func:`html.escape`, and the page carries a Content-Security-Policy that
forbids every script, so a crawled page's ``<script>`` shows as text and could not run even if
escaping were bypassed. Charts are inline SVG drawn here: no JavaScript, no CDN, no network —
the file opens from disk anywhere.

Cost: Parquet column projection everywhere. Histograms read only the signal columns; examples
find their rows through the ``reason`` / ``id`` columns and then read ``text`` only from the row
groups that hold them. A 1,000,000-document run is reported in seconds (``scripts/benches/report.py``).
"""

from __future__ import annotations

import html
import math
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpusclean.stages.base import GlobalStage
from corpusclean.whatif import RunOutput, StageInfo, WhatIfError, read_columns, stage_columns, threshold_pairs

#: Columns never read for charts (only for the few examples).
TEXT_COLUMNS = frozenset({"text", "html", "meta"})
KEPT_COLOR = "#3a8f5c"
REJECTED_COLOR = "#d0473a"
BINS = 40


def esc(value: Any) -> str:
    """HTML-escape anything for text or a quoted attribute (``<script>`` → ``&lt;script&gt;``)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt_num(v: float | int | None) -> str:
    if v is None:
        return "–"
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer() and abs(v) >= 1000):
        return f"{int(v):,}"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 0.01:
        return f"{v:.3g}"
    return f"{v:.2e}"


def fmt_bytes(n: int | float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)  # pragma: no cover


# ----------------------------------------------------------------------------------- SVG
@dataclass
class Histogram:
    edges: np.ndarray  # bin edges, in display units (log10(v + 1) when log)
    kept: np.ndarray
    rejected: np.ndarray
    log: bool
    integer: bool
    clipped_low: bool
    clipped_high: bool

    def to_value(self, x: float) -> float:
        return 10 ** x - 1 if self.log else x

    def to_axis(self, v: float) -> float:
        return math.log10(v + 1) if self.log else v


def make_histogram(kept: np.ndarray, rejected: np.ndarray, cuts: list[float], integer: bool) -> Histogram | None:
    """Shared bins for kept and rejected values; wide tails are clipped into the end bins, and a
    heavy right tail (word counts) gets a log axis, so the bulk and the thresholds stay visible."""
    both = np.concatenate([kept, rejected])
    if both.size == 0:
        return None
    vmin, vmax = float(both.min()), float(both.max())
    lo_q, hi_q = (float(x) for x in np.quantile(both, [0.001, 0.995]))
    med = float(np.median(both))
    log = vmin >= 0 and hi_q > 100 and hi_q > 30 * max(med, 1e-9) / 1 and hi_q / max(med, 1e-9) > 8
    lo, hi = (vmin if vmin >= 0 and lo_q - vmin < (hi_q - lo_q) * 0.05 else lo_q), hi_q
    span = hi - lo
    for c in cuts:  # keep a threshold inside the drawn range when it is near the data
        near = abs(c - lo) <= max(abs(lo), 1.0) if span <= 0 else lo - span <= c <= hi + span
        if near:
            lo, hi = min(lo, c), max(hi, c)
    if hi <= lo:
        lo, hi = (lo - 0.5, hi + 0.5) if not (0 <= lo <= 1) else (min(lo, 0.0), max(hi, 1.0))
    if integer and not log and hi - lo <= BINS:
        edges = np.arange(math.floor(lo), math.floor(hi) + 2, dtype=float) - 0.5
    elif log:
        edges = np.linspace(math.log10(lo + 1), math.log10(hi + 1), BINS + 1)
    else:
        pad = (hi - lo) * 0.02
        edges = np.linspace(lo - pad if lo > 0 or vmin < 0 else lo, hi + pad, BINS + 1)
    a, b = edges[0], edges[-1]

    def counts(v: np.ndarray) -> np.ndarray:
        x = np.log10(np.maximum(v, 0) + 1) if log else v
        x = np.clip(x, a, b)
        return np.histogram(x, bins=edges)[0]

    return Histogram(edges, counts(kept), counts(rejected), log, integer,
                     bool(vmin < (10 ** a - 1 if log else a)), bool(vmax > (10 ** b - 1 if log else b)))


def svg_histogram(h: Histogram, cuts: list[tuple[float, str, str]], title: str) -> str:
    """Stacked bars (kept below, rejected on top) with dashed threshold lines; native tooltips."""
    w, hgt, ml, mr, mt, mb = 460, 226, 48, 12, 38, 38
    pw, ph = w - ml - mr, hgt - mt - mb
    total = h.kept + h.rejected
    ymax = max(int(total.max()), 1)
    x0, x1 = float(h.edges[0]), float(h.edges[-1])

    def sx(x: float) -> float:
        return ml + (x - x0) / (x1 - x0) * pw

    parts = [f'<svg class="chart hist" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{hgt}" '
             f'viewBox="0 0 {w} {hgt}" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>',
             f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ddd"/>']
    for i in range(len(total)):
        xa, xb = sx(h.edges[i]), sx(h.edges[i + 1])
        bw = max(xb - xa - 0.6, 0.6)
        lo_v, hi_v = h.to_value(h.edges[i]), h.to_value(h.edges[i + 1])
        tip = f"{fmt_num(lo_v)} – {fmt_num(hi_v)}: kept {int(h.kept[i]):,}, rejected {int(h.rejected[i]):,}"
        kh = h.kept[i] / ymax * ph
        rh = h.rejected[i] / ymax * ph
        y_k = mt + ph - kh
        parts.append(f'<g><title>{esc(tip)}</title>'
                     f'<rect class="kept" x="{xa:.1f}" y="{y_k:.1f}" width="{bw:.1f}" height="{kh:.1f}" fill="{KEPT_COLOR}"/>'
                     f'<rect class="rejected" x="{xa:.1f}" y="{y_k - rh:.1f}" width="{bw:.1f}" height="{rh:.1f}" '
                     f'fill="{REJECTED_COLOR}"/></g>')
    for k in range(5):  # x ticks
        x = x0 + (x1 - x0) * k / 4
        v = h.to_value(x)
        label = fmt_num(round(v) if h.integer or h.log else v)
        if k == 0 and h.clipped_low:
            label = "≤" + label
        if k == 4 and h.clipped_high:
            label = "≥" + label
        parts.append(f'<text x="{sx(x):.1f}" y="{mt + ph + 14}" font-size="10" text-anchor="middle">{esc(label)}</text>')
    parts.append(f'<text x="{ml - 4}" y="{mt + 8}" font-size="10" text-anchor="end">{ymax:,}</text>'
                 f'<text x="{ml - 4}" y="{mt + ph}" font-size="10" text-anchor="end">0</text>')
    axis = "log scale" if h.log else ""
    parts.append(f'<text x="{ml + pw / 2:.1f}" y="{hgt - 6}" font-size="11" text-anchor="middle">'
                 f'{esc(title)} {esc(axis)}</text>')
    for k, (value, label, mode) in enumerate(cuts):
        xa = h.to_axis(value) if (not h.log or value >= 0) else x0
        if not (x0 <= xa <= x1):
            xa = min(max(xa, x0), x1)
            label += " (off scale)"
        x = sx(xa)
        label += " — rejects below" if mode == "min" else " — rejects above"
        left = x < ml + pw / 2  # keep the label inside the chart
        tx, anchor = (x + 3, "start") if left else (x - 3, "end")
        ty = mt - 6 - 12 * (k % 2)
        parts.append(f'<g class="threshold"><title>{esc(label)}</title>'
                     f'<line x1="{x:.1f}" y1="{ty + 2}" x2="{x:.1f}" y2="{mt + ph}" stroke="#222" '
                     f'stroke-width="1.5" stroke-dasharray="4 3"/>'
                     f'<text x="{tx:.1f}" y="{ty}" font-size="10" text-anchor="{anchor}">{esc(label)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def svg_hbars(rows: list[tuple[str, list[float]]], colors: list[str], title: str, *,
              value_fmt: Any = None, width: int = 640) -> str:
    """Horizontal (stacked) bars, one row per label."""
    value_fmt = value_fmt or (lambda v: f"{int(v):,}")
    rh, label_w, mr = 20, 190, 90
    hgt = rh * len(rows) + 26
    vmax = max([sum(v) for _, v in rows] + [1])
    pw = width - label_w - mr
    parts = [f'<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{hgt}" '
             f'viewBox="0 0 {width} {hgt}" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>']
    for i, (label, values) in enumerate(rows):
        y = 6 + i * rh
        x = float(label_w)
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end">{esc(short)}</text>')
        for v, color in zip(values, colors):
            bw = v / vmax * pw
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{bw:.1f}" height="{rh - 5}" fill="{color}">'
                         f'<title>{esc(label)}: {esc(value_fmt(v))}</title></rect>')
            x += bw
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="10">'
                     f'{esc(" / ".join(value_fmt(v) for v in values))}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ------------------------------------------------------------------------------ sections
def _funnel(run: RunOutput) -> str:
    stats = run.stats
    read = stats.get("read", {})
    n0 = int(read.get("documents", 0)) + int(read.get("rejected", 0))
    rows = [("00_read", n0, int(read.get("documents", 0)), read.get("bytes", 0), read.get("bytes", 0),
             read.get("rejected_by_reason", {}))]
    for s in stats.get("stages", []):
        rows.append((s["folder"], s["in"], s["kept"], s.get("bytes_in", 0), s.get("bytes_kept", 0),
                     s.get("rejected_by_reason", {})))
    bars = [(name, [kept, n_in - kept]) for name, n_in, kept, *_ in rows]
    chart = svg_hbars(bars, [KEPT_COLOR, REJECTED_COLOR], "documents kept (green) and removed (red) by each stage")
    byte_rows = [(name, [bk, max(bi - bk, 0)]) for name, _i, _k, bi, bk, _r in rows[1:]]
    byte_chart = svg_hbars(byte_rows, [KEPT_COLOR, REJECTED_COLOR], "bytes of text kept and removed",
                           value_fmt=fmt_bytes) if any(bi for _n, _i, _k, bi, _b, _r in rows[1:]) else ""
    trs = []
    for name, n_in, kept, bi, bk, reasons in rows:
        pct = f"{100 * (n_in - kept) / n_in:.1f}%" if n_in else "–"
        bpct = f"{100 * (bi - bk) / bi:.1f}%" if bi else "–"
        top = ", ".join(f"{esc(r)} <b>{c:,}</b>" for r, c in list(reasons.items())[:4])
        trs.append(f"<tr><td>{esc(name)}</td><td>{n_in:,}</td><td>{kept:,}</td><td>{pct}</td>"
                   f"<td>{esc(fmt_bytes(bk))}</td><td>{bpct}</td><td class=reasons>{top}</td></tr>")
    extra = []
    skipped = read.get("skipped_by_kind") or {}
    if skipped:
        extra.append("<p>Skipped records (not documents): "
                     + ", ".join(f"{esc(k)} {v:,}" for k, v in skipped.items()) + "</p>")
    for err in read.get("errors", []):
        extra.append(f"<p class=warn>Damaged input: {esc(err.get('file'))} at byte {esc(err.get('offset'))}: "
                     f"{esc(err.get('error'))}</p>")
    return (f'<section id="funnel"><h2>Funnel</h2>{chart}{byte_chart}'
            '<table class="funnel"><thead><tr><th>stage</th><th>in</th><th>kept</th><th>removed</th>'
            '<th>bytes kept</th><th>bytes removed</th><th>top reasons</th></tr></thead><tbody>'
            + "".join(trs) + "</tbody></table>" + "".join(extra) + "</section>")


def _numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t)


def _values(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = pc.drop_null(arr)
    if pa.types.is_floating(arr.type):
        arr = pc.filter(arr, pc.invert(pc.is_nan(arr)))
    return arr.to_numpy(zero_copy_only=False).astype(np.float64)


def _stage_params(info: StageInfo) -> dict[str, Any]:
    stage = info.build()
    if stage is not None:
        return stage.param_values()
    defaults = {}
    if info.cls is not None:
        import dataclasses

        for f in info.cls.params():
            if f.default is not dataclasses.MISSING:
                defaults[f.name] = f.default
    return {**defaults, **info.params}


def _signals(run: RunOutput) -> str:
    blocks = []
    for info in run.stages:
        if info.cls is None or issubclass(info.cls, GlobalStage):
            continue
        stage = info.build()  # some stages (classifier) name their columns from their parameters
        cols = {c: t for c, t in stage_columns(info).items() if c not in TEXT_COLUMNS}
        pairs = threshold_pairs(stage if stage is not None else info.cls)
        cols = {c: t for c, t in cols.items() if _numeric(t) or c in pairs}
        if not cols:
            continue
        names = list(cols)
        kept = read_columns(run.kept_files(info.folder), names, dict(cols))
        rej = read_columns(run.rejected_files(info.folder), names, dict(cols))
        params = _stage_params(info)
        charts = []
        for c in names:
            cuts = []
            for pname, mode in pairs.get(c, []):
                v = params.get(pname)
                if mode in ("min", "max") and isinstance(v, (int, float)) and not isinstance(v, bool):
                    cuts.append((float(v), f"{pname} = {fmt_num(v)}", mode))
            if _numeric(cols[c]):
                kv, rv = _values(kept.column(c)), _values(rej.column(c))
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
    return f'<figure>{chart}<figcaption>{esc(col)} — {esc(caption)}</figcaption></figure>'


def _fetch_rows(files: list[Path], where: list[tuple[int, int]], columns: list[str]) -> list[dict[str, Any]]:
    """Rows at (file number, row number), reading only the row groups that hold them."""
    out: dict[tuple[int, int], dict[str, Any]] = {}
    by_file: dict[int, list[int]] = {}
    for f, r in where:
        by_file.setdefault(f, []).append(r)
    for f, rows in by_file.items():
        pf = pq.ParquetFile(files[f])
        names = set(pf.schema_arrow.names)
        cols = [c for c in columns if c in names]
        starts = np.cumsum([0] + [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)])
        groups: dict[int, list[int]] = {}
        for r in rows:
            g = int(np.searchsorted(starts, r, side="right") - 1)
            groups.setdefault(g, []).append(r)
        for g, rs in groups.items():
            t = pf.read_row_group(g, columns=cols)
            local = t.take(pa.array([r - int(starts[g]) for r in rs], pa.int64())).to_pylist()
            for r, row in zip(rs, local):
                out[(f, r)] = row
    return [out[w] for w in where if w in out]


def _find_ids(files: list[Path], ids: set[str]) -> list[tuple[int, int]]:
    """(file number, row number) of the rows whose id is in ``ids`` (reads the id column only)."""
    found = []
    if not ids:
        return found
    value_set = pa.array(sorted(ids), pa.string())
    for f, path in enumerate(files):
        col = pq.read_table(path, columns=["id"]).column("id")
        mask = pc.is_in(col, value_set=value_set).to_numpy(zero_copy_only=False)
        found.extend((f, int(r)) for r in np.flatnonzero(mask))
    return found


def _doc_html(row: dict[str, Any], max_chars: int, signal_cols: list[str]) -> str:
    text = row.get("text")
    label = "text"
    if not text and row.get("html"):
        text, label = row["html"], "html source"
    text = text or ""
    body = text[:max_chars] + ("…" if len(text) > max_chars else "")
    meta = [f"<b>{esc(row.get('id'))}</b>"]
    if row.get("url"):
        meta.append(f"<span class=url>{esc(row['url'])}</span>")
    if row.get("detail"):
        meta.append(f"detail: {esc(row['detail'])}")
    sig = [f"{esc(c)}={esc(fmt_num(row[c]) if isinstance(row.get(c), (int, float)) else row.get(c))}"
           for c in signal_cols if row.get(c) is not None]
    if sig:
        meta.append("<span class=sig>" + ", ".join(sig) + "</span>")
    return (f'<div class="doc"><div class="meta">{" · ".join(meta)}</div>'
            f'<pre title="{esc(label)}, {len(text):,} characters">{esc(body)}</pre></div>')


def _examples(run: RunOutput, n_examples: int, max_chars: int) -> str:
    sections = []
    folders: list[tuple[str, dict[str, Any], list[str]]] = [("00_read", run.stats.get("read", {}), [])]
    for info in run.stages:
        cols = [c for c in stage_columns(info) if c not in TEXT_COLUMNS]
        folders.append((info.folder, run.stage_stats(info.folder), cols))
    for folder, st, sig_cols in folders:
        reasons = list((st.get("rejected_by_reason") or {}).keys())
        if not reasons:
            continue
        files = run.rejected_files(folder)
        need = {r: n_examples for r in reasons}
        picks: dict[str, list[tuple[int, int]]] = {r: [] for r in reasons}
        for f, path in enumerate(files):
            if not any(need.values()):
                break
            col = pq.read_table(path, columns=["reason"]).column("reason").to_pylist()
            for r, reason in enumerate(col):
                if need.get(reason):
                    picks[reason].append((f, r))
                    need[reason] -= 1
        where = [w for r in reasons for w in picks[r]]
        rows = _fetch_rows(files, where, ["id", "url", "text", "html", "reason", "detail", *sig_cols])
        by_reason: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_reason.setdefault(row.get("reason") or "", []).append(row)
        details = st.get("top_details") or {}
        items = []
        for reason in reasons:
            count = st["rejected_by_reason"][reason]
            top = details.get(reason) or {}
            top_html = ""
            if top:
                top_html = ('<p class=details>most frequent details: '
                            + ", ".join(f"{esc(d)} ({c:,})" for d, c in list(top.items())[:6]) + "</p>")
            docs = "".join(_doc_html(r, max_chars, sig_cols) for r in by_reason.get(reason, []))
            items.append(f'<details class="reason"><summary><code>{esc(reason)}</code> — {count:,} documents'
                         f'</summary>{top_html}{docs}</details>')
        sections.append(f'<h3>{esc(folder)}</h3>{"".join(items)}')
    if not sections:
        return ""
    return ('<section id="examples"><h2>Removed documents, by reason</h2>'
            f'<p>Up to {n_examples} examples per reason, first {max_chars:,} characters, shown as plain text.</p>'
            + "".join(sections) + "</section>")


def _dedup(run: RunOutput, n_clusters: int, max_chars: int) -> str:
    blocks = []
    for info in run.stages:
        if info.name not in ("exact_dedup", "minhash_dedup"):
            continue
        kept_files, rej_files = run.kept_files(info.folder), run.rejected_files(info.folder)
        rej = read_columns(rej_files, ["duplicate_of"], {"duplicate_of": pa.string()})
        dup_of = rej.column("duplicate_of")
        counts = Counter(v for v in dup_of.to_pylist() if v is not None)
        sizes = Counter(c + 1 for c in counts.values())  # + the survivor
        st = run.stage_stats(info.folder)
        glob = (st.get("global") or {}).get("summary") or {}
        bins = [(2, 2), (3, 3), (4, 4), (5, 9), (10, 99), (100, 999), (1000, 10 ** 12)]
        rows = []
        for lo, hi in bins:
            n = sum(v for s, v in sizes.items() if lo <= s <= hi)
            if n or lo <= 4:
                label = str(lo) if lo == hi else (f"{lo}–{hi}" if hi < 10 ** 12 else f"≥{lo}")
                rows.append((f"size {label}", [float(n)]))
        chart = svg_hbars(rows, ["#5b6fb3"], f"{info.folder}: clusters by size (documents per cluster)")
        summary = ", ".join(f"{esc(k)}: {esc(fmt_num(v) if isinstance(v, (int, float)) else v)}"
                            for k, v in glob.items())
        # a few of the largest clusters, survivor next to its duplicates
        largest = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n_clusters]]
        cluster_html = []
        if largest:
            surv_rows = _fetch_rows(kept_files, _find_ids(kept_files, set(largest)), ["id", "url", "text"])
            survivors = {r["id"]: r for r in surv_rows}
            member_where: list[tuple[int, int]] = []
            need = {k: 2 for k in largest}
            values = dup_of.to_pylist()
            starts = np.cumsum([0] + [pq.ParquetFile(p).metadata.num_rows for p in rej_files])
            for i, v in enumerate(values):
                if v in need and need[v] > 0:
                    f = int(np.searchsorted(starts, i, side="right") - 1)
                    member_where.append((f, i - int(starts[f])))
                    need[v] -= 1
            members: dict[str, list[dict[str, Any]]] = {}
            for r in _fetch_rows(rej_files, member_where, ["id", "url", "text", "duplicate_of", "detail"]):
                members.setdefault(r["duplicate_of"], []).append(r)
            for k in largest:
                cells = []
                if k in survivors:
                    cells.append('<div class="col"><h4>kept</h4>' + _doc_html(survivors[k], max_chars, []) + "</div>")
                for m in members.get(k, []):
                    cells.append('<div class="col"><h4>removed</h4>' + _doc_html(m, max_chars, []) + "</div>")
                cluster_html.append(f'<div class="cluster"><p>cluster of {counts[k] + 1:,} documents '
                                    f'(kept: <code>{esc(k)}</code>)</p><div class="side">{"".join(cells)}</div></div>')
        blocks.append(f'<h3>{esc(info.folder)}</h3><p>{summary}</p>{chart}'
                      f'<p>{len(counts):,} clusters with duplicates; {sum(counts.values()):,} documents removed.</p>'
                      + "".join(cluster_html))
    if not blocks:
        return ""
    return f'<section id="dedup"><h2>Deduplication</h2>{"".join(blocks)}</section>'


def _counters(run: RunOutput) -> str:
    blocks = []
    for s in run.stats.get("stages", []):
        counters = s.get("counters") or {}
        if not counters:
            continue
        parts = []
        for name, counter in counters.items():
            items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
            if not items:
                continue
            rows = [(str(k), [float(v)]) for k, v in items]
            title = f"{s['folder']}: {name}" + (" (hits per benchmark)" if s["stage"] == "decontaminate"
                                                  and name == "documents_hit" else "")
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


def _header(run: RunOutput) -> str:
    m = run.manifest
    stages = "".join(
        f"<li><code>{esc(s.folder)}</code> {esc(', '.join(f'{k}={v!r}' for k, v in s.params.items()))}</li>"
        for s in run.stages)
    inputs = m.get("inputs", [])
    return (f"<header><h1>corpusclean report</h1><p>Output <code>{esc(run.path.resolve())}</code> · config "
            f"fingerprint <code>{esc(m.get('fingerprint'))}</code> · corpusclean {esc(m.get('corpusclean_version'))}"
            f" · started {esc(m.get('started'))}, finished {esc(m.get('finished'))} · {len(inputs):,} input files</p>"
            f"<details><summary>Stages and parameters</summary><ol class=stages>{stages}</ol></details>"
            '<nav><a href="#funnel">funnel</a> · <a href="#signals">signals</a> · <a href="#dedup">dedup</a> · '
            '<a href="#counters">counters</a> · <a href="#examples">examples</a></nav></header>')


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


def build_report(output: str | Path, *, examples: int = 3, max_chars: int = 600, clusters: int = 3) -> str:
    """The report of a finished run, as one HTML string (no external resource, no script)."""
    run = RunOutput.open(output)
    body = "".join([_header(run), _funnel(run), _signals(run), _dedup(run, clusters, max_chars),
                    _counters(run), _examples(run, examples, max_chars)])
    generated = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            # No script of any kind may run, no resource may load: defence in depth behind escaping.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">"
            "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
            f"<title>corpusclean report — {esc(run.path.name)}</title><style>{CSS}</style></head><body>"
            f"{body}<footer><p>Generated {esc(generated)} by <code>corpusclean report</code>.</p></footer>"
            "</body></html>\n")


def write_report(output: str | Path, out: str | Path | None = None, **kwargs: Any) -> Path:
    """Write the report of ``output`` to ``out`` (default ``OUTPUT/report.html``); return its path."""
    path = Path(out) if out else Path(output) / "report.html"
    doc = build_report(output, **kwargs)
    tmp = path.with_name(f".{path.name}.tmp")
    # lone surrogates from damaged input must not abort the report: they become U+FFFD
    tmp.write_bytes(doc.encode("utf-8", "replace"))
    tmp.replace(path)
    return path


def report_after_run(out: Any) -> Path | None:
    """The ``report: true`` hook at the end of a run: write ``OUTPUT/report.html``.

    The run's data is complete by then, so a report that fails only warns (the command to retry
    is printed); an output on an object store is skipped, since the report reads local Parquet.
    """
    if not isinstance(out, Path):
        click.echo(f"warning: report: true is skipped for remote outputs ({out}); run "
                   "`corpusclean report` on a local copy", err=True)
        return None
    try:
        return write_report(out)
    except Exception as e:  # noqa: BLE001 - the run itself succeeded; never lose it to the report
        click.echo(f"warning: the report could not be written ({type(e).__name__}: {e}); "
                   f"retry with: corpusclean report {out}", err=True)
        return None


@click.command("report")
@click.argument("output", type=click.Path(file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Where to write the HTML "
              "(default: OUTPUT/report.html).")
@click.option("--examples", default=3, show_default=True, type=click.IntRange(min=0),
              help="Example documents per rejection reason.")
@click.option("--chars", default=600, show_default=True, type=click.IntRange(min=1),
              help="Characters of text shown per example.")
def report_cmd(output: str, out: str | None, examples: int, chars: int) -> None:
    """Write a self-contained HTML report of a finished run: funnel, signal histograms with their
    thresholds, dedup clusters, counters and examples of removed documents. Opens from disk."""
    t0 = time.perf_counter()
    try:
        path = write_report(output, out, examples=examples, max_chars=chars)
    except WhatIfError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(e.code) from None
    except OSError as e:
        click.echo(f"error: cannot write the report: {e}", err=True)
        raise SystemExit(1) from None
    click.echo(f"report: {path} ({time.perf_counter() - t0:.1f} s)")
