"""corpusclean: a Gopher-style pretraining-corpus cleaning pipeline.

Public API::

    from corpusclean import Pipeline, load_config, run, get_stage_class
    stage = get_stage_class("gopher_quality")(min_doc_words=50)
    result = Pipeline([stage]).apply([{"text": "..."}])
"""

from corpusclean.config import ConfigError, PipelineConfig, load_config, parse_config
from corpusclean.document import from_dicts
from corpusclean.pipeline import Pipeline, Result, apply
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
    "STAGES", "ConfigError", "__version__", "FilterStage", "GlobalStage", "Pipeline", "PipelineConfig", "Result", "Stage",
    "StageOutput", "apply", "from_dicts", "get_stage_class", "load_config", "load_stages", "param",
    "parse_config", "register",
]
