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

import copy
import dataclasses
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
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
from corpusclean.document import from_dicts, unify
from corpusclean.errors import ConfigError
from corpusclean.runner.plan import plan_segments
from corpusclean.stages.base import (
    GlobalStage,
    Stage,
    StageOutput,
    import_stage_modules,
    load_stages,
    run_streaming,
)


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


def apply(stage: Stage, docs: Iterable[Mapping[str, Any]] | pa.Table) -> Result:
    """Apply a single stage to a list of dicts (``setup`` included)."""
    return Pipeline([stage]).apply(docs)


__all__ = ["Pipeline", "Result", "apply", "run_stage_in_memory"]
