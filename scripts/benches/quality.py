"""Text filters: docs/s and MB/s per stage and chained, one process, on real and synthetic text.

Real text: Debian documentation packages (``benches._realtext``: manuals as plain text, man
pages and Perl pods rendered, HTML manuals through ``extract``), fetched into
``~/.cache/corpusclean-bench`` at benchmark time. Synthetic: generated English documents of ~3 KB
(``corpusclean.testing.synth.documents``), every one of which passes every filter.

Throughput is documents (or MB of text, UTF-8 characters / 1e6) per CPU-second of this process:
the machine is shared, and CPU time is what one core spends. On the real corpus the Gopher pair
also runs in datatrove (as shipped, spaCy words; and with whitespace words), in a separate
virtualenv ``~/.cache/corpusclean-bench/dt-venv`` (created on first use; never a dependency),
in the same run. The memory row is the peak RSS of a fresh process that runs the Gopher pair
on the real corpus in shards of ``--shard-docs`` documents (one worker's work).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from benches import _realtext
from benches._common import print_table
from corpusclean.document import from_dicts
from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth

DT_VENV = _realtext.CACHE / "dt-venv"


def _timed_cpu(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall seconds, best CPU seconds of this process, last result."""
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, result


def _stage(name: str, **params: Any):
    stage = get_stage_class(name)(**params)
    stage.setup()
    return stage


SINGLES = [("gopher_quality", {}), ("gopher_repetition", {}), ("c4_quality", {}), ("fineweb_quality", {})]
CHAINS = [
    ("gopher_quality + gopher_repetition", [("gopher_quality", {}), ("gopher_repetition", {})]),
    ("four text filters (gopher q+r, c4, fineweb)",
     [("gopher_repetition", {}), ("gopher_quality", {}), ("c4_quality", {"filter_no_terminal_punct": False}),
      ("fineweb_quality", {})]),
]


def _rows(table: pa.Table, repeat: int, with_language: bool) -> list[list[Any]]:
    n = table.num_rows
    mb = sum(len(t or "") for t in table.column("text").to_pylist()) / 1e6
    rows = []
    singles = ([("language", {"languages": ["en"]})] if with_language else []) + SINGLES
    for name, params in singles:
        stage = _stage(name, **params)
        wall, cpu, out = _timed_cpu(lambda s=stage: s.process(table), repeat)
        rows.append([name, n, out.kept.num_rows, cpu, n / cpu, mb / cpu])
    for label, specs in CHAINS:
        pipe = Pipeline([_stage(s, **p) for s, p in specs])
        wall, cpu, res = _timed_cpu(lambda p=pipe: p.apply(table, setup=False), repeat)
        rows.append([label, n, res.kept.num_rows, cpu, n / cpu, mb / cpu])
    return rows


def _datatrove(corpus: Path, whitespace: bool) -> dict[str, Any] | None:
    py = DT_VENV / "bin" / "python"
    if not py.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(DT_VENV)], check=True, capture_output=True)
            subprocess.run([str(py), "-m", "pip", "install", "-q", "datatrove", "regex", "spacy", "pyarrow"],
                           check=True, capture_output=True)
        except (subprocess.CalledProcessError, OSError) as e:
            print(f"(datatrove not installable here: {e}; its rows are skipped)")
            return None
    script = Path(__file__).with_name("_datatrove_gopher.py")
    cmd = [str(py), str(script), str(corpus)] + (["--whitespace"] if whitespace else [])
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        print(f"(datatrove run failed: {res.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def _peak_memory(corpus: Path, shard_docs: int) -> tuple[float, float, float]:
    """One worker's memory: a fresh process reads ``corpus`` one shard of ``shard_docs`` documents
    at a time (as a worker reads its shard) and runs the Gopher pair on it. Returns the peak RSS
    (MiB), the RSS before the first shard (interpreter, libraries, stages) and the largest
    shard's Arrow size (MiB)."""
    sharded = _realtext.CACHE / f"quality_text_rg{shard_docs}.parquet"  # one row group per shard
    pq.write_table(pq.read_table(corpus), sharded, row_group_size=shard_docs)
    corpus = sharded
    code = f"""
import pyarrow as pa
import pyarrow.parquet as pq
from corpusclean.document import from_dicts
from corpusclean.stages.base import get_stage_class
from corpusclean.stages.chain import run_streaming

def status(key):  # /proc/self/status, in KiB (VmHWM: peak RSS of this process image)
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])

stages = [get_stage_class("gopher_quality")(), get_stage_class("gopher_repetition")()]
list(run_streaming(stages, from_dicts([{{"text": "warm up " * 60}}])))
base = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # reset VmHWM to the current RSS
biggest = 0
for batch in pq.ParquetFile({str(corpus)!r}).iter_batches(batch_size={shard_docs}, columns=["id", "text"]):
    shard = pa.Table.from_batches([batch])
    biggest = max(biggest, shard.nbytes)
    for out, _ in run_streaming(stages, shard):
        pass
    del shard, out
print(status("VmHWM") / 1024, base / 1024, biggest / 2**20)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak, base, biggest = map(float, out.stdout.split())
    return peak, base, biggest


def run(args: Any) -> None:
    repeat = 2  # best of 2: the machine is shared
    real = _realtext.build()
    corpus = _realtext.CORPUS
    if args.quick:  # every 4th document, the same for every row
        real = real.take(list(range(0, real.num_rows, 4)))
        corpus = _realtext.CACHE / "quality_text_quick.parquet"
        pq.write_table(real, corpus)
    sizes = [len(t) for t in real.column("text").to_pylist()]
    n, mb = real.num_rows, sum(sizes) / 1e6
    rows = _rows(real, repeat, with_language=False)
    for label, ws in (("datatrove gopher q+r (spaCy words, as shipped)", False),
                      ("datatrove gopher q+r (whitespace words)", True)):
        dt = _datatrove(corpus, ws)
        if dt is not None:
            rows.append([label, dt["docs"], dt["kept"], dt["cpu_s"], dt["docs"] / dt["cpu_s"],
                         dt["chars"] / 1e6 / dt["cpu_s"]])
    print_table(f"quality filters on REAL text, one process: {n:,} Debian documentation files, "
                f"{mb:.1f} MB, mean {mb / n * 1000:.1f} KB",
                ["stage", "docs", "kept", "CPU s", "docs/s (CPU)", "MB/s (CPU)"], rows)
    by_label = {r[0]: r for r in rows}
    pair = by_label["gopher_quality + gopher_repetition"]
    peers = [f"{pair[5] / r[5]:.0f}x {label.split('(')[1].rstrip(')')}" for label, r in by_label.items()
             if label.startswith("datatrove")]
    print(f"Gopher pair: {pair[5]:.2f} MB/s, {pair[4]:,.0f} docs/s per CPU-second "
          f"(target >= 10 MB/s: {'reached' if pair[5] >= 10 else 'NOT reached'})"
          + (f"; vs datatrove: {', '.join(peers)}" if peers else ""), flush=True)
    shard = 1000
    peak, base, biggest = _peak_memory(corpus, shard)
    print(f"one worker, Gopher pair, shards of {shard:,} docs read one at a time: peak RSS {peak:.0f} MiB = "
          f"{base:.0f} MiB before the first shard + {peak - base:.0f} MiB for the largest shard "
          f"({biggest:.1f} MiB of Arrow data, x{(peak - base) / max(biggest, 1e-9):.0f})", flush=True)

    ns = 1000 if args.quick else 3000
    docs = synth.documents(ns, seed=11, size=3000)
    table = from_dicts([{"text": d} for d in docs])
    mean_kb = sum(len(d) for d in docs) / ns / 1000
    print_table(f"quality filters on synthetic text, one process, {ns:,} docs of {mean_kb:.1f} KB",
                ["stage", "docs", "kept", "CPU s", "docs/s (CPU)", "MB/s (CPU)"],
                _rows(table, repeat, with_language=True))
