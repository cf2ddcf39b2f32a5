"""The run plan and the one task function every executor runs.

A pipeline is cut at its global stages into *segments*. Segment 0 reads the input files; a
segment that starts with a global stage runs that stage's second pass and then the streaming
stages after it. A segment that is followed by a global stage also runs that stage's first pass
(``scan``) on its last output, so the corpus is not read again for it.

Shards are ``(file index, chunk index)`` pairs named ``part-FFFFF-CCCCC``: input files in sorted
order, each cut into chunks of ``shard_size`` records. They depend only on the input and the
config, never on the number of workers or the executor.

A task processes the shards of one input file (segment 0) or one shard (later segments) and
writes, for each shard, every stage's kept and rejected Parquet files and then a marker JSON with
the shard's statistics. A shard is complete exactly when its marker exists, which is what resume
reads.

The output folder may be a local path or an object-store URI (:mod:`corpusclean.io.storage`).
Global stages always see local paths: with a remote output the middle step runs on a local copy
of the scan files and uploads the state, and each worker downloads the state once before
``load_state``; stages never need to know where the output lives.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.config import InputConfig, PipelineConfig, StageSpec
from corpusclean.io.readers import read_chunks
from corpusclean.io.storage import AnyPath, RemotePath, copy_tree, local_scratch
from corpusclean.output.run_folder import READ_FOLDER, RunFolder, shard_key
from corpusclean.output.writer import read_parquet, write_parquet
from corpusclean.stages.base import GlobalStage, Stage, run_streaming

TOP_DETAILS = 30
#: Parallel downloads when staging scan files from an object store (latency-bound, not CPU).
DOWNLOAD_THREADS = 16

log = logging.getLogger("corpusclean.runner")

#: ``pmap(fn, items)``: results of ``fn`` on every item, in item order (builtin ``map`` semantics).
PMap = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


@dataclass
class Segment:
    index: int
    #: Stage positions (0-based) run in this segment, in order. The first may be a global stage
    #: running its second pass.
    stages: list[int]
    #: Position of the global stage whose scan this segment runs at its end, if any.
    scan_for: int | None
    #: Position of the stage whose kept output feeds this segment (-1: the input files).
    source: int


def plan_segments(specs: list[StageSpec], kinds: list[str]) -> list[Segment]:
    segments: list[Segment] = []
    current: list[int] = []
    source = -1
    for i, kind in enumerate(kinds):
        if kind == "global":
            segments.append(Segment(len(segments), current, i, source))
            source = i - 1
            current = [i]
        else:
            current.append(i)
    segments.append(Segment(len(segments), current, None, source))
    return segments


@dataclass
class Task:
    """One unit of work: the shards of one input file, or one shard, through one segment."""

    output: str
    segment: int
    #: (file index, path, format) for tasks that read input files.
    file: tuple[int, str, str] | None = None
    #: Shard key for tasks that read a previous stage's Parquet part.
    shard: str | None = None
    #: Shards of this file already complete (skipped when the file is read again on resume).
    done: list[str] = field(default_factory=list)


def doc_bytes(table: pa.Table) -> int:
    """UTF-8 bytes of the documents' text (or HTML before extraction)."""
    for col in ("text", "html"):
        if col in table.column_names and table.num_rows:
            arr = table.column(col)
            if arr.null_count < len(arr):
                return int(pc.sum(pc.binary_length(arr)).as_py() or 0)
    return 0


class Worker:
    """Per-process state: built stages (``setup`` once) and loaded global states.

    ``shared`` (optional) is a process-wide cache of *streaming* stages keyed by name and
    parameters, so an executor that serves several runs from one process (Ray workers) loads a
    model or an index once per process, not once per run. Global stages are never shared: they
    hold the state of one run.
    """

    def __init__(self, config: PipelineConfig, shared: dict[str, Stage] | None = None):
        self.config = config
        self.specs = config.stages
        self.segments = plan_segments(self.specs, stage_kinds(self.specs))
        self._stages: dict[int, Stage] = {}
        self._states: set[int] = set()
        self._shared = shared
        self._scratch: list[Path] = []

    def stage(self, i: int, output: RunFolder | None = None) -> Stage:
        """Stage ``i``, set up once per process; a global stage also gets its state (pass 2)."""
        if i not in self._stages:
            spec = self.specs[i]
            key = f"{spec.name}:{_params_key(spec.params)}"
            st = self._shared.get(key) if self._shared is not None else None
            if st is None:
                st = spec.build()
                st.setup()
                if self._shared is not None and not isinstance(st, GlobalStage):
                    self._shared[key] = st
            self._stages[i] = st
        st = self._stages[i]
        if output is not None and isinstance(st, GlobalStage) and i not in self._states:
            state = output.state_dir(self.specs[i])
            if isinstance(state, RemotePath):  # stages read local files: download the state once
                local = local_scratch("corpusclean-state-")
                self._scratch.append(local)
                copy_tree(state, local)
                state = local
            st.load_state(state)
            self._states.add(i)
        return st

    def close(self) -> None:
        """Remove local copies of global states (a remote output's)."""
        for p in self._scratch:
            shutil.rmtree(p, ignore_errors=True)
        self._scratch.clear()

    def __del__(self) -> None:
        self.close()

    # -------------------------------------------------------------------------------- tasks
    def run_task(self, task: Task, progress: Callable[[int], None] | None = None) -> list[str]:
        """Run a task; return the shard keys it completed."""
        output = RunFolder(task.output)
        seg = self.segments[task.segment]
        done_keys: list[str] = []
        for key, table, read_info in self._source(task, seg, output):
            if key in task.done:
                continue
            shard_stats = self._run_shard(output, seg, key, table, read_info)
            output.write_marker(seg.index, key, shard_stats)
            done_keys.append(key)
            if progress is not None:
                progress(shard_stats["docs"])
        if task.file is not None:
            output.write_file_marker(seg.index, task.file[0], task.file[1])
        return done_keys

    def _source(self, task: Task, seg: Segment, output: RunFolder) -> Iterator[tuple[str, pa.Table, dict | None]]:
        cfg: InputConfig = self.config.input
        if task.file is not None:
            file_index, path, fmt = task.file
            for chunk in read_chunks(path, fmt, cfg, self.config.shard_size, self.config.strict):
                key = shard_key(file_index, chunk.index)
                info = None
                if seg.index == 0:
                    info = {"rejected": chunk.rejected, "stats": chunk.stats.to_dict()}
                yield key, chunk.docs, info
        else:
            assert task.shard is not None
            src = output.kept_part(self.specs[seg.source], task.shard)
            yield task.shard, read_parquet(src), None

    def _run_shard(self, output: RunFolder, seg: Segment, key: str, table: pa.Table,
                   read_info: dict | None) -> dict[str, Any]:
        stats: dict[str, Any] = {"shard": key, "docs": table.num_rows, "stages": {}}
        if read_info is not None:
            rejected = read_info["rejected"]
            write_parquet(rejected, output.rejected_part(READ_FOLDER, key))
            stats["read"] = read_info["stats"]
            stats["docs"] += rejected.num_rows
        stages = [self.stage(i, output) for i in seg.stages]
        # consecutive filters run fused, document by document (one tokenisation per document)
        for i, (out, seconds) in zip(seg.stages, run_streaming(stages, table)):
            spec = self.specs[i]
            n_in, n_kept, n_rej = table.num_rows, out.kept.num_rows, out.rejected.num_rows
            if n_kept + n_rej != n_in:
                raise RuntimeError(f"stage {spec.folder} lost documents on shard {key}: "
                                   f"{n_in} in, {n_kept} kept + {n_rej} rejected")
            write_parquet(out.kept, output.kept_part(spec, key))
            write_parquet(out.rejected, output.rejected_part(spec, key))
            stats["stages"][spec.folder] = {
                "in": n_in, "kept": n_kept, "rejected": _reason_counts(out.rejected),
                "bytes_in": doc_bytes(table), "bytes_kept": doc_bytes(out.kept), "seconds": seconds,
                "details": _top_details(out.rejected), "counters": out.counters,
            }
            table = out.kept
        if seg.scan_for is not None:
            gstage = self.stage(seg.scan_for)
            assert isinstance(gstage, GlobalStage)
            gspec = self.specs[seg.scan_for]
            t0 = time.perf_counter()
            scan = gstage.scan(table)
            write_parquet(scan, output.scan_part(gspec, key))
            stats["scan_seconds"] = time.perf_counter() - t0
        return stats


def _params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _kind(spec: StageSpec) -> str:
    from corpusclean.stages.base import load_stages

    return load_stages()[spec.name].kind


def stage_kinds(specs: list[StageSpec]) -> list[str]:
    return [_kind(s) for s in specs]


def _reason_counts(rejected: pa.Table) -> dict[str, int]:
    if rejected.num_rows == 0:
        return {}
    counts = pc.value_counts(rejected.column("reason")).to_pylist()
    return {c["values"]: c["counts"] for c in counts}


def _top_details(rejected: pa.Table) -> dict[str, dict[str, int]]:
    """Per reason, the most frequent details (which domain, which word, which benchmark)."""
    if rejected.num_rows == 0 or "detail" not in rejected.column_names:
        return {}
    per: dict[str, Counter] = {}
    for reason, detail in zip(rejected.column("reason").to_pylist(), rejected.column("detail").to_pylist()):
        if detail:
            per.setdefault(reason, Counter())[detail[:120]] += 1
    return {r: dict(c.most_common(TOP_DETAILS)) for r, c in per.items()}


def accepts_pmap(stage: GlobalStage) -> bool:
    """Whether ``stage.reduce`` takes the optional ``pmap`` argument (older stages do not)."""
    try:
        return "pmap" in inspect.signature(stage.reduce).parameters
    except (TypeError, ValueError):
        return False


def reduce_global(config: PipelineConfig, output: RunFolder, position: int, shard_keys: list[str],
                  pmap: PMap = map, pmap_local: PMap | None = None) -> dict[str, Any]:
    """The middle step of a global stage: read every shard's scan in shard order, write the state.

    ``pmap`` is the executor's parallel map, handed to a stage whose ``reduce`` accepts it.
    With a remote output the scan files are first copied to a local scratch folder (stages read
    local files) and the state is uploaded afterwards; ``pmap_local`` (tasks kept on this
    machine, which alone holds that scratch copy) is then used instead of ``pmap``.
    """
    spec = config.stages[position]
    stage = spec.build()
    assert isinstance(stage, GlobalStage)
    stage.setup()
    state = output.state_dir(spec)
    previous = output.read_global_summary(spec)
    if previous is not None:
        return previous
    files = [output.scan_part(spec, k) for k in sorted(shard_keys)]
    t0 = time.perf_counter()
    if output.is_remote:
        scratch = local_scratch("corpusclean-reduce-")
        try:
            local_files = _download(files, scratch / "_scan")
            local_state = scratch / "_global"
            local_state.mkdir()
            summary = _call_reduce(stage, local_files, local_state, pmap_local or map)
            copy_tree(local_state, state)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    else:
        state.mkdir(parents=True, exist_ok=True)
        summary = _call_reduce(stage, files, state, pmap)  # type: ignore[arg-type]
    summary = {"summary": summary, "seconds": time.perf_counter() - t0, "shards": len(files)}
    output.write_global_summary(spec, summary)
    return summary


def _call_reduce(stage: GlobalStage, files: list[Path], state: Path, pmap: PMap) -> dict[str, Any]:
    if accepts_pmap(stage):
        return stage.reduce(files, state, pmap=pmap) or {}  # type: ignore[call-arg]
    return stage.reduce(files, state) or {}


def _download(files: list[AnyPath], folder: Path) -> list[Path]:
    """Copy remote files into ``folder`` (same names), a few at a time (object stores are latency-bound)."""
    folder.mkdir(parents=True, exist_ok=True)
    local = [folder / f.name for f in files]

    def fetch(pair: tuple[AnyPath, Path]) -> None:
        src, dst = pair
        dst.write_bytes(src.read_bytes())

    with ThreadPoolExecutor(DOWNLOAD_THREADS) as pool:
        list(pool.map(fetch, zip(files, local)))
    return local


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
