"""Issue 17 at small size: per-shard pass-2 state, hash-partitioned exact dedup, scans read where
they are, ``write_kept: final|all``, ``final/`` as a clean dataset, and a manifest written rarely."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from corpusclean.config import parse_config
from corpusclean.dedup import exact
from corpusclean.dedup.scan_files import binary16
from corpusclean.output.run_folder import RunFolder
from corpusclean.runner import global_step, run
from corpusclean.runner.worker import ShardRunner
from corpusclean.stages.base import load_stages
from corpusclean.testing import synth
from corpusclean.whatif import whatif

STAGES = [{"exact_dedup": {"partitions": 4}}, {"domain_cap": {"max_per_domain": 5}},
          {"gopher_quality": {}}, {"minhash_dedup": {"ngram_size": 5}}]


def make_corpus(path: Path, n: int = 60) -> Path:
    """``n`` documents: unique ones, exact copies and near-copies spread over every shard."""
    texts = synth.documents(n, seed=5, size=700)
    for i in range(10, n, 7):
        texts[i] = texts[i - 9]  # exact copy of a document in an earlier shard
    for i in range(13, n, 11):
        words = texts[i - 12].split()
        words[len(words) // 2] = "zebra"
        texts[i] = " ".join(words)  # near-duplicate
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"d{i:03d}", "text": t, "url": f"https://site{i % 3}.example/{i}"}) + "\n")
    return path


def config(inp: Path | str, out: Path | str, **extra: Any) -> Any:
    return parse_config({"input": str(inp), "output": str(out), "shard_size": 10,
                         "executor": {"workers": extra.pop("workers", 1)}, "stages": STAGES, **extra})


def rows(paths: list[Any], columns: list[str] | None = None) -> list[dict]:
    return [r for p in paths for r in RunFolder.read_table(p, columns).to_pylist()]


def test_pass_two_loads_only_its_own_shards_state(tmp_path: Path) -> None:
    cfg = config(make_corpus(tmp_path / "in.jsonl"), tmp_path / "out")
    stats = run(cfg, progress=False)
    rf = RunFolder(tmp_path / "out")
    assert stats["stages"][0]["rejected"] > 0 and stats["stages"][3]["rejected"] > 0
    keys = sorted(rf.completed(0))
    assert len(keys) == 6
    runner = ShardRunner(cfg)
    for pos, sub in ((0, "exact_dedup"), (1, "over_cap"), (3, "minhash_dedup")):
        spec = cfg.stages[pos]
        files = sorted((rf.state_dir(spec) / sub).glob("*.parquet"))
        assert [p.stem for p in files] == keys  # one state file per shard
        total = sum(pq.read_metadata(p).num_rows for p in files)
        for key in keys:
            own = {r["id"] for r in rows([rf.state_dir(spec) / sub / f"{key}.parquet"], ["id"])}
            # the shard's state names only documents of that shard (those that reached the stage)
            reached = {r["id"] for r in rows([p for p in rf.rejected_parts(spec) if key in p.name], ["id"])}
            reached |= {r["id"] for r in rows([p for p in rf.kept_parts(spec) if key in p.name], ["id"])}
            assert own <= reached
            if pos != 3:  # exact_dedup, domain_cap: the state is exactly what the shard rejected
                assert own == {r["id"] for r in rows([p for p in rf.rejected_parts(spec) if key in p.name], ["id"])}
            # a worker holding this shard holds these rows only, not the corpus's
            stage = runner.stage(pos, rf, key)
            held = len(stage._ids) if hasattr(stage, "_ids") else len(stage._over)  # type: ignore[attr-defined]
            assert held == len(own) and (total == 0 or held < total or len(keys) == 1)


def test_exact_dedup_scans_hold_one_row_group_per_partition(tmp_path: Path) -> None:
    from corpusclean.stages.dedup import ExactDedup

    stage = ExactDedup(partitions=8)
    texts = [f"text {i % 37}" for i in range(200)]
    table = pa.table({"id": [f"x{i}" for i in range(200)], "text": texts})
    from corpusclean.output.writer import write_parquet

    path = tmp_path / "part-00000-00000.parquet"
    write_parquet(stage.scan(table), path, row_groups_by=stage.scan_row_groups)
    meta = pq.read_metadata(path)
    present = sorted({int(v) for v in pq.read_table(path, columns=[exact.PART_COLUMN]).column(0).to_pylist()})
    assert meta.num_row_groups == len(present) > 1
    seen: list[int] = []
    for p in range(8):
        t = exact.read_partition(path, p, ["row", "key"])
        if t is None:
            assert p not in present
            continue
        assert set(exact.partition_of(binary16(t.column("key")), 8).tolist()) == {p}
        seen.extend(t.column("row").to_pylist())
    assert sorted(seen) == list(range(200))  # every row read exactly once over the partitions
    # the same decisions whatever the partition count
    removed, ids, dup_of, groups = exact.group_partition([path], [0, 200], "first", present[0])
    assert groups > 0 and len(ids) == len(dup_of) == removed.size


def test_object_store_scans_are_read_where_they_are(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """exact_dedup, domain_cap and minhash_dedup read their scans on the object store (no copy to
    the driver's disk); minhash_dedup's tasks hand each other files through a local work folder,
    so they stay on the driver's machine (tests/stages/test_dedup_remote.py)."""
    staged: list[str] = []
    download = global_step._download

    def recording(files: list[Any], folder: Path) -> list[Path]:
        staged.extend(str(f) for f in files)
        return download(files, folder)

    monkeypatch.setattr(global_step, "_download", recording)
    inp = make_corpus(tmp_path / "in.jsonl")
    remote = run(config(inp, f"file://{tmp_path / 'remote'}", workers=2), progress=False)
    local = run(config(inp, tmp_path / "local"), progress=False)
    assert not staged
    assert rows(RunFolder(tmp_path / "remote").kept_parts("04_minhash_dedup")) == \
        rows(RunFolder(tmp_path / "local").kept_parts("04_minhash_dedup"))
    assert [s["rejected"] for s in remote["stages"]] == [s["rejected"] for s in local["stages"]]


def test_write_kept_all_and_final_give_the_same_run(tmp_path: Path) -> None:
    inp = make_corpus(tmp_path / "in.jsonl")
    lean = run(config(inp, tmp_path / "lean"), progress=False)
    full = run(config(inp, tmp_path / "full", write_kept="all"), progress=False)
    a, b = RunFolder(tmp_path / "lean"), RunFolder(tmp_path / "full")
    assert rows(a.kept_parts("04_minhash_dedup")) == rows(b.kept_parts("04_minhash_dedup"))
    for s in ("01_exact_dedup", "02_domain_cap", "03_gopher_quality", "04_minhash_dedup"):
        assert rows(a.rejected_parts(s)) == rows(b.rejected_parts(s))
        # kept: signals (id + the stage's columns) vs full documents, the same documents
        lean_kept, full_kept = rows(a.kept_parts(s)), rows(b.kept_parts(s))
        assert [r["id"] for r in lean_kept] == [r["id"] for r in full_kept]
        for r, f in zip(lean_kept, full_kept):
            assert all(f[c] == v for c, v in r.items())
    assert not a.kept_is_full("03_gopher_quality") and b.kept_is_full("03_gopher_quality")
    assert "text" not in pq.read_schema(a.kept_parts("03_gopher_quality")[0]).names
    own = list(load_stages()["gopher_quality"].columns)
    assert own and pq.read_schema(a.kept_parts("03_gopher_quality")[0]).names == ["id", *own]
    # write_kept: all keeps every stage's documents and the scans; final keeps neither
    assert (tmp_path / "full" / "02_domain_cap" / "_scan").is_dir()
    assert not (tmp_path / "lean" / "02_domain_cap" / "_scan").exists()
    written = lambda st: sum(s["bytes_written"] for s in st["stages"])  # noqa: E731
    assert written(lean) < written(full)
    # whatif reads either layout the same way
    sets = ["gopher_quality.min_doc_words=120"]
    ra, rb = whatif(tmp_path / "lean", sets), whatif(tmp_path / "full", sets)
    assert [(r.folder, r.kept, r.unknown) for r in ra.whatif] == [(r.folder, r.kept, r.unknown) for r in rb.whatif]


@pytest.mark.parametrize("write_kept", ["final", "all"])
@pytest.mark.parametrize("kind", ["local", "file"])
def test_final_is_a_clean_dataset(tmp_path: Path, write_kept: str, kind: str) -> None:
    out = tmp_path / "out"
    stats = run(config(make_corpus(tmp_path / "in.jsonl"), out if kind == "local" else f"file://{out}",
                       write_kept=write_kept), progress=False)
    final = out / "final"
    n = stats["stages"][-1]["kept"]
    assert not final.is_symlink() and all(p.name.startswith("part-") and p.suffix == ".parquet"
                                          for p in final.iterdir())
    assert pads.dataset(final, format="parquet").count_rows() == n
    assert pq.read_table(final).num_rows == n
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(final)) == n
    # OUTPUT/*/rejected names every stage once: its rows add up to the funnel's rejections
    rejected = sum(pq.read_metadata(p).num_rows for p in out.glob("*/rejected/*.parquet"))
    assert rejected == stats["read"]["rejected"] + sum(s["rejected"] for s in stats["stages"])
    duckdb = pytest.importorskip("duckdb")
    assert duckdb.sql(f"select count(*) from read_parquet('{final}/*.parquet')").fetchall()[0][0] == n
    try:
        import polars  # not a dependency; checked when installed
    except ImportError:
        pass
    else:
        assert polars.read_parquet(f"{final}/*.parquet").height == n
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset("parquet", data_dir=str(final), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == n


def test_manifest_is_written_per_segment_not_per_shard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[str] = []
    original = RunFolder.write_manifest

    def counting(self: RunFolder, manifest: dict[str, Any]) -> None:
        writes.append(manifest["status"])
        original(self, manifest)

    monkeypatch.setattr(RunFolder, "write_manifest", counting)
    run(config(make_corpus(tmp_path / "in.jsonl", n=120), tmp_path / "out", shard_size=5), progress=False)
    # 24 shards x 4 segments, but: once at the start, once per segment (4), once at the end
    assert len(writes) == 6 and writes[-1] == "complete"
    assert len(RunFolder(tmp_path / "out").completed(3)) == 24  # shard status lives in the markers
