"""The what-if simulation: walk every document of a finished run through its stages again.

A run's output folder holds every document exactly once as a *final* row: in the rejected folder
of the stage that removed it (``NN_<stage>/rejected/``) or in the last stage's kept folder. Each
such row carries the signal columns of every stage it went through. So, for a changed threshold,
every document can go through the pipeline again, stage by stage, deciding:

* at a **changed retunable filter** (``FilterStage.retunable``): ``decide`` of a stage built with
  the new parameters, on the stored signals — the same function the run called, so the same
  verdict a real re-run would reach;
* at an **unchanged streaming stage**: the actual outcome. The stage protocol requires that a
  document's fate never depends on the other documents of its batch, and threshold changes never
  alter a document's text, so a re-run decides exactly the same;
* at a **global stage**: when the same documents reach it, the actual outcomes (same input, same
  decisions). When documents that reached it in the run are removed now, the stage itself says
  which of its decisions may change (:meth:`GlobalStage.replay`, reading its declared
  ``replay_columns``); those documents are counted as *unknown*.

A loosened threshold keeps documents the run removed; their later signals were never computed
(they never reached the later stages), so their fate from that stage on is **unknown** and is
reported as a count — never guessed. For threshold-only changes where every needed signal
exists, the funnel is exactly the one a real re-run writes (``tests/whatif/`` checks this against
real re-runs). Only the columns needed are read (``id``, ``reason``, the changed stages' signals,
global stages' ``replay_columns``): never ``text`` or ``html``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from corpusclean.io.storage import RemotePath
from corpusclean.stages.base import FilterStage, GlobalStage
from corpusclean.whatif.output import RunOutput, read_columns
from corpusclean.whatif.sets import parse_sets


@dataclass
class StageFunnel:
    """One stage's row of a funnel: documents in, kept, rejected by reason, unknown."""

    folder: str
    stage: str
    docs_in: int
    kept: int
    rejected_by_reason: dict[str, int]
    #: Documents whose fate became unknown at this stage.
    unknown: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())


@dataclass
class WhatIfResult:
    """The funnel with the changed thresholds next to the actual one."""

    changes: dict[str, dict[str, Any]]
    read_in: int
    read_kept: int
    actual: list[StageFunnel]
    whatif: list[StageFunnel]

    @property
    def unknown(self) -> int:
        return sum(s.unknown for s in self.whatif)

    @property
    def final_kept(self) -> int:
        return self.whatif[-1].kept if self.whatif else self.read_kept

    @property
    def exact(self) -> bool:
        return self.unknown == 0 and not any(s.notes for s in self.whatif)

    def to_dict(self) -> dict[str, Any]:
        def rows(fs: list[StageFunnel]) -> list[dict[str, Any]]:
            return [{"folder": s.folder, "stage": s.stage, "in": s.docs_in, "kept": s.kept,
                     "rejected": s.rejected, "rejected_by_reason": s.rejected_by_reason,
                     "unknown": s.unknown, "notes": s.notes} for s in fs]
        return {"changes": self.changes, "read": {"in": self.read_in, "kept": self.read_kept},
                "actual": rows(self.actual), "whatif": rows(self.whatif),
                "unknown": self.unknown, "exact": self.exact}


ALIVE, REJECTED, UNKNOWN = 0, 1, 2


@dataclass
class _Docs:
    """Every document of the run once (its final row), and what the simulation decided so far."""

    table: pa.Table  # id, reason, signal and replay columns
    exit_actual: np.ndarray  # int64 (n,): position of the stage that removed it; len(stages) if kept
    reasons: np.ndarray  # object (n,): the run's reason (None when kept)
    status: np.ndarray  # int8 (n,): ALIVE / REJECTED / UNKNOWN in the simulation
    new_reason: np.ndarray  # object (n,): the reason in the simulation


def whatif(output: str | Path | RemotePath, sets: list[str]) -> WhatIfResult:
    """Re-apply the ``--set`` changes to a finished run's stored signals; return both funnels.

    Raises :class:`~corpusclean.errors.WhatIfError`: exit code 2 for a change stored signals
    cannot answer, 1 for a folder that is not a finished run.
    """
    run = RunOutput.open(output)
    changes = parse_sets(run, sets)
    built = {pos: run.stages[pos].build(**params) for pos, params in changes.items()}
    # a global stage not installed here is known by the reduce summary its statistics carry
    globals_ = {i: s.declared() for i, s in enumerate(run.stages)
                if (issubclass(s.cls, GlobalStage) if s.cls is not None else "global" in run.stage_stats(s.folder))}
    docs = _read_docs(run, built, globals_)

    whatif_rows: list[StageFunnel] = []
    actual_rows: list[StageFunnel] = []
    unknown_upstream = 0
    for pos, info in enumerate(run.stages):
        st = run.stage_stats(info.folder)
        actual_rows.append(StageFunnel(info.folder, info.name, int(st.get("in", 0)), int(st.get("kept", 0)),
                                       dict(st.get("rejected_by_reason", {}))))
        alive = docs.status == ALIVE
        never_reached = alive & (docs.exit_actual < pos)
        docs.status[never_reached] = UNKNOWN
        alive &= ~never_reached
        row = StageFunnel(info.folder, info.name, int(alive.sum()), 0, {}, int(never_reached.sum()))
        if pos in changes:
            stage = built[pos]
            assert isinstance(stage, FilterStage)
            _decide(stage, docs, alive, row)
        elif pos in globals_:
            _global(globals_[pos], pos, docs, alive, row, unknown_upstream)
        else:
            hit = alive & (docs.exit_actual == pos)
            docs.status[hit] = REJECTED
            docs.new_reason[hit] = docs.reasons[hit]
        rejected_here = alive & (docs.status == REJECTED)
        row.rejected_by_reason = dict(Counter(docs.new_reason[rejected_here]).most_common())
        row.kept = int((alive & (docs.status == ALIVE)).sum())
        unknown_upstream += row.unknown
        whatif_rows.append(row)
    read = run.stats.get("read", {})
    read_kept = int(read.get("documents", 0))
    read_in = read_kept + int(read.get("rejected", 0))
    named = {run.stages[p].folder: v for p, v in changes.items()}
    return WhatIfResult(named, read_in, read_kept, actual_rows, whatif_rows)


def _read_docs(run: RunOutput, built: dict[int, Any], globals_: dict[int, Any]) -> _Docs:
    """The final row of every document: rejected parts of each stage, then the last kept part."""
    types: dict[str, pa.DataType] = {"id": pa.string(), "reason": pa.string()}
    for pos in sorted(built):
        types.update({c: t for c, t in built[pos].columns.items() if c not in types})
    for stage in globals_.values():
        if stage is not None:
            types.update({c: t for c, t in stage.replay_columns.items() if c not in types})
    cols = list(types)
    parts: list[pa.Table] = []
    exits: list[np.ndarray] = []
    for pos, info in enumerate(run.stages):
        t = read_columns(run.rejected_files(info.folder), cols, types)
        parts.append(t)
        exits.append(np.full(t.num_rows, pos, np.int64))
    if run.stages:
        t = read_columns(run.kept_files(run.stages[-1].folder), cols, types)
        parts.append(t)
        exits.append(np.full(t.num_rows, len(run.stages), np.int64))
    table = pa.concat_tables(parts) if parts else pa.table({c: pa.array([], types[c]) for c in cols})
    n = table.num_rows
    return _Docs(table, np.concatenate(exits) if exits else np.empty(0, np.int64),
                 np.array(table.column("reason").to_pylist(), dtype=object),
                 np.full(n, ALIVE, np.int8), np.empty(n, dtype=object))


def _decide(stage: FilterStage, docs: _Docs, alive: np.ndarray, row: StageFunnel) -> None:
    """A changed filter: its ``decide`` with the new parameters on every alive document's signals."""
    idx = np.flatnonzero(alive)
    names = list(stage.columns)
    values = {c: docs.table.column(c).take(pa.array(idx, pa.int64())).to_pylist() for c in names}
    failed = 0
    for k, i in enumerate(idx):
        try:
            verdict = stage.decide({c: values[c][k] for c in names})
        except (TypeError, KeyError, ValueError):
            docs.status[i] = UNKNOWN
            failed += 1
            continue
        if verdict is not None:
            rule = verdict[0] if isinstance(verdict, tuple) else verdict
            docs.status[i] = REJECTED
            docs.new_reason[i] = stage.reason(rule)
    if failed:
        row.unknown += failed
        row.notes.append(f"{failed:,} documents lack a stored signal this stage needs")


def _global(stage: GlobalStage | None, pos: int, docs: _Docs, alive: np.ndarray, row: StageFunnel,
            unknown_upstream: int) -> None:
    """A global stage: the run's decisions where the stage's :meth:`~GlobalStage.replay` says they
    stand (or where the same documents reach it), unknown elsewhere."""
    reached = docs.exit_actual >= pos
    absent = reached & ~alive  # reached it in the run; removed (or of unknown fate) now
    hit = alive & (docs.exit_actual == pos)
    if unknown_upstream:
        row.notes.append(f"{unknown_upstream:,} documents of unknown fate upstream may also reach this global "
                         "stage and change its decisions for others")
    unknown = np.zeros(len(alive), bool)
    if absent.any():
        where = np.flatnonzero(reached)
        if stage is None:  # not installed here: nothing can be said
            changed = ~absent[where]
        else:
            rows = docs.table.select(["id", *stage.replay_columns]).take(pa.array(where, pa.int64()))
            changed = np.asarray(stage.replay(rows, docs.exit_actual[where] == pos, absent[where]), bool)
        unknown[where] = changed & alive[where]
    if unknown.any() and unknown.sum() == alive.sum():
        row.notes.append(f"{row.stage} decides over the whole corpus and its input changed: outcomes unknown")
    stands = hit & ~unknown
    docs.status[stands] = REJECTED
    docs.new_reason[stands] = docs.reasons[stands]
    docs.status[unknown] = UNKNOWN
    row.unknown += int(unknown.sum())
