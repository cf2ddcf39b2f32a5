"""HTML input without `extract`, and missing optional packages: one line, exit 2, at validation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.config import parse_config
from corpusclean.errors import ConfigError
from corpusclean.runner.columns import check_columns
from corpusclean.testing.synth import response_record, write_warc

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(body, encoding="utf-8")
    return p


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("stages", ["  - gopher_quality: {}\n",
                                    "  - url_filter: {}\n  - c4_quality: {}\n",
                                    "  - exact_dedup: {}\n"])
def test_warc_input_without_extract_names_the_stage_to_add(tmp_path: Path, command: str, stages: str) -> None:
    cfg = _config(tmp_path, f'input: "@sample"\noutput: {tmp_path / "out"}\nstages:\n{stages}')
    res = CliRunner().invoke(main, [command, str(cfg)])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1
    assert "carries HTML" in lines[0] and "add 'extract' before" in lines[0]
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_a_warc_file_of_ones_own_is_checked_the_same(tmp_path: Path) -> None:
    (tmp_path / "crawl").mkdir()
    write_warc(str(tmp_path / "crawl" / "a.arc.gz"),
               [response_record("http://x.test/", "<p>hello world</p>", "<urn:uuid:1>")])
    cfg = _config(tmp_path, f"input: {tmp_path / 'crawl'}\nstages:\n  - language: {{}}\n")
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 2 and "is warc and carries HTML" in res.output


def test_validate_checks_a_glob_that_does_not_exist_here_by_its_name(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "input: 'elsewhere/*.warc.gz'\nstages:\n  - gopher_quality: {}\n")
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 2 and "carries HTML" in res.output


def test_text_inputs_and_html_after_extract_pass(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"text": "one two three"}\n', encoding="utf-8")
    ok = _config(tmp_path, f"input: {tmp_path / 'd.jsonl'}\nstages:\n  - gopher_quality: {{}}\n")
    res = CliRunner().invoke(main, ["validate", str(ok)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["validate", "@gopher"])  # url_filter, hidden_text, extract, ...
    assert res.exit_code == 0, res.output


def test_html_stages_pass_text_input_through(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"text": "x", "url": "http://a.test/"}\n', encoding="utf-8")
    cfg = _config(tmp_path, f"input: {tmp_path / 'd.jsonl'}\nstages:\n  - extract: {{}}\n  - hidden_text: {{}}\n")
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 0, res.output


def test_decided_from_declarations_not_from_batches() -> None:
    cfg = parse_config({"stages": [{"extract": {}}, {"gopher_quality": {}}]})
    stages = [s.build() for s in cfg.stages]
    check_columns(stages, ["warc", "jsonl", "wet"])
    with pytest.raises(ConfigError, match="carries HTML"):
        check_columns(stages[1:], ["warc"])
    check_columns(stages[1:], ["wet", "parquet"])


# ------------------------------------------------------------------ missing optional packages
def _cli_without(module: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh interpreter where ``import module`` fails (sys.modules[module] = None)."""
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from corpusclean.cli import main\n"
            f"main({args!r})\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_resiliparse_backend_without_resiliparse(tmp_path: Path, command: str) -> None:
    _config(tmp_path, f'input: "@sample"\noutput: {tmp_path / "out"}\nstages:\n'
                      "  - extract: {backend: resiliparse}\n")
    done = _cli_without("resiliparse", [command, "c.yaml"], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "stages[0].extract (backend: resiliparse)" in lines[0]
    assert "pip install 'resiliparse>=2.0'" in lines[0]


@pytest.mark.parametrize("how", [["run", "c.yaml", "--executor", "ray"], ["validate", "ray.yaml"],
                                 ["run", "c.yaml", "--address", "auto"]])
def test_ray_executor_without_ray(tmp_path: Path, how: list[str]) -> None:
    body = f'input: "@sample"\noutput: {tmp_path / "out"}\nstages:\n  - extract: {{}}\n'
    _config(tmp_path, body)
    (tmp_path / "ray.yaml").write_text(body + "executor: {kind: ray}\n", encoding="utf-8")
    done = _cli_without("ray", how, tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'corpusclean[ray]'" in lines[0], done.stderr
    assert not (tmp_path / "out").exists()


def test_package_needed_only_under_its_condition(tmp_path: Path) -> None:
    _config(tmp_path, "stages:\n  - extract: {backend: trafilatura}\n")
    done = _cli_without("resiliparse", ["validate", "c.yaml"], tmp_path)
    assert done.returncode == 0, done.stderr


def test_every_reader_format_declares_its_columns() -> None:
    from corpusclean.readers import FORMAT_COLUMNS, FORMATS

    assert set(FORMAT_COLUMNS) == set(FORMATS)
    assert FORMAT_COLUMNS["warc"] == ("html",)
