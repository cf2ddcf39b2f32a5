"""Filters run fused (``process_chain``) give exactly what running them one by one gives."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from corpusclean.document import from_dicts
from corpusclean.stages.base import FilterStage, get_stage_class
from corpusclean.stages.chain import process_chain, run_streaming
from corpusclean.testing import synth


@dataclass(kw_only=True)
class OddLength(FilterStage):
    """A filter without signals (``reason_for``) that needs the id column."""

    name = "odd_length_test"

    def reason_for(self, doc: dict[str, Any]) -> Any:
        return ("odd", doc["id"]) if len(doc["text"] or "") % 2 else None


def _stages(rng: random.Random) -> list[FilterStage]:
    makers = [
        lambda: get_stage_class("gopher_quality")(min_doc_words=rng.choice([None, 20, 50]),
                                                  min_stop_words=rng.choice([None, 2])),
        lambda: get_stage_class("gopher_repetition")(max_dup_line_frac=rng.choice([None, 0.3, 0.05])),
        lambda: get_stage_class("fineweb_quality")(max_short_line_frac=rng.choice([None, 0.67, 0.3])),
        lambda: OddLength(),
    ]
    return [rng.choice(makers)() for _ in range(rng.randint(2, 5))]


def _docs(rng: random.Random, n: int) -> pa.Table:
    prose = synth.documents(n, seed=rng.randint(0, 10**6), size=rng.choice([300, 1500]))
    texts: list[str | None] = []
    for d in prose:
        r = rng.random()
        texts.append(None if r < 0.05 else d + "\n\n" + d if r < 0.3 else d[: rng.randint(0, len(d))])
    return from_dicts([{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])


def _one_by_one(stages: list[FilterStage], table: pa.Table) -> list[tuple[pa.Table, pa.Table]]:
    out = []
    for stage in stages:
        res = stage.process(table)
        out.append((res.kept, res.rejected))
        table = res.kept
    return out


def test_fused_chain_equals_stages_one_by_one_on_random_chains() -> None:
    rng = random.Random(2024)
    for _ in range(25):
        stages = _stages(rng)
        table = _docs(rng, rng.randint(1, 40))
        fused = [(o.kept, o.rejected) for o, _ in process_chain(stages, table)]
        streamed = [(o.kept, o.rejected) for o, _ in run_streaming(stages, table)]
        alone = _one_by_one(stages, table)
        for (fk, fr), (sk, sr), (ak, ar) in zip(fused, streamed, alone):
            assert fk.equals(ak) and fr.equals(ar), [type(s).__name__ for s in stages]
            assert sk.equals(ak) and sr.equals(ar)
