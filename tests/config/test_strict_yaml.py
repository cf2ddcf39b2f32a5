"""Configs are strict YAML: a repeated key, an alias bomb or absurd nesting is refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpusclean import ConfigError
from corpusclean.cli import main
from corpusclean.config import load_config

JSONL = "\n".join(json.dumps({"id": str(i), "text": "word " * n}) for i, n in enumerate((30, 80, 150)))


def _cfg(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


# The handed case (shared/cases/config-duplicate-keys): a '-' forgotten before the second stage.
STAGE_TWICE = "executor: {workers: 1}\nstages:\n  - gopher_quality: {min_doc_words: 50}\n    gopher_quality: {min_doc_words: 100}\n"
PARAM_TWICE = "executor: {workers: 1}\nstages:\n  - gopher_quality: {min_doc_words: 50, min_doc_words: 100}\n"


@pytest.mark.parametrize("text, message", [
    (STAGE_TWICE, "stages[0]: 'gopher_quality' appears twice in one entry (line 3, column 5 and line 4, column 5)"),
    (PARAM_TWICE, "stages[0].gopher_quality: 'min_doc_words' appears twice (line 3, column 22 and line 3, column 41)"),
    # variants of the kind: a top-level key twice, a block-style parameter twice, a nested input key
    ("shard_size: 5\nstrict: true\nshard_size: 10\n", "config: 'shard_size' appears twice"),
    ("stages:\n  - gopher_quality:\n      min_doc_words: 50\n      min_doc_words: 60\n",
     "stages[0].gopher_quality: 'min_doc_words' appears twice (line 3, column 7 and line 4, column 7)"),
    ("input:\n  paths: [a.jsonl]\n  text_field: body\n  text_field: text\n", "input: 'text_field' appears twice"),
])
def test_a_repeated_key_is_refused_naming_its_path(tmp_path: Path, text: str, message: str) -> None:
    cfg = _cfg(tmp_path, text)
    with pytest.raises(ConfigError, match="appears twice") as err:
        load_config(cfg)
    assert message in str(err.value)
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output


def test_run_refuses_a_repeated_key_before_reading_input(tmp_path: Path) -> None:
    (tmp_path / "input.jsonl").write_text(JSONL)
    cfg = _cfg(tmp_path, STAGE_TWICE)
    res = CliRunner().invoke(main, ["run", str(cfg), "--input", str(tmp_path / "input.jsonl"),
                                    "--output", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 2 and "'gopher_quality' appears twice" in res.output
    assert not (tmp_path / "out").exists()


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):  # 10**9 values when expanded
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 10)}]")
    cfg = _cfg(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="expands to more than"):
        load_config(cfg)


def test_absurd_nesting_is_refused(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, "stages: " + "[" * 200 + "]" * 200 + "\n")
    with pytest.raises(ConfigError, match="nested deeper than"):
        load_config(cfg)


def test_aliases_and_merge_keys_used_sensibly_still_load(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, "shard_size: 7\nstages:\n  - gopher_quality: &q {min_doc_words: 40}\n"
                         "  - gopher_repetition: {}\n")
    loaded = load_config(cfg)
    assert loaded.shard_size == 7 and [s.name for s in loaded.stages] == ["gopher_quality", "gopher_repetition"]
    assert loaded.stages[0].params["min_doc_words"] == 40
