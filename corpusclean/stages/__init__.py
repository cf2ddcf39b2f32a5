"""Stages. Every module here registers its stages on import (see :func:`load_stages`)."""

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

__all__ = ["STAGES", "FilterStage", "GlobalStage", "Stage", "StageOutput", "get_stage_class",
           "load_stages", "param", "register"]
