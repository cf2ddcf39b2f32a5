"""The CLI end to end: run (default and with a config), validate, stages, stats, inspect, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import make_warc

from corpusclean.cli import main


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def write_config(tmp_path: Path, stages: list, **extra) -> Path:
    make_warc(tmp_path / "crawl.warc.gz", 12)
    cfg = {"input": str(tmp_path / "crawl.warc.gz"), "output": str(tmp_path / "out"), "executor": {"kind": "local", "workers": 1},
           "shard_size": 5, "stages": stages, **extra}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_run_with_config_prints_the_funnel(tmp_path: Path, cli: CliRunner) -> None:
    cfg = write_config(tmp_path, [{"passthrough": {}}, {"domain_cap": {"max_per_domain": 2}}])
    res = cli.invoke(main, ["run", str(cfg), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "02_domain_cap" in res.output and "domain_cap.over_cap 4" in res.output
    assert "skipped records (not documents): request 12, metadata 1" in res.output
    again = cli.invoke(main, ["stats", str(tmp_path / "out")])
    assert again.exit_code == 0 and "domain_cap.over_cap 4" in again.output


def test_inspect_shows_why_documents_went(tmp_path: Path, cli: CliRunner) -> None:
    cfg = write_config(tmp_path, [{"domain_cap": {"max_per_domain": 2}}])
    assert cli.invoke(main, ["run", str(cfg), "--quiet"]).exit_code == 0
    out = str(tmp_path / "out")
    res = cli.invoke(main, ["inspect", out, "--stage", "domain_cap", "--reason", "domain_cap.over_cap", "-n", "2"])
    assert res.exit_code == 0, res.output
    assert "4 rejected documents with reason domain_cap.over_cap; showing 2" in res.output
    assert "detail: site0.example" in res.output and "url: https://site0.example/page/8" in res.output
    kept = cli.invoke(main, ["inspect", out, "--stage", "01_domain_cap", "-n", "1"])
    assert "8 kept documents" in kept.output
    bad = cli.invoke(main, ["inspect", out, "--stage", "nope"])
    assert bad.exit_code == 2 and "choose one of: 00_read, 01_domain_cap" in bad.output
    none = cli.invoke(main, ["inspect", out, "--stage", "domain_cap", "--reason", "x.y"])
    assert none.exit_code == 1 and "reasons there: domain_cap.over_cap" in none.output


def test_validate_and_config_errors_are_one_line_exit_2(tmp_path: Path, cli: CliRunner) -> None:
    good = write_config(tmp_path, ["passthrough"])
    res = cli.invoke(main, ["validate", str(good)])
    assert res.exit_code == 0 and "ok (1 stages: passthrough" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages:\n  - domain_cap: {max_per_domain: fifty}\n")
    for cmd in (["validate", str(bad)], ["run", str(bad)]):
        res = cli.invoke(main, cmd)
        assert res.exit_code == 2
        assert res.output == "error: stages[0].domain_cap.max_per_domain: expected an integer, got 'fifty'\n"


def test_input_and_output_errors_exit_1_without_traceback(tmp_path: Path, cli: CliRunner) -> None:
    cfg = write_config(tmp_path, ["passthrough"])
    res = cli.invoke(main, ["run", str(cfg), "--input", str(tmp_path / "missing.warc.gz")])
    assert res.exit_code == 1 and res.output.startswith("error: ") and "no such file" in res.output
    assert "Traceback" not in res.output
    (tmp_path / "notrun").mkdir()
    (tmp_path / "notrun" / "keep.txt").write_text("x")
    res = cli.invoke(main, ["run", str(cfg), "--output", str(tmp_path / "notrun"), "--overwrite"])
    assert res.exit_code == 1 and "refusing to write into it" in res.output
    assert (tmp_path / "notrun" / "keep.txt").exists()


def test_strict_flag_stops_on_damage(tmp_path: Path, cli: CliRunner) -> None:
    cfg = write_config(tmp_path, ["passthrough"])
    crawl = tmp_path / "crawl.warc.gz"
    crawl.write_bytes(crawl.read_bytes()[:-200])
    res = cli.invoke(main, ["run", str(cfg), "--quiet"])
    assert res.exit_code == 0 and "damaged input:" in res.output
    res = cli.invoke(main, ["run", str(cfg), "--strict", "--output", str(tmp_path / "strict")])
    assert res.exit_code == 1 and "the run stopped because of --strict" in res.output
    assert "resumed at byte" not in res.output


def test_stages_lists_parameters_and_docs(cli: CliRunner) -> None:
    res = cli.invoke(main, ["stages"])
    assert res.exit_code == 0
    assert "domain_cap (global)" in res.output and "max_per_domain: int = 1000" in res.output


def test_default_run_on_the_bundled_sample(tmp_path: Path) -> None:
    """`corpusclean run` with no arguments, as the README's Quickstart runs it."""
    exe = shutil.which("corpusclean")
    if exe is None:
        pytest.skip("console script not installed (pip install -e .)")
    res = subprocess.run([exe, "run", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "corpusclean-output"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["read"]["documents"] > 100
    assert stats["read"]["errors"] and "truncated" in stats["read"]["errors"][0]["error"]
    assert stats["read"]["rejected_by_reason"] == {"read.binary": 1}
    assert {"request", "non_html", "metadata", "revisit", "warcinfo"} <= set(stats["read"]["skipped_by_kind"])
    assert (out / "final").is_dir() and any((out / "final").glob("part-*.parquet"))
    assert "clean corpus: corpusclean-output/final" in res.stdout
    assert "report: corpusclean-output/report.html" in res.stdout
    assert (out / "report.html").stat().st_size > 10_000 and "report could not be written" not in res.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    decontam = manifest["stages"][-1]["params"]["test_sets"][0]
    assert decontam["name"] == "sample_benchmark" and decontam["fields"] == ["question", "answer"]


def test_an_unexpected_error_is_one_line_with_the_traceback_kept(tmp_path: Path, cli: CliRunner) -> None:
    import slow_stage  # noqa: F401 - registers broken_stage

    cfg = write_config(tmp_path, ["broken_stage"])
    res = cli.invoke(main, ["run", str(cfg), "--quiet"])
    assert res.exit_code == 1 and res.output.count("\n") == 1
    assert res.output.startswith("error: RuntimeError: something nobody foresaw (traceback in ")
    log = res.output.split("traceback in ")[1].split(";")[0]
    assert "Traceback" in Path(log).read_text() and "Traceback" not in res.output
    Path(log).unlink()


def test_each_unexpected_error_keeps_its_traceback_in_a_file_of_its_own(tmp_path: Path, cli: CliRunner) -> None:
    import slow_stage  # noqa: F401 - registers broken_stage

    cfg = write_config(tmp_path, ["broken_stage"])
    logs = []
    for out in ("a", "b"):
        res = cli.invoke(main, ["run", str(cfg), "--quiet", "--output", str(tmp_path / out)])
        assert res.exit_code == 1 and res.output.endswith("; run the same command again to resume)\n")
        logs.append(res.output.split("traceback in ")[1].split(";")[0])
    assert logs[0] != logs[1] and all("Traceback" in Path(p).read_text() for p in logs)
    for p in logs:
        Path(p).unlink()


def test_errors_of_every_command_are_one_line_with_the_class_exit_code(tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "empty").mkdir()
    for argv, code in ((["stats", str(tmp_path / "empty")], 1), (["report", str(tmp_path / "empty")], 1),
                       (["whatif", str(tmp_path / "empty"), "--set", "a.b=1"], 1),
                       (["inspect", str(tmp_path / "empty"), "--stage", "read"], 1),
                       (["validate", str(tmp_path / "missing.yaml")], 2)):
        res = cli.invoke(main, argv)
        assert res.exit_code == code, (argv, res.output)
        assert res.output.startswith("error: ") and res.output.count("\n") == 1 and "Traceback" not in res.output


def test_a_run_that_reads_nothing_says_so(tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    res = cli.invoke(main, ["run", "@minimal", "--input", str(tmp_path / "empty.jsonl"),
                            "--output", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 0 and "warning: no documents were read from the input" in res.output


def test_a_closed_pipe_is_not_an_error() -> None:
    proc = subprocess.run("set -o pipefail; corpusclean stages | head -1", shell=True, capture_output=True, text=True,
                          executable="/bin/bash")
    assert proc.returncode == 0 and "error" not in proc.stderr
