"""The driver: output folder, manifest, resume, passes, statistics — the same for every executor.

An executor (:class:`~corpusclean.executors.base.Executor`) only runs
:class:`~corpusclean.runner.plan.Task` objects somewhere and reports each finished task;
everything else (which shards remain, the global middle steps, the manifest and the statistics)
happens here. The executor's ``pmap`` is handed to global stages' middle step
(:func:`~corpusclean.runner.global_step.reduce_global`).

The output folder is a local path or an object-store URI, read and written through
:class:`~corpusclean.output.run_folder.RunFolder`.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpusclean.config import PipelineConfig, diff_configs
from corpusclean.errors import ConfigError, RunError
from corpusclean.executors import make_executor
from corpusclean.io.storage import getsize
from corpusclean.output.run_folder import MANIFEST, RunFolder
from corpusclean.readers import expand_inputs
from corpusclean.runner.columns import check_runnable
from corpusclean.runner.global_step import reduce_global
from corpusclean.runner.plan import Segment, Task, plan_segments, stage_kinds
from corpusclean.runner.progress import lines_for_warnings, pass_progress, progress_line
from corpusclean.version import __version__

if TYPE_CHECKING:
    from corpusclean.executors.base import Executor


# ------------------------------------------------------------------------------ output folder
def _inputs_listing(files: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"path": p, "format": f, "size": getsize(p)} for p, f in files]


def prepare_output(config: PipelineConfig, inputs: list[dict[str, Any]], overwrite: bool) -> dict[str, Any]:
    """Create, resume or (with ``overwrite``) restart the output folder; return the manifest.

    Never deletes a folder that does not hold a corpusclean ``manifest.json``.
    """
    assert config.output is not None
    out = RunFolder(config.output)
    if out.exists() and not out.root.is_dir():
        raise RunError(f"{out}: output exists and is not a folder")
    if not out.is_empty():
        if not out.has_manifest():
            raise RunError(f"{out}: folder is not empty and holds no corpusclean {MANIFEST}; "
                           "refusing to write into it (choose a new or empty folder)")
        try:
            old = out.read_manifest()
        except RunError as e:
            raise RunError(f"{e}; remove the folder by hand") from None
        changes = []
        if old.get("fingerprint") != config.fingerprint():
            old_config = old.get("config", {})
            new_data = config.fingerprint_data()
            keys = ("input", "shard_size", "stages", "stage_files")
            changes = diff_configs({k: old_config.get(k) for k in keys},
                                   {k: new_data.get(k) for k in keys}) or ["(config fingerprint)"]
        if [(i["path"], i["size"]) for i in old.get("inputs", [])] != [(i["path"], i["size"]) for i in inputs]:
            changes.append("input files (added, removed or changed size)")
        if not overwrite and changes:
            raise RunError(f"{out}: holds a run with a different config; changed: {'; '.join(changes)}. "
                           "Use --overwrite to start over")
        if not overwrite:
            return old
        out.remove()
    out.create()
    manifest = {
        "corpusclean_version": __version__,
        "fingerprint": config.fingerprint(),
        "config": config.to_dict(),
        "inputs": inputs,
        "stages": [{"index": s.index, "name": s.name, "folder": s.folder, "params": s.plain_params}
                   for s in config.stages],
        "segments": {},
        "status": "running",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out.write_manifest(manifest)
    return manifest


# ---------------------------------------------------------------------------------- the run
def run(config: PipelineConfig, *, overwrite: bool = False, progress: bool = True,
        executor: Executor | None = None) -> dict[str, Any]:
    """Run ``config`` to completion (resuming what is already complete); return the statistics."""
    if not config.stages:
        raise ConfigError("stages: the pipeline has no stages")
    if not config.output:
        raise ConfigError("output: no output folder (give --output DIR or 'output:' in the config)")
    files = expand_inputs(config.input.paths, config.input.format)
    check_runnable(config, files)  # missing extras, HTML input without extract: one line, exit 2
    inputs = _inputs_listing(files)
    manifest = prepare_output(config, inputs, overwrite)
    out = RunFolder(config.output)
    segments = plan_segments(stage_kinds(config.stages))
    if executor is None:
        executor = make_executor(config)
    try:
        for seg in segments:
            _run_segment(config, out, seg, segments, files, manifest, executor, progress)
            if config.write_kept == "final" and seg.index > 0:
                # what this pass read is no longer needed: the hand-off and the global stage's scans
                if seg.source >= 0:
                    out.remove_kept_parts(config.stages[seg.source])
                out.remove_scans(config.stages[seg.stages[0]])
    finally:
        executor.close()
    stats = collect_stats(config, out, segments)
    out.write_stats(stats)
    out.remove_leftovers()
    manifest["status"] = "complete"
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_manifest(manifest)
    if config.report:  # `report: true`: OUTPUT/report.html next to the statistics
        from corpusclean.report import report_after_run

        report_after_run(out.root)
    return stats


def _run_segment(config: PipelineConfig, out: RunFolder, seg: Segment, segments: list[Segment],
                 files: list[tuple[str, str]], manifest: dict[str, Any], executor: Executor,
                 progress: bool) -> None:
    all_keys = sorted(out.completed(0)) if seg.index > 0 else []
    if seg.index > 0:
        head = seg.stages[0]
        with progress_line(f"reduce {config.stages[head].folder}", progress):
            reduce_global(config, out, head, sorted(out.completed(seg.index - 1)),
                          pmap=executor.pmap, pmap_local=executor.pmap_local)
    done = out.completed(seg.index)
    tasks: list[Task] = []
    if seg.source == -1:
        finished = out.files_completed(seg.index)
        for i, (path, fmt) in enumerate(files):
            if i not in finished:
                prefix = f"{i:05d}-"
                tasks.append(Task(str(out.root), seg.index, file=(i, path, fmt),
                                  done=[k for k in done if k.startswith(prefix)]))
    else:
        tasks = [Task(str(out.root), seg.index, shard=k) for k in all_keys if k not in done]
    names = " → ".join(config.stages[i].name for i in seg.stages)
    if seg.scan_for is not None:
        names += f" (+ scan {config.stages[seg.scan_for].name})"
    desc = f"pass {seg.index + 1}/{len(segments)}: {names or 'read'}"
    bar = pass_progress(desc, config, out, seg, files, done, enabled=progress)

    def on_done(task: Task, keys: list[str]) -> None:
        """Shard status lives in the shard markers (one small file each, written by the task):
        the manifest is not rewritten per task (issue 17: a whole-file PUT per second at scale)."""

    try:
        if tasks:
            with lines_for_warnings(bar):
                executor.run(tasks, on_done, bar.update)
    finally:
        bar.close()
    # the manifest is written at the start, at each segment's end and at the end of the run
    manifest["segments"][str(seg.index)] = {"stages": seg.stages, "shards_complete": len(out.completed(seg.index)),
                                            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    out.write_manifest(manifest)


# ---------------------------------------------------------------------------------- stats
def collect_stats(config: PipelineConfig, out: RunFolder, segments: list[Segment]) -> dict[str, Any]:
    """Merge every shard marker into per-stage statistics (identical however the run was split)."""
    read = {"documents": 0, "rejected": Counter(), "skipped": Counter(), "errors": [], "bytes": 0}
    per_stage: dict[str, dict[str, Any]] = {}
    for seg in segments:
        for _key, shard in out.completed(seg.index).items():
            if "read" in shard:
                r = shard["read"]
                read["documents"] += r["documents"]
                read["rejected"].update(r["rejected"])
                read["skipped"].update(r["skipped"])
                read["errors"].extend(r["errors"])
                read["bytes"] += r["bytes"]
            for folder, s in shard["stages"].items():
                agg = per_stage.setdefault(folder, _empty_stage())
                agg["shards"] += 1
                for k in ("in", "kept", "bytes_in", "bytes_kept", "seconds"):
                    agg[k] += s[k]
                _merge_byte_units(agg, s)
                agg["bytes_written"] += s.get("bytes_written", 0)
                agg["rejected"].update(s["rejected"])
                for reason, det in s.get("details", {}).items():
                    agg["details"].setdefault(reason, Counter()).update(det)
                for name, counter in s.get("counters", {}).items():
                    c = agg["counters"].setdefault(name, Counter())
                    c.update(counter)
            if seg.scan_for is not None and "scan_bytes" in shard:
                folder = config.stages[seg.scan_for].folder
                per_stage.setdefault(folder, _empty_stage())["scan_bytes"] += shard["scan_bytes"]
    stages = []
    for spec in config.stages:
        s = per_stage.get(spec.folder, _empty_stage())
        entry = {
            "folder": spec.folder, "stage": spec.name, "in": s["in"], "kept": s["kept"],
            "rejected": sum(s["rejected"].values()),
            "rejected_by_reason": dict(s["rejected"].most_common()),
            "bytes_in": s["bytes_in"], "bytes_kept": s["bytes_kept"], "bytes_written": s["bytes_written"],
            "scan_bytes": s["scan_bytes"], "seconds": round(s["seconds"], 3),
            **{k: s[k] for k in ("bytes_rejected", "bytes_in_of", "bytes_kept_of") if k in s},
            "shards": s["shards"],
            "top_details": {r: dict(c.most_common(20)) for r, c in s["details"].items()},
            "counters": {n: dict(sorted(c.items())) for n, c in s["counters"].items()},
        }
        summary = out.read_global_summary(spec)
        if summary is not None:
            entry["global"] = summary
        stages.append(entry)
    read_out = {
        "documents": read["documents"], "rejected": sum(read["rejected"].values()),
        "rejected_by_reason": dict(read["rejected"].most_common()),
        "skipped_by_kind": dict(read["skipped"].most_common()),
        "errors": sorted(read["errors"], key=lambda e: (e["file"], e["offset"])), "bytes": read["bytes"],
    }
    return {"read": read_out, "stages": stages, "fingerprint": config.fingerprint()}


def _merge_byte_units(agg: dict[str, Any], shard: dict[str, Any]) -> None:
    """Carry which column the byte counts measured (``html``/``text``; one name, or "mixed")."""
    if "bytes_rejected" in shard:
        agg["bytes_rejected"] = agg.get("bytes_rejected", 0) + shard["bytes_rejected"]
    for k in ("bytes_in_of", "bytes_kept_of"):
        unit = shard.get(k)
        if unit is not None:
            agg[k] = unit if agg.get(k) in (None, unit) else "mixed"


def _empty_stage() -> dict[str, Any]:
    return {"in": 0, "kept": 0, "rejected": Counter(), "bytes_in": 0, "bytes_kept": 0, "bytes_written": 0,
            "scan_bytes": 0, "seconds": 0.0, "details": {}, "counters": {}, "shards": 0}


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:,.1f}"


def funnel_table(stats: dict[str, Any]) -> str:
    """The funnel as a text table: stage, in, kept, % kept, MB in, MB written, top reasons.

    ``MB in``: the records' bytes as read (decompressed) for ``read``, the documents' text (or
    HTML) bytes reaching a stage for the others; ``MB written``: the Parquet bytes the stage wrote (kept or signal
    parts, rejected parts, and a global stage's scans), as written, before any clean-up. A last
    line gives the total written next to the input's bytes.
    """
    read = stats["read"]
    rows = [("read", read["documents"] + read["rejected"], read["documents"], read.get("bytes"), None,
             _top(read["rejected_by_reason"]))]
    written = 0
    for s in stats["stages"]:
        w = s.get("bytes_written", 0) + s.get("scan_bytes", 0)
        written += w
        rows.append((s["folder"], s["in"], s["kept"], s.get("bytes_in"), w, _top(s["rejected_by_reason"])))
    header = ("stage", "in", "kept", "% kept", "MB in", "MB written", "top reasons")
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
    if read.get("bytes"):
        text.append(f"written: {_mb(written)} MB for {_mb(read['bytes'])} MB of input "
                    f"({written / read['bytes']:.2f} x)")
    skipped = read.get("skipped_by_kind") or {}
    if skipped:
        text.append("skipped records (not documents): " + ", ".join(f"{k} {v:,}" for k, v in skipped.items()))
    for err in read.get("errors", []):
        text.append(f"damaged input: {err['file']} at byte {err['offset']}: {err['error']}")
    return "\n".join(text)


def _top(reasons: dict[str, int], n: int = 3) -> str:
    return ", ".join(f"{r} {c:,}" for r, c in list(reasons.items())[:n])


def load_stats(output: str | Path) -> dict[str, Any]:
    """The statistics of a finished run (local or remote); :class:`RunError` if there are none."""
    return RunFolder(output).read_stats()


# RunError is re-exported for callers that import it from here (corpusclean/cli.py); new code: corpusclean.errors
__all__ = ["RunError", "collect_stats", "funnel_table", "load_stats", "run"]
