"""The per-process stage holder: :class:`ShardRunner` runs tasks shard by shard.

Whatever the executor, a task ends up here, in some process: the shard is read (input files or
the previous stage's kept part), every stage of the segment runs on it (consecutive filters
fused, :func:`~corpusclean.stages.chain.run_streaming`), each stage's kept and rejected parts are
written, the scan of the next global stage if any, and then the shard's marker with its
statistics — last, so a shard is complete exactly when its marker exists
(:class:`~corpusclean.output.run_folder.RunFolder`). The check *documents in = kept + rejected*
runs on every stage and shard.

Global stages always see local paths: with a remote output each process downloads a global
stage's state once, before ``load_state``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.config import PipelineConfig
from corpusclean.document import BASE_FIELDS
from corpusclean.io.storage import RemotePath, copy_tree, local_scratch
from corpusclean.output.run_folder import READ_FOLDER, RunFolder, shard_key
from corpusclean.output.writer import read_parquet, write_parquet
from corpusclean.readers import as_options, read_chunks
from corpusclean.readers.schema import schema_from_json
from corpusclean.runner.columns import takes_pages
from corpusclean.runner.plan import Segment, Task, plan_segments, stage_kinds
from corpusclean.runner.progress import InputTicker, Tick
from corpusclean.stages.base import GlobalStage, Stage
from corpusclean.stages.chain import run_streaming

#: Details kept per reason and shard in a marker (the most frequent ones).
TOP_DETAILS = 30


def bytes_column(table: pa.Table) -> str | None:
    """The column whose bytes measure the documents: ``text`` if any row has text, else ``html``
    (before extraction), else None."""
    for col in ("text", "html"):
        if col in table.column_names and table.num_rows:
            if table.column(col).null_count < table.num_rows:
                return col
    return None


def doc_bytes(table: pa.Table, column: str | None = None) -> int:
    """UTF-8 bytes of ``column`` (default :func:`bytes_column`: the text, or HTML before extraction)."""
    column = column or bytes_column(table)
    if column is None or column not in table.column_names or not table.num_rows:
        return 0
    return int(pc.sum(pc.binary_length(table.column(column))).as_py() or 0)


#: Columns that are the document itself (never stored as a stage's signals).
DOCUMENT_COLUMNS = frozenset({f.name for f in BASE_FIELDS} | {"html"})


class ShardRunner:
    """One process's stages for one run: built and ``setup`` once, global states loaded once.

    ``shared`` (optional) is a process-wide cache of *streaming* stages keyed by name and
    parameters, so an executor that serves several runs from one process (Ray workers) loads a
    model or an index once per process, not once per run. Global stages are never shared: they
    hold the state of one run.
    """

    def __init__(self, config: PipelineConfig, shared: dict[str, Stage] | None = None):
        self.config = config
        self.specs = config.stages
        self.segments = plan_segments(stage_kinds(self.specs))
        #: Stages whose full kept documents a later pass reads (segment sources).
        self._handoffs = {seg.source for seg in self.segments if seg.source >= 0}
        #: how the input is read: records of only html are pages when a stage makes their text
        self._read_options = dataclasses.replace(as_options(config.input),
                                                 pages=takes_pages(s.name for s in self.specs))
        self._stages: dict[int, Stage] = {}
        self._states: set[int] = set()
        self._shared = shared
        self._scratch: list[Path] = []

    def stage(self, i: int, output: RunFolder | None = None, shard: str | None = None) -> Stage:
        """Stage ``i``, set up once per process; a global stage also gets its state (pass 2):
        once per process, or before each ``shard`` when the stage splits its state by shard
        (read where it is, even on an object store: only that shard's rows)."""
        if i not in self._stages:
            spec = self.specs[i]
            key = f"{spec.name}:{json.dumps(spec.params, sort_keys=True, default=str)}"
            st = self._shared.get(key) if self._shared is not None else None
            if st is None:
                st = spec.build()
                st.setup()
                if self._shared is not None and not isinstance(st, GlobalStage):
                    self._shared[key] = st
            self._stages[i] = st
        st = self._stages[i]
        if output is not None and isinstance(st, GlobalStage) and st.state_per_shard and shard is not None:
            st.load_state(output.state_dir(self.specs[i]), shard=shard)  # type: ignore[arg-type]
        elif output is not None and isinstance(st, GlobalStage) and i not in self._states:
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
    def run_task(self, task: Task, progress: Callable[[Tick], None] | None = None) -> list[str]:
        """Run ``task``; return the shard keys it completed. ``progress(Tick)``: documents after each
        shard, and input bytes read while a file is read (:mod:`corpusclean.runner.progress`)."""
        output = RunFolder(task.output)
        seg = self.segments[task.segment]
        done_keys: list[str] = []
        ticker = (InputTicker(task.file[1], progress) if task.file is not None and progress is not None
                  else contextlib.nullcontext())
        with ticker:  # pass 1: input bytes read, sampled while the shard is read
            for key, table, read_info in self._source(task, seg, output):
                if key in task.done:
                    continue
                shard_stats = self._run_shard(output, seg, key, table, read_info)
                output.write_marker(seg.index, key, shard_stats)
                done_keys.append(key)
                if progress is not None:
                    progress(Tick(docs=shard_stats["docs"]))
        if task.file is not None:
            output.write_file_marker(seg.index, task.file[0], task.file[1])
        return done_keys

    def _source(self, task: Task, seg: Segment, output: RunFolder) -> Iterator[tuple[str, pa.Table, dict | None]]:
        if task.file is not None:
            file_index, path, fmt = task.file
            columns = schema_from_json(task.columns)  # the run's input schema, probed once by the driver
            for chunk in read_chunks(path, fmt, self._read_options, self.config.shard_size, self.config.strict,
                                     columns):
                key = shard_key(file_index, chunk.index)
                info = None
                if seg.index == 0:
                    info = {"rejected": chunk.rejected, "stats": chunk.stats.to_dict()}
                yield key, chunk.docs, info
        else:
            assert task.shard is not None
            yield task.shard, read_parquet(output.kept_part(self.specs[seg.source], task.shard)), None

    def _run_shard(self, output: RunFolder, seg: Segment, key: str, table: pa.Table,
                   read_info: dict | None) -> dict[str, Any]:
        stats: dict[str, Any] = {"shard": key, "docs": table.num_rows, "stages": {}}
        if read_info is not None:
            rejected = read_info["rejected"]
            write_parquet(rejected, output.rejected_part(READ_FOLDER, key))
            stats["read"] = read_info["stats"]
            stats["docs"] += rejected.num_rows
        stages = [self.stage(i, output, key) for i in seg.stages]
        # consecutive filters run fused, document by document (one tokenisation per document)
        for i, (out, seconds) in zip(seg.stages, run_streaming(stages, table)):
            spec = self.specs[i]
            n_in, n_kept, n_rej = table.num_rows, out.kept.num_rows, out.rejected.num_rows
            if n_kept + n_rej != n_in:
                raise RuntimeError(f"stage {spec.folder} lost documents on shard {key}: "
                                   f"{n_in} in, {n_kept} kept + {n_rej} rejected")
            written = self._write_kept(output, i, key, out.kept)
            written += write_parquet(out.rejected, output.rejected_part(spec, key))
            stats["stages"][spec.folder] = {
                "in": n_in, "kept": n_kept, "rejected": _reason_counts(out.rejected),
                "bytes_in": doc_bytes(table), "bytes_kept": doc_bytes(out.kept), "seconds": seconds,
                **_byte_units(table, out),
                "bytes_written": written,
                "details": _top_details(out.rejected), "counters": out.counters,
            }
            table = out.kept
        if seg.scan_for is not None:
            gstage = self.stage(seg.scan_for)
            assert isinstance(gstage, GlobalStage)
            t0 = time.perf_counter()
            stats["scan_bytes"] = write_parquet(gstage.scan(table), output.scan_part(self.specs[seg.scan_for], key),
                                                row_groups_by=gstage.scan_row_groups)
            stats["scan_seconds"] = time.perf_counter() - t0
        return stats


    def _write_kept(self, output: RunFolder, i: int, key: str, kept: pa.Table) -> int:
        """Store stage ``i``'s kept documents of shard ``key`` as the config asks; return bytes written.

        The last stage writes ``final/``. Another stage writes full documents with
        ``write_kept: all`` or when a later pass reads them (its hand-off, removed by the driver
        once consumed), and its signals (``id`` + its own columns) unless ``write_kept: all``.
        """
        spec = self.specs[i]
        if i == len(self.specs) - 1:
            return write_parquet(kept, output.final_part(key))
        written = 0
        if self.config.write_kept == "all" or i in self._handoffs:
            written += write_parquet(kept, output.kept_part(spec, key))
        if self.config.write_kept != "all":
            # signals, not document content: a stage that fills a document column (extract's text)
            # does not store a second copy of the corpus here
            own = [c for c in self._stages[i].columns if c in kept.column_names and c not in DOCUMENT_COLUMNS]
            written += write_parquet(kept.select(["id", *own]), output.signals_part(spec, key))
        return written


def _byte_units(table: pa.Table, out: Any) -> dict[str, Any]:
    """Which column ``bytes_in``/``bytes_kept`` measured (``html`` before extraction, ``text``
    after), and ``bytes_rejected``: the rejected documents' bytes in the kept column's unit, so a
    stage that turns HTML into text (extract) reports text removed, not markup."""
    unit_in = bytes_column(table)
    unit_kept = bytes_column(out.kept) or bytes_column(out.rejected) or unit_in
    return {"bytes_in_of": unit_in, "bytes_kept_of": unit_kept,
            "bytes_rejected": doc_bytes(out.rejected, unit_kept) if unit_kept else 0}


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


__all__ = ["ShardRunner", "bytes_column", "doc_bytes"]
