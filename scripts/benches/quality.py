"""Text filters: docs/s per stage and for the four text filters together, one process.

Input: generated English documents of ~3 KB (``corpusclean.testing.synth.documents``). Each stage runs
on the same batch (every synthetic document passes every filter, so each stage sees all of
them); the Gopher pair and the four-filter chain run as a pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benches._common import print_table
from corpusclean.document import from_dicts
from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth


def _timed_cpu(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall seconds, best CPU seconds of this process, last result (CPU time is what one
    core spends, so it stays meaningful when other jobs share the machine)."""
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, result


def _stage(name: str, **params: Any):
    stage = get_stage_class(name)(**params)
    stage.setup()
    return stage


def run(args: Any) -> None:
    n = 1000 if args.quick else 3000
    docs = synth.documents(n, seed=11, size=3000)
    table = from_dicts([{"text": d} for d in docs])
    mean_kb = sum(len(d) for d in docs) / n / 1000
    rows = []
    singles = [("language", {"languages": ["en"]}), ("gopher_quality", {}), ("gopher_repetition", {}),
               ("c4_quality", {}), ("fineweb_quality", {})]
    for name, params in singles:
        stage = _stage(name, **params)
        wall, cpu, out = _timed_cpu(lambda s=stage: s.process(table), repeat=1 if args.quick else 3)
        rows.append([name, n, out.kept.num_rows, wall, n / wall, n / cpu])
    chains = [
        ("gopher_quality + gopher_repetition", [("gopher_quality", {}), ("gopher_repetition", {})]),
        ("four text filters (gopher q+r, c4, fineweb)",
         [("gopher_repetition", {}), ("gopher_quality", {}), ("c4_quality", {"filter_no_terminal_punct": False}),
          ("fineweb_quality", {})]),
        ("language + the four", [("language", {"languages": ["en"]}), ("gopher_repetition", {}),
                                 ("gopher_quality", {}), ("c4_quality", {"filter_no_terminal_punct": False}),
                                 ("fineweb_quality", {})]),
    ]
    for label, specs in chains:
        pipe = Pipeline([_stage(s, **p) for s, p in specs])
        wall, cpu, res = _timed_cpu(lambda p=pipe: p.apply(table, setup=False), repeat=1 if args.quick else 3)
        rows.append([label, n, res.kept.num_rows, wall, n / wall, n / cpu])
    print_table(f"quality filters, one process, {n:,} synthetic docs of {mean_kb:.1f} KB",
                ["stage", "docs", "kept", "wall s", "docs/s (wall)", "docs/s (CPU)"], rows)
