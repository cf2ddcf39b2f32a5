"""minhash_dedup with an object-store output: the middle step reads the scan files where they
are (no local copies), its tasks stay on the driver's machine, and the result equals a local run."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from corpusclean.config import parse_config
from corpusclean.io.storage import RemotePath, as_path
from corpusclean.output.writer import read_parquet
from corpusclean.runner import global_step, run
from corpusclean.testing import synth

STAGES = [{"exact_dedup": {}}, {"minhash_dedup": {"ngram_size": 5, "write_index": True}}]


def _inputs(folder: Path) -> Path:
    rng = random.Random(3)
    base = synth.documents(40, seed=4, size=600)
    docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(base)]
    for i in range(0, 40, 4):  # near-duplicates (one word replaced) and an exact copy
        words = base[i].split()
        words[rng.randrange(len(words))] = "zebra"
        docs.append({"id": f"near{i}", "text": " ".join(words)})
    docs.append({"id": "copy", "text": base[1]})
    folder.mkdir()
    (folder / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    return folder / "docs.jsonl"


def _final_and_state(out: Any) -> tuple[list[dict], list[dict]]:
    root = as_path(out)
    final = sorted((f for f in (root / "final").iterdir() if f.name.startswith("part-")), key=lambda f: f.name)
    rows = [{k: v for k, v in r.items() if k != "source"} for f in final for r in read_parquet(f).to_pylist()]
    state_dir = root / "02_minhash_dedup" / "_global" / "minhash_dedup"
    state = [r for f in sorted(state_dir.iterdir(), key=lambda f: f.name) for r in read_parquet(f).to_pylist()]
    return rows, state


def test_minhash_reads_remote_scan_files_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _inputs(tmp_path / "in")

    def no_staging(*_: Any) -> None:
        raise AssertionError("scan files staged to the driver's disk")

    monkeypatch.setattr(global_step, "_download", no_staging)
    read_remote: list[str] = []
    real = RemotePath.open_input

    def spy(self: RemotePath, *args: Any, **kwargs: Any) -> Any:
        if "/_scan/" in str(self):
            read_remote.append(str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(RemotePath, "open_input", spy)
    cfg = {"shard_size": 10, "stages": STAGES, "executor": {"kind": "local", "workers": 2}}
    run(parse_config({**cfg, "input": str(src), "output": f"file://{tmp_path / 'remote'}"}), progress=False)
    run(parse_config({**cfg, "input": str(src), "output": str(tmp_path / "local")}), progress=False)
    remote_final, remote_state = _final_and_state(f"file://{tmp_path / 'remote'}")
    local_final, local_state = _final_and_state(tmp_path / "local")
    assert remote_final == local_final and remote_state == local_state
    assert {r["id"] for r in local_state if r["duplicate_of"]} >= {f"near{i}" for i in range(0, 40, 4)}
    assert read_remote  # the driver's own reads (footers) went to the store, not to a copy
    index = tmp_path / "remote" / "02_minhash_dedup" / "_global" / "index"
    assert json.loads((index / "meta.json").read_text())["docs"] == len(local_final)
