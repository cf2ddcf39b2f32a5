"""Scale: exact + MinHash dedup through the CLI on synthetic corpora of growing size.

For each size (millions of documents; default 0.25, 1 and 4, ``--sizes 0.25,1`` for a quick run,
``--quick`` = 0.05 and 0.2) a gzip JSONL corpus is generated (and cached under
``~/.cache/corpusclean-bench/scale``) and ``corpusclean run`` is started as a subprocess with
``exact_dedup`` then ``minhash_dedup``. Printed per size:

* wall time of the run (seconds) and documents per second;
* peak RSS (VmHWM, polled from ``/proc`` every 0.2 s) of the driver process and of the largest
  worker process (any descendant of the driver), in MiB;
* bytes written (every file under the output folder, scans and states included) per input byte
  (the gzip JSONL files), and the same for ``final/`` alone;
* recall of the planted duplicates (exact copies + near-duplicates that must go) and the
  agreement of the removed set with every smaller run's on the documents they share (the
  corpora are prefixes of each other): shared documents decided differently, worst case.

The corpus is built in blocks of :data:`BLOCK` documents, each from its own seed, so the corpus of
N documents is exactly the first N/BLOCK blocks of every larger one. In each block 4 % of the
documents are exact copies of an earlier document of the block (found by ``exact_dedup``) and 4 %
are near-duplicates (one word of ~100 replaced: Jaccard of 5-word shingles ≈ 0.9, found by
``minhash_dedup``). Targets (issue 17): largest worker's peak RSS flat in corpus size (within
10 % from 1 M to 4 M documents), driver peak < 2 GiB at 4 M, output ≤ 1.5 × input.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from benches._common import print_table
from corpusclean.executors import memlog
from corpusclean.output.run_folder import RunFolder
from corpusclean.testing import synth

#: Documents per generated block (one gzip JSONL file per block; sizes are multiples of it).
BLOCK = 50_000
#: Words per document (about 650 bytes of text).
WORDS = 100
DUP_RATE = 0.04
NEAR_RATE = 0.04
CACHE = Path(os.environ.get("CORPUSCLEAN_BENCH_CACHE", Path.home() / ".cache" / "corpusclean-bench")) / "scale"
STAGES = [{"exact_dedup": {}}, {"minhash_dedup": {"ngram_size": 5}}]
SHARD_SIZE = 20_000
MIB = 1 << 20
#: Task kinds of the per-task memory log, in the order a run meets them (shard tasks first).
TASK_KINDS = ["run_task", "group_partition", "key_split", "band_task", "route", "verify_partition", "state_piece", "index_part"]


# --------------------------------------------------------------------------------- corpus
def _vocabulary() -> np.ndarray:
    words = sorted({w.strip(".,?!").lower() for w in " ".join(synth.documents(200, seed=7, size=400)).split()})
    # add rarer made-up words so unrelated documents share few 5-word shingles
    rng = np.random.default_rng(11)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    extra = ["".join(rng.choice(letters, size=int(rng.integers(4, 10)))) for _ in range(5000)]
    return np.array([w for w in words if w] + extra)


def _block(b: int, vocab: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Block ``b``: its documents' texts and a mask of the planted duplicates (exact or near)."""
    rng = np.random.default_rng(1000 + b)
    weights = 1.0 / np.arange(1, vocab.size + 1) ** 0.9
    idx = rng.choice(vocab.size, size=(BLOCK, WORDS), p=weights / weights.sum())
    kind = rng.random(BLOCK)
    planted = np.zeros(BLOCK, bool)
    for i in range(100, BLOCK):
        if kind[i] < DUP_RATE + NEAR_RATE:
            src = int(rng.integers(0, i))
            while planted[src]:  # copy an original, so every planted document has one source
                src = int(rng.integers(0, i))
            idx[i] = idx[src]
            if kind[i] >= DUP_RATE:
                idx[i, int(rng.integers(0, WORDS))] = int(rng.integers(0, vocab.size))
            planted[i] = True
    words = vocab[idx]
    return [" ".join(row) for row in words], planted


def ensure_block(b: int, vocab: list[np.ndarray]) -> tuple[Path, Path]:
    """Generate block ``b`` into the cache unless there (``vocab``: a one-item cache, filled on need)."""
    path, mpath = CACHE / f"block-{b:04d}.jsonl.gz", CACHE / f"block-{b:04d}.planted.npy"
    if not (path.exists() and mpath.exists()):
        if not vocab:
            vocab.append(_vocabulary())
        texts, planted = _block(b, vocab[0])
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with gzip.open(tmp, "wt", compresslevel=6) as f:
            for i, t in enumerate(texts):
                d = b * BLOCK + i
                f.write(json.dumps({"id": f"d{d:08d}", "text": t,
                                    "url": f"https://site{d % 997}.example/p/{d}"}) + "\n")
        np.save(mpath, planted)
        tmp.rename(path)
    return path, mpath


def corpus(n: int) -> tuple[list[Path], np.ndarray]:
    """The gzip JSONL files of the first ``n`` documents and the planted-duplicate mask."""
    CACHE.mkdir(parents=True, exist_ok=True)
    vocab: list[np.ndarray] = []
    files, masks = [], []
    for b in range(n // BLOCK):
        path, mpath = ensure_block(b, vocab)
        files.append(path)
        masks.append(np.load(mpath))
    return files, np.concatenate(masks)


# ------------------------------------------------------------------------------ measuring
def _hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Run the CLI; return (seconds, driver peak MiB, largest worker peak MiB, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "corpusclean.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            for pid in [proc.pid, *_descendants(proc.pid)]:
                peaks[pid] = max(peaks.get(pid, 0), _hwm_kib(pid))
            stop.wait(0.2)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    _, err = proc.communicate()
    stop.set()
    th.join()
    seconds = time.perf_counter() - t0
    if proc.returncode:
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
    driver = peaks.pop(proc.pid, 0) / 1024
    worker = max(peaks.values(), default=0) / 1024
    return seconds, driver, worker, proc.returncode


def task_peaks(log: Path) -> dict[str, tuple[int, float]]:
    """Per task kind of a ``CORPUSCLEAN_TASK_RSS`` log (:mod:`corpusclean.executors.memlog`):
    ``{kind: (tasks, largest peak MiB)}``; driver notes keep their point's name."""
    out: dict[str, tuple[int, float]] = {}
    if not log.exists():
        return out
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        what, peak = parts[1], float(parts[3])
        kind = what if what.startswith("note:") else what.split(":", 1)[0]
        n, best = out.get(kind, (0, 0.0))
        out[kind] = (n + 1, max(best, peak))
    return out


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def removed_ids(out: Path) -> set[str]:
    """Input ids (``source_id``: the reader qualifies ``id`` when there are several input files)
    of the documents any stage removed, read through RunFolder."""
    run = RunFolder(out)
    ids: set[str] = set()
    for folder in run.stage_folders():
        for part in run.rejected_parts(folder):
            names = pq.read_schema(part).names
            col = "source_id" if "source_id" in names else "id"
            ids.update(pq.read_table(part, columns=[col]).column(col).to_pylist())
    return ids


def _index_bytes(out: Path) -> int:
    """Bytes of the MinHash signature indexes (``write_index``) under the output."""
    return sum(_tree_bytes(p) for p in out.glob("*/_global/index"))


# ---------------------------------------------------------------------------------- bench
def run(args) -> None:  # noqa: A001 - the bench protocol's name
    sizes = [float(s) for s in args.sizes.split(",")] if getattr(args, "sizes", None) else (
        [0.05, 0.2] if args.quick else [0.25, 1.0, 4.0])
    workers = getattr(args, "workers", None) or 2
    tmp = Path(tempfile.mkdtemp(prefix="cc-bench-scale-"))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    rows = []
    decisions: list[tuple[int, set[str]]] = []
    task_rows: list[tuple[str, ...]] = []
    try:
        for size in sizes:
            n = max(BLOCK, int(round(size * 1e6 / BLOCK)) * BLOCK)
            t0 = time.perf_counter()
            files, planted = corpus(n)
            gen = time.perf_counter() - t0
            out = tmp / f"out-{n}"
            cfg = tmp / "scale.yaml"
            cfg.write_text(json.dumps({"shard_size": SHARD_SIZE, "stages": STAGES}))
            cli = ["run", str(cfg), "--output", str(out), "--workers", str(workers), "--quiet"]
            for f in files:
                cli += ["--input", str(f)]
            log = tmp / f"tasks-{n}.log"
            seconds, driver, worker, code = run_cli(cli, dict(env, **{memlog.ENV: str(log)}))
            peaks = task_peaks(log)
            worker = max([worker] + [p for k, (_, p) in peaks.items() if not k.startswith("note:")])
            task_rows.append((f"{n / 1e6:g} M", *(
                f"{peaks[k][1]:,.0f} ({peaks[k][0]})" if k in peaks else "-" for k in TASK_KINDS)))
            if code:
                rows.append((f"{n / 1e6:g} M", "FAILED", code, "", "", "", "", "", "", "", "", ""))
                continue
            in_bytes = sum(f.stat().st_size for f in files)
            out_bytes = _tree_bytes(out)
            final = out / "final"
            final_bytes = _tree_bytes(final.resolve() if final.is_symlink() else final)
            index_bytes = _index_bytes(out)
            removed = removed_ids(out)
            planted_ids = {f"d{i:08d}" for i in np.flatnonzero(planted)}
            recall = len(planted_ids & removed) / max(1, len(planted_ids))
            worst = 0
            for m, small in decisions:
                shared = {f"d{i:08d}" for i in range(m)}
                worst = max(worst, len((removed & shared) ^ small))
            decisions.append((n, removed))
            rows.append((f"{n / 1e6:g} M", f"{seconds:.0f}", f"{n / seconds:,.0f}", f"{driver:,.0f}",
                         f"{worker:,.0f}", f"{in_bytes / MIB:,.0f}", f"{out_bytes / in_bytes:.2f}",
                         f"{final_bytes / in_bytes:.2f}", f"{len(removed):,}", f"{100 * recall:.2f}",
                         "-" if len(decisions) == 1 else f"{worst:,}", f"{index_bytes / in_bytes:.2f}"))
            print(f"  {n:,} docs: generated/cached in {gen:.0f} s, run {seconds:.0f} s; driver peak MiB after: "
                  + ", ".join(f"{k[5:]} {p:,.0f}" for k, (_, p) in peaks.items() if k.startswith("note:")),
                  file=sys.stderr)
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(
        f"scale: exact_dedup + minhash_dedup (ngram 5) via the CLI, {workers} workers, shards of {SHARD_SIZE:,}",
        ["docs", "wall s", "docs/s", "driver MiB", "worker MiB", "input MiB", "out/in", "final/in",
         "removed", "planted recall %", "diff vs smaller", "index/in"], rows)
    print_table("peak RSS MiB per task kind, largest task (number of tasks); CORPUSCLEAN_TASK_RSS log",
                ["docs", *TASK_KINDS], task_rows)
    print("targets: worker MiB flat (within 10 % from 1 M to 4 M); driver MiB < 2048 at 4 M; out/in <= 1.5.\n"
          "diff vs smaller = shared documents (the smaller corpus is a prefix) decided differently, worst case.\n"
          "index/in = minhash_dedup's signature index (write_index: true; off by default), part of out/in.")
