"""The report's charts: inline SVG drawn here (no script, no external resource), and number formats.

Every label taken from the run goes through :func:`esc` (HTML-escaped, unsafe characters shown
as escapes: :mod:`corpusclean.report.safe`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpusclean.report.safe import visible

KEPT_COLOR = "#3a8f5c"
REJECTED_COLOR = "#d0473a"
BINS = 40


def esc(value: Any) -> str:
    """Text for HTML text or a quoted attribute: unsafe characters shown as escapes
    (:func:`~corpusclean.report.safe.visible`), then HTML-escaped (``<script>`` → ``&lt;script&gt;``)."""
    return html.escape(visible(value), quote=True)


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
        # never below zero for a signal that cannot be negative (word counts, fractions)
        start = lo - pad if vmin < 0 else max(lo - pad, 0.0)
        edges = np.linspace(start, hi + pad, BINS + 1)
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
        anchor = "end" if k == 4 else "middle"  # the last label ends at the axis: never clipped
        parts.append(f'<text x="{sx(x):.1f}" y="{mt + ph + 14}" font-size="10" text-anchor="{anchor}">'
                     f'{esc(label)}</text>')
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
