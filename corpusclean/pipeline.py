"""One pipeline object: stage instances, run in memory (:meth:`Pipeline.apply`) or over files
through the runner (:meth:`Pipeline.run`).

Build it from stage instances (``Pipeline([GopherQuality(min_doc_words=50)])``) or from a config
(:meth:`Pipeline.from_config`, a YAML path, a mapping or a
:class:`~corpusclean.config.PipelineConfig`). Both ways give the same thing:

* :meth:`~Pipeline.apply` runs the stages on a list of dicts (or one Arrow table) in this process,
  global stages included (their scan → reduce → process passes run over the one batch), cut into
  passes exactly as the runner cuts a run (:func:`corpusclean.runner.plan.plan_segments`);
* :meth:`~Pipeline.run` runs them over input files into an output folder with an executor, as
  ``corpusclean run`` does: each stage is rebuilt in the worker processes from its registry name
  and parameter values (:meth:`Pipeline.specs`), which are also what the manifest and the
  resume fingerprint record. So a stage must be registered (:func:`~corpusclean.stages.base.register`),
  and state set on an instance outside its parameters does not travel.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.config import (
    ExecutorConfig,
    PipelineConfig,
    StageSpec,
    load_config,
    parse_config,
    parse_input,
)
from corpusclean.document import DOC_SCHEMA, conform, from_dicts, rejected_schema, unify
from corpusclean.errors import ConfigError
from corpusclean.io.files import atomic_output
from corpusclean.runner.plan import plan_segments
from corpusclean.stages.base import (
    GlobalStage,
    Stage,
    StageOutput,
    import_stage_modules,
    load_stages,
)
from corpusclean.stages.chain import run_streaming


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
    """An ordered list of stage instances, runnable in memory or through the runner.

    ``config`` (optional) supplies defaults for :meth:`run` (input, output, executor, shard size);
    :meth:`from_config` sets it.
    """

    def __init__(self, stages: Sequence[Stage], *, config: PipelineConfig | None = None):
        self.stages = list(stages)
        self.config = config

    @classmethod
    def from_config(cls, config: PipelineConfig | Mapping[str, Any] | str | os.PathLike[str]) -> Pipeline:
        """A pipeline from a config object, a mapping (parsed YAML) or a YAML file path."""
        if isinstance(config, (str, os.PathLike)):
            config = load_config(config)
        elif not isinstance(config, PipelineConfig):
            config = parse_config(config)
        return cls([spec.build() for spec in config.stages], config=config)

    def setup(self) -> None:
        for stage in self.stages:
            stage.setup()

    def specs(self) -> list[StageSpec]:
        """Each stage as the runner sees it: registry name, parameter values, 1-based position.

        Parameters left at their defaults are omitted, as a YAML entry that does not mention
        them, so a pipeline built from objects has the fingerprint of the equivalent YAML (and
        resumes a run started from the CLI).

        Raises :class:`ConfigError` (``stages[i]: …``) for a stage whose class is not the one
        registered under its name (an unregistered subclass cannot be rebuilt in a worker).
        """
        registry = load_stages()
        specs = []
        for i, stage in enumerate(self.stages):
            name = type(stage).name
            if registry.get(name) is not type(stage):
                raise ConfigError(f"stages[{i}]: {type(stage).__name__} is not the stage registered as "
                                  f"{name!r}; decorate it with @register(\"<name>\") to run it through the runner")
            specs.append(StageSpec(name=name, params=_non_default_params(stage), index=i + 1))
        return specs

    # ------------------------------------------------------------------------ in memory
    def apply(self, docs: Iterable[Mapping[str, Any]] | pa.Table, *, setup: bool = True) -> Result:
        """Run every stage on ``docs`` in memory and return what was kept and rejected.

        ``docs``: dicts with at least the columns the first stage needs (``id`` is filled in when
        missing), or an Arrow table. ``setup=False`` skips the stages' ``setup`` (already done).
        """
        table = docs if isinstance(docs, pa.Table) else from_dicts(docs)
        if setup:
            self.setup()
        rejected: list[pa.Table] = []
        for seg in plan_segments([s.kind for s in self.stages]):
            stages = [self.stages[i] for i in seg.stages]
            if stages and isinstance(stages[0], GlobalStage):  # the pass after a global barrier
                out = run_stage_in_memory(stages[0], table)
                table = out.kept
                rejected.append(out.rejected)
                stages = stages[1:]
            for out, _ in run_streaming(stages, table):
                table = out.kept
                rejected.append(out.rejected)
        return Result(table, unify(rejected))

    def schemas(self, input_schema: pa.Schema) -> tuple[pa.Schema, pa.Schema]:
        """The (kept, rejected) schemas of this pipeline's output for input batches of
        ``input_schema``: kept = each stage's output schema in turn; rejected = every stage's
        rejected schema merged (a row rejected early lacks later stages' signals: null there)."""
        kept, rejected = input_schema, []
        for stage in self.stages:
            rejected.append(stage.rejected_schema(kept))
            kept = stage.output_schema(kept)
        merged = pa.unify_schemas(rejected, promote_options="permissive") if rejected else rejected_schema(kept)
        return kept, merged

    def apply_arrow(self, data: Any, *, batch_size: int = 10_000, setup: bool = True) -> Iterator[Result]:
        """Run the stages over Arrow data in memory, batch by batch; yield one :class:`Result` per batch.

        ``data``: a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``, an iterable of
        tables/record batches, or a Hugging Face ``datasets.Dataset``/``IterableDataset`` (read as
        Arrow batches of ``batch_size`` rows). Batches need a ``text`` column (``html`` for
        ``extract``); ``id`` is filled in as ``#<row number>`` when absent, ``url``/``source``
        are null when absent; every other column is kept with its type. Every yielded batch has
        the schemas of :meth:`schemas`, so :func:`write_parquet` can stream them into one file.

        A pipeline with a global stage (dedup, decontamination) must see every document first:
        the batches are concatenated and the result is yielded as one batch (so the data must fit
        in memory; use :meth:`run` over files otherwise).
        """
        if setup:
            self.setup()
        batches = _arrow_batches(data, batch_size)
        if any(isinstance(s, GlobalStage) for s in self.stages):
            tables = list(batches)
            batches = iter([pa.concat_tables(tables, promote_options="permissive")] if tables else [])
        offset = 0
        schemas: tuple[pa.Schema, pa.Schema] | None = None
        for table in batches:
            table = _with_base_columns(table, offset)
            offset += table.num_rows
            result = self.apply(table, setup=False)
            if schemas is None:
                schemas = self.schemas(table.schema)
            yield Result(conform(result.kept, schemas[0]), conform(result.rejected, schemas[1]))

    # ---------------------------------------------------------------------- on disk
    def to_config(self, input: Any = None, output: str | os.PathLike[str] | None = None, *,
                  executor: str | None = None, workers: int | None = None, address: str | None = None,
                  shard_size: int | None = None, strict: bool | None = None,
                  modules: Sequence[str] | None = None) -> PipelineConfig:
        """The runner's config for these stages; arguments left as None keep the defaults
        (:attr:`config`'s when built from one). ``input``: a path, URI, glob, list or mapping,
        as in YAML."""
        cfg = copy.deepcopy(self.config) if self.config is not None else PipelineConfig()
        if modules is not None:
            cfg.modules = list(modules)
        import_stage_modules(cfg.modules)
        cfg.stages = self.specs()
        if input is not None:
            cfg.input = parse_input(input)
        if output is not None:
            cfg.output = os.fspath(output)
        if executor is not None:
            cfg.executor = ExecutorConfig(kind=executor, workers=cfg.executor.workers, address=cfg.executor.address)
        if workers is not None:
            cfg.executor = dataclasses.replace(cfg.executor, workers=workers)
        if address is not None:
            cfg.executor = dataclasses.replace(cfg.executor, address=address)
        if shard_size is not None:
            cfg.shard_size = shard_size
        if strict is not None:
            cfg.strict = strict
        return cfg

    def run(self, input: Any = None, output: str | os.PathLike[str] | None = None, *,
            executor: str | None = None, workers: int | None = None, address: str | None = None,
            shard_size: int | None = None, strict: bool | None = None, modules: Sequence[str] | None = None,
            overwrite: bool = False, progress: bool = False) -> dict[str, Any]:
        """Run over files into ``output`` exactly as ``corpusclean run`` does (resume included);
        return the statistics (``stats.json``). ``executor``: a registered kind (``"local"``,
        ``"ray"``); ``workers``: local worker processes. Raises ``ConfigError``, ``InputError``
        or ``RunError`` (:mod:`corpusclean.errors`) as the CLI would report them."""
        from corpusclean.runner.driver import run

        cfg = self.to_config(input, output, executor=executor, workers=workers, address=address,
                             shard_size=shard_size, strict=strict, modules=modules)
        return run(cfg, overwrite=overwrite, progress=progress)


def _non_default_params(stage: Stage) -> dict[str, Any]:
    out = {}
    for f in stage.params():
        value = getattr(stage, f.name)
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            out[f.name] = value
            continue
        if value != default:
            out[f.name] = value
    return out


def run_stage_in_memory(stage: Stage, table: pa.Table) -> StageOutput:
    """One stage on one batch; a global stage runs its three passes over this batch alone."""
    stage.check_input(table)
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


def _arrow_batches(data: Any, batch_size: int) -> Iterator[pa.Table]:
    if isinstance(data, pa.Table):
        yield from (pa.Table.from_batches([b]) for b in data.to_batches(max_chunksize=batch_size)) \
            if data.num_rows else iter([data])
        return
    if isinstance(data, pa.RecordBatch):
        yield pa.Table.from_batches([data])
        return
    if hasattr(data, "with_format") and hasattr(data, "features"):  # a Hugging Face dataset
        data = data.with_format("arrow").iter(batch_size=batch_size)
    for item in data:
        if isinstance(item, pa.RecordBatch):
            yield pa.Table.from_batches([item])
        elif isinstance(item, pa.Table):
            yield item
        else:
            raise TypeError(f"apply_arrow: expected Arrow tables or record batches, got {type(item).__name__}")


def _with_base_columns(table: pa.Table, offset: int) -> pa.Table:
    """``id`` (string; ``#<row>`` where absent), ``text``/``url``/``source`` (null where absent)."""
    n = table.num_rows
    if "id" not in table.column_names:
        table = table.append_column("id", pa.array([f"#{offset + i}" for i in range(n)], pa.string()))
    elif table.schema.field("id").type != pa.string():
        table = table.set_column(table.schema.get_field_index("id"), "id", table.column("id").cast(pa.string()))
    for name in ("text", "url", "source"):
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(n, pa.string()))
    first = [c for c in ("id", "text", "url", "source")]
    return table.select(first + [c for c in table.column_names if c not in first])


def write_parquet(results: Iterable[Result], kept: str | os.PathLike[str],
                  rejected: str | os.PathLike[str] | None = None) -> tuple[int, int]:
    """Stream :meth:`Pipeline.apply_arrow` results into one Parquet file of kept documents (and
    one of rejected documents with ``stage``/``reason``/``detail`` if ``rejected`` is given).

    Each file is written atomically (:func:`corpusclean.io.files.atomic_output`; nothing is left
    behind on error). Returns (documents kept, documents rejected).
    """
    n_kept = n_rej = 0
    with contextlib.ExitStack() as stack:
        sinks: dict[str, Any] = {"kept": stack.enter_context(atomic_output(os.fspath(kept)))}
        if rejected is not None:
            sinks["rejected"] = stack.enter_context(atomic_output(os.fspath(rejected)))
        writers: dict[str, pq.ParquetWriter] = {}
        for result in results:
            for part, table in (("kept", result.kept), ("rejected", result.rejected)):
                if part not in sinks:
                    continue
                if part not in writers:
                    writers[part] = stack.enter_context(pq.ParquetWriter(sinks[part], table.schema))
                writers[part].write_table(table)
            n_kept += result.kept.num_rows
            n_rej += result.rejected.num_rows
        for part, sink in sinks.items():  # no batches: an empty file with the base schema
            if part not in writers:
                schema = DOC_SCHEMA if part == "kept" else rejected_schema(DOC_SCHEMA)
                pq.write_table(schema.empty_table(), sink)
    return n_kept, n_rej


def apply(stage: Stage, docs: Iterable[Mapping[str, Any]] | pa.Table) -> Result:
    """Apply a single stage to a list of dicts (``setup`` included)."""
    return Pipeline([stage]).apply(docs)


__all__ = ["Pipeline", "Result", "apply", "run_stage_in_memory", "write_parquet"]
