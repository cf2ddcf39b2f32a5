"""The funnel's bytes-on-disk figures are what a walk of the output folder finds at the end of
the run (global stages' scans deleted, a MinHash index kept), against the input files' sizes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import make_warc

from corpusclean.cli import main

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


def mb(n: int) -> str:
    return f"{n / 1e6:,.1f}"


@pytest.mark.parametrize("write_kept", ["final", "all"])
def test_disk_figures_equal_a_walk_of_the_output(tmp_path: Path, write_kept: str) -> None:
    inputs = [tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"]
    make_warc(inputs[0], 30)
    make_warc(inputs[1], 17)
    out = tmp_path / "out"
    cfg = {"input": [str(p) for p in inputs], "output": str(out), "executor": {"kind": "local", "workers": 1},
           "shard_size": 8, "write_kept": write_kept,
           "stages": [{"extract": {}}, {"exact_dedup": {}}, {"minhash_dedup": {"write_index": True}},
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
