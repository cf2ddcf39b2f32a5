"""Config validation: every error names the key path, what was expected and what was found."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpusclean.config import diff_configs, load_config, parse_config
from corpusclean.errors import ConfigError


def err(data) -> str:
    with pytest.raises(ConfigError) as e:
        parse_config(data)
    return str(e.value)


def test_wrong_type_names_the_key_path() -> None:
    msg = err({"stages": [{"passthrough": {}}, {"passthrough": None}, {"domain_cap": {"max_per_domain": "fifty"}}]})
    assert msg == "stages[2].domain_cap.max_per_domain: expected an integer, got 'fifty'"


def test_unknown_stage_lists_known_ones() -> None:
    msg = err({"stages": [{"no_such_stage": {}}]})
    assert msg.startswith("stages[0]: unknown stage 'no_such_stage'; known stages: ")
    assert "passthrough" in msg and "domain_cap" in msg


def test_unknown_parameter_lists_valid_ones() -> None:
    assert err({"stages": [{"domain_cap": {"max_per_host": 3}}]}) == (
        "stages[0].domain_cap.max_per_host: unknown parameter; valid parameters: max_per_domain, group_by")


def test_unknown_top_level_and_nested_keys() -> None:
    assert err({"inptu": "x"}).startswith("inptu: unknown key; valid keys: ")
    assert err({"input": {"paths": ["a"], "formt": "warc"}}).startswith("input.formt: unknown key")
    assert err({"input": {"format": "csv"}}) == (
        "input.format: expected one of 'auto', 'warc', 'wet', 'jsonl', 'parquet', got 'csv'")
    assert err({"stages": {"extract": {}}}).startswith("stages: expected a list")
    assert err({"stages": [{"a": {}, "b": {}}]}).startswith("stages[0]: expected a mapping with one stage name")
    assert err({"executor": "spark"}) == "executor.kind: expected one of 'local', 'ray', got 'spark'"


def test_repeated_stage_types_each_get_a_folder() -> None:
    cfg = parse_config({"input": "x.jsonl", "stages": [{"domain_cap": {"max_per_domain": 5}},
                                                       "passthrough", {"domain_cap": {"max_per_domain": 2}}]})
    assert [s.folder for s in cfg.stages] == ["01_domain_cap", "02_passthrough", "03_domain_cap"]
    assert [s.params for s in cfg.stages] == [{"max_per_domain": 5}, {}, {"max_per_domain": 2}]
    assert cfg.input.paths == ["x.jsonl"]


def test_yaml_errors_are_one_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("stages:\n  - extract: {\n")
    with pytest.raises(ConfigError, match=r"invalid YAML \(line \d+, column \d+\)"):
        load_config(p)
    p.write_text("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(p)  # safe_load only
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_fingerprint_ignores_workers_and_output_but_not_params() -> None:
    a = parse_config({"stages": ["passthrough"], "executor": {"workers": 1}, "output": "a"})
    b = parse_config({"stages": ["passthrough"], "executor": {"workers": 4}, "output": "b"})
    c = parse_config({"stages": ["passthrough"], "shard_size": 5})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert diff_configs(a.fingerprint_data(), c.fingerprint_data()) == ["shard_size (10000 -> 5)"]


def test_shipped_configs_validate() -> None:
    root = Path(__file__).resolve().parent.parent / "configs"
    for path in sorted(root.glob("*.yaml")):
        assert load_config(path).stages, path


def test_workers_live_under_executor_and_the_old_key_is_a_deprecated_alias() -> None:
    cfg = parse_config({"executor": {"kind": "local", "workers": 3}, "stages": ["passthrough"]})
    assert cfg.executor.workers == 3 and cfg.workers == 3
    with pytest.warns(FutureWarning, match="'workers' is deprecated"):
        old = parse_config({"workers": 2, "stages": ["passthrough"]})
    assert old.executor.workers == 2 and "workers" not in old.to_dict()
    assert err({"executor": {"workers": 0}}) == "executor.workers: expected a positive integer, got 0"
    assert err({"workers": "two"}) == "workers: expected an integer, got 'two'"
    assert err({"workers": 0}) == "workers: expected a positive integer, got 0"
    assert err({"workers": 2, "executor": {"workers": 3}}) == (
        "workers: 2 contradicts executor.workers: 3 (keep only executor.workers)")
    assert err({"executor": {"kind": "local", "threads": 2}}).startswith("executor.threads: unknown key")


def test_executor_kinds_come_from_the_registry() -> None:
    from corpusclean.executors import EXECUTORS, executor_names, register_executor

    register_executor("inline_test", "corpusclean.executors.local:LocalExecutor")
    try:
        assert "inline_test" in executor_names()
        assert parse_config({"executor": "inline_test", "stages": ["passthrough"]}).executor.kind == "inline_test"
    finally:
        del EXECUTORS["inline_test"]
    assert err({"executor": "inline_test"}) == "executor.kind: expected one of 'local', 'ray', got 'inline_test'"


def test_modules_that_cannot_be_imported_name_the_key() -> None:
    assert err({"modules": ["no_such_module_xyz"], "stages": ["passthrough"]}) == (
        "modules[0]: cannot import 'no_such_module_xyz': ModuleNotFoundError: No module named "
        "'no_such_module_xyz' (is its folder on PYTHONPATH?)")
    assert err({"modules": "json"}) == "modules: expected a list of strings, got 'json'"


def _load(tmp_path: Path, text: str) -> str:
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    return str(e.value)


def _dup(tmp_path: Path, text: str) -> str:
    """The error for a repeated key, without its '(line …, column …)' position."""
    return _load(tmp_path, text).split(" (line ")[0]


def test_a_key_written_twice_is_refused_with_its_path(tmp_path: Path) -> None:
    """Handed case config-duplicate-keys: yaml.safe_load keeps the last value silently."""
    assert _dup(tmp_path, "stages:\n  - gopher_quality: {min_doc_words: 50}\n"
                           "    gopher_quality: {min_doc_words: 100}\n") == (
        "stages[0]: 'gopher_quality' appears twice in one entry")
    assert _dup(tmp_path, "stages:\n  - gopher_quality: {min_doc_words: 50, min_doc_words: 100}\n") == (
        "stages[0].gopher_quality: 'min_doc_words' appears twice")
    # the same fault elsewhere: a top-level key, an input option, a nested test-set field
    assert _dup(tmp_path, "output: a\noutput: b\nstages: [passthrough]\n") == "config: 'output' appears twice"
    assert _dup(tmp_path, "input: {paths: [x.jsonl], text_field: body, text_field: text}\n") == (
        "input: 'text_field' appears twice")
    assert _dup(tmp_path, "stages:\n  - passthrough: {}\n  - decontaminate:\n      test_sets:\n"
                           "        - {name: a, name: b, path: x.jsonl}\n") == (
        "stages[1].decontaminate.test_sets[0]: 'name' appears twice")


def test_repeated_stage_entries_and_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    p = tmp_path / "ok.yaml"
    p.write_text("stages:\n  - domain_cap: &cap {max_per_domain: 3}\n  - domain_cap:\n      <<: *cap\n"
                 "  - gopher_quality: {min_doc_words: 50}\n  - gopher_quality: {min_doc_words: 100}\n")
    cfg = load_config(p)
    assert [s.params for s in cfg.stages] == [{"max_per_domain": 3}, {"max_per_domain": 3},
                                               {"min_doc_words": 50}, {"min_doc_words": 100}]


def test_cli_validate_refuses_a_duplicate_key_with_exit_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from corpusclean.cli import main

    p = tmp_path / "c.yaml"
    p.write_text("stages:\n  - gopher_quality: {min_doc_words: 50, min_doc_words: 100}\n")
    result = CliRunner().invoke(main, ["validate", str(p)])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: stages[0].gopher_quality: 'min_doc_words' appears twice "
                                     "(line 2, column 22 and line 2, column 41); write it once")
