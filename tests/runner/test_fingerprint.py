"""The config fingerprint is made of the parameters a stage runs with, defaults filled in: a run
written when a default was different is not resumed under the new one (the extract back-end's
default changed from trafilatura to resiliparse in 0.2.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_warc

from corpusclean import Pipeline
from corpusclean.config import parse_config
from corpusclean.errors import RunError
from corpusclean.stages.base import get_stage_class


def _config(stages: list) -> dict:
    return {"input": "in", "output": "out", "stages": stages}


def test_defaults_written_out_or_left_out_give_one_fingerprint():
    left_out = parse_config(_config([{"extract": {}}]))
    written = parse_config(_config([{"extract": {"backend": "resiliparse", "min_chars": 0}}]))
    other = parse_config(_config([{"extract": {"backend": "trafilatura"}}]))
    assert left_out.fingerprint() == written.fingerprint() != other.fingerprint()
    assert left_out.fingerprint_data()["stages"][0]["extract"]["backend"] == "resiliparse"


def test_a_run_written_under_the_old_default_is_not_resumed(tmp_path: Path):
    make_warc(tmp_path / "crawl.warc.gz", 3)
    pipe = Pipeline([get_stage_class("extract")()])
    pipe.run(str(tmp_path / "crawl.warc.gz"), tmp_path / "out", workers=1)
    mf = tmp_path / "out" / "manifest.json"
    manifest = json.loads(mf.read_text())
    # what 0.1.0 wrote for `extract: {}`: the parameters as given, and a fingerprint of them
    manifest["config"]["stages"] = [{"extract": {}}]
    manifest["fingerprint"] = "0123456789abcdef"
    mf.write_text(json.dumps(manifest))
    with pytest.raises(RunError, match=r"different config; changed: .*stages\[0\]\.extract\.backend "
                                       r"\(not recorded -> 'resiliparse'\)"):
        pipe.run(str(tmp_path / "crawl.warc.gz"), tmp_path / "out", workers=1)
    # and resumes as before when nothing changed
    manifest["config"]["stages"] = [{"extract": parse_config(_config([{"extract": {}}])).stages[0].resolved_params}]
    mf.write_text(json.dumps(manifest))
    assert pipe.run(str(tmp_path / "crawl.warc.gz"), tmp_path / "out", workers=1)["stages"][0]["kept"] == 3
