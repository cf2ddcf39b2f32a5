"""Reader throughput on a generated WARC, and the runner's overhead (pass-through chain vs reading)."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from benches._common import print_table, timed
from corpusclean.config import InputConfig, parse_config
from corpusclean.io.readers import read_chunks
from corpusclean.runner import run as run_pipeline
from corpusclean.testing import synth


def _make_warc(path: Path, n: int) -> int:
    rng = random.Random(7)
    pages = [synth.html_page(rng, rng.randint(8000, 30000)) for _ in range(200)]
    records = []
    for i in range(n):
        url = f"https://site{i % 50}.example/p/{i}"
        records.append(synth.warc_record("request", url, b"GET / HTTP/1.1\r\n\r\n", f"q{i}"))
        records.append(synth.response_record(url, pages[i % len(pages)], f"r{i}"))
    synth.write_warc(str(path), records)
    return sum(len(r) for r in records)


def run(args) -> None:  # noqa: A001 - the bench protocol's name
    n = 1000 if args.quick else 4000
    tmp = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    try:
        warc = tmp / "bench.warc.gz"
        raw_bytes = _make_warc(warc, n)

        def read() -> int:
            return sum(c.docs.num_rows for c in read_chunks(str(warc), "warc", InputConfig(), 10_000, False))

        t_read, docs = timed(read, repeat=2)
        rows = [("read WARC.gz (ours)", docs, docs / t_read, raw_bytes / t_read / 1e6, "")]
        try:
            from fastwarc.warc import ArchiveIterator, WarcRecordType

            def fast() -> int:
                with open(warc, "rb") as f:
                    count = 0
                    for rec in ArchiveIterator(f, record_types=WarcRecordType.response):
                        rec.reader.read()
                        count += 1
                    return count

            t_fast, got = timed(fast, repeat=2)
            rows.append(("fastwarc iterate+read (reference)", got, got / t_fast, raw_bytes / t_fast / 1e6,
                         "no decoding, no Arrow"))
        except ImportError:
            pass

        def chain(k: int) -> float:
            out = tmp / f"out{k}"
            shutil.rmtree(out, ignore_errors=True)
            cfg = parse_config({"input": str(warc), "output": str(out), "workers": 1,
                                "stages": [{"passthrough": {}}] * k})
            t, _ = timed(lambda: run_pipeline(cfg, progress=False))
            return t

        for k in (1, 3):
            t = chain(k)
            rows.append((f"runner: read + {k} pass-through stage(s), 1 worker", docs, docs / t, raw_bytes / t / 1e6,
                         f"overhead vs reading: {100 * (t - t_read) / t_read:.0f}% "
                         f"({1000 * (t - t_read) / k / docs * 1000:.0f} µs/doc/stage)"))
        print_table(f"Readers and runner overhead ({n:,} HTML pages, {raw_bytes / 1e6:.0f} MB uncompressed)",
                    ["what", "docs", "docs/s", "MB/s", "note"], rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
