"""A config with nothing to run: ``validate`` and ``run`` refuse it alike (one check, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_warc

from corpusclean.cli import main


@pytest.mark.parametrize("text", ["", "stages: []\n", "shard_size: 5\n", "stages:\n"])
def test_validate_and_run_refuse_a_config_without_stages(tmp_path: Path, text: str) -> None:
    make_warc(tmp_path / "crawl.warc.gz", 3)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"input: {tmp_path / 'crawl.warc.gz'}\n{text}")
    cli = CliRunner()
    checked = cli.invoke(main, ["validate", str(cfg)])
    ran = cli.invoke(main, ["run", str(cfg), "--output", str(tmp_path / "out"), "--quiet"])
    assert checked.exit_code == 2 and ran.exit_code == 2, (checked.output, ran.output)
    assert "the pipeline has no stages" in checked.output and "ok (" not in checked.output
    assert "the pipeline has no stages" in ran.output
    assert not (tmp_path / "out").exists()


def test_validate_still_accepts_one_stage(tmp_path: Path) -> None:
    make_warc(tmp_path / "crawl.warc.gz", 3)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"input: {tmp_path / 'crawl.warc.gz'}\nstages:\n  - passthrough: {{}}\n")
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 0 and "ok (1 stages: passthrough" in res.output
