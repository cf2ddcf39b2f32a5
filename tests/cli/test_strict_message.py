"""``--strict`` on damaged input: the message says the run stopped because of --strict (never that
reading resumed); without it the damage is counted and the run goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import make_warc

from corpusclean.cli import main


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "middle":  # garbage in the middle of the file: the reader resumes at the next record
        mid = len(data) // 2
        data[mid:mid + 64] = b"\x00garbage" * 8
    else:  # cut short
        data = data[:-200]
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("how", ["middle", "truncated"])
def test_strict_says_the_run_stopped(tmp_path: Path, how: str, compress: bool) -> None:
    crawl = tmp_path / ("crawl.warc.gz" if compress else "crawl.warc")
    make_warc(crawl, 12, compress=compress)
    damage(crawl, how)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"input": str(crawl), "executor": {"kind": "local", "workers": 1},
                                   "stages": [{"passthrough": {}}]}))
    cli = CliRunner()
    lenient = cli.invoke(main, ["run", str(cfg), "--quiet", "--output", str(tmp_path / "lenient")])
    assert lenient.exit_code == 0 and "damaged input:" in lenient.output, lenient.output
    if how == "middle":  # the lenient run says where it resumed; the strict one must not
        assert "resumed at byte" in lenient.output
    strict = cli.invoke(main, ["run", str(cfg), "--strict", "--output", str(tmp_path / "strict")])
    assert strict.exit_code == 1, strict.output
    assert f"{crawl}: damaged at byte " in strict.output
    assert "the run stopped because of --strict" in strict.output
    assert "resumed at byte" not in strict.output and "Traceback" not in strict.output
