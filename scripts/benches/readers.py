"""Reader throughput: ours (read_chunks: records -> Arrow documents) against the WARC libraries' raw
speed (iterate + read the block, no HTTP/charset decoding, no Arrow), on a generated WARC and on the
real WARC/ARC test files of pywb's sdist (fetched at benchmark time into ~/.cache/corpusclean-bench,
never committed); then the runner's overhead (pass-through chain vs reading).

The library choice in corpusclean/readers/warc.py (fastwarc for WARC, warcio for ARC) rests on the
"fastwarc raw" and "warcio raw" rows.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from benches._common import print_table, timed
from corpusclean.config import parse_config
from corpusclean.readers import ReadOptions, read_chunks
from corpusclean.runner import run as run_pipeline
from corpusclean.testing import synth

CACHE = Path.home() / ".cache" / "corpusclean-bench"
PYWB = "pywb==2.10.0"


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


def real_warcs() -> list[Path]:
    """pywb's sample_archive/warcs/*.warc(.gz)/*.arc(.gz), downloaded once (sdist, no deps)."""
    folder = CACHE / "pywb-warcs"
    if not folder.is_dir() or not any(folder.iterdir()):
        tmp = Path(tempfile.mkdtemp(prefix="cc-pywb-"))
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                            "-q", "-d", str(tmp), PYWB], check=True, capture_output=True, timeout=300)
            (sdist,) = tmp.glob("pywb-*.tar.gz")
            folder.mkdir(parents=True, exist_ok=True)
            with tarfile.open(sdist) as tar:
                for m in tar.getmembers():
                    if "/sample_archive/warcs/" in m.name and m.isfile():
                        m.name = Path(m.name).name
                        tar.extract(m, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return sorted(p for p in folder.iterdir() if p.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")))


def _fastwarc_raw(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with open(path, "rb") as f:
        count = 0
        try:
            for rec in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=False):
                rec.reader.read()
                count += 1
        except OSError:  # stops at the first record it cannot parse
            pass
        return count


def _warcio_raw(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        count = 0
        try:
            for rec in ArchiveIterator(f, arc2warc=True, no_record_parse=True):
                if rec.rec_type == "response":
                    rec.raw_stream.read()
                    count += 1
        except Exception:  # stops at the first record it cannot parse
            pass
        return count


def _ours(path: Path) -> int:
    return sum(c.docs.num_rows + c.rejected.num_rows
               for c in read_chunks(str(path), "warc", ReadOptions(), 10_000, False))


def _repeat(fn, files: list[Path], min_seconds: float) -> tuple[float, int, int]:
    """(seconds per pass over ``files``, records per pass, passes) -- repeated for a stable time."""
    for p in files:  # warm up: imports, caches
        fn(p)
    passes, t0, records = 0, time.perf_counter(), 0
    while True:
        records = sum(fn(p) for p in files)
        passes += 1
        if time.perf_counter() - t0 >= min_seconds:
            return (time.perf_counter() - t0) / passes, records, passes


def _rows(label: str, files: list[Path], size: int, min_seconds: float, arc: bool) -> list[tuple]:
    rows = []
    libs = [("ours (read_chunks)", _ours), ("warcio raw", _warcio_raw)]
    if not arc:
        libs.insert(1, ("fastwarc raw", _fastwarc_raw))
    for name, fn in libs:
        t, recs, _ = _repeat(fn, files, min_seconds)
        rows.append((f"{label}: {name}", recs, recs / t, size / t / 1e6, ""))
    return rows


def run(args) -> None:  # noqa: A001 - the bench protocol's name
    n = 1000 if args.quick else 4000
    tmp = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    try:
        warc = tmp / "bench.warc.gz"
        raw_bytes = _make_warc(warc, n)
        t_read, docs = timed(lambda: _ours(warc), repeat=2)
        rows = [("generated WARC.gz: ours (read_chunks)", docs, docs / t_read, raw_bytes / t_read / 1e6, "")]
        for name, fn in (("fastwarc raw", _fastwarc_raw), ("warcio raw", _warcio_raw)):
            t, got = timed(lambda fn=fn: fn(warc), repeat=2)
            rows.append((f"generated WARC.gz: {name}", got, got / t, raw_bytes / t / 1e6, "no decoding, no Arrow"))
        try:
            files = real_warcs()
        except (subprocess.SubprocessError, OSError, ValueError) as e:
            files = []
            print(f"(real WARCs unavailable: {type(e).__name__}; only the generated file is measured)")
        if files:
            min_s = 0.5 if args.quick else 2.0
            warcs = [p for p in files if ".warc" in p.name]
            arcs = [p for p in files if ".arc" in p.name and ".warc" not in p.name]
            # MB/s: uncompressed record bytes are unknown for real files; compressed size is used
            rows += _rows(f"pywb WARCs ({len(warcs)} files)", warcs, sum(p.stat().st_size for p in warcs), min_s, False)
            rows += _rows(f"pywb ARCs ({len(arcs)} files)", arcs, sum(p.stat().st_size for p in arcs), min_s, True)

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
        print_table(f"Readers and runner overhead ({n:,} generated HTML pages, {raw_bytes / 1e6:.0f} MB "
                    "uncompressed; real files: records = responses, MB/s of file size)",
                    ["what", "records", "records/s", "MB/s", "note"], rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
