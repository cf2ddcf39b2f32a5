"""Local process pool vs Ray on this machine: the same pipeline, the same ~20,000 documents.

Ray's overhead = (Ray wall time - local wall time) / local wall time, for the run itself (Ray
already started, as on a cluster) and, separately, the time ``ray.init`` takes to start a local
instance. Both runs use every core; the outputs are checked to be identical.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from benches._common import print_table, timed
from corpusclean.config import parse_config
from corpusclean.executors.base import cpu_count
from corpusclean.runner import run as run_pipeline
from corpusclean.testing import synth

STAGES = [{"gopher_quality": {}}, {"gopher_repetition": {}}, {"exact_dedup": {}}, {"domain_cap": {"max_per_domain": 500}}]


def _make_jsonl(path: Path, n: int) -> None:
    texts = synth.documents(n // 10 * 9, seed=3, size=2500)
    texts += texts[: n - len(texts)]  # 10% exact duplicates, for exact_dedup to find
    with open(path, "w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"d{i}", "text": t, "url": f"https://site{i % 40}.example/{i}"}) + "\n")


def _parts(out: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    return {str(p.relative_to(out)): pq.read_metadata(p).num_rows for p in sorted(out.glob("0*/**/part-*.parquet"))}


def run(args) -> None:  # noqa: A001 - the bench protocol's name
    try:
        import ray
    except ImportError:
        print("\n## ray: skipped (pip install 'corpusclean[ray]')")
        return
    n = 6000 if args.quick else 20000
    cores = cpu_count()
    tmp = Path(tempfile.mkdtemp(prefix="cc-bench-ray-"))
    try:
        data = tmp / "docs.jsonl"
        _make_jsonl(data, n)

        def once(kind: str) -> float:
            out = tmp / kind
            shutil.rmtree(out, ignore_errors=True)
            cfg = parse_config({"input": str(data), "output": str(out), "shard_size": 1000,
                                "executor": {"kind": kind, "workers": cores}, "stages": STAGES})
            seconds, _ = timed(lambda: run_pipeline(cfg, progress=False))
            return seconds

        t_init, _ = timed(lambda: ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False))
        try:
            once("ray")  # warm-up: worker processes start, modules import
            once("local")
            local = min(once("local") for _ in range(2))
            on_ray = min(once("ray") for _ in range(2))
        finally:
            ray.shutdown()
        same = _parts(tmp / "local") == _parts(tmp / "ray")
        kept = json.loads((tmp / "ray" / "stats.json").read_text())["stages"][-1]["kept"]
        rows = [
            ("local process pool", n, local, n / local, "-"),
            ("Ray (instance already running)", n, on_ray, n / on_ray, f"{100 * (on_ray - local) / local:+.1f}%"),
            ("Ray incl. starting a local instance", n, on_ray + t_init, n / (on_ray + t_init),
             f"{100 * (on_ray + t_init - local) / local:+.1f}%"),
        ]
        print_table(f"local vs Ray, {cores} cores, {len(STAGES)} stages (one global), shards of 1,000 "
                    f"(identical output: {same}; {kept:,} kept)",
                    ["executor", "docs", "wall s", "docs/s", "overhead vs local"], rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
