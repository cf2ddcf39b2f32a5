"""Several Ray nodes: dedup's middle-step tasks spread over them, the output identical to a local run.

A Ray cluster of a head (no CPU: it runs no task) and two worker nodes (one CPU each, custom
resources ``node_a`` / ``node_b``) is started inside the test with Ray's own
``ray.cluster_utils.Cluster``: separate node processes on this machine, the output folder a
filesystem every node sees. Every ``pmap`` task records the node it ran on. Skipped when Ray is
not installed.
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import comparable_stats, snapshot

import corpusclean.dedup.middle as middle
from corpusclean.config import parse_config
from corpusclean.runner import run
from corpusclean.testing import synth

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'corpusclean[ray]' to run these tests")
pytestmark = pytest.mark.slow  # a three-node cluster: ~1 min on 2 cores


class NodeLog:
    """Wraps a ``pmap`` task function: writes ``{"node", "task"}`` to ``folder`` before running it."""

    def __init__(self, fn: Any, folder: Path):
        self.fn, self.folder = fn, folder

    def __call__(self, item: Any) -> Any:
        record = {"node": ray.get_runtime_context().get_node_id(),
                  "task": getattr(self.fn, "func", self.fn).__name__}
        (self.folder / f"{uuid.uuid4().hex}.json").write_text(json.dumps(record))
        return self.fn(item)


def traced_executor(config: Any, folder: Path) -> Any:
    from corpusclean.executors.ray import RayExecutor

    class Traced(RayExecutor):
        def pmap(self, fn: Any, items: Any, *, local_only: bool = False) -> Iterator[Any]:
            return super().pmap(NodeLog(fn, folder), items, local_only=local_only)

    return Traced(config)


@pytest.fixture(scope="module")
def cluster() -> Any:
    from ray.cluster_utils import Cluster

    if ray.is_initialized():  # another module's single-node instance
        ray.shutdown()
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # every node imports this checkout
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a throw-away local cluster
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # NodeLog travels by value
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "resources": {"head": 1}})
    for name in ("node_a", "node_b"):
        c.add_node(num_cpus=1, resources={name: 1})
    c.wait_for_nodes()
    ray.init(address=c.address, include_dashboard=False, log_to_driver=False)
    yield c
    ray.shutdown()
    c.shutdown()


def write_corpus(path: Path) -> Path:
    """JSONL documents with planted near-duplicates (one word replaced) and exact copies."""
    rng = random.Random(11)
    base = synth.documents(60, seed=11, size=2000)
    docs = [{"id": f"d{i}", "text": t, "url": f"https://s{i % 7}.example/{i}"} for i, t in enumerate(base)]
    for k in range(30):
        words = base[k].split(" ")
        words[rng.randrange(len(words))] = "zebra"
        docs.append({"id": f"near{k}", "text": " ".join(words), "url": f"https://m{k}.example/"})
    docs += [{"id": f"copy{k}", "text": base[k], "url": f"https://c{k}.example/"} for k in range(5)]
    rng.shuffle(docs)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_middle_step_tasks_spread_over_nodes_and_the_output_equals_a_local_run(
        tmp_path: Path, cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middle, "EDGE_PARTITION_ROWS", 12)  # 8 verification partitions
    monkeypatch.setattr(middle, "ROUTE_ROWS", 24)           # route tasks of 2 scan files
    monkeypatch.setattr(middle, "STATE_PIECE_ROWS", 8)      # several state pieces
    data = write_corpus(tmp_path / "docs.jsonl")
    stages = [{"exact_dedup": {}}, {"minhash_dedup": {}}]
    base = {"input": str(data), "shard_size": 12, "stages": stages}
    run(parse_config(dict(base, output=str(tmp_path / "local"), executor={"kind": "local", "workers": 1})),
        progress=False)
    log = tmp_path / "nodes"
    log.mkdir()
    config = parse_config(dict(base, output=str(tmp_path / "ray"), executor={"kind": "ray", "address": cluster.address}))
    run(config, progress=False, executor=traced_executor(config, log))

    assert snapshot(tmp_path / "ray") == snapshot(tmp_path / "local")
    assert comparable_stats(tmp_path / "ray") == comparable_stats(tmp_path / "local")
    summary = comparable_stats(tmp_path / "local")["stages"][1]["global"]["summary"]
    assert summary["near_duplicates"] >= 30  # the planted copies were found

    names = {n["NodeID"]: next(r for r in n["Resources"] if r in ("head", "node_a", "node_b"))
             for n in ray.nodes() if n["Alive"]}
    records = [json.loads(p.read_text()) for p in log.glob("*.json")]
    by_task = Counter((r["task"], names[r["node"]]) for r in records)
    print("pmap tasks per (task, node):", dict(sorted(by_task.items())))
    assert {names[r["node"]] for r in records} == {"node_a", "node_b"}  # both workers, never the head
    # the middle step's tasks, together, ran on both worker nodes (which node takes which task is
    # Ray's choice: under load all four verify partitions once went to one node)
    middle_kinds = {"key_split", "band_task", "route", "verify_partition", "state_piece"}
    assert {node for (t, node) in by_task if t in middle_kinds} == {"node_a", "node_b"}, by_task
