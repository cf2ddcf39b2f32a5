"""corpusclean: a Gopher-style pretraining-corpus cleaning pipeline.

Public API::

    from corpusclean import Pipeline, get_stage_class, load_config, run

    # stages in memory, on a list of dicts
    stage = get_stage_class("gopher_quality")(min_doc_words=50)
    result = Pipeline([stage]).apply([{"text": "..."}])
    result.kept_docs, result.rejected_docs

    # the same stages over files, through the runner (resumable; executor "local" or "ray")
    stats = Pipeline([stage]).run(input="crawl/*.warc.gz", output="out/", workers=4)

    # a YAML config, as ``corpusclean run`` does it
    stats = run(load_config("configs/gopher.yaml"))

Layout (input → stages → output): :mod:`corpusclean.io` reads, :mod:`corpusclean.stages` holds
the registered stages, :mod:`corpusclean.output` owns the output folder, :mod:`corpusclean.runner`
plans and drives a run, :mod:`corpusclean.executors` decides where tasks run; see
``docs/architecture.md``.
"""

from corpusclean.config import PipelineConfig, load_config, parse_config
from corpusclean.document import from_dicts
from corpusclean.errors import ConfigError, CorpusCleanError, InputError, RunError, StageInputError
from corpusclean.output.run_folder import RunFolder
from corpusclean.pipeline import Pipeline, Result, apply, write_parquet
from corpusclean.runner.driver import run
from corpusclean.stages.base import (
    STAGES,
    FilterStage,
    GlobalStage,
    Stage,
    StageOutput,
    get_stage_class,
    load_stages,
    param,
    register,
)
from corpusclean.version import __version__

__all__ = [
    "STAGES", "ConfigError", "CorpusCleanError", "FilterStage", "GlobalStage", "InputError", "Pipeline",
    "PipelineConfig", "Result", "RunError", "RunFolder", "Stage", "StageInputError", "StageOutput",
    "__version__", "apply", "from_dicts", "get_stage_class", "load_config", "load_stages", "param",
    "parse_config", "register", "run", "write_parquet",
]
