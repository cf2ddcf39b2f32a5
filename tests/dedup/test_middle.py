"""minhash_dedup's distributed middle step: the same state whatever the partition counts and
wherever the tasks run; the driver never reads a signature; a driver killed inside the middle
step is restarted to the same state."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import corpusclean.dedup.middle as middle
from corpusclean.document import from_dicts
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth

MinHash = get_stage_class("minhash_dedup")
SHARD = 40


def planted_corpus(n_base: int = 150, n_near: int = 120, seed: int = 3) -> list[dict]:
    """Synthetic documents plus near-copies with 1-40 words replaced, exact copies, a
    short-text pair and empty texts, shuffled."""
    rng = random.Random(seed)
    base = synth.documents(n_base, seed=seed, size=2000)
    docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(base)]
    for k in range(n_near):
        words = base[rng.randrange(n_base)].split(" ")
        edits = rng.choice([1, 2, 4, 10, 40])
        for i in rng.sample(range(len(words)), edits):
            words[i] = "zebra"
        docs.append({"id": f"n{k}-{edits}", "text": " ".join(words)})
    docs += [{"id": "copy", "text": base[0]}, {"id": "s1", "text": "Buy cheap tickets now"},
             {"id": "s2", "text": "buy cheap tickets, NOW!"}, {"id": "e", "text": ""}, {"id": "z", "text": None}]
    rng.shuffle(docs)
    return docs


def scan_files(stage: Any, docs: list[dict], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for k in range(0, len(docs), SHARD):
        path = folder / f"scan-{k:05d}.parquet"
        pq.write_table(stage.scan(from_dicts(docs[k:k + SHARD])), path)
        files.append(path)
    return files


def reduce(stage: Any, files: list[Path], state: Path, pmap: Callable[..., Iterable[Any]] = map) -> tuple[dict, list]:
    state.mkdir(parents=True)
    summary = stage.reduce(files, state, pmap=pmap)
    assert not (state / "_work").exists()
    return summary, pq.read_table(state / "minhash_dedup").to_pylist()  # one file per shard, in shard order


def many_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middle, "EDGE_PARTITION_ROWS", 37)      # 8 verification partitions
    monkeypatch.setattr(middle, "BAND_PARTITION_ROWS", 100)     # 3 key partitions per band
    monkeypatch.setattr(middle, "ROUTE_ROWS", 90)               # route tasks of 2 scan files
    monkeypatch.setattr(middle, "STATE_PIECE_ROWS", 9)          # several state pieces


class Recorder:
    """A ``pmap`` that records (task function, number of items) and runs them here."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, fn: Any, items: Iterable[Any]) -> Iterable[Any]:
        items = list(items)
        self.calls.append((fn.func.__name__, len(items)))
        return map(fn, items)


@pytest.mark.parametrize("params", [{}, {"verify": "signature", "keep": "longest"},
                                    {"verify": "none", "keep": "last", "threshold": 0.7}])
def test_one_partition_and_many_give_the_same_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    params: dict) -> None:
    stage = MinHash(**params)
    stage.setup()
    docs = planted_corpus()
    files = scan_files(stage, docs, tmp_path / "scan")
    one = Recorder()
    summary_one, state_one = reduce(stage, files, tmp_path / "one", one)
    many_partitions(monkeypatch)
    many = Recorder()
    summary_many, state_many = reduce(stage, files, tmp_path / "many", many)
    assert state_one == state_many and summary_one == summary_many
    # every copy with one word replaced (Jaccard of 13-grams about 0.92) is in a cluster
    clustered = {r["id"] for r in state_one}
    close = {d["id"] for d in docs if d["id"].endswith("-1")}
    assert close and close <= clustered and {"copy", "d0"} <= clustered
    assert summary_one["near_duplicates"] >= len(close)
    bands = stage._bands
    assert [n for _, n in one.calls] == [1, bands, 1, 1, 1, 1]
    assert dict(many.calls)["verify_partition"] == 8
    assert dict(many.calls)["band_task"] == 3 * bands
    groups = (len(files) + 1) // 2  # key-split and route tasks of 2 scan files (80 rows)
    assert dict(many.calls)["key_split"] == groups
    assert [n for f, n in many.calls if f == "route"] == [groups, groups]
    assert dict(many.calls)["state_piece"] >= 4
    # the state pieces come back in row order: the state file is sorted like the corpus
    order = {d["id"]: i for i, d in enumerate(docs)}
    assert [order[r["id"]] for r in state_many] == sorted(order[r["id"]] for r in state_many)


def test_tasks_in_other_processes_give_the_same_state_and_the_driver_reads_no_signature(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage = MinHash(write_index=False)  # the index writer copies scan rows; not the middle step
    stage.setup()
    files = scan_files(stage, planted_corpus(), tmp_path / "scan")
    reference = reduce(stage, files, tmp_path / "here")
    many_partitions(monkeypatch)
    read_here: list[Any] = []
    real_read = pq.read_table

    def spy(source: Any, *args: Any, **kwargs: Any) -> Any:
        if "scan-" in str(source):
            read_here.append(kwargs.get("columns"))
        return real_read(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)  # this process only: pool processes are spawned
    with ProcessPoolExecutor(2) as pool:
        pooled = reduce(stage, files, tmp_path / "pool", pool.map)
    assert pooled == reference
    assert read_here == []  # the driver read footers only (row counts), no column of any scan file
    assert reduce(stage, files, tmp_path / "here-again") == reference  # tasks here: the spy sees them
    assert any(cols and "sig" in cols for cols in read_here) and None not in read_here


KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from corpusclean.stages.base import get_stage_class
import corpusclean.dedup.middle as middle

middle.EDGE_PARTITION_ROWS = 37
stage = get_stage_class("minhash_dedup")()
stage.setup()
files = sorted(Path(sys.argv[1]).glob("scan-*.parquet"))
state = Path(sys.argv[2])

def pmap(fn, items):
    for i, result in enumerate(map(fn, items)):
        if fn.func.__name__ == "verify_partition" and i == 3:
            os.kill(os.getpid(), signal.SIGKILL)  # the driver dies inside the verification round
        yield result

stage.reduce(files, state, pmap=pmap)
"""


def test_a_driver_killed_inside_the_middle_step_restarts_to_the_same_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage = MinHash()
    stage.setup()
    files = scan_files(stage, planted_corpus(), tmp_path / "scan")
    reference = reduce(stage, files, tmp_path / "whole")
    killed = tmp_path / "killed"
    killed.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(tmp_path / "scan"), str(killed)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    assert (killed / "_work" / "edges").is_dir()  # it died with the work folder half-used
    assert not list((killed / "minhash_dedup").glob("*.parquet"))
    monkeypatch.setattr(middle, "EDGE_PARTITION_ROWS", 37)
    summary = stage.reduce(files, killed, pmap=map)
    assert not (killed / "_work").exists()
    assert (summary, pq.read_table(killed / "minhash_dedup").to_pylist()) == reference
    assert json.dumps(summary, sort_keys=True) == json.dumps(reference[0], sort_keys=True)


def test_state_pieces_carry_each_documents_global_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a per-shard writer needs: every piece row's ``row`` is its document's corpus position."""
    stage = MinHash()
    stage.setup()
    docs = planted_corpus()
    files = scan_files(stage, docs, tmp_path / "scan")
    many_partitions(monkeypatch)
    pieces: list[Any] = []
    settings = middle.Settings(stage._bands, stage.num_perm, stage.verify, stage.threshold, stage.keep)
    counts = middle.minhash_middle(files, 0, settings, pieces.append, tmp_path / "work", map)
    assert len(pieces) >= 4 and not (tmp_path / "work").exists()
    rows = [r for p in pieces for r in p.to_pylist()]
    assert rows and all(docs[r["row"]]["id"] == r["id"] for r in rows)
    assert [r["row"] for r in rows] == sorted(r["row"] for r in rows)
    assert counts["near_duplicates"] == sum(1 for r in rows if r["duplicate_of"]) > 0
