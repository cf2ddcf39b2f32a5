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

import os
import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from corpusclean.config import PipelineConfig, diff_configs
from corpusclean.errors import ConfigError, RunError
from corpusclean.executors import make_executor
from corpusclean.io.storage import rmtree
from corpusclean.output.run_folder import _STAGE_FOLDER, FINAL, MANIFEST, REPORT, STATE_DIR, STATS, RunFolder
from corpusclean.readers import expand_inputs
from corpusclean.readers.schema import schema_changes, schema_to_json
from corpusclean.runner.columns import check_runnable
from corpusclean.runner.global_step import reduce_global
from corpusclean.runner.inputs import check_overlap, describe_inputs, input_changes
from corpusclean.runner.lock import LOCK_NAME, OutputLock
from corpusclean.runner.plan import Segment, Task, plan_segments, stage_kinds
from corpusclean.runner.progress import lines_for_warnings, pass_progress, progress_line
from corpusclean.runner.stats import disk_usage, funnel_table
from corpusclean.version import __version__

if TYPE_CHECKING:
    from corpusclean.executors.base import Executor


# ------------------------------------------------------------------------------ output folder
#: The manifest's format marker: a ``manifest.json`` without it was not written by corpusclean.
MANIFEST_FORMAT = "corpusclean-run"
MANIFEST_FORMAT_VERSION = 1
#: Top-level names a run writes (besides ``NN_<stage>`` folders and hidden temporary files).
_OURS = {MANIFEST, STATS, REPORT, FINAL, STATE_DIR, LOCK_NAME}
_TEMP = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp$")  # corpusclean.io.files.temp_name
_LEGACY_KEYS = {"corpusclean_version", "fingerprint", "config", "inputs", "segments"}


def is_our_manifest(manifest: Any) -> bool:
    """True when ``manifest`` was written by corpusclean (its format marker, or the exact key set of
    manifests written before the marker existed)."""
    if not isinstance(manifest, dict):
        return False
    if manifest.get("format") == MANIFEST_FORMAT:
        return True
    return "format" not in manifest and _LEGACY_KEYS <= set(manifest)


def _foreign_entries(out: RunFolder) -> tuple[list[str], list[Any]]:
    """(names corpusclean does not write, our temporary leftovers) at the top of ``out``."""
    foreign, temps = [], []
    if not out.root.is_dir():
        return foreign, temps
    for p in out.root.iterdir():
        if _TEMP.match(p.name):
            temps.append(p)
        elif p.name not in _OURS and not _STAGE_FOLDER.match(p.name):
            foreign.append(p.name)
    return sorted(foreign), temps


def check_ours(out: RunFolder) -> tuple[list[str], list[Any]]:
    """Refuse (:class:`RunError`) a folder that is neither empty nor a corpusclean run.

    Empty means: nothing but a killed run's temporary files and lock. Returns
    :func:`_foreign_entries`.
    """
    foreign, temps = _foreign_entries(out)
    if not out.has_manifest():
        if foreign or out.stage_folders() or (out.root / STATE_DIR).exists():
            raise RunError(f"{out}: folder is not empty and holds no corpusclean {MANIFEST}; "
                           "refusing to write into it (choose a new or empty folder)")
        return foreign, temps
    try:
        manifest = out.read_manifest()
    except RunError as e:
        raise RunError(f"{e}; remove the folder by hand") from None
    if not is_our_manifest(manifest):
        raise RunError(f"{out}: its {MANIFEST} was not written by corpusclean; refusing to write "
                       "into or delete this folder (choose a new or empty folder)")
    return foreign, temps


def _clear(out: RunFolder) -> None:
    """Delete everything in ``out`` but the lock file (the caller checked it is all ours)."""
    for p in list(out.root.iterdir()):
        if p.name == LOCK_NAME:
            continue
        if p.is_dir() and not p.is_symlink():
            rmtree(p)
        else:
            p.unlink()


def prepare_output(config: PipelineConfig, files: list[tuple[str, str]], overwrite: bool,
                   columns: pa.Schema | None = None) -> dict[str, Any]:
    """Create, resume or (with ``overwrite``) restart the output folder; return the manifest.

    Refuses (:class:`RunError`, before anything is written or deleted): an input inside the
    output or an output an input would read back (:func:`~corpusclean.runner.inputs.check_overlap`);
    a non-empty folder without a corpusclean manifest; with ``overwrite``, a folder holding files
    corpusclean does not write; without it, a run of another config or of changed input files
    (:func:`~corpusclean.runner.inputs.input_changes`) or of another input schema (``columns``: the
    run's extra columns, recorded as ``input_schema``). A folder holding only a killed run's
    temporary files counts as empty. Call with the folder's :class:`OutputLock` held.
    """
    assert config.output is not None
    out = RunFolder(config.output)
    if out.exists() and not out.root.is_dir():
        raise RunError(f"{out}: output exists and is not a folder")
    foreign, temps = check_ours(out)
    if out.has_manifest():
        old = out.read_manifest()
        if overwrite and foreign:
            shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
            raise RunError(f"{out}: --overwrite would delete files corpusclean did not write ({shown}); "
                           "move them out or remove the folder by hand")
        inputs = describe_inputs(files, digest=overwrite)
        changes = []
        if old.get("fingerprint") != config.fingerprint():
            old_config = old.get("config", {})
            new_data = config.fingerprint_data()
            keys = ("input", "shard_size", "stages", "stage_files")
            old_data = {k: old_config.get(k) for k in keys}
            if isinstance(old_data["input"], dict):  # the spelling of input paths is not the input
                old_data["input"] = {k: v for k, v in old_data["input"].items() if k != "paths"}
            changes = diff_configs(old_data, {k: new_data.get(k) for k in keys})
        changes += input_changes(old.get("inputs", []), inputs)
        schema = schema_to_json(columns if columns is not None else pa.schema([]))
        changes += schema_changes(old.get("input_schema"), schema)
        if not overwrite and changes:
            raise RunError(f"{out}: holds a run with a different config; changed: {'; '.join(changes)}. "
                           "Use --overwrite to start over")
        if not overwrite:
            for o, n in zip(old.get("inputs", []), inputs):
                n.setdefault("digest", o.get("digest"))
                if "real" in n and os.path.realpath(o["path"]) == n["real"]:
                    n["path"] = o["path"]  # spelled differently: keep the first spelling (documents' source)
            old["inputs"] = inputs  # the same content, perhaps moved: read it where it is now
            old["fingerprint"] = config.fingerprint()
            return old
        _clear(out)
    else:
        inputs = describe_inputs(files)
        for t in temps:  # a run killed before its first manifest: only our temporary files
            t.unlink()
    out.create()
    manifest = {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_FORMAT_VERSION,
        "corpusclean_version": __version__,
        "fingerprint": config.fingerprint(),
        "config": config.to_dict(),
        "inputs": inputs,
        "input_schema": schema_to_json(columns if columns is not None else pa.schema([])),
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
    config.require_stages()
    if not config.output:
        raise ConfigError("output: no output folder (give --output DIR or 'output:' in the config)")
    files = expand_inputs(config.input.paths, config.input.format)
    check_overlap(config.input.paths, files, config.output)  # before the inputs are opened (schema probe)
    columns = check_runnable(config, files)  # missing extras, HTML input without extract, schema conflicts: exit 2
    out = RunFolder(config.output)
    lock = None
    if not out.is_remote:
        if out.exists() and not out.root.is_dir():
            raise RunError(f"{out}: output exists and is not a folder")
        check_ours(out)  # before the lock file is created in someone else's folder (again under the lock)
        out.create()
        lock = OutputLock(out.root)
        lock.acquire()
    try:
        return _run_locked(config, out, files, overwrite, progress, executor, columns)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(config: PipelineConfig, out: RunFolder, files: list[tuple[str, str]], overwrite: bool,
                progress: bool, executor: Executor | None, columns: pa.Schema | None = None) -> dict[str, Any]:
    manifest = prepare_output(config, files, overwrite, columns)
    sizes = [int(i.get("size") or 0) for i in manifest["inputs"]]
    files = [(i["path"], i["format"]) for i in manifest["inputs"]]
    segments = plan_segments(stage_kinds(config.stages))
    if executor is None:
        executor = make_executor(config)
    closing: _Closing | None = None
    try:
        for seg in segments:
            _run_segment(config, out, seg, segments, files, manifest, executor, progress, sizes)
            if config.write_kept == "final" and seg.index > 0:
                # what this pass read is no longer needed: the hand-off and the global stage's scans
                if seg.source >= 0:
                    out.remove_kept_parts(config.stages[seg.source])
                out.remove_scans(config.stages[seg.stages[0]])
        # worker processes exit while the statistics and the report are written (their exit
        # takes a second or two: it is no longer on the run's critical path)
        closing = _Closing(executor)
    finally:
        if closing is None:
            executor.close()
    try:
        stats = collect_stats(config, out, segments)
        out.remove_leftovers()
        stats["disk"] = disk_usage(out, sizes)  # what is left on disk, now that clean-up is done
        out.write_stats(stats)
        manifest["status"] = "complete"
        manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        out.write_manifest(manifest)
        if config.report:  # `report: true`: OUTPUT/report.html next to the statistics
            from corpusclean.report import report_after_run

            report_after_run(out.root)
    finally:
        closing.join()
    return stats


class _Closing(threading.Thread):
    """``executor.close()`` in a thread; :meth:`join` re-raises what it raised."""

    def __init__(self, executor: Executor):
        super().__init__(name="corpusclean-executor-close", daemon=True)
        self._executor = executor
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._executor.close()
        except BaseException as e:  # noqa: BLE001 - handed to the driver's thread in join()
            self._error = e

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self._error is not None:
            raise self._error


def _run_segment(config: PipelineConfig, out: RunFolder, seg: Segment, segments: list[Segment],
                 files: list[tuple[str, str]], manifest: dict[str, Any], executor: Executor,
                 progress: bool, sizes: list[int]) -> None:
    """Run one pass: the global stage's middle step first (a later pass), then its tasks.

    The input files' tasks are handed out largest file first (``sizes``: bytes per input file),
    so the last task to finish is a small one and workers do not wait on one large file at the
    end (longest-processing-time-first scheduling); results do not depend on the order."""
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
                tasks.append(Task(str(out.root), seg.index, file=(i, path, fmt), columns=manifest.get("input_schema"),
                                  done=[k for k in done if k.startswith(prefix)]))
        tasks.sort(key=lambda t: -sizes[t.file[0]] if t.file is not None and t.file[0] < len(sizes) else 0)
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


def load_stats(output: str | Path) -> dict[str, Any]:
    """The statistics of a finished run (local or remote); :class:`RunError` if there are none."""
    return RunFolder(output).read_stats()


# RunError is re-exported for callers that import it from here (corpusclean/cli.py); new code: corpusclean.errors
__all__ = ["RunError", "collect_stats", "funnel_table", "load_stats", "run"]
