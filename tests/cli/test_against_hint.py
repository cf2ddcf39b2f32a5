"""``minhash_dedup.against`` naming a run made without ``write_index`` says how to make one."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.testing import synth


def test_against_a_run_without_index_says_to_write_one(tmp_path: Path) -> None:
    rng = random.Random(0)
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text("".join(json.dumps({"id": f"{name}{i}", "text": synth.document(rng, 200)}) + "\n"
                                             for i in range(8)))
    first = tmp_path / "first.yaml"
    first.write_text(yaml.safe_dump({"input": str(tmp_path / "a.jsonl"), "output": str(tmp_path / "earlier"),
                                     "executor": {"kind": "local", "workers": 1},
                                     "stages": [{"minhash_dedup": {}}]}))
    cli = CliRunner()
    assert cli.invoke(main, ["run", str(first), "--quiet"]).exit_code == 0
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump({"input": str(tmp_path / "b.jsonl"), "output": str(tmp_path / "later"),
                                      "stages": [{"minhash_dedup": {"against": [str(tmp_path / "earlier")]}}]}))
    for args in (["validate", str(second)], ["run", str(second), "--quiet"]):
        res = cli.invoke(main, args)
        assert res.exit_code == 2, res.output
        assert "is not a signature index" in res.output
        assert "run the earlier one with write_index: true" in res.output
    assert not (tmp_path / "later").exists()
