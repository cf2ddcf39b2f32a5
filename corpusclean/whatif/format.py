"""The text ``corpusclean whatif`` prints: both funnels side by side, reasons that move, notes."""

from __future__ import annotations

from corpusclean.whatif.replay import WhatIfResult


def format_result(res: WhatIfResult) -> str:
    """The actual funnel and the what-if funnel side by side, then reasons that moved."""
    header = ("stage", "in", "kept", "in", "kept", "unknown", "Δ kept")
    lines = [("read", f"{res.read_in:,}", f"{res.read_kept:,}", f"{res.read_in:,}", f"{res.read_kept:,}", "", "")]
    for a, w in zip(res.actual, res.whatif):
        delta = w.kept - a.kept
        lines.append((a.folder, f"{a.docs_in:,}", f"{a.kept:,}", f"{w.docs_in:,}", f"{w.kept:,}",
                      f"{w.unknown:,}" if w.unknown else "", f"{delta:+,}" if delta else "0"))
    widths = [max(len(r[i]) for r in [*lines, header]) for i in range(7)]
    out = ["changes: " + "; ".join(f"{f}.{k}={v!r}" for f, ps in res.changes.items() for k, v in ps.items()), ""]
    group = " " * widths[0] + "  " + "actual".center(widths[1] + widths[2] + 2) + "  " + \
        "what if".center(widths[3] + widths[4] + widths[5] + 4)
    out.append(group.rstrip())
    out.append(_row(header, widths))
    out.append("  ".join("-" * w for w in widths))
    out.extend(_row(r, widths) for r in lines)
    final_a = res.actual[-1].kept if res.actual else res.read_kept
    out.append("")
    msg = f"final: {res.final_kept:,} documents kept (actual {final_a:,}, {res.final_kept - final_a:+,})"
    if res.unknown:
        msg += (f"; {res.unknown:,} documents of unknown fate (kept by the new thresholds but never reached a "
                "later stage in the run, or a global stage's decision that may change): up to "
                f"{res.final_kept + res.unknown:,} kept")
    out.append(msg)
    moved: list[str] = []
    for a, w in zip(res.actual, res.whatif):
        for reason in sorted(set(a.rejected_by_reason) | set(w.rejected_by_reason)):
            d = w.rejected_by_reason.get(reason, 0) - a.rejected_by_reason.get(reason, 0)
            if d:
                moved.append(f"  {reason}: {a.rejected_by_reason.get(reason, 0):,} -> "
                             f"{w.rejected_by_reason.get(reason, 0):,} ({d:+,})")
    if moved:
        out.append("rejections that change:")
        out.extend(moved)
    notes = [f"  {w.folder}: {n}" for w in res.whatif for n in w.notes]
    if notes:
        out.append("notes:")
        out.extend(notes)
    out.append("exact: a real re-run gives this funnel" if res.exact else
               "not exact: the counts above are certain, the unknown documents could go either way")
    return "\n".join(out)


def _row(r: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, len(r))]).rstrip()
