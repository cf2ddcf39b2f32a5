"""exact_dedup and minhash_dedup: definitions, datasketch equivalence, determinism, cross-run index."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusclean.config import ConfigError, parse_config
from corpusclean.dedup import lsh
from corpusclean.dedup.index import distinct_sorted
from corpusclean.document import from_dicts
from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth

Exact = get_stage_class("exact_dedup")
MinHash = get_stage_class("minhash_dedup")


def _edit(text: str, n_subs: int, seed: int) -> str:
    rng = random.Random(seed)
    words = text.split(" ")
    for i in rng.sample(range(len(words)), n_subs):
        words[i] = "zebra"
    return " ".join(words)


def run_sharded(stage, docs: list[dict], shard_size: int, tmp: Path, process_order=None) -> tuple[set, dict]:
    """What the runner does: scan per shard, reduce over files in shard order, process per shard."""
    tables = [from_dicts(docs[i:i + shard_size]) for i in range(0, len(docs), shard_size)]
    files = []
    for k, t in enumerate(tables):
        f = tmp / f"scan-{shard_size}-{k:03d}.parquet"
        pq.write_table(stage.scan(t), f)
        files.append(f)
    state = tmp / f"state-{shard_size}"
    state.mkdir()
    stage.reduce(files, state)
    fresh = type(stage)(**stage.param_values())  # a worker builds its own stage
    fresh.setup()
    fresh.load_state(state)
    removed: set[str] = set()
    clusters: dict[str, str] = {}
    order = process_order(len(tables)) if process_order else range(len(tables))
    for k in order:
        out = fresh.process(tables[k])
        assert out.kept.num_rows + out.rejected.num_rows == tables[k].num_rows
        removed |= set(out.rejected.column("id").to_pylist())
        if "cluster_id" in out.kept.column_names:
            clusters.update(zip(out.kept.column("id").to_pylist(), out.kept.column("cluster_id").to_pylist()))
    return removed, clusters


# ------------------------------------------------------------------------------ exact_dedup
def test_exact_dedup_whitespace_and_keep_rules():
    docs = [{"id": "a", "text": "Hello  world"}, {"id": "b", "text": "Hello world\n"},
            {"id": "c", "text": "hello world!"}, {"id": "d", "text": "other"}]
    r = Pipeline([Exact()]).apply(docs)
    rej = {d["id"]: d for d in r.rejected_docs}
    assert set(rej) == {"b"}
    assert rej["b"]["reason"] == "exact_dedup.duplicate" and rej["b"]["detail"] == "a"
    assert rej["b"]["duplicate_of"] == "a"
    r = Pipeline([Exact(normalize="lowercase_punct", keep="longest")]).apply(docs)
    assert {d["id"]: d["duplicate_of"] for d in r.rejected_docs} == {"b": "a", "c": "a"}
    assert {d["id"]: d["duplicate_of"] for d in Pipeline([Exact(keep="last")]).apply(docs).rejected_docs} == {"a": "b"}
    assert Pipeline([Exact(normalize="none")]).apply(docs).rejected.num_rows == 0


def test_exact_dedup_matches_by_id_across_shards(tmp_path):
    texts = [f"document number {i % 7}" for i in range(40)]
    docs = [{"id": f"x{i}", "text": t} for i, t in enumerate(texts)]
    a, _ = run_sharded(Exact(), docs, 40, tmp_path)
    b, _ = run_sharded(Exact(), docs, 6, tmp_path, process_order=lambda n: reversed(range(n)))
    assert a == b == {f"x{i}" for i in range(7, 40)}


def test_exact_dedup_states_written_by_groups_of_shards(tmp_path, monkeypatch):
    """The driver writes the per-shard states a group of shards at a time: same decisions."""
    from corpusclean.dedup import exact

    docs = [{"id": f"x{i}", "text": f"document number {i % 9}"} for i in range(60)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    whole, _ = run_sharded(Exact(partitions=3), docs, 7, tmp_path / "a")
    monkeypatch.setattr(exact, "STATE_GROUP_ROWS", 10)  # groups of one or two shards
    grouped, _ = run_sharded(Exact(partitions=3), docs, 7, tmp_path / "b")
    assert whole == grouped == {f"x{i}" for i in range(9, 60)}
    assert len(list((tmp_path / "b" / "state-7" / "exact_dedup").glob("*.parquet"))) == 9  # one per shard


# ----------------------------------------------------------------------------- minhash_dedup
@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    base = synth.documents(30, seed=9, size=1500)
    docs = [{"id": f"o{i}", "text": t} for i, t in enumerate(base)]
    docs.append({"id": "near0", "text": _edit(base[0], 2, 1)})           # J ~ 0.8+ with o0
    docs.append({"id": "near0b", "text": _edit(base[0], 1, 2) + "  "})   # also o0's cluster
    docs.append({"id": "far1", "text": _edit(base[1], 25, 3)})          # J << 0.5 with o1
    docs.append({"id": "short1", "text": "Buy cheap tickets now"})
    docs.append({"id": "short2", "text": "buy cheap tickets, NOW!"})
    docs.append({"id": "empty", "text": ""})
    docs.append({"id": "null", "text": None})
    return docs


def test_minhash_dedup_removes_near_duplicates_with_cluster_columns(corpus):
    r = Pipeline([MinHash()]).apply(corpus)
    rej = {d["id"]: d for d in r.rejected_docs}
    assert set(rej) == {"near0", "near0b", "short2"}
    assert rej["near0"]["reason"] == "minhash_dedup.near_duplicate"
    assert rej["near0"]["duplicate_of"] == "o0" and rej["near0"]["cluster_id"] == "o0"
    assert rej["near0"]["detail"].startswith("o0 (estimated Jaccard")
    assert 0.6 < rej["near0"]["similarity"] <= 1.0
    kept = {d["id"]: d for d in r.kept_docs}
    assert kept["o0"]["cluster_size"] == 3 and kept["o0"]["cluster_id"] == "o0"
    assert kept["o0"]["duplicate_of"] is None and kept["o0"]["similarity"] is None
    assert kept["o5"]["cluster_size"] == 1 and kept["o5"]["cluster_id"] == "o5"
    assert {"far1", "empty", "null", "short1"} <= set(kept)
    assert r.kept.schema.field("cluster_size").type == pa.int64()


def test_minhash_keep_rules(corpus):
    r = Pipeline([MinHash(keep="longest")]).apply(corpus)
    longest = max(("o0", "near0", "near0b"), key=lambda i: (len(next(d["text"] for d in corpus if d["id"] == i)),))
    assert longest not in {d["id"] for d in r.rejected_docs}
    r = Pipeline([MinHash(keep="last")]).apply(corpus)
    assert {d["id"] for d in r.rejected_docs} == {"o0", "near0", "short1"}


def test_minhash_same_removals_whatever_the_sharding(corpus, tmp_path):
    docs = corpus * 1
    a, ca = run_sharded(MinHash(), docs, 100, tmp_path)
    b, cb = run_sharded(MinHash(), docs, 7, tmp_path, process_order=lambda n: reversed(range(n)))
    assert a == b == {"near0", "near0b", "short2"}
    assert ca == cb


def test_minhash_verify_modes_and_explicit_bands(corpus):
    r = Pipeline([MinHash(verify="signature", bands=20, rows=5)]).apply(corpus)
    assert {d["id"] for d in r.rejected_docs} == {"near0", "near0b", "short2"}
    # plain LSH links whatever shares a band: with 20 bands of 5 rows, the J = 0.21 pair
    # (far1, o1) collides by chance (probability ~1 %) and nothing checks it
    r = Pipeline([MinHash(verify="none", bands=20, rows=5)]).apply(corpus)
    assert {d["id"] for d in r.rejected_docs} == {"near0", "near0b", "short2", "far1"}


def test_minhash_parameter_validation():
    with pytest.raises(ValueError, match="both bands and rows"):
        MinHash(bands=4)
    with pytest.raises(ValueError, match="at most num_perm"):
        MinHash(bands=20, rows=10)
    assert (MinHash()._bands, MinHash()._rows) == lsh.optimal_param(0.6, 128)
    assert (MinHash(verify="none")._bands, MinHash(verify="none")._rows) == lsh.optimal_param(0.8, 128)
    with pytest.raises(ConfigError, match="minhash_dedup"):
        parse_config({"stages": [{"minhash_dedup": {"bands": 9}}]})
    cfg = parse_config({"stages": [{"exact_dedup": {}},
                                   {"minhash_dedup": {"ngram_size": 13, "threshold": 0.8}}]})
    assert [s.name for s in cfg.stages] == ["exact_dedup", "minhash_dedup"]


def _reduce_in_shards(stage, docs: list[dict], shard_size: int, folder: Path) -> Path:
    """Scan ``docs`` in shards named like the runner's, reduce into ``folder``; return it."""
    folder.mkdir()
    files = []
    for k in range(0, len(docs), shard_size):
        f = folder / f"part-00000-{k // shard_size:05d}.parquet"
        pq.write_table(stage.scan(from_dicts(docs[k:k + shard_size])), f)
        files.append(f)
    stage.reduce(files, folder)
    return folder


def test_cross_run_index(corpus, tmp_path):
    old_docs = corpus[:10] + [{"id": "o0-copy", "text": _edit(corpus[0]["text"], 1, 4)}]
    assert not (_reduce_in_shards(MinHash(), old_docs, 4, tmp_path / "none") / "index").exists()  # opt-in
    old = _reduce_in_shards(MinHash(write_index=True), old_docs, 4, tmp_path / "old")
    meta = json.loads((old / "index" / "meta.json").read_text())
    # one part per shard, in shard order; the run's removed near-duplicate is not indexed
    assert meta["parts"] == ["00000-00000.parquet", "00000-00001.parquet", "00000-00002.parquet"]
    index = pa.concat_tables([pq.read_table(old / "index" / "docs" / p) for p in meta["parts"]])
    assert meta["docs"] == index.num_rows == 10 and "o0-copy" not in index.column("id").to_pylist()
    for row in index.column("shingles").to_pylist():  # distinct, ascending
        assert row == sorted(set(row)) and row
    new_docs = [{"id": "new-near0", "text": _edit(corpus[0]["text"], 2, 5)},
                {"id": "new-other", "text": corpus[20]["text"]},
                {"id": "new-near0-again", "text": _edit(corpus[0]["text"], 1, 6)}]
    for verify in ("exact", "signature"):
        r = Pipeline([MinHash(verify=verify, against=[str(old)])]).apply(new_docs)
        rej = {d["id"]: d for d in r.rejected_docs}
        assert set(rej) == {"new-near0", "new-near0-again"}
        assert rej["new-near0"]["duplicate_of"] == "o0" and rej["new-near0-again"]["duplicate_of"] == "o0"
    with pytest.raises(ValueError, match="ngram_size"):
        Pipeline([MinHash(ngram_size=5, against=[str(old)])]).apply(new_docs)


def test_index_without_shingles_serves_signature_verification_only(corpus, tmp_path):
    old = _reduce_in_shards(MinHash(verify="signature", write_index=True), corpus[:6], 3, tmp_path / "old")
    assert "shingles" not in pq.read_schema(old / "index" / "docs" / "00000-00000.parquet").names
    near = [{"id": "n", "text": _edit(corpus[2]["text"], 1, 7)}]
    r = Pipeline([MinHash(verify="signature", against=[str(old / "index")])]).apply(near)
    assert [d["duplicate_of"] for d in r.rejected_docs] == ["o2"]
    with pytest.raises(ValueError, match="no shingle sets"):
        MinHash(verify="exact", against=[str(old)])


def test_distinct_sorted_shingles():
    arr = pa.LargeListArray.from_arrays(pa.array([0, 4, 4, 7], pa.int64()),
                                        pa.array([5, 1, 5, 3, 9, 9, 9], pa.uint32()))
    assert distinct_sorted(arr.slice(0)).to_pylist() == [[1, 3, 5], [], [9]]
    assert distinct_sorted(arr.slice(1)).to_pylist() == [[], [9]]


def test_exact_dedup_partitioned_reduce_gives_the_same_answer():
    docs = [{"id": f"x{i}", "text": f"doc {i % 5}", "url": None} for i in range(40)]
    whole = Pipeline([Exact(partitions=1)]).apply(docs)
    for n in (2, 7, 64):  # hash partitions, one middle-step task each
        parts = Pipeline([Exact(partitions=n)]).apply(docs)
        assert parts.rejected.column("id").to_pylist() == whole.rejected.column("id").to_pylist()
        assert parts.rejected.column("duplicate_of").to_pylist() == whole.rejected.column("duplicate_of").to_pylist()
    assert sorted(whole.kept.column("id").to_pylist()) == ["x0", "x1", "x2", "x3", "x4"]
