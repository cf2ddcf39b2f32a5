"""``corpusclean whatif``: re-apply changed thresholds to the signals a run stored, no recomputing.

A run's output folder holds every document exactly once as a *final* row: in the rejected folder
of the stage that removed it (``NN_<stage>/rejected/``) or in the last stage's kept folder. Each
such row carries the signal columns of every stage it went through. So, for a changed threshold,
we can walk every document through the pipeline again, stage by stage, deciding:

* at a **changed retunable filter** (``FilterStage.retunable``): ``decide`` of a stage built with
  the new parameters, on the stored signals — the same function the run called, so the same
  verdict a real re-run would reach;
* at an **unchanged streaming stage**: the actual outcome. The stage protocol requires that a
  document's fate never depends on the other documents of its batch, and threshold changes never
  alter a document's text, so a re-run would decide exactly the same;
* at a **global stage** (deduplication, decontamination, domain caps): its decisions depend on
  which documents reach it. When the set is unchanged, the actual outcomes stand. When documents
  were removed upstream, we keep what provably does not change (see :func:`_global_stage`) and
  count the rest as *unknown*.

A loosened threshold keeps documents the run removed; their later signals were never computed
(they never reached the later stages), so their fate from that stage on is **unknown** and is
reported as a count — never guessed. For threshold-only changes where every needed signal
exists, the funnel printed here is exactly the one a real re-run writes (``tests/test_whatif.py``
checks this against real re-runs).

Only the columns needed are read (``id``, ``reason``, the changed stages' signals, and group
columns for deduplication), with Parquet column projection: never ``text`` or ``html``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from corpusclean.config import ConfigError, coerce
from corpusclean.errors import WhatIfError  # noqa: E402,F401  (re-exported)
from corpusclean.stages.base import FilterStage, GlobalStage, Stage, get_stage_class


# ------------------------------------------------------------------------- reading an output
@dataclass
class StageInfo:
    """One stage of a finished run, as the manifest recorded it."""

    index: int  # 1-based
    name: str
    folder: str
    params: dict[str, Any]
    cls: type[Stage] | None

    def build(self, **changes: Any) -> Stage | None:
        """The stage with the run's parameters (plus ``changes``); None if it cannot be built here."""
        if self.cls is None:
            return None
        try:
            hints = self.cls.param_types()
            params = {k: coerce(v, hints[k], k) if k in hints else v for k, v in self.params.items()}
            return self.cls(**{**params, **changes})
        except (ValueError, TypeError, OSError, ConfigError):
            if changes:
                raise
            return None


@dataclass
class RunOutput:
    """A finished run's output folder: manifest, statistics and where each stage's Parquet is."""

    path: Path
    manifest: dict[str, Any]
    stats: dict[str, Any]
    stages: list[StageInfo]

    @classmethod
    def open(cls, output: str | Path) -> RunOutput:
        path = Path(output)
        try:
            manifest = json.loads((path / "manifest.json").read_text())
        except FileNotFoundError:
            raise WhatIfError(f"{output}: no manifest.json here (not a corpusclean output folder)", 1) from None
        try:
            stats = json.loads((path / "stats.json").read_text())
        except FileNotFoundError:
            raise WhatIfError(f"{output}: no stats.json here (the run has not finished)", 1) from None
        infos = []
        for s in manifest.get("stages", []):
            try:
                klass: type[Stage] | None = get_stage_class(s["name"])
            except KeyError:
                klass = None
            infos.append(StageInfo(int(s["index"]), s["name"], s["folder"], dict(s.get("params") or {}), klass))
        return cls(path, manifest, stats, infos)

    def kept_files(self, folder: str) -> list[Path]:
        return sorted((self.path / folder).glob("part-*.parquet"))

    def rejected_files(self, folder: str) -> list[Path]:
        return sorted((self.path / folder / "rejected").glob("part-*.parquet"))

    def stage_stats(self, folder: str) -> dict[str, Any]:
        for s in self.stats.get("stages", []):
            if s["folder"] == folder:
                return s
        return {}


def read_columns(files: list[Path], columns: list[str], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """``columns`` of every file, concatenated in file order (Parquet column projection).

    A column a file lacks comes back as nulls, so callers can ask for a signal column of a stage
    that some rows never reached.
    """
    types = types or {}
    out: dict[str, list[pa.Array]] = {c: [] for c in columns}
    for f in files:
        pf = pq.ParquetFile(f)
        names = set(pf.schema_arrow.names)
        present = [c for c in columns if c in names]
        t = pf.read(columns=present) if present else None
        n = pf.metadata.num_rows
        for c in columns:
            if t is not None and c in names:
                arr = t.column(c).combine_chunks() if t.num_rows else pa.array([], t.schema.field(c).type)
                out[c].append(arr)
            else:
                out[c].append(pa.nulls(n, types.get(c, pa.null())))
    arrays = []
    for c in columns:
        chunks = out[c]
        want = types.get(c)
        if want is None:
            non_null = [a.type for a in chunks if a.type != pa.null()]
            want = non_null[0] if non_null else pa.null()
        chunks = [a.cast(want) if a.type != want else a for a in chunks]
        arrays.append(pa.chunked_array(chunks, want).combine_chunks() if chunks else pa.array([], want))
    return pa.table(dict(zip(columns, arrays))) if columns else pa.table({})


# ---------------------------------------------------------------------------- the changes
def parse_sets(run: RunOutput, sets: list[str]) -> dict[int, dict[str, Any]]:
    """``["gopher_quality.min_doc_words=100", ...]`` → {stage position (0-based): {param: value}}.

    The stage is named by its registry name (when it appears once), its folder
    (``03_gopher_quality``) or its 1-based index. Values are YAML (``100``, ``0.8``, ``null``,
    ``[en, de]``) checked against the parameter's type, like the config file.
    """
    changes: dict[int, dict[str, Any]] = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        stage_ref, dot, pname = key.strip().rpartition(".")
        if not sep or not dot or not stage_ref or not pname:
            raise WhatIfError(f"--set {item!r}: expected STAGE.PARAMETER=VALUE, e.g. gopher_quality.min_doc_words=100")
        matches = [i for i, s in enumerate(run.stages)
                   if stage_ref in (s.name, s.folder, str(s.index))]
        if not matches:
            raise WhatIfError(f"--set {item!r}: no stage {stage_ref!r} in this run; stages: "
                              + ", ".join(s.folder for s in run.stages))
        if len(matches) > 1:
            raise WhatIfError(f"--set {item!r}: {stage_ref!r} appears {len(matches)} times; name it by folder: "
                              + ", ".join(run.stages[i].folder for i in matches))
        pos = matches[0]
        info = run.stages[pos]
        if info.cls is None:
            raise WhatIfError(f"--set {item!r}: stage {info.name!r} is not installed here")
        hints = info.cls.param_types()
        if pname not in hints:
            raise WhatIfError(f"--set {item!r}: {info.name} has no parameter {pname!r}; parameters: "
                              + ", ".join(hints))
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        try:
            value = coerce(value, hints[pname], f"{info.folder}.{pname}")
        except ConfigError as e:
            raise WhatIfError(f"--set {item!r}: {e}") from None
        changes.setdefault(pos, {})[pname] = value
    for pos, params in changes.items():
        _check_answerable(run, pos, params)
    return changes


def threshold_pairs(cls: type[Stage] | Stage) -> dict[str, list[tuple[str, str]]]:
    """``cls.thresholds`` as signal column → [(parameter, mode), ...].

    A column cut from both sides (Gopher's 50–100,000 words) declares a tuple of pairs; one cut, a
    single ``(parameter, "min" | "max")`` pair. Mode ``"in"`` marks a set-membership parameter
    (``language.languages``): retunable, but not drawn as a line.
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for col, spec in (getattr(cls, "thresholds", None) or {}).items():
        pairs = [spec] if isinstance(spec[0], str) else list(spec)
        out[col] = [(str(p), str(m)) for p, m in pairs]
    return out


def retunable_params(cls: type[Stage] | Stage) -> set[str]:
    """Parameters that only move a cut over stored signals (named in the class's ``thresholds``)."""
    return {p for pairs in threshold_pairs(cls).values() for p, _mode in pairs}


def _check_answerable(run: RunOutput, pos: int, params: dict[str, Any]) -> None:
    info = run.stages[pos]
    assert info.cls is not None
    where = f"{info.folder}: changing {', '.join(sorted(params))}"
    try:  # the instance: some stages (classifier) name their columns from their parameters
        stage = info.build(**params)
    except (ValueError, TypeError) as e:
        raise WhatIfError(f"{info.folder}: {e}") from None
    assert stage is not None
    if isinstance(stage, GlobalStage):
        raise WhatIfError(f"{where} cannot be answered from stored signals: {info.name} is a global stage "
                          "(its decisions depend on the whole corpus, e.g. dedup clusters); re-run the pipeline")
    if not isinstance(stage, FilterStage) or not stage.retunable:
        raise WhatIfError(f"{where} cannot be answered from stored signals: {info.name} does not decide from "
                          "stored signals alone (it rewrites text or needs the document); re-run the pipeline")
    allowed = retunable_params(stage)
    other = sorted(set(params) - allowed)
    if other:
        raise WhatIfError(f"{info.folder}: {', '.join(other)} cannot be answered from stored signals: "
                          "it changes how signals are computed, not where they are cut "
                          f"(threshold parameters of {info.name}: {', '.join(sorted(allowed)) or 'none'})")
    for later in run.stages[pos + 1:]:
        clash = sorted(set(stage.columns) & set(stage_columns(later)))
        if clash:
            raise WhatIfError(f"{where} cannot be answered from stored signals: {later.folder} overwrites its "
                              f"signal column(s) {', '.join(clash)}; re-run the pipeline")


# ------------------------------------------------------------------------------ the result
@dataclass
class StageFunnel:
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


# ----------------------------------------------------------------------------- simulation
ALIVE, REJECTED, UNKNOWN = 0, 1, 2


def whatif(output: str | Path, sets: list[str]) -> WhatIfResult:
    """Re-apply the ``--set`` changes to a finished run's stored signals; return both funnels."""
    run = RunOutput.open(output)
    changes = parse_sets(run, sets)
    n_stages = len(run.stages)
    built = {pos: run.stages[pos].build(**params) for pos, params in changes.items()}
    global_pos = [i for i, s in enumerate(run.stages) if s.cls is not None and issubclass(s.cls, GlobalStage)]

    # Columns to read: id, reason, every changed stage's signals, and what global stages need.
    signal_cols: list[str] = []
    types: dict[str, pa.DataType] = {"id": pa.string(), "reason": pa.string()}
    for pos in sorted(changes):
        for c, t in built[pos].columns.items():  # type: ignore[union-attr]
            if c not in signal_cols:
                signal_cols.append(c)
                types[c] = t
    extra: list[str] = []
    for pos in global_pos:
        for c in _global_columns(run.stages[pos]):
            if c not in extra and c not in signal_cols:
                extra.append(c)
                if c in ("duplicate_of", "cluster_id", "url", "detail"):
                    types[c] = pa.string()
    cols = ["id", "reason", *signal_cols, *extra]
    parts: list[pa.Table] = []
    exits: list[np.ndarray] = []
    for pos, info in enumerate(run.stages):
        t = read_columns(run.rejected_files(info.folder), cols, types)
        parts.append(t)
        exits.append(np.full(t.num_rows, pos, np.int64))
    last = run.stages[-1].folder if run.stages else None
    t = read_columns(run.kept_files(last), cols, types) if last else pa.table({c: [] for c in cols})
    parts.append(t)
    exits.append(np.full(t.num_rows, n_stages, np.int64))
    table = pa.concat_tables(parts) if parts else pa.table({c: [] for c in cols})
    exit_actual = np.concatenate(exits) if exits else np.empty(0, np.int64)
    reasons = np.array(table.column("reason").to_pylist(), dtype=object)
    n = table.num_rows

    status = np.full(n, ALIVE, np.int8)
    new_reason = np.empty(n, dtype=object)
    whatif_rows: list[StageFunnel] = []
    actual_rows: list[StageFunnel] = []
    unknown_upstream = 0
    for pos, info in enumerate(run.stages):
        st = run.stage_stats(info.folder)
        actual_rows.append(StageFunnel(info.folder, info.name, int(st.get("in", 0)), int(st.get("kept", 0)),
                                       dict(st.get("rejected_by_reason", {}))))
        alive = status == ALIVE
        never_reached = alive & (exit_actual < pos)
        status[never_reached] = UNKNOWN
        alive &= ~never_reached
        row = StageFunnel(info.folder, info.name, int(alive.sum()), 0, {}, int(never_reached.sum()))
        if pos in changes:
            stage = built[pos]
            assert isinstance(stage, FilterStage)
            idx = np.flatnonzero(alive)
            names = list(stage.columns)
            values = {c: table.column(c).take(pa.array(idx, pa.int64())).to_pylist() for c in names}
            failed = 0
            for k, i in enumerate(idx):
                signals = {c: values[c][k] for c in names}
                try:
                    verdict = stage.decide(signals)
                except (TypeError, KeyError, ValueError):
                    status[i] = UNKNOWN
                    failed += 1
                    continue
                if verdict is not None:
                    rule = verdict[0] if isinstance(verdict, tuple) else verdict
                    status[i] = REJECTED
                    new_reason[i] = stage.reason(rule)
            if failed:
                row.unknown += failed
                row.notes.append(f"{failed:,} documents lack a stored signal this stage needs")
        elif pos in global_pos:
            _global_stage(run, pos, table, exit_actual, reasons, status, new_reason, alive, row, unknown_upstream)
        else:
            hit = alive & (exit_actual == pos)
            status[hit] = REJECTED
            new_reason[hit] = reasons[hit]
        rejected_here = alive & (status == REJECTED)
        row.rejected_by_reason = dict(Counter(new_reason[rejected_here]).most_common())
        row.kept = int((alive & (status == ALIVE)).sum())
        unknown_upstream += row.unknown
        whatif_rows.append(row)
    read = run.stats.get("read", {})
    read_kept = int(read.get("documents", 0))
    read_in = read_kept + int(read.get("rejected", 0))
    named = {run.stages[p].folder: v for p, v in changes.items()}
    return WhatIfResult(named, read_in, read_kept, actual_rows, whatif_rows)


def stage_columns(info: StageInfo) -> dict[str, pa.DataType]:
    """The signal columns of a stage as the run built it (the class's when it cannot be built here)."""
    stage = info.build()
    if stage is not None:
        return dict(stage.columns)
    return dict(info.cls.columns) if info.cls is not None else {}


def _global_columns(info: StageInfo) -> list[str]:
    if info.name == "exact_dedup":
        return ["duplicate_of"]
    if info.name == "minhash_dedup":
        return ["cluster_id"]
    if info.name == "domain_cap":
        return ["url"]
    return []


def _global_stage(run: RunOutput, pos: int, table: pa.Table, exit_actual: np.ndarray, reasons: np.ndarray,
                  status: np.ndarray, new_reason: np.ndarray, alive: np.ndarray, row: StageFunnel,
                  unknown_upstream: int) -> None:
    """Decide a global stage's documents: actual outcomes where provably unchanged, else unknown.

    * Nobody removed upstream: the stage sees the same documents, so it decides the same.
    * ``exact_dedup``: a group (the survivor and its duplicates) that lost no member is unchanged;
      a group that lost members but kept its survivor is unchanged too (the survivor is still the
      first / longest / ... of what remains). If the survivor went, which copy survives is not
      recorded: those copies are unknown.
    * ``minhash_dedup``: clusters are connected components, which can split when a member goes;
      the survivor stays kept (it beats every member of its old cluster), the other members of a
      touched cluster are unknown.
    * ``domain_cap``: removing pages of a host only makes room, so kept pages stay kept; pages
      over the cap of a host that lost pages are unknown.
    * ``decontaminate`` in document mode without doc-frequency pruning decides each document
      alone: actual outcomes. Otherwise, and for any other global stage: unknown.
    """
    info = run.stages[pos]
    reached = exit_actual >= pos
    removed = reached & ~alive  # reached it in the run, removed earlier now
    hit = alive & (exit_actual == pos)
    if unknown_upstream:
        row.notes.append(f"{unknown_upstream:,} documents of unknown fate upstream may also reach this global "
                         "stage and change its decisions for others")
    per_doc = info.name == "decontaminate" and _decontam_per_doc(info)
    if not removed.any() or per_doc:
        status[hit] = REJECTED
        new_reason[hit] = reasons[hit]
        return
    if info.name in ("exact_dedup", "minhash_dedup"):
        ids = np.array(table.column("id").to_pylist(), dtype=object)
        if info.name == "exact_dedup":
            dup = np.array(table.column("duplicate_of").to_pylist(), dtype=object)
            group = np.where(exit_actual > pos, ids, dup)
        else:
            cid = np.array(table.column("cluster_id").to_pylist(), dtype=object)
            group = np.where(_isnull(cid), ids, cid)
        touched = set(group[removed].tolist())
        in_touched = np.array([g in touched for g in group], bool) & alive
        surviving = set(group[alive & (exit_actual > pos)].tolist())  # survivors still present
        if info.name == "exact_dedup":
            lost_survivor = np.array([g not in surviving for g in group], bool)
            unknown = hit & in_touched & lost_survivor
        else:
            unknown = hit & in_touched
        status[hit & ~unknown] = REJECTED
        new_reason[hit & ~unknown] = reasons[hit & ~unknown]
        status[unknown] = UNKNOWN
        row.unknown += int(unknown.sum())
        return
    if info.name == "domain_cap":
        from corpusclean.stages.utility import url_host

        urls = table.column("url").to_pylist()
        hosts = np.array([url_host(u) for u in urls], dtype=object)
        lost = set(hosts[removed].tolist())
        unknown = hit & np.array([h in lost for h in hosts], bool)
        status[hit & ~unknown] = REJECTED
        new_reason[hit & ~unknown] = reasons[hit & ~unknown]
        status[unknown] = UNKNOWN
        row.unknown += int(unknown.sum())
        return
    unknown = alive.copy()
    status[unknown] = UNKNOWN
    row.unknown += int(unknown.sum())
    row.notes.append(f"{info.name} decides over the whole corpus and its input changed: outcomes unknown")


def _decontam_per_doc(info: StageInfo) -> bool:
    p = info.params
    mode = p.get("mode", "document")
    ignore = p.get("ignore_common_in_document_mode", False)
    return mode == "document" and not ignore


def _isnull(a: np.ndarray) -> np.ndarray:
    return np.array([v is None for v in a], bool)


# ------------------------------------------------------------------------------- printing
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


# ------------------------------------------------------------------------------ command
@click.command("whatif")
@click.argument("output", type=click.Path(file_okay=False))
@click.option("--set", "sets", multiple=True, required=True, metavar="STAGE.PARAM=VALUE",
              help="A threshold to change (repeatable), e.g. gopher_quality.min_doc_words=100.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def whatif_cmd(output: str, sets: tuple[str, ...], as_json: bool) -> None:
    """Re-apply changed thresholds to a finished run's stored signals and print both funnels.

    Nothing is recomputed. Changes that stored signals cannot answer (dedup parameters, stages
    that rewrite text, parameters that change how a signal is computed) are refused with the
    reason; documents whose fate the run cannot tell (kept now, but never seen by a later stage)
    are counted as unknown.
    """
    try:
        res = whatif(output, list(sets))
    except WhatIfError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(e.code) from None
    click.echo(json.dumps(res.to_dict(), indent=1, default=str) if as_json else format_result(res))
