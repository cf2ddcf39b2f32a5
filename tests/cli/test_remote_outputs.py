"""``stats``, ``inspect``, ``whatif`` and ``report`` on remote outputs (``file://`` through pyarrow,
``memory://`` through fsspec) print what they print for the same run on a local folder."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.config import parse_config
from corpusclean.runner import run
from corpusclean.testing import synth

STAGES = [{"gopher_quality": {}}, {"exact_dedup": {}}]


def make_input(path: Path) -> Path:
    rng = random.Random(11)
    docs = [{"id": f"d{i}", "text": synth.document(rng, rng.choice([30, 200, 900])),
             "url": f"https://s{i % 3}.example/{i}"} for i in range(60)]
    docs += [{"id": f"copy{i}", "text": docs[i]["text"], "url": "https://copies.example/"} for i in range(0, 30, 3)]
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def do_run(inp: Path, output: str, **extra) -> None:
    run(parse_config({"input": str(inp), "output": output, "shard_size": 25, "executor": {"kind": "local", "workers": 1},
                      "stages": STAGES, **extra}), progress=False)


def commands(out: str) -> dict[str, list[str]]:
    return {
        "stats": ["stats", out],
        "inspect": ["inspect", out, "--stage", "gopher_quality", "--reason", "gopher_quality.word_count", "-n", "2"],
        "inspect_kept": ["inspect", out, "--stage", "02_exact_dedup", "-n", "1"],
        "whatif": ["whatif", out, "--set", "gopher_quality.min_doc_words=150", "--json"],
    }


def outputs(out: str) -> dict[str, str]:
    got = {}
    for name, argv in commands(out).items():
        res = CliRunner().invoke(main, argv)
        assert res.exit_code == 0, (name, res.output)
        got[name] = res.output
    return got


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("remote-out")
    inp = make_input(root / "in.jsonl")
    do_run(inp, str(root / "local"))
    return inp, root / "local"


def test_file_uri_output_reads_like_a_local_one(local, tmp_path):
    inp, local_out = local
    do_run(inp, f"file://{tmp_path / 'remote'}", report=True)
    want, got = outputs(str(local_out)), outputs(f"file://{tmp_path / 'remote'}")
    assert got == want
    assert "gopher_quality.word_count" in got["stats"] and "exact_dedup.duplicate" in got["stats"]
    assert json.loads(got["whatif"])["exact"] is True
    # `report: true` wrote the report into the remote folder; `report` writes it there again
    assert "Funnel" in (tmp_path / "remote" / "report.html").read_text()
    (tmp_path / "remote" / "report.html").unlink()
    res = CliRunner().invoke(main, ["report", f"file://{tmp_path / 'remote'}"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "remote" / "report.html").read_text()
    assert "clusters by size" in page and "gopher_quality.word_count" in page


def test_memory_output_through_fsspec(local, tmp_path):
    fsspec = pytest.importorskip("fsspec")
    mem = fsspec.filesystem("memory")
    inp, local_out = local
    try:
        do_run(inp, "memory://bucket/cli-out")
        assert outputs("memory://bucket/cli-out") == outputs(str(local_out))
        res = CliRunner().invoke(main, ["report", "memory://bucket/cli-out", "--out", "memory://bucket/r.html"])
        assert res.exit_code == 0, res.output
        page = mem.cat("/bucket/r.html").decode()
        assert page.startswith("<!DOCTYPE html>") and "02_exact_dedup" in page
        res = CliRunner().invoke(main, ["inspect", "memory://bucket/nothing", "--stage", "read"])
        assert res.exit_code == 1 and "not a corpusclean output folder" in res.output
    finally:
        mem.rm("/bucket", recursive=True)
