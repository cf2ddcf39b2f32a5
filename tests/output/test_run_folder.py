"""RunFolder: the one owner of the output layout, the same on a local disk, ``file://`` and
fsspec's in-memory filesystem (what an object store needs, without a network)."""

from __future__ import annotations

import json
import pickle
import uuid
from pathlib import Path

import pytest

from corpusclean.config import parse_config
from corpusclean.errors import RunError
from corpusclean.output.run_folder import RunFolder, shard_key
from corpusclean.runner import run


def _inputs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "docs.jsonl"
    with open(path, "w") as f:
        for i in range(9):  # ids 0, 3, 6 share a text: exact duplicates across two shards
            text = "the same words repeated here" if i % 3 == 0 else f"document number {i} " * 3
            f.write(json.dumps({"id": f"d{i}", "text": text, "url": f"https://s{i % 2}.example/{i}"}) + "\n")
        f.write("not json\n")  # the reader rejects it: 00_read/rejected
    return path


def _output(kind: str, tmp_path: Path) -> str:
    if kind == "local":
        return str(tmp_path / "out")
    if kind == "file":
        return f"file://{tmp_path / 'out'}"
    pytest.importorskip("fsspec")
    return f"memory://corpusclean-test-{uuid.uuid4().hex}/out"


@pytest.mark.parametrize("kind", ["local", "file", "memory"])
def test_run_writes_the_layout_run_folder_describes(kind: str, tmp_path: Path) -> None:
    out = _output(kind, tmp_path)
    cfg = parse_config({"input": str(_inputs(tmp_path / "in")), "output": out, "shard_size": 5, "executor": {"workers": 1},
                        "stages": [{"passthrough": {}}, {"exact_dedup": {}}, {"passthrough": {}}]})
    stats = run(cfg, progress=False)
    rf = RunFolder(out)
    assert rf.is_remote == (kind != "local")
    assert rf.read_stats() == stats
    manifest = rf.read_manifest()
    assert manifest["status"] == "complete"
    assert rf.stage_folders() == ["00_read", "01_passthrough", "02_exact_dedup", "03_passthrough"]
    # segment 0 reads, passes and scans for exact_dedup; segment 1 reduces and goes on
    keys = [shard_key(0, 0), shard_key(0, 1)]
    assert sorted(rf.completed(0)) == keys and sorted(rf.completed(1)) == keys
    assert rf.files_completed(0) == {0}
    assert [p.name for p in rf.kept_parts(cfg.stages[0])] == [f"part-{k}.parquet" for k in keys]
    assert not rf.kept_is_full(cfg.stages[0]) and rf.kept_is_full(cfg.stages[2])  # signals only / final
    assert not rf.scan_dir(cfg.stages[1]).exists()  # removed once the second pass is complete
    # the state is split by shard: one file per shard, only that shard's decisions
    state = rf.state_dir(cfg.stages[1]) / "exact_dedup"
    assert sorted(p.name for p in state.glob("*.parquet")) == [f"{k}.parquet" for k in keys]
    summary = rf.read_global_summary(cfg.stages[1])
    assert summary is not None and summary["shards"] == 2
    assert rf.global_done("02_exact_dedup").exists()
    # documents in = kept + rejected, read through the folder's own listing
    dup = sum(rf.read_table(p).num_rows for p in rf.rejected_parts("02_exact_dedup"))
    kept = sum(rf.read_table(p).num_rows for p in rf.kept_parts("03_passthrough"))
    read_rejected = sum(rf.read_table(p).num_rows for p in rf.rejected_parts("00_read"))
    assert (dup, kept, read_rejected) == (2, 7, 1)
    assert rf.parquet_file(rf.kept_parts("03_passthrough")[0]).metadata.num_rows > 0
    final_parts = sorted(p.name for p in rf.final.iterdir())  # final/ holds the parts, nothing else
    assert final_parts == [p.name for p in rf.kept_parts("03_passthrough")] == [f"part-{k}.parquet" for k in keys]


def test_run_folder_refuses_what_is_not_a_run(tmp_path: Path) -> None:
    rf = RunFolder(tmp_path / "nothing")
    assert rf.is_empty() and rf.completed(0) == {} and rf.kept_parts("01_x") == [] and rf.stage_folders() == []
    with pytest.raises(RunError, match="no manifest.json here"):
        rf.read_manifest()
    with pytest.raises(RunError, match="no stats.json here"):
        rf.read_stats()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{not json")
    with pytest.raises(RunError, match="unreadable manifest"):
        RunFolder(tmp_path / "bad").read_manifest()


def test_run_folder_markers_round_trip_and_pickle(tmp_path: Path) -> None:
    rf = RunFolder(f"file://{tmp_path}/o")
    rf.write_marker(2, "00001-00003", {"docs": 4})
    rf.write_file_marker(2, 1, "in.jsonl")
    again = pickle.loads(pickle.dumps(rf))
    assert again == rf and again.completed(2) == {"00001-00003": {"docs": 4}}
    assert again.files_completed(2) == {1}
    assert (tmp_path / "o" / "_state" / "seg02" / "00001-00003.json").exists()
