"""minhash_dedup's distributed middle step, round by round: time, memory, shuffle bytes.

On generated scan files (``benches.dedup.generate_scan_files``: 128-value signatures, 18 bands,
20 % planted near-duplicates at estimated Jaccard ~0.9, 10,000 rows per file) ``reduce`` runs in
a fresh subprocess with its ``pmap`` on a pool of 2 spawned processes, as the local executor
does. Printed per corpus size and partition setting:

* seconds per round (band grouping, routing, verification, components in the driver, state);
* peak RSS of the driver and of the largest pool process (MiB, ``getrusage``);
* bytes the rounds wrote to the work folder (the shuffle) per document;
* whether the state equals the one-partition run's (same bytes of every state row).

The per-document figures are what ``docs/scaling.md`` extrapolates to a dump.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benches._common import print_table  # noqa: E402

ROUNDS = ["key_split", "band_task", "route", "verify_partition", "route2", "state_piece"]


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _child(folder: str, docs_per_partition: int) -> None:
    """Subprocess body: reduce with a 2-process pool; print the measurements as JSON."""
    import hashlib
    from concurrent.futures import ProcessPoolExecutor

    import pyarrow.parquet as pq

    import corpusclean.dedup.middle as middle
    from corpusclean.stages.dedup import MinHashDedup

    if docs_per_partition:
        middle.EDGE_PARTITION_ROWS = docs_per_partition
        middle.BAND_PARTITION_ROWS = docs_per_partition
        middle.ROUTE_ROWS = docs_per_partition
        middle.STATE_PIECE_ROWS = docs_per_partition
    files = sorted(Path(folder).glob("scan-*.parquet"))
    stage = MinHashDedup(verify="signature", write_index=False)
    state = Path(folder) / f"state-{docs_per_partition}"
    state.mkdir()
    marks: list[tuple[str, float, float, int]] = []  # (round, start, end, work bytes after)
    seen: dict[str, int] = {}

    with ProcessPoolExecutor(2) as pool:
        def pmap(fn: Any, items: Any) -> Any:
            name = fn.func.__name__
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else f"{name}2"
            items = list(items)
            t0 = time.perf_counter()
            yield from pool.map(fn, items)
            marks.append((label, t0, time.perf_counter(), _du(state / "_work")))
            marks.append((f"{label}:tasks", len(items), 0.0, 0))

        t0 = time.perf_counter()
        summary = stage.reduce(files, state, pmap=pmap)
        total = time.perf_counter() - t0
    rounds = {m[0]: m[2] - m[1] for m in marks if not m[0].endswith(":tasks")}
    tasks = {m[0][:-6]: int(m[1]) for m in marks if m[0].endswith(":tasks")}
    ends = {m[0]: m[2] for m in marks if not m[0].endswith(":tasks")}
    starts = {m[0]: m[1] for m in marks if not m[0].endswith(":tasks")}
    rounds["components"] = starts["route2"] - ends["verify_partition"]
    work = max(m[3] for m in marks)
    digest = hashlib.sha256(json.dumps(pq.read_table(state / "minhash_dedup").to_pylist(),
                                       sort_keys=True).encode()).hexdigest()[:12]
    print(json.dumps({"seconds": total, "rounds": rounds, "tasks": tasks, "work_bytes": work,
                      "driver_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      "state": digest, **summary}))


def bench(n_docs: int, settings: list[int]) -> list[list[Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="cc-middle-bench-") as tmp:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + str(ROOT / "scripts"))
        gen = ("from pathlib import Path; from benches.dedup import generate_scan_files; "
               f"generate_scan_files(Path({tmp!r}), {n_docs})")
        subprocess.run([sys.executable, "-c", gen], check=True, env=env)
        scan_bytes = sum(p.stat().st_size for p in Path(tmp).glob("scan-*.parquet"))
        first = None
        for per_part in settings:
            out = subprocess.run([sys.executable, "-c", f"from benches.middle import _child; _child({tmp!r}, {per_part})"],
                                 check=True, env=env, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            first = first or r["state"]
            rd = r["rounds"]
            label = "defaults" if not per_part else f"{per_part:,} docs/partition"
            rows.append([f"{n_docs:,}", label, r["tasks"]["verify_partition"], r["seconds"],
                         rd.get("key_split", 0.0) + rd["band_task"], rd["route"], rd["verify_partition"], rd["components"],
                         rd["route2"] + rd["state_piece"], r["driver_mib"], r["worker_mib"],
                         r["work_bytes"] / n_docs, scan_bytes / n_docs, r["candidate_pairs"] / n_docs,
                         r["accepted_pairs"], "yes" if r["state"] == first else "NO"])
    return rows


def run(args: Any) -> None:
    quick = getattr(args, "quick", False)
    rows = []
    for n in ([50_000] if quick else [250_000, 1_000_000]):
        rows += bench(n, [0, max(1, n // 8)])
    print_table("minhash_dedup middle step, tasks on a 2-process pool (verify: signature; generated scan files)",
                ["docs", "partitions", "verify tasks", "total s", "bands s", "route s", "verify s",
                 "components s", "state s", "driver MiB", "worker MiB", "shuffle B/doc", "scan B/doc",
                 "candidates/doc", "accepted", "same state"], rows)


__all__ = ["run"]
