"""``corpusclean report`` and ``corpusclean whatif`` on a synthetic output folder of 1,000,000
documents (100,000 with --quick): 4 stages, 24 signal columns, a 300-character text per document.

The folder is written directly (Parquet shards of 10,000 documents with signal columns, manifest
and stats), not by running the filters, so the section measures the report and the what-if alone.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benches._common import peak_rss_mb, print_table, timed
from corpusclean.report import write_report
from corpusclean.whatif import whatif

SHARD = 10_000
TEXT_CHARS = 300
STAGES = ["gopher_quality", "gopher_repetition", "language", "exact_dedup"]


def _texts(rng: np.random.Generator, n: int) -> pa.Array:
    """Random lower-case 'words' (incompressible enough that reading them would show)."""
    data = rng.integers(97, 123, size=(n, TEXT_CHARS), dtype=np.uint8)
    data[:, ::6] = 32
    offsets = np.arange(0, n * TEXT_CHARS + 1, TEXT_CHARS, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data.tobytes()))


def _signals(rng: np.random.Generator, stage: str, n: int) -> tuple[dict[str, pa.Array], np.ndarray, list]:
    """Signal columns for ``n`` documents, the rejection mask and the reasons (paper thresholds)."""
    if stage == "gopher_quality":
        wc = np.round(rng.lognormal(5.3, 1.0, n)).astype(np.int64)
        stop = rng.poisson(wc * 0.08).astype(np.int64)
        cols = {"gq_word_count": wc, "gq_mean_word_length": rng.normal(4.8, 0.6, n),
                "gq_hash_word_ratio": rng.exponential(0.004, n), "gq_ellipsis_word_ratio": rng.exponential(0.003, n),
                "gq_bullet_line_frac": rng.beta(1, 8, n), "gq_ellipsis_line_frac": rng.beta(1, 30, n),
                "gq_alpha_word_frac": rng.beta(40, 2, n), "gq_stop_word_count": stop}
        rules = [("word_count", (wc < 50) | (wc > 100_000)),
                 ("mean_word_length", (cols["gq_mean_word_length"] < 3) | (cols["gq_mean_word_length"] > 10)),
                 ("symbol_ratio_hash", cols["gq_hash_word_ratio"] > 0.1),
                 ("symbol_ratio_ellipsis", cols["gq_ellipsis_word_ratio"] > 0.1),
                 ("bullet_lines", cols["gq_bullet_line_frac"] > 0.9),
                 ("ellipsis_lines", cols["gq_ellipsis_line_frac"] > 0.3),
                 ("alpha_words", cols["gq_alpha_word_frac"] < 0.8), ("stop_words", stop < 2)]
    elif stage == "gopher_repetition":
        names = ["dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac",
                 "top_2gram_char_frac", "top_3gram_char_frac", "top_4gram_char_frac",
                 *[f"dup_{k}gram_char_frac" for k in range(5, 11)]]
        limits = [0.3, 0.3, 0.2, 0.2, 0.2, 0.18, 0.16, 0.15, 0.14, 0.13, 0.12, 0.11, 0.10]
        cols = {f"gr_{m}": rng.beta(1, 40, n) for m in names}
        rules = [(m, cols[f"gr_{m}"] > lim) for m, lim in zip(names, limits)]
    elif stage == "language":
        langs = np.array(["en", "de", "fr", "es", "zh"], dtype=object)[
            rng.choice(5, n, p=[0.9, 0.03, 0.03, 0.02, 0.02])]
        score = rng.beta(12, 1.5, n)
        cols = {"language": pa.array(langs.tolist(), pa.string()), "language_score": score}
        rules = [("low_score", score < 0.65)]
    else:
        cols = {}
        rules = [("duplicate", rng.random(n) < 0.03)]
    rejected = np.zeros(n, bool)
    reasons: list = [None] * n
    for rule, mask in rules:
        new = mask & ~rejected
        for i in np.flatnonzero(new):
            reasons[i] = f"{stage}.{rule}"
        rejected |= new
    return {k: (v if isinstance(v, pa.Array) else pa.array(v)) for k, v in cols.items()}, rejected, reasons


def make_output(root: Path, n_docs: int) -> Path:
    rng = np.random.default_rng(0)
    out = root / "out"
    folders = [f"{i + 1:02d}_{s}" for i, s in enumerate(STAGES)]
    agg = {f: {"in": 0, "kept": 0, "rejected": {}, "bytes_in": 0, "bytes_kept": 0} for f in folders}
    for shard in range(0, n_docs, SHARD):
        n = min(SHARD, n_docs - shard)
        key = f"part-00000-{shard // SHARD:05d}.parquet"
        ids = [f"doc-{shard + i}" for i in range(n)]
        t = pa.table({"id": pa.array(ids), "text": _texts(rng, n),
                      "url": pa.array([f"https://site{i % 997}.example/{i}" for i in range(shard, shard + n)]),
                      "source": pa.array(["bench.jsonl"] * n)})
        pq.write_table(t.slice(0, 0).append_column("stage", pa.array([], pa.string()))
                       .append_column("reason", pa.array([], pa.string()))
                       .append_column("detail", pa.array([], pa.string())),
                       (out / "00_read" / "rejected").mkdir(parents=True, exist_ok=True) or
                       out / "00_read" / "rejected" / key)
        for stage, folder in zip(STAGES, folders):
            m = t.num_rows
            cols, rej, reasons = _signals(rng, stage, m)
            if stage == "exact_dedup":
                kept_ids = np.array(t.column("id").to_pylist(), dtype=object)[~rej]
                dup = [None] * m
                for i in np.flatnonzero(rej):
                    dup[i] = kept_ids[i % len(kept_ids)]
                cols = {"duplicate_of": pa.array(dup, pa.string())}
            for c, arr in cols.items():
                t = t.append_column(c, arr)
            rej_idx = pa.array(np.flatnonzero(rej), pa.int64())
            rt = t.take(rej_idx)
            rr = [reasons[i] for i in np.flatnonzero(rej)]
            rt = rt.append_column("stage", pa.array([stage] * len(rr), pa.string())) \
                   .append_column("reason", pa.array(rr, pa.string())) \
                   .append_column("detail", pa.array([None] * len(rr), pa.string()))
            kt = t.filter(pa.array(~rej))
            (out / folder / "rejected").mkdir(parents=True, exist_ok=True)
            pq.write_table(kt, out / folder / key, compression="zstd")
            pq.write_table(rt, out / folder / "rejected" / key, compression="zstd")
            a = agg[folder]
            a["in"] += m
            a["kept"] += kt.num_rows
            a["bytes_in"] += m * TEXT_CHARS
            a["bytes_kept"] += kt.num_rows * TEXT_CHARS
            for r in rr:
                a["rejected"][r] = a["rejected"].get(r, 0) + 1
            t = kt
    manifest = {"corpusclean_version": "bench", "fingerprint": "bench", "inputs": [],
                "stages": [{"index": i + 1, "name": s, "folder": f, "params": {}}
                           for i, (s, f) in enumerate(zip(STAGES, folders))],
                "started": "-", "finished": "-", "status": "complete"}
    stats = {"read": {"documents": n_docs, "rejected": 0, "rejected_by_reason": {}, "skipped_by_kind": {},
                      "errors": [], "bytes": n_docs * TEXT_CHARS},
             "stages": [{"folder": f, "stage": s, "in": agg[f]["in"], "kept": agg[f]["kept"],
                         "rejected": agg[f]["in"] - agg[f]["kept"],
                         "rejected_by_reason": dict(sorted(agg[f]["rejected"].items(), key=lambda kv: -kv[1])),
                         "bytes_in": agg[f]["bytes_in"], "bytes_kept": agg[f]["bytes_kept"],
                         "top_details": {}, "counters": {}} for s, f in zip(STAGES, folders)]}
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "stats.json").write_text(json.dumps(stats))
    return out


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet"))


def run(args) -> None:  # noqa: A001 - the bench protocol's name
    n = 100_000 if args.quick else 1_000_000
    tmp = Path(tempfile.mkdtemp(prefix="cc-bench-report-"))
    try:
        t0 = time.perf_counter()
        out = make_output(tmp, n)
        t_make = time.perf_counter() - t0
        t_report, path = timed(lambda: write_report(out))
        rss_report = peak_rss_mb()
        sets = ["gopher_quality.min_doc_words=100", "language.min_score=0.8"]
        t_tight, res = timed(lambda: whatif(out, sets))
        t_loose, res2 = timed(lambda: whatif(out, ["gopher_quality.min_doc_words=20"]))
        rows = [
            ("synthetic output folder", n, t_make, f"{_size(out) / 1e6:,.0f} MB Parquet"),
            ("corpusclean report", n, t_report, f"{path.stat().st_size / 1e6:.1f} MB HTML, peak RSS {rss_report:,.0f} MiB"),
            ("whatif (tighten 2 thresholds)", n, t_tight,
             f"final kept {res.final_kept:,} vs {res.actual[-1].kept:,}, exact={res.exact}"),
            ("whatif (loosen min_doc_words)", n, t_loose,
             f"final kept {res2.final_kept:,}, unknown {res2.unknown:,}"),
        ]
        print_table(f"report / whatif on {n:,} documents (seconds)", ["task", "docs", "seconds", "notes"], rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
