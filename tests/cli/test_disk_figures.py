"""The funnel's bytes-on-disk figures are what a walk of the output folder finds at the end of
the run (global stages' scans deleted, a MinHash index kept), against the input files' sizes."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.testing import synth

TOP_FILES = {"manifest.json", "stats.json", "report.html", ".corpusclean.lock"}


def walk(folder: Path) -> dict[str, int]:
    """Bytes of the files under each top-level folder of ``folder``, independently of the product."""
    sizes = {}
    for top in folder.iterdir():
        if top.is_dir():
            sizes[top.name] = sum(os.path.getsize(os.path.join(d, n)) for d, _s, names in os.walk(top) for n in names)
        else:
            assert top.name in TOP_FILES, top
    return sizes


def write_docs(path: Path, n: int, seed: int) -> None:
    """``n`` documents (some exact and near duplicates) as gzip JSON lines."""
    rng = random.Random(seed)
    texts = [synth.document(rng, 400) for _ in range(n)]
    texts += texts[:3] + [t + " extra" for t in texts[3:6]]
    with gzip.open(path, "wt") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"{path.name}-{i}", "text": t, "url": f"https://s{i % 3}.example/{i}"}) + "\n")


def mb(n: int) -> str:
    return f"{n / 1e6:,.1f}"


@pytest.mark.parametrize("write_kept", ["final", "all"])
def test_disk_figures_equal_a_walk_of_the_output(tmp_path: Path, write_kept: str) -> None:
    inputs = [tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"]
    write_docs(inputs[0], 30, 0)
    write_docs(inputs[1], 17, 1)
    out = tmp_path / "out"
    cfg = {"input": [str(p) for p in inputs], "output": str(out), "executor": {"kind": "local", "workers": 1},
           "shard_size": 8, "write_kept": write_kept,
           "stages": [{"passthrough": {}}, {"exact_dedup": {}}, {"minhash_dedup": {"write_index": True}},
                      {"gopher_quality": {"min_doc_words": 5}}]}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = CliRunner().invoke(main, ["run", str(path)])
    assert res.exit_code == 0, res.output
    disk = json.loads((out / "stats.json").read_text())["disk"]
    sizes = walk(out)
    assert disk["folders"] == sizes
    assert disk["total"] == sum(sizes.values())
    assert disk["input_files"] == sum(p.stat().st_size for p in inputs)  # as stored (gzip), not decompressed
    # the MinHash index is counted with its stage; the scans of global stages are gone (final) or kept (all)
    index = out / "03_minhash_dedup" / "_global" / "index"
    assert (index / "meta.json").exists() and sizes["03_minhash_dedup"] > sum(
        f.stat().st_size for f in index.rglob("*") if f.is_file())
    assert any((out / "02_exact_dedup").rglob("_scan/*.parquet")) == (write_kept == "all")
    final, state = sizes["final"], sizes["_state"]
    line = next(x for x in res.output.splitlines() if x.startswith("on disk:"))
    assert line.startswith(f"on disk: {mb(disk['total'])} MB left in the output folder (stage folders "
                           f"{mb(disk['total'] - final - state)} MB, final/ {mb(final)} MB, _state/ {mb(state)} MB;")
    assert f"for {mb(disk['input_files'])} MB of input files as stored" in line
    table = {x.split()[0]: x.split() for x in res.output.splitlines() if x[:2].isdigit() or x.startswith("read ")}
    assert table["03_minhash_dedup"][5] == mb(sizes["03_minhash_dedup"])  # the "MB on disk" column
    assert table["read"][5] == mb(sizes.get("00_read", 0))
    again = CliRunner().invoke(main, ["stats", str(out)])
    assert again.exit_code == 0 and line in again.output
