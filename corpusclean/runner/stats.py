"""What a finished run left on disk, and the funnel table printed after a run and by ``stats``.

The ``disk`` entry of ``stats.json`` (:func:`disk_usage`) is measured by walking the output
folder once the run is complete (after the hand-offs and scans of global stages are deleted):
the bytes of the files under each top-level folder (``00_read/``, each ``NN_<stage>/`` with its
rejected parts, signal parts, global state and a MinHash ``_global/index/``, ``final/``,
``_state/``), against the input files' sizes on disk (compressed, as stored). The run's own
metadata files at the top (``manifest.json``, ``stats.json``, ``report.html``, the lock file) are
not counted: they are rewritten after the figure is taken.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from corpusclean.output.run_folder import FINAL, READ_FOLDER, STATE_DIR, RunFolder


def folder_bytes(out: RunFolder) -> dict[str, int]:
    """``{top-level folder name: bytes of every file under it}`` of ``out``, sorted by name.

    Local folders are walked with ``os.walk`` (symbolic links not followed); remote ones are listed
    recursively through their filesystem. Files directly at the top are left out (see module doc).
    """
    sizes: dict[str, int] = {}
    root = out.root
    if out.is_remote:
        base = str(root).rstrip("/") + "/"
        for f in root.walk_files():  # type: ignore[union-attr]
            rel = str(f)[len(base):] if str(f).startswith(base) else str(f)
            if "/" in rel:
                top = rel.split("/", 1)[0]
                sizes[top] = sizes.get(top, 0) + f.size()
        return dict(sorted(sizes.items()))
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if not entry.is_dir(follow_symlinks=False):
            continue
        total = 0
        for dirpath, _dirs, names in os.walk(entry.path):
            for name in names:
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except FileNotFoundError:  # removed while walking (nothing else writes here)
                    pass
        sizes[entry.name] = total
    return sizes


def disk_usage(out: RunFolder, input_sizes: Sequence[int]) -> dict[str, Any]:
    """The ``disk`` entry of ``stats.json``: ``{"folders": {name: bytes}, "total": bytes,
    "input_files": bytes}`` — bytes left in the output folder's folders at the end of the run and
    the input files' on-disk sizes (``input_sizes``, bytes per input file, as the manifest lists them)."""
    folders = folder_bytes(out)
    return {"folders": folders, "total": sum(folders.values()), "input_files": int(sum(input_sizes))}


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:,.1f}"


def funnel_table(stats: dict[str, Any]) -> str:
    """The funnel as a text table: stage, in, kept, % kept, MB in, MB on disk, top reasons.

    ``MB in``: the records' bytes as read (decompressed) for ``read``, the documents' text (or
    HTML) bytes reaching a stage for the others. ``MB on disk``: the bytes left in the stage's
    folder at the end of the run (``00_read/`` for ``read``; a stage's rejected and signal or kept
    parts, its global state and index) from ``stats["disk"]`` (``-`` for statistics written before
    it existed). A last line gives the output folder's total (stage folders, ``final/``,
    ``_state/``) next to the input files' sizes on disk.
    """
    read = stats["read"]
    disk = stats.get("disk")
    folders: dict[str, int] = disk["folders"] if disk else {}

    def on_disk(name: str) -> int | None:
        return folders.get(name, 0) if disk else None

    rows = [("read", read["documents"] + read["rejected"], read["documents"], read.get("bytes"),
             on_disk(READ_FOLDER), _top(read["rejected_by_reason"]))]
    for s in stats["stages"]:
        rows.append((s["folder"], s["in"], s["kept"], s.get("bytes_in"), on_disk(s["folder"]),
                     _top(s["rejected_by_reason"])))
    header = ("stage", "in", "kept", "% kept", "MB in", "MB on disk", "top reasons")
    lines = [header]
    for name, n_in, kept, b_in, b_out, reasons in rows:
        pct = f"{100 * kept / n_in:.1f}" if n_in else "-"
        lines.append((name, f"{n_in:,}", f"{kept:,}", pct, _mb(b_in), _mb(b_out), reasons))
    widths = [max(len(r[i]) for r in lines) for i in range(6)]
    text = []
    for j, r in enumerate(lines):
        text.append("  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 6)] + [r[6]]))
        if j == 0:
            text.append("  ".join("-" * w for w in widths) + "  " + "-" * 11)
    if disk:
        ratio = f" ({disk['total'] / disk['input_files']:.2f} x)" if disk["input_files"] else ""
        final, state = folders.get(FINAL, 0), folders.get(STATE_DIR, 0)
        text.append(f"on disk: {_mb(disk['total'])} MB left in the output folder (stage folders "
                    f"{_mb(disk['total'] - final - state)} MB, {FINAL}/ {_mb(final)} MB, {STATE_DIR}/ {_mb(state)} MB; "
                    f"run metadata files not counted) for {_mb(disk['input_files'])} MB of input files "
                    f"as stored{ratio}")
    skipped = read.get("skipped_by_kind") or {}
    if skipped:
        text.append("skipped records (not documents): " + ", ".join(f"{k} {v:,}" for k, v in skipped.items()))
    for err in read.get("errors", []):
        text.append(f"damaged input: {err['file']} at byte {err['offset']}: {err['error']}")
    return "\n".join(text)


def _top(reasons: dict[str, int], n: int = 3) -> str:
    return ", ".join(f"{r} {c:,}" for r, c in list(reasons.items())[:n])


__all__ = ["disk_usage", "folder_bytes", "funnel_table"]
