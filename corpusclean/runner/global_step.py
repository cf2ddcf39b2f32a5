"""The middle step of a global stage: every shard's scan in, the stage's state out.

:func:`reduce_global` runs once per global stage, in the driver, between the two passes. It is
idempotent: when ``NN_<stage>/_global/_SUCCESS.json`` exists the step is done and its summary is
returned (resume). A stage writes its state to a local folder, uploaded afterwards (before the
success marker) when the output is on an object store. The scan files of a stage that declares
:attr:`~corpusclean.stages.base.GlobalStage.remote_scan_files` (every built-in global stage) are
read where they are, by the middle-step tasks wherever the executor runs them (column
projection, ranged reads) — on this machine only (``pmap_local``) when the tasks hand each other
files in the state folder (:attr:`~corpusclean.stages.base.GlobalStage.tasks_share_state_dir`:
``minhash_dedup``), which is a local scratch folder then; a stage that does not read remote scan
files is handed local copies (downloaded :data:`DOWNLOAD_THREADS` at a time; object stores are
latency-bound) and only tasks kept on this machine.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from corpusclean.config import PipelineConfig
from corpusclean.executors.memlog import note
from corpusclean.io.storage import AnyPath, copy_tree, local_scratch
from corpusclean.output.run_folder import RunFolder
from corpusclean.stages.base import GlobalStage, PMap

#: Parallel downloads when staging scan files from an object store (latency-bound, not CPU).
DOWNLOAD_THREADS = 16



def reduce_global(config: PipelineConfig, output: RunFolder, position: int, shard_keys: list[str], *,
                  pmap: PMap = map, pmap_local: PMap | None = None) -> dict[str, Any]:
    """Build the state of global stage ``position`` from the scans of ``shard_keys`` (in key order).

    Returns ``{"summary": <what reduce returned>, "seconds": float, "shards": int}``, also written
    as the stage's success marker. ``pmap`` is the executor's parallel map, handed to
    ``reduce``; with a remote output, ``pmap_local`` (tasks kept on this machine, which alone
    holds the scratch copy) is handed instead.
    """
    spec = config.stages[position]
    previous = output.read_global_summary(spec)
    if previous is not None:
        return previous
    stage = spec.build()
    assert isinstance(stage, GlobalStage)
    stage.setup()
    state = output.state_dir(spec)
    files = [output.scan_part(spec, k) for k in sorted(shard_keys)]
    t0 = time.perf_counter()
    note(f"reduce {spec.folder} start")
    if output.is_remote and stage.remote_scan_files:  # scans read where they are; state uploaded
        scratch = local_scratch("corpusclean-reduce-")
        try:
            here = pmap_local or map
            summary = stage.reduce(files, scratch, pmap=here if stage.tasks_share_state_dir else pmap) or {}  # type: ignore[arg-type]
            copy_tree(scratch, state)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    elif output.is_remote:
        scratch = local_scratch("corpusclean-reduce-")
        try:
            local_files = _download(files, scratch / "_scan")
            local_state = scratch / "_global"
            local_state.mkdir()
            summary = stage.reduce(local_files, local_state, pmap=pmap_local or map) or {}
            copy_tree(local_state, state)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    else:
        state.mkdir(parents=True, exist_ok=True)
        summary = stage.reduce(files, state, pmap=pmap) or {}  # type: ignore[arg-type]
    note(f"reduce {spec.folder} done")
    result = {"summary": summary, "seconds": time.perf_counter() - t0, "shards": len(files)}
    output.write_global_summary(spec, result)
    return result


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


__all__ = ["DOWNLOAD_THREADS", "reduce_global"]
