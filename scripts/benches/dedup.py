"""Deduplication: signature speed, clustering time / peak RSS at 1M docs, near-dup accuracy.

Sections printed:

* signature docs/s — ~3 KB English-like documents, 128 permutations, normalisation and shingling
  included (13-gram words), one process; plus the stage's whole ``scan`` (band keys and the
  shingle sets that exact verification needs).
* clustering — ``minhash_dedup.reduce`` over generated scan files of 1,000,000 documents (100,000
  with ``--quick``) whose signatures contain planted near-duplicates, run in a fresh subprocess so
  the peak RSS printed is the middle step's alone.
* accuracy — a labelled near-duplicate set: documents plus variants with controlled edits (word
  substitutions, insertions, deletions, reordered paragraphs, added boilerplate); the true
  13-gram Jaccard of every pair is computed exactly. Prints precision/recall of the removals and
  the detection rate per true-Jaccard bucket against the theoretical LSH S-curve.
* end to end — :func:`end_to_end` takes a runner callable; see its docstring.
* versus datatrove — :func:`bench_vs_datatrove`: MinHash dedup of the same real documents (Debian
  documentation, :mod:`benches._realtext`, plus planted near-duplicates) through
  ``corpusclean run`` (one worker) and through datatrove's four-stage MinHash pipeline (one
  worker, in the benchmark virtualenv), same settings: 5-gram words, 14 bands x 8 rows, digits
  mapped to 0, no verification (datatrove has none). Both are whole commands in a fresh process,
  measured from outside (:mod:`benches._cpu`: wall seconds and CPU seconds of the process tree);
  the ratio is given on both. Target: ours >= 30 x datatrove.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benches import _realtext  # noqa: E402
from benches._common import peak_rss_mb, print_table, timed  # noqa: E402
from benches._cpu import Measured, run_measured  # noqa: E402
from corpusclean.dedup import lsh  # noqa: E402
from corpusclean.pipeline import Pipeline  # noqa: E402
from corpusclean.stages.dedup import MinHashDedup  # noqa: E402
from corpusclean.testing import synth  # noqa: E402
from corpusclean.text import ngrams, normalize_for_ngrams  # noqa: E402

# ------------------------------------------------------------------------- signature speed
BATCH = 10_000  # documents per scan call, as the runner's shards


def bench_signatures(n_docs: int) -> list[list[Any]]:
    texts = synth.documents(n_docs, seed=11, size=3000)
    avg = sum(map(len, texts)) / len(texts)
    rows = []
    for n in (13, 5):
        stage = MinHashDedup(ngram_size=n)
        def sig(stage: MinHashDedup = stage) -> None:
            for s in range(0, n_docs, BATCH):
                stage.signatures(texts[s:s + BATCH])

        def scan(stage: MinHashDedup = stage) -> None:
            for s in range(0, n_docs, BATCH):
                stage.scan(pa.table({"id": [str(i) for i in range(s, min(s + BATCH, n_docs))],
                                     "text": texts[s:s + BATCH]}))

        t_sig, _ = timed(sig, repeat=2)
        t_scan, _ = timed(scan, repeat=1)
        rows.append([f"{n}-gram words, 128 perms", n_docs, f"{avg:,.0f}", n_docs / t_sig, n_docs / t_scan])
    return rows


# ------------------------------------------------------------------------- clustering at 1M
def generate_scan_files(folder: Path, n_docs: int, dup_fraction: float = 0.2, seed: int = 0,
                        per_file: int = 10_000) -> None:
    """Scan files like ``minhash_dedup.scan`` writes, with planted near-duplicates: a
    ``dup_fraction`` of documents copy an earlier document's signature with 10 % of its values
    redrawn (estimated Jaccard about 0.9)."""
    stage = MinHashDedup(verify="signature")
    rng = np.random.default_rng(seed)
    perm = stage.num_perm
    sources: list[np.ndarray] = []
    for f, start in enumerate(range(0, n_docs, per_file)):
        n = min(per_file, n_docs - start)
        sig = rng.integers(0, 2**32, (n, perm), dtype=np.uint32)
        dup = rng.random(n) < dup_fraction
        if sources and dup.any():
            pool = np.concatenate(sources[-5:])
            src = pool[rng.integers(0, len(pool), int(dup.sum()))]
            noise = rng.random(src.shape) < 0.1
            sig[dup] = np.where(noise, rng.integers(0, 2**32, src.shape, dtype=np.uint32), src)
        sources.append(sig[:: 10].copy())
        keys = lsh.band_keys(sig, stage._bands, stage._rows)
        cols: dict[str, Any] = {
            "id": pa.array([f"doc-{start + i:08d}" for i in range(n)]),
            "length": pa.array(rng.integers(1000, 5000, n)),
            "n_shingles": pa.array(np.full(n, 500, np.int32)),
            "sig": pa.FixedSizeListArray.from_arrays(pa.array(sig.reshape(-1)), perm),
        }
        for j in range(stage._bands):
            cols[f"b{j}"] = pa.array(keys[:, j])
        pq.write_table(pa.table(cols), folder / f"scan-{f:05d}.parquet")


def _reduce_child(folder: str) -> None:
    """Subprocess body: run reduce on the files in ``folder``; print time and peak RSS as JSON."""
    files = sorted(Path(folder).glob("scan-*.parquet"))
    stage = MinHashDedup(verify="signature", write_index=False)
    state = Path(folder) / "state"
    state.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    summary = stage.reduce(files, state)
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "peak_rss_mb": peak_rss_mb(), **summary}))


def bench_clustering(n_docs: int) -> list[list[Any]]:
    with tempfile.TemporaryDirectory(prefix="cc-dedup-bench-") as tmp:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + str(ROOT / "scripts"))
        gen = ("from pathlib import Path; from benches.dedup import generate_scan_files; "
               f"generate_scan_files(Path({tmp!r}), {n_docs})")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", gen], check=True, env=env)
        t_gen = time.perf_counter() - t0
        out = subprocess.run([sys.executable, "-c",
                              f"from benches.dedup import _reduce_child; _reduce_child({tmp!r})"],
                             check=True, env=env, capture_output=True, text=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
    return [[f"{n_docs:,} docs (18 bands x 7 rows, verify: signature)", t_gen, res["seconds"],
             res["peak_rss_mb"], res["candidate_pairs"], res["clusters"], res["near_duplicates"]]]


# ------------------------------------------------------------------------------- accuracy
_BOILER = ("Subscribe to our newsletter for the latest updates. Share this article on social media. "
           "Cookies help us deliver our services. By using our services you agree to our use of cookies. "
           "Related posts you might also like. Leave a comment below and let us know what you think. ")


def make_variant(rng: random.Random, text: str) -> tuple[str, str]:
    """One edited copy of ``text`` and the name of the edit."""
    words = text.split(" ")
    op = rng.choice(["substitute", "insert", "delete", "reorder", "boilerplate", "mixed"])
    vocab = ["alpha", "quartz", "violet", "nimbus", "ember", "cobalt", "saffron", "tundra", "zephyr"]
    if op in ("substitute", "mixed"):
        p = rng.uniform(0.0, 0.06)
        words = [rng.choice(vocab) if rng.random() < p else w for w in words]
    if op in ("insert", "mixed"):
        p = rng.uniform(0.0, 0.06)
        out = []
        for w in words:
            out.append(w)
            if rng.random() < p:
                out.append(rng.choice(vocab))
        words = out
    if op == "delete":
        p = rng.uniform(0.0, 0.06)
        words = [w for w in words if rng.random() >= p]
    text2 = " ".join(words)
    if op == "reorder":
        paras = text2.split("\n\n")
        for _ in range(rng.randint(1, 3)):
            i, j = rng.randrange(len(paras)), rng.randrange(len(paras))
            paras[i], paras[j] = paras[j], paras[i]
        text2 = "\n\n".join(paras)
    if op == "boilerplate":
        reps = rng.randint(1, 12)
        block = (_BOILER * reps).strip()
        text2 = block + "\n\n" + text2 if rng.random() < 0.5 else text2 + "\n\n" + block
    return text2, op


def shingle_set(text: str, n: int = 13) -> set[tuple[str, ...]]:
    toks = normalize_for_ngrams(text)
    return set(ngrams(toks, n)) if len(toks) >= n else ({tuple(toks)} if toks else set())


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def labelled_set(n_pairs: int, seed: int = 5) -> tuple[list[dict[str, Any]], list[tuple[str, str, float, str]]]:
    """Documents (originals first, then one variant each) and ``(orig id, variant id, true J, edit)``."""
    rng = random.Random(seed)
    originals = synth.documents(n_pairs, seed=seed + 1, size=3000)
    docs = [{"id": f"o{i}", "text": t} for i, t in enumerate(originals)]
    pairs = []
    for i, t in enumerate(originals):
        v, op = make_variant(rng, t)
        docs.append({"id": f"v{i}", "text": v})
        pairs.append((f"o{i}", f"v{i}", jaccard(shingle_set(t), shingle_set(v)), op))
    return docs, pairs


def evaluate(stage: MinHashDedup, docs: list[dict[str, Any]],
             pairs: list[tuple[str, str, float, str]]) -> dict[str, Any]:
    res = Pipeline([stage]).apply(docs)
    cluster = dict(zip(res.kept.column("id").to_pylist(), res.kept.column("cluster_id").to_pylist()))
    cluster.update(zip(res.rejected.column("id").to_pylist(), res.rejected.column("cluster_id").to_pylist()))
    texts = {d["id"]: d["text"] for d in docs}
    sets: dict[str, set] = {}

    def sset(i: str) -> set:
        if i not in sets:
            sets[i] = shingle_set(texts[i])
        return sets[i]

    removed = list(zip(res.rejected.column("id").to_pylist(), res.rejected.column("duplicate_of").to_pylist()))
    true_j = [jaccard(sset(a), sset(b)) for a, b in removed]
    detected = [(j, cluster[o] == cluster[v]) for o, v, j, _ in pairs]
    pos = [d for j, d in detected if j >= 0.85]
    return {
        "removed": len(removed),
        "precision": sum(j >= stage.threshold for j in true_j) / max(1, len(true_j)),
        "removed_below_0.5": sum(j < 0.5 for j in true_j),
        "recall_0.85": sum(pos) / max(1, len(pos)),
        "positives": len(pos),
        "detected": detected,
    }


def bench_accuracy(n_pairs: int) -> None:
    docs, pairs = labelled_set(n_pairs)
    configs = [("default (verify: exact)", MinHashDedup()),
               ("verify: signature", MinHashDedup(verify="signature")),
               ("verify: none (plain LSH 9x13)", MinHashDedup(verify="none"))]
    rows = []
    detail: dict[str, Any] = {}
    for name, stage in configs:
        t, ev = timed(lambda stage=stage: evaluate(stage, docs, pairs))
        rows.append([name, f"{stage._bands}x{stage._rows}", ev["removed"], f"{ev['precision']:.4f}",
                     f"{ev['recall_0.85']:.4f}", ev["positives"], ev["removed_below_0.5"], t])
        detail[name] = (stage, ev)
    print_table(f"near-duplicate accuracy ({n_pairs:,} documents + {n_pairs:,} edited variants, "
                "13-gram Jaccard, threshold 0.8)",
                ["settings", "bands x rows", "removed", "precision (J>=0.8)", "recall (J>=0.85)",
                 "pairs J>=0.85", "removed J<0.5", "seconds"], rows)
    edges = [0.0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01]
    brow = []
    stage, ev = detail["default (verify: exact)"]
    _, ev_sig = detail["verify: signature"]
    _, ev_none = detail["verify: none (plain LSH 9x13)"]
    none_stage = detail["verify: none (plain LSH 9x13)"][0]
    for lo, hi in zip(edges[:-1], edges[1:]):
        idx = [i for i, (j, _) in enumerate(ev["detected"]) if lo <= j < hi]
        if not idx:
            continue
        mid = float(np.mean([ev["detected"][i][0] for i in idx]))
        rate = np.mean([ev["detected"][i][1] for i in idx])
        rate_sig = np.mean([ev_sig["detected"][i][1] for i in idx])
        rate_none = np.mean([ev_none["detected"][i][1] for i in idx])
        theory = float(np.mean([lsh.s_curve(ev["detected"][i][0], stage._bands, stage._rows)
                                * (ev["detected"][i][0] >= stage.threshold) for i in idx]))
        theory_none = float(np.mean([lsh.s_curve(ev["detected"][i][0], none_stage._bands, none_stage._rows)
                                     for i in idx]))
        brow.append([f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}", len(idx), f"{mid:.3f}",
                     f"{rate:.3f}", f"{theory:.3f}", f"{rate_sig:.3f}", f"{rate_none:.3f}", f"{theory_none:.3f}"])
    print_table("detection rate by true Jaccard (pairs), measured vs theoretical",
                ["true J bucket", "pairs", "mean J", "default", "theory (S-curve x [J>=0.8])",
                 "verify: signature", "verify: none", "theory 9x13 S-curve"], brow)


# ------------------------------------------------------------------------------ end to end
def end_to_end(run: Callable[[list[dict[str, Any]], int], set[str]], n_docs: int = 100_000,
               workers: tuple[int, ...] = (1, 2)) -> list[list[Any]]:
    """End-to-end dedup through a runner: ``run(docs, workers) -> removed ids``.

    The callable runs ``[exact_dedup, minhash_dedup]`` (e.g. writes ``docs`` as JSONL, calls the
    runner with ``workers``, reads the rejected ids back). Returns table rows and checks that
    every worker count removes exactly the same ids.
    """
    n_pairs = n_docs // 2
    rng = random.Random(7)
    originals = synth.documents(n_pairs, seed=8, size=3000)
    docs = [{"id": f"o{i}", "text": t} for i, t in enumerate(originals)]
    docs += [{"id": f"v{i}", "text": make_variant(rng, t)[0]} for i, t in enumerate(originals)]
    rows = []
    first: set[str] | None = None
    for w in workers:
        t0 = time.perf_counter()
        removed = run(docs, w)
        dt = time.perf_counter() - t0
        same = first is None or removed == first
        first = removed if first is None else first
        rows.append([w, len(docs), dt, len(docs) / dt, len(removed), "yes" if same else "NO"])
    return rows


# -------------------------------------------------------------------------- vs datatrove
DT_VENV = _realtext.CACHE / "dt-venv"
#: Our settings matching datatrove's ``MinhashConfig()`` (5-gram words, 14 buckets x 8 hashes,
#: numbers normalised, no verification of candidate pairs, no index written).
MATCHING = {"ngram_size": 5, "bands": 14, "rows": 8, "num_perm": 112, "digits": "zero", "verify": "none",
            "write_index": False}


def real_dedup_corpus(folder: Path, quick: bool, dup_every: int = 10, seed: int = 3) -> tuple[int, int, float]:
    """``folder/corpus.parquet`` (``id``, ``text``): the real documents (every 4th with ``quick``),
    then a near-duplicate of every ``dup_every``-th one (1 % of its words replaced, one line
    dropped), ids ``dup-<id>``. Returns (documents, planted copies, MB of text)."""
    real = _realtext.build()
    if quick:
        real = real.take(list(range(0, real.num_rows, 4)))
    ids = real.column("id").to_pylist()
    texts = real.column("text").to_pylist()
    rng = random.Random(seed)
    vocab = ["alpha", "quartz", "violet", "nimbus", "ember", "cobalt", "saffron", "tundra", "zephyr"]
    dup_ids, dup_texts = [], []
    for i in range(0, len(texts), dup_every):
        lines = texts[i].split("\n")
        if len(lines) > 2:
            del lines[rng.randrange(len(lines))]
        words = "\n".join(lines).split(" ")
        words = [rng.choice(vocab) if rng.random() < 0.01 else w for w in words]
        dup_ids.append(f"dup-{ids[i]}")
        dup_texts.append(" ".join(words))
    folder.mkdir(parents=True, exist_ok=True)
    all_texts = texts + dup_texts
    pq.write_table(pa.table({"id": ids + dup_ids, "text": all_texts}), folder / "corpus.parquet")
    return len(all_texts), len(dup_texts), sum(len(t.encode("utf-8")) for t in all_texts) / 1e6


def _ours(corpus: Path, work: Path) -> tuple[Measured, set[str]]:
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "minhash.yaml"
    cfg.write_text("input: unused\noutput: unused\nreport: false\nstages:\n  - minhash_dedup: "
                   + json.dumps(MATCHING) + "\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = work / "out"
    m = run_measured([sys.executable, "-m", "corpusclean.cli", "run", str(cfg), "--input", str(corpus),
                      "--output", str(out), "--workers", "1", "--quiet", "--overwrite"], env)
    if m.returncode:
        raise RuntimeError(f"corpusclean run failed: {m.stderr.strip()[-400:]}")
    removed: set[str] = set()
    for part in out.glob("0*_minhash_dedup/rejected/part-*.parquet"):
        removed.update(pq.read_table(part, columns=["id"]).column("id").to_pylist())
    return m, removed


def _theirs(corpus_folder: Path, work: Path, whitespace: bool) -> tuple[Measured, set[str], dict[str, Any]] | None:
    py = DT_VENV / "bin" / "python"
    if not py.exists():
        print(f"(datatrove's benchmark virtualenv {DT_VENV} is missing: run `scripts/bench.py --only quality` "
              "once to create it; its rows are skipped)")
        return None
    probe = subprocess.run([str(py), "-c", "import tokenizers, xxhash; assert xxhash.VERSION < '4'"],
                           capture_output=True)
    if probe.returncode:  # datatrove.pipeline.dedup imports tokenizers; MinhashConfig hashes with xxhash
        # (datatrove's "processing" extra pins xxhash<4: 4.x refuses str input)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "tokenizers", "xxhash<4"], capture_output=True)
    script = Path(__file__).with_name("_datatrove_minhash.py")
    m = run_measured([str(py), str(script), str(corpus_folder), str(work)]
                     + (["--whitespace"] if whitespace else []), dict(os.environ))
    if m.returncode:
        print(f"(datatrove run failed: {m.stderr.strip().splitlines()[-1:]})")
        return None
    res = json.loads(m.stdout.strip().splitlines()[-1])
    return m, set(res["removed_ids"]), res["stages"]


def bench_vs_datatrove(quick: bool) -> None:
    """Our CLI vs datatrove's four stages on the same real documents; prints the table and ratios."""
    with tempfile.TemporaryDirectory(prefix="cc-dedup-vs-dt-") as tmp:
        folder = Path(tmp) / "corpus"
        n, planted, mb = real_dedup_corpus(folder, quick)
        runs: list[tuple[str, Measured, set[str]]] = []
        m, ours = _ours(folder / "corpus.parquet", Path(tmp) / "ours")
        runs.append(("corpusclean run (minhash_dedup, 1 worker)", m, ours))
        stage_times: dict[str, dict[str, Any]] = {}
        for label, ws in (("datatrove 4 stages (spaCy words, as shipped)", False),
                          ("datatrove 4 stages (whitespace words)", True)):
            res = _theirs(folder, Path(tmp) / f"dt-{int(ws)}", ws)
            if res is not None:
                runs.append((label, res[0], res[1]))
                stage_times[label] = res[2]
    rows = [[label, n, m.wall_s, m.cpu_s, n / m.wall_s, mb / m.wall_s, n / m.cpu_s, mb / m.cpu_s, len(removed),
             sum(r.startswith("dup-") for r in removed), f"{m.load[1]:.1f}"]
            for label, m, removed in runs]
    print_table(f"MinHash dedup, real documents: {n - planted:,} Debian documentation files + {planted:,} planted "
                f"near-duplicates ({mb:.1f} MB); 5-gram words, 14 bands x 8 rows; whole commands, fresh processes",
                ["pipeline", "docs", "wall s", "CPU s", "docs/s (wall)", "MB/s (wall)", "docs/s (CPU)",
                 "MB/s (CPU)", "removed", "planted removed", "load avg"], rows)
    for label, times in stage_times.items():
        print(f"  {label}: " + ", ".join(f"{k} {w:.1f} s wall / {c:.1f} s CPU" for k, (w, c) in times.items()))
    label0, m0, ours = runs[0]
    for label, m, theirs in runs[1:]:
        both = len(ours & theirs)
        print(f"ours vs {label}: {m.wall_s / m0.wall_s:.1f} x (wall), {m.cpu_s / m0.cpu_s:.1f} x (CPU) "
              f"(target >= 30 x); removed: ours {len(ours):,}, datatrove {len(theirs):,}, both {both:,}, "
              f"only ours {len(ours - theirs):,}, only datatrove {len(theirs - ours):,}")


def run(args: Any) -> None:
    quick = getattr(args, "quick", False)
    bench_vs_datatrove(quick)
    n_sig = 3_000 if quick else 20_000
    print_table("MinHash signatures (one process)",
                ["shingles", "docs", "avg chars", "signatures docs/s", "scan() docs/s"],
                bench_signatures(n_sig))
    n_cluster = 100_000 if quick else 1_000_000
    print_table("clustering (reduce) on generated band keys, fresh subprocess",
                ["input", "generate s", "reduce s", "peak RSS MiB", "candidate pairs", "clusters",
                 "removed"], bench_clustering(n_cluster))
    bench_accuracy(1_000 if quick else 4_000)
    n_e2e = 10_000 if quick else 100_000
    print_table(f"end-to-end exact + MinHash dedup through the runner ({n_e2e:,} docs of ~3 KB)",
                ["workers", "docs", "seconds", "docs/s", "removed", "same ids as 1 worker"],
                end_to_end(run_through_runner, n_e2e))


def run_through_runner(docs: list[dict[str, Any]], workers: int) -> set[str]:
    """Write ``docs`` as JSONL, run [exact_dedup, minhash_dedup] with ``workers``, return removed ids."""
    import json
    import shutil
    import tempfile
    from pathlib import Path

    import pyarrow.parquet as pq

    from corpusclean.config import parse_config
    from corpusclean.runner import run as run_pipeline

    tmp = Path(tempfile.mkdtemp(prefix="cc-dedup-e2e-"))
    try:
        with open(tmp / "docs.jsonl", "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
        cfg = parse_config({"input": str(tmp / "docs.jsonl"), "output": str(tmp / "out"), "workers": workers,
                            "stages": [{"exact_dedup": {}}, {"minhash_dedup": {}}]})
        run_pipeline(cfg, progress=False)
        removed: set[str] = set()
        for part in (tmp / "out").glob("0[12]_*/rejected/part-*.parquet"):
            removed.update(pq.read_table(part, columns=["id"]).column("id").to_pylist())
        return removed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
