"""``--set STAGE.PARAM=VALUE``: parse a what-if change and refuse what stored signals cannot answer.

A change is answerable when it only moves a cut over signals the run stored: a parameter named
in a retunable filter's ``thresholds``, whose signal columns no later stage overwrites. Anything
else (global stages, stages that rewrite text, parameters that change how a signal is computed)
raises :class:`WhatIfError` (exit code 2) saying why.
"""

from __future__ import annotations

from typing import Any

import yaml

from corpusclean.config import ConfigError, coerce
from corpusclean.errors import WhatIfError
from corpusclean.stages.base import FilterStage, GlobalStage, Stage
from corpusclean.whatif.output import RunOutput, stage_columns


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
