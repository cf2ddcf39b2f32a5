"""The Ray executor: the same output as the local executor (full Gopher chain, deduplication
included), a worker process killed mid-task, a driver killed mid-run and resumed.

One local Ray instance with 2 CPUs serves the whole session. Skipped when Ray is not installed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import TESTS, comparable_stats, make_warc, snapshot

from corpusclean.config import parse_config
from corpusclean.runner import run
from corpusclean.stages.base import StageOutput, param, register
from corpusclean.stages.utility import PassThrough
from corpusclean.testing import synth

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'corpusclean[ray]' to run these tests")
pytestmark = pytest.mark.slow  # one Ray instance per session: ~1 min on 2 cores

BENCH_PASSAGE = ("the lighthouse keeper counted seventeen ships passing the northern cape before the storm "
                 "finally turned the grey water white")


@pytest.fixture(scope="session")
def ray_address() -> Any:
    """One local Ray instance (2 CPUs) for every test here; workers can import the tests' stages."""
    paths = [str(TESTS), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)  # inherited by Ray's workers
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a throw-away local instance
    ctx = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ctx.address_info["address"]
    ray.shutdown()


# ------------------------------------------------------------------------------- a stage
@register("kill_once")
class KillOnce(PassThrough):
    """Pass-through that SIGKILLs its own process the first time it runs (marker file absent)."""

    marker: str = param("", "File created just before the kill; its presence disarms the stage")

    def process(self, table: pa.Table) -> StageOutput:
        if self.marker and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().process(table)


# ------------------------------------------------------------------------------ helpers
def make_crawl(root: Path) -> Path:
    """A small crawl with something for every stage of the chain to remove."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    pages = [synth.html_page(rng, 2500) for _ in range(24)]
    pages[20] = pages[20].replace("</article>", f"<p>{BENCH_PASSAGE.capitalize()}.</p></article>")
    records: list[bytes] = []

    def add(url: str, html: str) -> None:
        records.append(synth.response_record(url, html, f"00000000-0000-4000-8000-{len(records):012d}"))

    for i, page in enumerate(pages):
        add(f"https://site{i % 5}.example/p/{i}", page)
    for i in range(3):  # exact copies elsewhere
        add(f"https://mirror{i}.example/copy", pages[i])
    for i in range(3):  # near copies: a few words changed
        add(f"https://near{i}.example/x", pages[10 + i].replace("</p>", " and one more short clause.</p>", 1))
    add("https://short.example/", "<html><body><p>Too short to keep.</p></body></html>")
    repeated = " ".join([synth.paragraph(rng)] * 8)  # one paragraph saying the same thing 8 times
    add("https://rep.example/", f"<html><body><article><p>{repeated}</p></article></body></html>")
    add("https://fr.example/", "<html><body><p>" + "Le chat est sur la table et il regarde la rue. " * 30
        + "</p></body></html>")
    half = len(records) // 2
    synth.write_warc(str(root / "a.warc.gz"), records[:half])
    synth.write_warc(str(root / "b.warc.gz"), records[half:])
    (root.parent / "bench.jsonl").write_text(json.dumps({"id": "q1", "text": BENCH_PASSAGE}) + "\n")
    return root


def gopher_chain(bench: Path) -> list[dict]:
    return [
        {"extract": {}},
        {"language": {"languages": ["en"]}},
        {"gopher_quality": {}},
        {"gopher_repetition": {}},
        {"exact_dedup": {}},
        {"minhash_dedup": {}},
        {"decontaminate": {"test_sets": [{"name": "mini", "path": str(bench), "fields": ["text"]}],
                           "cache_dir": ""}},
    ]


def cfg(inputs: Path, output: Path, stages: list[dict], workers: int | None = None, **extra: Any) -> dict:
    if workers is not None:
        extra["executor"] = {"kind": "local", "workers": workers}
    return {"input": str(inputs), "output": str(output), "shard_size": 8, "stages": stages, **extra}


def outcomes(output: Path) -> dict[str, list[tuple]]:
    """Per stage folder: (id, reason, detail) of every kept and rejected row, in file order."""
    out: dict[str, list[tuple]] = {}
    for p in sorted(output.glob("[0-9][0-9]_*/**/part-*.parquet")):
        if "/_" in str(p.relative_to(output)):
            continue
        t = pq.read_table(p)
        cols = [t.column(c).to_pylist() if c in t.column_names else [None] * t.num_rows
                for c in ("id", "reason", "detail")]
        out[str(p.relative_to(output))] = list(zip(*cols))
    return out


def comparable_manifest(output: Path) -> dict:
    m = json.loads((output / "manifest.json").read_text())
    for k in ("started", "finished"):
        m.pop(k)
    m["config"].pop("executor")
    m["config"].pop("output")
    for seg in m["segments"].values():
        seg.pop("finished")
    return m


# -------------------------------------------------------------------------------- tests
def test_ray_run_equals_local_run_for_the_gopher_chain(tmp_path: Path, ray_address: str) -> None:
    inputs = make_crawl(tmp_path / "in")
    stages = gopher_chain(tmp_path / "bench.jsonl")
    run(parse_config(cfg(inputs, tmp_path / "local", stages, workers=1)), progress=False)
    run(parse_config(cfg(inputs, tmp_path / "ray", stages, executor={"kind": "ray"})), progress=False)
    local, on_ray = outcomes(tmp_path / "local"), outcomes(tmp_path / "ray")
    assert local == on_ray
    assert snapshot(tmp_path / "local") == snapshot(tmp_path / "ray")
    assert comparable_stats(tmp_path / "local") == comparable_stats(tmp_path / "ray")
    assert comparable_manifest(tmp_path / "local") == comparable_manifest(tmp_path / "ray")
    # the chain really removed something at every step that matters here
    reasons = {r for rows in on_ray.values() for _, r, _ in rows if r}
    for expected in ("language.", "gopher_quality.", "gopher_repetition.", "exact_dedup.duplicate",
                     "minhash_dedup.near_duplicate", "decontaminate."):
        assert any(r.startswith(expected) for r in reasons), (expected, reasons)


def test_a_killed_worker_is_retried_and_the_output_is_identical(tmp_path: Path, ray_address: str) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_warc(inputs / "a.warc.gz", 20, seed=1)
    make_warc(inputs / "b.warc.gz", 10, seed=2)
    marker = tmp_path / "killed.marker"
    stages = [{"passthrough": {}}, {"domain_cap": {"max_per_domain": 3}}, {"kill_once": {"marker": str(marker)}}]
    marker.write_text("disarmed")  # the local reference run must not kill anything
    run(parse_config(cfg(inputs, tmp_path / "local", stages, workers=1)), progress=False)
    marker.unlink()
    run(parse_config(cfg(inputs, tmp_path / "ray", stages, executor={"kind": "ray"})), progress=False)
    assert marker.exists(), "no worker was killed"
    assert int(marker.read_text()) != os.getpid()
    assert snapshot(tmp_path / "local") == snapshot(tmp_path / "ray")
    # the fingerprint digests files named in parameters: the marker existed for one run only
    local, on_ray = comparable_stats(tmp_path / "local"), comparable_stats(tmp_path / "ray")
    local.pop("fingerprint"), on_ray.pop("fingerprint")
    assert local == on_ray


def test_driver_killed_mid_run_resumes_to_the_same_output(tmp_path: Path, ray_address: str) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_warc(inputs / "a.warc.gz", 30, seed=1)
    make_warc(inputs / "b.warc.gz", 26, seed=2)
    stages = [{"slow_passthrough": {"seconds": 0.2}}, {"domain_cap": {"max_per_domain": 6}},
              {"slow_passthrough": {"seconds": 0.2}}]
    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg(inputs, tmp_path / "killed", stages)))
    cmd = [sys.executable, "-c", "import slow_stage; from corpusclean.cli import main; main()",
           "run", str(cfg_path), "--quiet", "--executor", "ray", "--address", ray_address]
    env = dict(os.environ)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    markers = tmp_path / "killed" / "_state" / "seg01"
    deadline = time.time() + 90
    while time.time() < deadline and len(list(markers.glob("0*.json"))) < 2 and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_shards = 8  # 30 + 26 pages in shards of 8
    assert 2 <= len(list(markers.glob("0*.json"))) < n_shards, "the run was not killed part-way"
    assert not (tmp_path / "killed" / "stats.json").exists()

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "03_slow_passthrough" in done.stdout  # the funnel table is printed as in local runs

    import slow_stage  # noqa: F401  (registers slow_passthrough in this process)

    run(parse_config(cfg(inputs, tmp_path / "whole", stages, workers=1)), progress=False)
    assert snapshot(tmp_path / "killed") == snapshot(tmp_path / "whole")
    assert comparable_stats(tmp_path / "killed") == comparable_stats(tmp_path / "whole")
    manifest = json.loads((tmp_path / "killed" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["config"]["executor"]["kind"] == "ray"


def test_ray_pmap_feeds_a_global_stage(tmp_path: Path, ray_address: str) -> None:
    """A reduce that accepts ``pmap`` gets Ray tasks (other processes), with the same result."""
    from helper_stages import make_inputs

    inputs = make_inputs(tmp_path / "in")
    stages = [{"domain_cap": {"max_per_domain": 3}}, {"pmap_probe": {}}]
    local = run(parse_config(cfg(inputs, tmp_path / "local", stages, workers=1)), progress=False)
    on_ray = run(parse_config(cfg(inputs, tmp_path / "ray", stages, executor={"kind": "ray"})), progress=False)
    probe_local, probe_ray = local["stages"][1]["global"]["summary"], on_ray["stages"][1]["global"]["summary"]
    assert probe_local["rows"] == probe_ray["rows"] > 0
    assert not probe_ray["in_driver"]
    assert snapshot(tmp_path / "local") == snapshot(tmp_path / "ray")


RAY_USER_MODULE = '''
"""A user's stage module that exists only in a folder of the driver (not on the workers' path)."""
from corpusclean import FilterStage, param, register


@register("ray_user_min_chars")
class RayUserMinChars(FilterStage):
    """Rejects documents shorter than ``min_chars`` characters."""

    min_chars: int = param(10, "Minimum number of characters")

    def reason_for(self, doc):
        return None if len(doc["text"]) >= self.min_chars else "too_short"
'''


def test_a_user_module_named_in_modules_reaches_the_ray_workers(tmp_path: Path, ray_address: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The module's folder is on the driver's ``sys.path`` only; Ray's workers get the file
    through ``runtime_env`` and the stage runs there, with the local executor's result."""
    plug = tmp_path / "plug"
    plug.mkdir()
    (plug / "ray_user_stages_mod.py").write_text(RAY_USER_MODULE)
    monkeypatch.syspath_prepend(str(plug))
    data = tmp_path / "docs.jsonl"
    data.write_text("".join(json.dumps({"id": f"d{i}", "text": "y" * (3 * i)}) + "\n" for i in range(10)))
    stages = [{"ray_user_min_chars": {"min_chars": 12}}]
    extra = {"modules": ["ray_user_stages_mod"]}
    on_ray = run(parse_config(cfg(data, tmp_path / "ray", stages, executor={"kind": "ray"}, **extra)), progress=False)
    local = run(parse_config(cfg(data, tmp_path / "local", stages, workers=2, **extra)), progress=False)
    assert on_ray["stages"][0]["rejected_by_reason"] == local["stages"][0]["rejected_by_reason"] == {
        "ray_user_min_chars.too_short": 4}
    assert snapshot(tmp_path / "local") == snapshot(tmp_path / "ray")
