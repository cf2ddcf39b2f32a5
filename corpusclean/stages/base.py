"""The one stage protocol.

A stage is a dataclass with a registry name (its YAML key) and typed parameters declared with
:func:`param` (default + one-line doc). The runner calls ``setup()`` once per worker process and
then ``process(table) -> StageOutput(kept, rejected)`` once per shard. Rejected rows keep every
column and gain ``stage``, ``reason`` (``<stage>.<rule>``) and ``detail``.

Three kinds of stage share this protocol:

* :class:`Stage` — anything that maps a batch to kept/rejected (extraction, text rewriting).
* :class:`FilterStage` — decides each document alone. Write ``reason_for(doc)``, or, to store
  signals as columns (so thresholds can be retuned without recomputing), write
  ``compute(doc) -> signals`` and ``decide(signals) -> rule | None``. The batch loop is inherited.
* :class:`GlobalStage` — must see the whole corpus first (deduplication, span decontamination):
  ``scan(table)`` per shard in a first pass, ``reduce(scan_files, state_dir)`` once, then
  ``load_state(state_dir)`` in each worker and ``process(table)`` per shard in a second pass.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from corpusclean.document import add_reject_columns, rejected_schema, with_columns
from corpusclean.extras import Package
from corpusclean.typecheck import check_params

#: What a rule returns: ``None`` (keep), a rule name, or ``(rule name, detail)``.
Verdict = str | tuple[str, str] | None
#: ``pmap(fn, items)``: results of ``fn`` on every item, in item order (builtin ``map`` semantics).
PMap = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


def param(default: Any, doc: str) -> Any:
    """Declare a stage parameter with its default and a one-line doc (shown by ``corpusclean stages``)."""
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


@dataclass
class StageOutput:
    """What ``process`` returns: documents kept, and documents rejected with stage/reason/detail."""

    kept: pa.Table
    rejected: pa.Table
    #: Counters merged across shards into ``stats.json`` (e.g. top blocked domains, chars removed).
    counters: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(kw_only=True)
class Stage:
    """Base class of every stage. Subclasses are dataclasses registered with :func:`register`."""

    #: Registry name: the YAML key and the prefix of every reason this stage writes.
    name: ClassVar[str] = ""
    #: "streaming" (decides shard by shard) or "global" (needs a pass over the whole corpus first).
    kind: ClassVar[str] = "streaming"
    #: Columns this stage adds, with types, so every shard of the stage has one schema.
    columns: ClassVar[dict[str, pa.DataType]] = {}
    #: Columns the stage needs in its input (checked before processing, for a clear error).
    requires: ClassVar[tuple[str, ...]] = ("text",)
    #: Optional packages the stage imports (checked when the config is loaded: one line naming
    #: the extra to install, see :mod:`corpusclean.extras`).
    requires_packages: ClassVar[tuple[Package, ...]] = ()
    #: Signal column -> (parameter holding its threshold, mode), or a tuple of such pairs for a
    #: column cut from both sides. Mode "min" rejects below, "max" above, "in" outside a set of
    #: allowed values. Reports draw the cuts; ``whatif`` knows which parameter moves which cut.
    thresholds: ClassVar[dict[str, tuple[str, str] | tuple[tuple[str, str], ...]]] = {}
    #: Counter name (``StageOutput.counters``) -> what it counts, for the report's chart titles.
    counter_titles: ClassVar[dict[str, str]] = {}

    def __post_init__(self) -> None:
        check_params(self)

    def setup(self) -> None:
        """Load models, lists and indexes. Called once per worker process before any batch."""

    def process(self, table: pa.Table) -> StageOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    # ----------------------------------------------------------------- helpers for subclasses
    def reason(self, rule: str) -> str:
        """The full dotted reason for one of this stage's rules."""
        return f"{self.name}.{rule}"

    def split(self, table: pa.Table, verdicts: Sequence[Verdict],
              counters: dict[str, dict[str, int]] | None = None) -> StageOutput:
        """Split ``table`` by per-row verdicts (None = keep) into a :class:`StageOutput`."""
        keep_mask = pa.array([v is None for v in verdicts], pa.bool_())
        kept = table.filter(keep_mask)
        rej_idx = [i for i, v in enumerate(verdicts) if v is not None]
        rejected = table.take(pa.array(rej_idx, pa.int64()))
        reasons: list[str] = []
        details: list[str | None] = []
        for i in rej_idx:
            v = verdicts[i]
            if isinstance(v, tuple):
                reasons.append(self.reason(v[0]))
                details.append(v[1])
            else:
                reasons.append(self.reason(typing.cast(str, v)))
                details.append(None)
        rejected = add_reject_columns(rejected, self.name, reasons, details)
        return StageOutput(kept, rejected, counters or {})

    def reject_all(self, table: pa.Table, rule: str, detail: str | None = None) -> StageOutput:
        """Reject a whole batch with one rule (e.g. a stage that cannot run on this input)."""
        return self.split(table, [(rule, detail) if detail else rule] * table.num_rows)

    def check_input(self, table: pa.Table, also: Sequence[str] = ()) -> None:
        """Fail clearly if the input lacks a column this stage needs (``also``: columns to come)."""
        have = list(table.column_names) + list(also)
        missing = [c for c in self.requires if c not in have]
        if missing:
            raise StageInputError(
                f"stage {self.name!r} needs column(s) {missing} but the input has {have}"
                + (" (put an 'extract' stage before it)" if "text" in missing or "html" in missing else "")
            )

    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        """The schema of this stage's kept output for an input ``schema``."""
        for name, typ in self.columns.items():
            idx = schema.get_field_index(name)
            if idx >= 0:
                schema = schema.set(idx, pa.field(name, typ))
            else:
                schema = schema.append(pa.field(name, typ))
        return schema

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema:
        return rejected_schema(self.output_schema(schema))

    @classmethod
    def params(cls) -> list[dataclasses.Field]:
        """The declared parameters (dataclass fields), in declaration order."""
        return [f for f in dataclasses.fields(cls) if f.init]

    @classmethod
    def param_types(cls) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        return {f.name: hints[f.name] for f in cls.params()}

    def param_values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in self.params()}


from corpusclean.errors import StageInputError  # noqa: E402,F401  (re-exported)


@dataclass(frozen=True)
class Cut:
    """One threshold of a filter, declared once: ``decide``, ``thresholds`` (what ``report`` draws
    and ``whatif`` may move) and the set of retunable parameters are all derived from it.

    A document is rejected with ``rule`` when its signal ``column`` is below (``side="min"``) or
    above (``side="max"``) the value of parameter ``param``; ``inclusive=True`` rejects at the
    value too ("at most 0.12" for a min side). A parameter set to ``None`` switches the cut off.
    The detail written is ``"<value> <op> <threshold>"`` (integers as they are, other numbers
    with 4 significant digits), e.g. ``"49 < 50"`` or ``"0.4737 > 0.2"``.
    """

    column: str
    param: str
    side: str  # "min" | "max"
    rule: str
    inclusive: bool = False

    def __post_init__(self) -> None:
        if self.side not in ("min", "max"):
            raise ValueError(f"Cut side must be 'min' or 'max', got {self.side!r}")

    def check(self, value: Any, threshold: Any) -> tuple[str, str] | None:
        """``(rule, detail)`` if ``value`` is on the rejected side of ``threshold``, else None."""
        if threshold is None:
            return None
        if self.side == "min":
            bad, op = (value <= threshold, "<=") if self.inclusive else (value < threshold, "<")
        else:
            bad, op = (value >= threshold, ">=") if self.inclusive else (value > threshold, ">")
        if not bad:
            return None
        shown = str(value) if isinstance(value, int) else f"{value:.4g}"
        return self.rule, f"{shown} {op} {threshold}"


class _DerivedThresholds:
    """``thresholds`` of a filter with ``cuts``: column -> (param, side), or a tuple of such pairs
    for a column cut from both sides. Read on the class (report) or on an instance (an instance
    may carry its own ``cuts``); never stored, so it cannot disagree with the cuts."""

    def __get__(self, obj: Any, cls: type) -> dict[str, Any]:
        cuts = (obj if obj is not None else cls).cuts
        pairs: dict[str, list[tuple[str, str]]] = {}
        for cut in cuts:
            pairs.setdefault(cut.column, []).append((cut.param, cut.side))
        return {col: ps[0] if len(ps) == 1 else tuple(ps) for col, ps in pairs.items()}


@dataclass(kw_only=True)
class FilterStage(Stage):
    """A stage that keeps or rejects each document on its own.

    Simplest form: override :meth:`reason_for`. To store signals (retunable thresholds):
    declare them in ``columns``, compute them in :meth:`compute`, and declare each threshold
    once as a :class:`Cut` in ``cuts`` (in the order they are checked; the first failing one is
    the reason) with ``retunable = True``. ``decide`` then applies the cuts, and ``thresholds``
    is derived from them. A filter whose rule is not a set of cuts overrides :meth:`decide`
    (which must use only the signals and parameters if ``retunable``).
    """

    #: True when ``decide`` depends only on the stored signal columns and the parameters.
    retunable: ClassVar[bool] = False
    #: The filter's cuts, in checking order. An instance whose cuts depend on its parameters
    #: assigns its own tuple in ``__post_init__``.
    cuts: ClassVar[tuple[Cut, ...]] = ()
    thresholds = _DerivedThresholds()  # type: ignore[assignment]

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Signals for one document (keys = ``columns``). Default: none."""
        return {}

    def prepare_batch(self, docs: list[dict[str, Any]]) -> None:
        """Called with each chunk of documents (at most ``ROW_CHUNK``) that reaches this filter,
        before :meth:`compute` is called on each: a filter that computes faster over many documents
        at once (``gopher_repetition``'s n-gram sorts) does it here. Default: nothing."""

    def decide(self, signals: dict[str, Any], doc: dict[str, Any] | None = None) -> Verdict:
        """Apply the ``cuts`` in order; without cuts, fall back to :meth:`reason_for`."""
        if self.cuts:
            return self.apply_cuts(signals)
        assert doc is not None, f"{type(self).__name__} needs the document to decide"
        return self.reason_for(doc)

    def apply_cuts(self, signals: dict[str, Any]) -> Verdict:
        """The first cut the signals fail, as ``(rule, detail)``, or None."""
        for cut in self.cuts:
            verdict = cut.check(signals[cut.column], getattr(self, cut.param))
            if verdict is not None:
                return verdict
        return None

    def reason_for(self, doc: dict[str, Any]) -> Verdict:
        """The per-document rule: None to keep, else a rule name or (rule, detail)."""
        raise NotImplementedError(f"{type(self).__name__} must define reason_for or compute+decide")

    def process(self, table: pa.Table) -> StageOutput:
        self.check_input(table)
        names = ["id"] + [c for c in self.requires if c in table.column_names and c != "id"]
        signal_cols: dict[str, list[Any]] = {c: [] for c in self.columns}
        verdicts: list[Verdict] = []
        rows = iter_rows(table, names)
        while chunk := [dict(zip(names, values)) for values in itertools.islice(rows, ROW_CHUNK)]:
            self.prepare_batch(chunk)
            for doc in chunk:
                signals = self.compute(doc)
                for c, vals in signal_cols.items():
                    vals.append(signals.get(c))
                verdicts.append(self.decide(signals, doc))
        if signal_cols:
            table = with_columns(table, signal_cols, self.columns)
        return self.split(table, verdicts)


#: Rows converted to Python objects at a time by the filter loops.
ROW_CHUNK = 256


def iter_rows(table: pa.Table, names: Sequence[str], chunk: int = ROW_CHUNK) -> Iterator[tuple[Any, ...]]:
    """The values of columns ``names``, row by row, converted ``chunk`` rows at a time.

    Converting a whole shard's text column at once (``to_pylist``) holds a second, Python copy
    of every text (1-4 bytes per character plus ~50 bytes per string) for the whole shard; a
    chunk at a time bounds that copy to ``chunk`` documents.
    """
    for start in range(0, table.num_rows, chunk):
        part = table.slice(start, chunk)
        yield from zip(*(part.column(c).to_pylist() for c in names))


@dataclass(kw_only=True)
class GlobalStage(Stage):
    """A stage that needs the whole corpus before deciding (a barrier for the runner).

    Pass 1: ``scan(table)`` returns a small per-shard table (signatures, hashes), which the runner
    writes to Parquet. Middle: ``reduce(scan_files, state_dir, pmap=map)`` reads those files (in
    shard order, so the result never depends on worker count) and writes its decisions under
    ``state_dir``. Pass 2: every worker calls ``load_state(state_dir)`` (once, or per shard), then
    ``process``.

    ``pmap(fn, items)`` is the executor's parallel map (builtin ``map`` semantics: an iterable of
    results in item order): the local process pool, or Ray tasks across a cluster. A reduce that
    splits its work into independent pieces (dedup: one LSH band per item) passes a picklable
    ``fn`` (a module-level function or ``functools.partial`` of one; Ray also takes closures) and
    small items, and gets small results back (edges, not documents). ``state_dir`` is a local
    path (uploaded afterwards for object stores); so are ``scan_files`` unless
    :attr:`remote_scan_files`. ``pmap`` is always passed by keyword.
    """

    kind: ClassVar[str] = "global"
    #: Columns (name -> type) :meth:`replay` reads from each document's final row (``id`` is
    #: always given). ``corpusclean whatif`` reads exactly these, never the text.
    replay_columns: ClassVar[dict[str, pa.DataType]] = {}
    #: Deduplicating stages: the column of a rejected row naming the id of the kept document it
    #: duplicates. ``corpusclean report`` draws cluster sizes and sample clusters from it.
    duplicate_column: ClassVar[str | None] = None
    #: State split by shard (:func:`corpusclean.dedup.scan_files.write_shard_states`): the runner
    #: calls ``load_state(state_dir, shard=key)`` before each shard (``shard=None``: every shard).
    state_per_shard: ClassVar[bool] = False
    #: ``reduce`` reads ``scan_files`` where they are (:mod:`corpusclean.output.writer`), not staged.
    remote_scan_files: ClassVar[bool] = False
    #: ``reduce``'s ``pmap`` tasks hand each other files under ``state_dir`` (a work folder): with
    #: an object-store output, where ``state_dir`` is the driver's scratch, they stay on its machine.
    tasks_share_state_dir: ClassVar[bool] = False
    #: A sorted scan column cut into one row group per value (``exact_dedup``: hash partition).
    scan_row_groups: ClassVar[str | None] = None

    def replay(self, rows: pa.Table, rejected: np.ndarray, absent: np.ndarray) -> np.ndarray:
        """Which of this stage's decisions in a run may change when some documents no longer reach it.

        ``corpusclean whatif`` calls this when changed thresholds upstream remove documents that
        reached this stage in the run. ``rows``: one row per document that reached the stage in the
        run, with ``id`` and :attr:`replay_columns` (read from the document's final row). ``rejected``
        (bool, shape (n,)): the stage rejected the row in the run. ``absent`` (bool, (n,)): the row
        may not reach the stage now (removed upstream, or of unknown fate). Returns a bool (n,) mask
        of the present rows whose decision may differ from the run's (counted as unknown); every
        other present row keeps its decision. The default is the safe answer: all of them.
        """
        return ~absent

    def scan(self, table: pa.Table) -> pa.Table:  # pragma: no cover - abstract
        raise NotImplementedError

    def reduce(self, scan_files: list[Path], state_dir: Path, *, pmap: PMap) -> dict[str, Any]:  # pragma: no cover
        """Build the global state from every shard's scan; return a few summary numbers for stats."""
        raise NotImplementedError

    def load_state(self, state_dir: Path, shard: str | None = None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


# The registry lives in its own module (it needs no stage class at run time); stage modules keep
# importing ``register``/``param`` from here.
from corpusclean.stages.registry import (  # noqa: E402,F401  (re-exported)
    ENTRY_POINT_GROUP,
    STAGES,
    get_stage_class,
    import_stage_modules,
    load_stages,
    register,
)
