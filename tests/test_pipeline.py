"""One Pipeline: built from stage objects or a config, run in memory (``apply``) or through the
runner (``run``), with the same outcome either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusclean import ConfigError, Pipeline, RunFolder, get_stage_class, parse_config, run
from corpusclean.stages.utility import PassThrough

DOCS = [{"id": f"d{i}", "text": f"text number {i % 10}", "url": f"https://h{i % 3}.example/{i}"} for i in range(20)]
STAGES_YAML = [{"passthrough": {}}, {"exact_dedup": {}}, {"domain_cap": {"max_per_domain": 2}}]


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    return path


def test_apply_and_run_agree_and_specs_match_the_yaml(tmp_path: Path) -> None:
    pipeline = Pipeline.from_config({"stages": STAGES_YAML})
    in_memory = pipeline.apply(DOCS)
    kept_ids = [d["id"] for d in in_memory.kept_docs]
    assert len(kept_ids) == 6 and len(in_memory.rejected_docs) == 14
    # the same stage objects through the runner (two worker processes, several shards)
    stats = pipeline.run(input=_input(tmp_path), output=tmp_path / "out", workers=2, shard_size=7)
    folder = RunFolder(tmp_path / "out")
    on_disk = [r["id"] for p in folder.kept_parts("03_domain_cap") for r in folder.read_table(p).to_pylist()]
    assert on_disk == kept_ids and stats["stages"][-1]["kept"] == 6
    # instances built by hand give the runner the same specs (and fingerprint) as the YAML
    by_hand = Pipeline([get_stage_class("passthrough")(), get_stage_class("exact_dedup")(),
                        get_stage_class("domain_cap")(max_per_domain=2)])
    yaml_cfg = parse_config({"input": str(_input(tmp_path)), "stages": STAGES_YAML})
    assert by_hand.to_config(input=str(_input(tmp_path))).fingerprint() == yaml_cfg.fingerprint()
    assert folder.read_manifest()["fingerprint"] == by_hand.to_config(input=_input(tmp_path), shard_size=7).fingerprint()


def test_run_keeps_the_configs_defaults_and_resumes(tmp_path: Path) -> None:
    cfg = parse_config({"input": str(_input(tmp_path)), "output": str(tmp_path / "o"), "shard_size": 5,
                        "executor": {"workers": 1}, "stages": STAGES_YAML})
    first = Pipeline.from_config(cfg).run()
    again = run(cfg, progress=False)  # the module-level run: same folder, complete, resumes at once
    assert [s["kept"] for s in first["stages"]] == [s["kept"] for s in again["stages"]] == [20, 10, 6]


def test_a_stage_that_is_not_registered_cannot_reach_the_workers() -> None:
    class Unregistered(PassThrough):
        pass

    with pytest.raises(ConfigError, match=r"stages\[0\]: Unregistered is not the stage registered as 'passthrough'"):
        Pipeline([Unregistered()]).to_config(input="x.jsonl")
    assert Pipeline([Unregistered()]).apply(DOCS[:2]).kept.num_rows == 2  # in memory it is fine


def test_an_unknown_executor_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="executor.kind: expected one of 'local', 'ray', got 'dask'"):
        Pipeline([PassThrough()]).run(input=_input(tmp_path), output=tmp_path / "o", executor="dask")


