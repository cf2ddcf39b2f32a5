"""Pipeline: stages in order, planned into streaming segments separated by global barriers.

The runner executes a pipeline over shards on disk; :meth:`Pipeline.apply` runs the same stages
in memory on a list of dicts (or one Arrow table) for custom jobs and tests, global stages
included (their scan → reduce → process passes run over the one batch).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.document import from_dicts, unify
from corpusclean.stages.base import GlobalStage, Stage, StageOutput, run_streaming


@dataclass
class Result:
    """Outcome of :meth:`Pipeline.apply`: the kept batch and every rejected row with its reason."""

    kept: pa.Table
    rejected: pa.Table

    @property
    def kept_docs(self) -> list[dict[str, Any]]:
        return self.kept.to_pylist()

    @property
    def rejected_docs(self) -> list[dict[str, Any]]:
        return self.rejected.to_pylist()


class Pipeline:
    """An ordered list of stage instances."""

    def __init__(self, stages: Sequence[Stage]):
        self.stages = list(stages)

    @classmethod
    def from_config(cls, config: Any) -> Pipeline:
        return cls([spec.build() for spec in config.stages])

    def setup(self) -> None:
        for stage in self.stages:
            stage.setup()

    def barriers(self) -> list[int]:
        """Indexes of the global stages."""
        return [i for i, s in enumerate(self.stages) if s.kind == "global"]

    def apply(self, docs: Iterable[Mapping[str, Any]] | pa.Table, *, setup: bool = True) -> Result:
        """Run every stage on ``docs`` in memory and return what was kept and rejected."""
        table = docs if isinstance(docs, pa.Table) else from_dicts(docs)
        if setup:
            self.setup()
        rejected: list[pa.Table] = []
        streaming: list[Stage] = []
        for stage in [*self.stages, None]:
            if stage is not None and not isinstance(stage, GlobalStage):
                streaming.append(stage)
                continue
            for out, _ in run_streaming(streaming, table):
                table = out.kept
                rejected.append(out.rejected)
            streaming = []
            if stage is not None:
                out = run_stage_in_memory(stage, table)
                table = out.kept
                rejected.append(out.rejected)
        return Result(table, unify(rejected))


def run_stage_in_memory(stage: Stage, table: pa.Table) -> StageOutput:
    """One stage on one batch; a global stage runs its three passes over this batch alone."""
    if not isinstance(stage, GlobalStage):
        return stage.process(table)
    with tempfile.TemporaryDirectory(prefix="corpusclean-") as tmp:
        scan_file = Path(tmp) / "scan.parquet"
        pq.write_table(stage.scan(table), scan_file)
        state = Path(tmp) / "state"
        state.mkdir()
        stage.reduce([scan_file], state, pmap=map)
        stage.load_state(state)
        return stage.process(table)


def apply(stage: Stage, docs: Iterable[Mapping[str, Any]] | pa.Table) -> Result:
    """Apply a single stage to a list of dicts (``setup`` included)."""
    return Pipeline([stage]).apply(docs)
