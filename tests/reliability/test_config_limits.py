"""Absurd settings are bounded or refused when the config is loaded, not after hours of work."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from corpusclean.config import load_config, parse_config
from corpusclean.errors import ConfigError
from corpusclean.executors import local


@pytest.mark.parametrize("requested,cores,mem_mib,expected,why", [
    (1000, 2, 64_000, 2, "2 CPU cores available"),
    (3, 2, 64_000, 2, "2 CPU cores available"),
    (8, 16, 1_600, 3, "1600 MiB of memory available"),
    (1000, 64, 100, 1, "100 MiB of memory available"),
])
def test_workers_beyond_the_machine_are_bounded_and_said(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture,
                                                           requested: int, cores: int, mem_mib: int,
                                                           expected: int, why: str) -> None:
    monkeypatch.setattr(local, "cpu_count", lambda: cores)
    monkeypatch.setattr(local, "available_memory", lambda: mem_mib << 20)
    cfg = parse_config({"executor": {"kind": "local", "workers": requested}, "stages": [{"passthrough": {}}]})
    with caplog.at_level(logging.WARNING, logger="corpusclean.runner"):
        ex = local.LocalExecutor(cfg)
    try:
        assert ex.workers == expected
        assert f"executor.workers: {requested} requested, using {expected} ({why}" in caplog.text
    finally:
        ex.close()


def test_workers_within_the_machine_are_kept_silently(monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(local, "cpu_count", lambda: 8)
    monkeypatch.setattr(local, "available_memory", lambda: None)
    for requested, expected in ((None, 8), (1, 1), (8, 8)):
        cfg = parse_config({"executor": {"kind": "local", "workers": requested}, "stages": [{"passthrough": {}}]})
        assert local.LocalExecutor(cfg).workers == expected
    assert caplog.text == ""


def test_a_run_asking_for_1000_workers_runs_with_the_cores_and_says_so(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": f"doc {i}"}) + "\n" for i in range(30)))
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"input": str(src), "output": str(tmp_path / "out"), "shard_size": 10,
                                   "executor": {"kind": "local", "workers": 1000},
                                   "stages": [{"passthrough": {}}]}))
    done = subprocess.run([sys.executable, "-m", "corpusclean.cli", "run", str(cfg), "--quiet"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    cores = local.bounded_workers(None)
    assert f"executor.workers: 1000 requested, using {cores} (" in done.stderr


@pytest.mark.parametrize("against", ["{t}/nothing", "{t}/empty", "{t}/not-an-index.txt"])
def test_minhash_against_an_index_that_is_not_there_fails_at_config_load(tmp_path: Path, against: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "not-an-index.txt").write_text("hello")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({"stages": [{"minhash_dedup": {"against": [against.format(t=tmp_path)]}}]}))
    with pytest.raises(ConfigError, match=r"stages\[0\]\.minhash_dedup: minhash_dedup\.against: .* is not a "
                                          r"signature index"):
        load_config(cfg)
    done = subprocess.run([sys.executable, "-m", "corpusclean.cli", "validate", str(cfg)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 2 and "is not a signature index" in done.stderr
    assert "Traceback" not in done.stderr


def test_minhash_against_an_index_built_with_other_settings_fails_at_config_load(tmp_path: Path) -> None:
    index = tmp_path / "old" / "index"
    index.mkdir(parents=True)
    (index / "meta.json").write_text(json.dumps({"format": "x", "num_perm": 64}))
    with pytest.raises(ConfigError, match="was built with other settings"):
        parse_config({"stages": [{"minhash_dedup": {"against": [str(tmp_path / "old")]}}]})
