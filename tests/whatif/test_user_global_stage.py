"""A global stage defined outside corpusclean works in ``whatif`` and ``report`` with no edit there:
each declares what its decisions depend on (``replay_columns`` + ``replay``), what to draw
(``duplicate_column``) and what its counters mean (``counter_titles``)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from corpusclean.config import parse_config
from corpusclean.report import build_report
from corpusclean.runner import run
from corpusclean.stages.base import GlobalStage, StageOutput, register
from corpusclean.testing import synth
from corpusclean.whatif import whatif


@register("test_first_word_dedup")
class FirstWordDedup(GlobalStage):
    """Keeps the first document (corpus order) of each first word; later ones name it in ``same_start_as``."""

    requires = ("text",)
    columns = {"same_start_as": pa.string()}
    replay_columns = {"same_start_as": pa.string()}
    duplicate_column = "same_start_as"
    counter_titles = {"first_words": "documents per first word"}

    def scan(self, table: pa.Table) -> pa.Table:
        words = [(t or "").split(" ", 1)[0] for t in table.column("text").to_pylist()]
        return pa.table({"id": table.column("id"), "word": pa.array(words, pa.string())})

    def reduce(self, scan_files: list[Path], state_dir: Path, *, pmap: Any = map) -> dict[str, Any]:
        first: dict[str, str] = {}
        ids, survivors = [], []
        for path in scan_files:
            t = pq.read_table(path)
            for doc_id, word in zip(t.column("id").to_pylist(), t.column("word").to_pylist()):
                if word in first:
                    ids.append(doc_id)
                    survivors.append(first[word])
                else:
                    first[word] = doc_id
        pq.write_table(pa.table({"id": pa.array(ids, pa.string()), "survivor": pa.array(survivors, pa.string())}),
                       state_dir / "dups.parquet")
        return {"first_words": len(first)}

    def load_state(self, state_dir: Path) -> None:
        t = pq.read_table(state_dir / "dups.parquet")
        self._dup = dict(zip(t.column("id").to_pylist(), t.column("survivor").to_pylist()))

    def process(self, table: pa.Table) -> StageOutput:
        dup = [self._dup.get(i) for i in table.column("id").to_pylist()]
        table = table.append_column("same_start_as", pa.array(dup, pa.string()))
        words: dict[str, int] = {}
        for t in table.column("text").to_pylist():
            w = (t or "").split(" ", 1)[0]
            words[w] = words.get(w, 0) + 1
        return self.split(table, [None if d is None else ("same_start", d) for d in dup], {"first_words": words})

    def replay(self, rows: pa.Table, rejected: np.ndarray, absent: np.ndarray) -> np.ndarray:
        gone = set(pc.filter(rows.column("id"), pa.array(absent)).to_pylist())
        return rejected & ~absent & np.array([s in gone for s in rows.column("same_start_as").to_pylist()], bool)


@register("test_opaque_global")
class OpaqueGlobal(GlobalStage):
    """Rejects every fifth document of the corpus; declares nothing, so whatif must assume the worst."""

    requires = ()

    def scan(self, table: pa.Table) -> pa.Table:
        return pa.table({"id": table.column("id")})

    def reduce(self, scan_files: list[Path], state_dir: Path, *, pmap: Any = map) -> dict[str, Any]:
        ids = [i for p in scan_files for i in pq.read_table(p).column("id").to_pylist()]
        (state_dir / "out.json").write_text(json.dumps(ids[::5]))
        return {}

    def load_state(self, state_dir: Path) -> None:
        self._out = set(json.loads((state_dir / "out.json").read_text()))

    def process(self, table: pa.Table) -> StageOutput:
        return self.split(table, ["fifth" if i in self._out else None for i in table.column("id").to_pylist()])


def make_input(path: Path) -> Path:
    rng = random.Random(3)
    starts = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta"]
    docs = []
    for i in range(120):
        body = synth.document(rng, rng.choice([40, 120, 400, 900]))
        docs.append({"id": f"d{i:03d}", "text": f"{starts[i % 8]}{i % 13} {body}", "url": f"https://h{i % 4}.example/"})
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def do_run(inp: Path, out: Path, stages: list[dict]) -> dict:
    return run(parse_config({"input": str(inp), "output": str(out), "shard_size": 50, "executor": {"kind": "local", "workers": 1},
                             "stages": stages}), progress=False)


STAGES = [{"gopher_quality": {}}, {"test_first_word_dedup": {}}]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("user-global")
    inp = make_input(root / "in.jsonl")
    do_run(inp, root / "out", STAGES)
    return inp, root / "out"


def test_whatif_replays_a_user_global_stage_from_its_declaration(base, tmp_path):
    inp, out = base
    res = whatif(out, ["gopher_quality.min_doc_words=150"])
    real = do_run(inp, tmp_path / "rerun", [{"gopher_quality": {"min_doc_words": 150}}, {"test_first_word_dedup": {}}])
    assert res.whatif[0].kept == real["stages"][0]["kept"] < res.actual[0].kept
    stage = res.whatif[1]
    assert stage.docs_in == real["stages"][1]["in"]
    # the declaration decides: copies whose survivor is gone are unknown, and only those
    rej = pq.read_table(out / "02_test_first_word_dedup" / "rejected", columns=["id", "same_start_as"]).to_pylist()
    removed_now = set(pq.read_table(tmp_path / "rerun" / "01_gopher_quality" / "rejected").column("id").to_pylist())
    orphans = [r for r in rej if r["same_start_as"] in removed_now and r["id"] not in removed_now]
    assert stage.unknown == len(orphans) > 0
    kept_real = real["stages"][1]["kept"]
    assert stage.kept <= kept_real <= stage.kept + stage.unknown
    known = stage.rejected_by_reason.get("test_first_word_dedup.same_start", 0)
    assert known + len(orphans) >= real["stages"][1]["rejected_by_reason"]["test_first_word_dedup.same_start"] >= known


def test_a_global_stage_that_declares_nothing_is_all_unknown_once_its_input_changes(tmp_path):
    inp = make_input(tmp_path / "in.jsonl")
    do_run(inp, tmp_path / "out", [{"gopher_quality": {}}, {"test_opaque_global": {}}])
    res = whatif(tmp_path / "out", ["gopher_quality.min_doc_words=150"])
    assert res.whatif[1].unknown == res.whatif[1].docs_in > 0 and res.whatif[1].kept == 0
    assert not res.exact and any("outcomes unknown" in n for n in res.whatif[1].notes)
    # loosening nothing upstream of it: the same documents reach it, so its decisions stand
    same = whatif(tmp_path / "out", ["gopher_quality.max_doc_words=200000"])
    assert same.exact and same.whatif[1].kept == same.actual[1].kept
    # a global stage not installed where whatif runs (its statistics say it was global): unknown too
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    manifest["stages"][1]["name"] = "stage_not_installed_here"
    (tmp_path / "out" / "manifest.json").write_text(json.dumps(manifest))
    gone = whatif(tmp_path / "out", ["gopher_quality.min_doc_words=150"])
    assert gone.whatif[1].unknown == gone.whatif[1].docs_in == res.whatif[1].docs_in


def test_report_draws_a_user_global_stage_from_its_declaration(base):
    _, out = base
    page = build_report(out)
    assert "02_test_first_word_dedup: clusters by size" in page
    assert "cluster of " in page and 'class="side"' in page
    assert "02_test_first_word_dedup: first_words (documents per first word)" in page
    assert "<code><bdi>test_first_word_dedup.same_start</bdi></code>" in page


def test_decontaminate_decisions_stand_even_where_its_test_set_is_gone(tmp_path):
    """Its replay needs only its parameters, so a moved test-set file does not make it unknown."""
    bench = tmp_path / "bench.jsonl"
    questions = [f"which river flows through the old quarter of walled city number {i} in the south" for i in range(5)]
    bench.write_text("".join(json.dumps({"question": q}) + "\n" for q in questions))
    rng = random.Random(4)
    docs = [{"id": f"d{i}", "text": synth.document(rng, rng.choice([40, 300, 900]))
             + (f" {questions[i % 5]} " if i % 6 == 0 else "")} for i in range(90)]
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(d) + "\n" for d in docs))
    stages = [{"gopher_quality": {}},
              {"decontaminate": {"n": 8, "test_sets": [{"name": "b", "path": str(bench), "fields": ["question"]}],
                                 "cache_dir": ""}}]
    do_run(inp, tmp_path / "out", stages)
    real = do_run(inp, tmp_path / "rerun", [{"gopher_quality": {"min_doc_words": 150}}, stages[1]])
    bench.unlink()
    res = whatif(tmp_path / "out", ["gopher_quality.min_doc_words=150"])
    assert res.exact and res.whatif[1].unknown == 0
    assert res.whatif[1].rejected_by_reason == real["stages"][1]["rejected_by_reason"] != {}
