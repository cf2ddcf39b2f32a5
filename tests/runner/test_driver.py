"""The runner: accounting on every stage and shard, determinism, resume after SIGKILL, refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import TESTS, make_warc

from corpusclean.config import parse_config
from corpusclean.errors import RunError
from corpusclean.output.run_folder import RunFolder
from corpusclean.runner import run

PIPELINE = [{"passthrough": {}}, {"domain_cap": {"max_per_domain": 4}}, {"passthrough": {}}]


def make_inputs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    make_warc(root / "a.warc.gz", 25, seed=1)
    make_warc(root / "b.warc.gz", 12, seed=2)
    with open(root / "c.jsonl", "w") as f:
        for i in range(15):
            f.write(json.dumps({"id": f"j{i}", "text": f"document {i}", "url": f"https://jsite{i % 2}.example/j{i}"}) + "\n")
        f.write("not json\n")
    return root


def config(inputs: Path, output: Path, stages=PIPELINE, workers: int | None = None, **extra) -> dict:
    if workers is not None:
        extra["executor"] = {"kind": "local", "workers": workers}
    return {"input": str(inputs), "output": str(output), "shard_size": 10, "stages": stages, **extra}


def snapshot(output: Path) -> dict[str, list[dict]]:
    """Every Parquet part of a run (kept and rejected), as rows, by relative path."""
    return {str(p.relative_to(output)): pq.read_table(p).to_pylist()
            for p in sorted([*output.glob("[0-9][0-9]_*/**/part-*.parquet"), *output.glob("final/part-*.parquet")])}


def check_accounting(output: Path) -> None:
    """docs in = kept + rejected for every stage and shard, against the files on disk."""
    manifest = json.loads((output / "manifest.json").read_text())
    folders = [s["folder"] for s in manifest["stages"]]
    markers = {p.stem: json.loads(p.read_text()) for p in (output / "_state" / "seg00").glob("0*.json")}
    assert markers
    for key, marker in markers.items():
        read_rej = pq.read_metadata(output / "00_read" / "rejected" / f"part-{key}.parquet").num_rows
        n_in = marker["docs"] - read_rej
        for folder in folders:
            kept_part = {p.name: p for p in RunFolder(output).kept_parts(folder)}[f"part-{key}.parquet"]
            kept = pq.read_metadata(kept_part).num_rows
            rej = pq.read_table(output / folder / "rejected" / f"part-{key}.parquet")
            assert kept + rej.num_rows == n_in, (folder, key)
            assert all(r and r.startswith(folder.split("_", 1)[1] + ".") for r in rej.column("reason").to_pylist())
            n_in = kept
    stats = json.loads((output / "stats.json").read_text())
    for s in stats["stages"]:
        assert s["in"] == s["kept"] + s["rejected"] == s["kept"] + sum(s["rejected_by_reason"].values())


def test_run_accounts_for_every_document(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    stats = run(parse_config(config(inputs, tmp_path / "out")), progress=False)
    out = tmp_path / "out"
    check_accounting(out)
    assert stats["read"]["documents"] == 25 + 12 + 15
    assert stats["read"]["rejected_by_reason"] == {"read.invalid_json": 1}
    assert stats["read"]["skipped_by_kind"] == {"request": 37, "metadata": 2}
    cap = stats["stages"][1]
    assert cap["kept"] == 4 * 4 + 2 * 4  # four WARC hosts and two JSONL hosts, four each
    assert cap["global"]["summary"] == {"hosts": 6, "over_cap": 52 - 24}
    keys = {"part-00000-00000.parquet", "part-00000-00001.parquet", "part-00000-00002.parquet",
            "part-00001-00000.parquet", "part-00001-00001.parquet", "part-00002-00000.parquet",
            "part-00002-00001.parquet"}
    # write_kept: final (the default): final/ is a real folder holding only the last stage's
    # parts; earlier stages keep signals (id + their columns), the pass-1 hand-off is removed
    assert not (out / "final").is_symlink() and {p.name for p in (out / "final").iterdir()} == keys
    assert not list((out / "03_passthrough").glob("part-*")) and not (out / "03_passthrough" / "signals").exists()
    assert not list((out / "01_passthrough").glob("part-*"))
    assert {p.name for p in (out / "01_passthrough" / "signals").glob("part-*")} == keys
    assert pq.read_schema(out / "01_passthrough" / "signals" / "part-00000-00000.parquet").names == ["id"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["segments"]["1"]["shards_complete"] == 7


def test_first_documents_in_corpus_order_survive_the_cap(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    run(parse_config(config(inputs, tmp_path / "out")), progress=False)
    kept = pq.read_table(tmp_path / "out" / "final").column("url").to_pylist()
    site0 = [u for u in kept if u.startswith("https://site0.example/page")]
    assert site0 == [f"https://site0.example/page/{i}" for i in (0, 4, 8, 12)]


def test_one_and_two_workers_give_identical_output(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    s1 = run(parse_config(config(inputs, tmp_path / "w1", workers=1)), progress=False)
    s2 = run(parse_config(config(inputs, tmp_path / "w2", workers=2)), progress=False)
    assert snapshot(tmp_path / "w1") == snapshot(tmp_path / "w2")
    for a, b in zip(s1["stages"], s2["stages"]):
        a.pop("seconds"), b.pop("seconds")
        a.get("global", {}).pop("seconds", None), b.get("global", {}).pop("seconds", None)
        assert a == b


@pytest.mark.slow  # two killed-and-resumed runs: ~40 s on 2 cores
@pytest.mark.parametrize("kill_in_segment", [0, 1])
def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path: Path, kill_in_segment: int) -> None:
    inputs = make_inputs(tmp_path / "in")
    stages = [{"slow_passthrough": {"seconds": 0.25}}, {"domain_cap": {"max_per_domain": 4}},
              {"slow_passthrough": {"seconds": 0.25}}]
    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text(yaml.safe_dump(config(inputs, tmp_path / "killed", stages, workers=1)))
    cmd = [sys.executable, "-c", "import slow_stage; from corpusclean.cli import main; main()",
           "run", str(cfg_path), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    markers = tmp_path / "killed" / "_state" / f"seg{kill_in_segment:02d}"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(markers.glob("0*.json"))) < 2:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(list(markers.glob("0*.json"))) < 7, "the run finished before it could be killed"
    assert not (tmp_path / "killed" / "stats.json").exists()

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cfg_path.write_text(yaml.safe_dump(config(inputs, tmp_path / "whole", stages, workers=1)))
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    assert snapshot(tmp_path / "killed") == snapshot(tmp_path / "whole")
    check_accounting(tmp_path / "killed")
    killed = json.loads((tmp_path / "killed" / "stats.json").read_text())
    whole = json.loads((tmp_path / "whole" / "stats.json").read_text())
    strip = lambda s: [{k: v for k, v in st.items() if k not in ("seconds", "global")} for st in s["stages"]]  # noqa: E731
    assert strip(killed) == strip(whole) and killed["read"] == whole["read"]


def test_resume_skips_complete_work(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    cfg = parse_config(config(inputs, tmp_path / "out"))
    run(cfg, progress=False)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*/**/part-*.parquet")}
    run(cfg, progress=False)
    assert before == {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*/**/part-*.parquet")}


def test_changed_config_is_refused_with_what_changed(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    run(parse_config(config(inputs, tmp_path / "out")), progress=False)
    changed = [PIPELINE[0], {"domain_cap": {"max_per_domain": 5}}, PIPELINE[2]]
    with pytest.raises(RunError, match=r"stages\[1\]\.domain_cap\.max_per_domain \(4 -> 5\).*--overwrite"):
        run(parse_config(config(inputs, tmp_path / "out", changed)), progress=False)
    stats = run(parse_config(config(inputs, tmp_path / "out", changed)), overwrite=True, progress=False)
    assert stats["stages"][1]["kept"] == 6 * 5


def test_overwrite_never_empties_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(RunError, match="holds no corpusclean manifest.json"):
        run(parse_config(config(inputs, precious)), overwrite=True, progress=False)
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_outputs_open_in_pandas_duckdb_and_datasets(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    run(parse_config(config(inputs, tmp_path / "out")), progress=False)
    final = tmp_path / "out" / "final"
    pd = pytest.importorskip("pandas")
    frame = pd.read_parquet(final)
    assert len(frame) == 24 and {"id", "text", "url", "source"} <= set(frame.columns)
    duckdb = pytest.importorskip("duckdb")
    n = duckdb.sql(f"select count(*) from read_parquet('{final}/*.parquet')").fetchall()[0][0]
    rejected = duckdb.sql(f"select reason, count(*) from read_parquet('{tmp_path}/out/02_domain_cap/rejected/*.parquet')"
                          " group by reason").fetchall()
    assert n == 24 and rejected == [("domain_cap.over_cap", 28)]
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset("parquet", data_files=sorted(str(p) for p in final.glob("*.parquet")),
                               split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 24 and ds[0]["id"]


def test_an_edited_input_file_of_a_stage_is_a_config_change(tmp_path: Path) -> None:
    """A test set edited in place changes the fingerprint, though its path did not change."""
    inputs = make_inputs(tmp_path / "in")
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"q": "a question that nobody will ever quote in a crawl at all"}) + "\n")
    stages = [{"extract": {}}, {"decontaminate": {"test_sets": [{"name": "b", "path": str(bench), "fields": ["q"]}],
                                                  "cache_dir": ""}}]
    cfg = config(inputs, tmp_path / "out", stages)
    run(parse_config(cfg), progress=False)
    bench.write_text(json.dumps({"q": "another question that nobody will ever quote in a crawl"}) + "\n")
    with pytest.raises(RunError, match=r"stage_files\.02_decontaminate"):
        run(parse_config(cfg), progress=False)


def test_full_gopher_pipeline_is_accounted_and_worker_count_independent(tmp_path: Path) -> None:
    """The shipped Gopher chain on the bundled crawl, several shards: 1 and 2 workers agree exactly."""
    from corpusclean.config import builtin_config, load_config

    outs = []
    for workers in (1, 2):
        cfg = load_config(builtin_config("gopher"))
        cfg.output, cfg.workers, cfg.shard_size, cfg.report = str(tmp_path / f"w{workers}"), workers, 40, False
        stats = run(cfg, progress=False)
        check_accounting(tmp_path / f"w{workers}")
        outs.append(snapshot(tmp_path / f"w{workers}"))
        reasons = {r for s in stats["stages"] for r in s["rejected_by_reason"]}
        # every stage of the chain removes something from the sample crawl
        assert {r.split(".")[0] for r in reasons} >= {
            "url_filter", "hidden_text", "language", "explicit_text", "gopher_quality", "gopher_repetition",
            "exact_dedup", "minhash_dedup", "decontaminate"}
    assert outs[0] == outs[1]


def test_mixed_formats_give_one_schema_per_stage(tmp_path: Path) -> None:
    """WARC and JSONL shards of one stage share a schema (DuckDB/datasets read a folder as one table)."""
    inputs = make_inputs(tmp_path / "in")
    run(parse_config(config(inputs, tmp_path / "out")), progress=False)
    for folder in [*sorted((tmp_path / "out").glob("0[1-9]_*")), tmp_path / "out" / "final"]:
        for sub in (folder, folder / "rejected", folder / "signals"):
            schemas = {str(pq.read_schema(p)) for p in sub.glob("part-*.parquet")}
            assert len(schemas) == (1 if any(sub.glob("part-*")) else 0), sub
