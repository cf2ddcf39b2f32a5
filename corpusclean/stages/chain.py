"""Running streaming stages on one batch, with runs of consecutive filters fused.

Fusing is an optimisation with no visible effect: :func:`process_chain` gives exactly what
running the filters one after another gives (``tests/stages/test_fusion.py`` checks this on
random chains), while each chunk of documents is handled by every filter while it is hot and
filters share one tokenisation per chunk (:func:`corpusclean.text_batch.analyze_batch`).
"""

from __future__ import annotations

import itertools
import time
import typing
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from corpusclean import text_batch
from corpusclean.document import with_columns
from corpusclean.stages.base import ROW_CHUNK, FilterStage, Stage, StageOutput, Verdict, iter_rows


def fusable(stage: Stage) -> bool:
    """A filter that uses the inherited per-document loop can run fused with its neighbours."""
    return isinstance(stage, FilterStage) and type(stage).process is FilterStage.process


def process_chain(stages: Sequence[FilterStage], table: pa.Table) -> list[tuple[StageOutput, float]]:
    """Run consecutive filters document by document; return each one's output and seconds.

    The result is exactly what running them one after another gives (each stage sees only what
    the previous kept, and adds its signal columns), but a chunk of ``ROW_CHUNK`` documents is
    handled by every filter while it is hot: filters that tokenise with
    :func:`corpusclean.text_batch.analyze_batch` share one tokenisation per chunk (which is
    offered the chunk's Arrow text, so it is not converted back from Python), a rejected document
    costs the later filters nothing, and each filter's ``prepare_batch`` sees the chunk's survivors.
    """
    added: list[str] = []
    for stage in stages:
        stage.check_input(table, added)
        added += list(stage.columns)
    needed = ["id"] + sorted({c for st in stages for c in st.requires if c in table.column_names} - {"id"})
    k = len(stages)
    signals: list[dict[str, list[Any]]] = [{c: [] for c in st.columns} for st in stages]
    verdicts: list[list[Verdict]] = [[] for _ in stages]
    seconds = [0.0] * k
    clock = time.perf_counter
    rows = iter_rows(table, needed)
    start = 0
    while alive := [dict(zip(needed, values)) for values in itertools.islice(rows, ROW_CHUNK)]:
        if "text" in needed:  # batch hook: filters that tokenise a chunk at once read the Arrow text
            text_batch.offer([doc["text"] for doc in alive], table.column("text").slice(start, len(alive)))
        start += len(alive)
        for j, stage in enumerate(stages):  # a chunk at a time, in row order within each stage
            t0 = clock()
            stage.prepare_batch(alive)
            kept = []
            for doc in alive:
                sig = stage.compute(doc)
                verdict = stage.decide(sig, doc)
                for c, vals in signals[j].items():
                    vals.append(sig.get(c))
                verdicts[j].append(verdict)
                if verdict is None:
                    doc.update(sig)
                    kept.append(doc)
            seconds[j] += clock() - t0
            alive = kept
    results = []
    for j, stage in enumerate(stages):
        t0 = clock()
        current = with_columns(table, signals[j], stage.columns) if signals[j] else table
        out = stage.split(current, verdicts[j])
        seconds[j] += clock() - t0
        results.append((out, seconds[j]))
        table = out.kept
    return results


def run_streaming(stages: Sequence[Stage], table: pa.Table) -> Iterator[tuple[StageOutput, float]]:
    """Run streaming stages in order on one batch, fusing runs of consecutive filters.

    Yields each stage's output and seconds as soon as it is known, so a caller can write it and
    let it go before the next stage's output exists.
    """
    i = 0
    while i < len(stages):
        j = i
        while j < len(stages) and fusable(stages[j]):
            j += 1
        if j - i >= 2:
            chain = process_chain(typing.cast(Sequence[FilterStage], stages[i:j]), table)
            table = chain[-1][0].kept
            yield from chain
            i = j
            continue
        stage = stages[i]
        t0 = time.perf_counter()
        stage.check_input(table)
        out = stage.process(table)
        table = out.kept
        yield out, time.perf_counter() - t0
        i += 1
