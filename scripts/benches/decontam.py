"""decontaminate: index build time and memory, and scan speed with 1 and 20 test sets loaded.

Test sets are synthetic question/answer records (``corpusclean.testing.synth`` sentences, 5 to 60 words,
so some are shorter than n and indexed whole), written as JSONL; documents are ~3 KB synthetic
English with 1% of them carrying a planted test item. Targets (issue 8): scan >= 5,000 docs/s per
core, independent of the number of test sets.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from benches._common import peak_rss_mb, print_table, timed
from corpusclean.document import from_dicts
from corpusclean.stages.base import get_stage_class
from corpusclean.testing.synth import documents, sentence
from corpusclean.text import normalize_for_ngrams


def _write_set(path: Path, n_items: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    questions = []
    with open(path, "w") as fh:
        for i in range(n_items):
            q = " ".join(sentence(rng, 5, 20) for _ in range(rng.randint(1, 3)))
            a = sentence(rng, 2, 12)
            questions.append(q)
            fh.write(json.dumps({"id": f"q{i}", "question": q, "answer": a}) + "\n")
    return questions


def _stage(files: list[Path], mode: str = "document", cache: str = "") -> Any:
    cls = get_stage_class("decontaminate")
    sets = [{"name": f.stem, "path": str(f), "fields": ["question", "answer"]} for f in files]
    return cls(test_sets=sets, mode=mode, cache_dir=cache)


def _python_baseline(texts: list[str], questions: list[str], n: int = 13) -> float:
    """The obvious implementation: normalize_for_ngrams + a Python set of 13-gram tuples."""
    grams = {tuple(t[i:i + n]) for q in questions for t in [normalize_for_ngrams(q)] for i in range(len(t) - n + 1)}
    t0 = time.perf_counter()
    for text in texts:
        toks = normalize_for_ngrams(text)
        any(tuple(toks[i:i + n]) in grams for i in range(len(toks) - n + 1))
    return len(texts) / (time.perf_counter() - t0)


def run(args: Any) -> None:
    n_items = 20_000 if args.quick else 100_000
    n_docs = 2_000 if args.quick else 10_000
    per_set = n_items // 20
    with tempfile.TemporaryDirectory(prefix="corpusclean-bench-decontam-") as tmp:
        root = Path(tmp)
        small_files = []
        small_q: list[str] = []
        for s in range(20):
            f = root / f"set{s:02d}.jsonl"
            small_q += _write_set(f, per_set, 100 + s)
            small_files.append(f)
        big = root / "all.jsonl"  # the same items as one test set
        big.write_text("".join(f.read_text() for f in small_files))

        # --- index build (no cache), memory
        rows = []
        _stage([big]).setup()  # warm imports (pyarrow pulls in pandas on first use)
        stage = _stage([big])
        secs, _ = timed(stage.setup)
        tracemalloc.start()  # slows the build down, so measured apart from the timing
        _stage([big]).setup()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        meta = stage.index.meta
        rows.append([f"{n_items:,} items, 1 set", secs, meta["ngrams"], stage.index.nbytes() / 2**20,
                     peak / 2**20, meta["texts_indexed_whole"], meta["texts_too_short"]])
        cached = _stage([big], cache=str(root / "cache"))
        cached.setup()  # builds and writes the cache
        again = _stage([big], cache=str(root / "cache"))
        secs_cached, _ = timed(again.setup)
        rows.append(["same, from the disk cache", secs_cached, again.index.meta["ngrams"],
                     again.index.nbytes() / 2**20, float("nan"), "", ""])
        print_table("decontaminate: index build", ["test set", "seconds", "n-grams", "index MiB",
                                                    "peak alloc MiB", "indexed whole", "too short"], rows)

        # --- scan speed
        rng = random.Random(7)
        texts = documents(n_docs, seed=3)
        planted = 0
        # items of set00 (so both configurations contain them) long enough to be indexed
        findable = [q for q in small_q[:per_set] if len(normalize_for_ngrams(q)) >= 8]
        for i in range(0, n_docs, 100):
            q = rng.choice(findable)
            cut = rng.randint(0, len(texts[i]))
            texts[i] = texts[i][:cut] + " " + q.upper() + " " + texts[i][cut:]
            planted += 1
        table = from_dicts([{"id": str(i), "text": t} for i, t in enumerate(texts)])
        rows = []
        for label, files in [("1 test set", small_files[:1]), ("1 test set", [big]), ("20 test sets", small_files)]:
            for mode in ("document", "span"):
                st = _stage(files, mode=mode, cache=str(root / "cache"))
                st.setup()
                if mode == "span":
                    t_scan, _ = timed(lambda st=st: st.scan(table), repeat=3)
                else:
                    t_scan = float("nan")
                t_proc, out = timed(lambda st=st: st.process(table), repeat=3)
                removed = out.rejected.num_rows + sum(1 for m, c in zip(out.kept.column("decontam_matches").to_pylist(),
                                                                       out.kept.column("decontam_chars_removed").to_pylist())
                                                      if m and c)
                rows.append([f"{label} ({st.index.meta['items']:,} items)", mode, n_docs / t_proc,
                             (n_docs / t_scan) if mode == "span" else "", f"{removed}/{planted}"])
        # Non-ASCII documents (typographic punctuation, as most real web pages have) take the
        # Python NFKC + lowercase path before the byte tokenizer.
        uni = from_dicts([{"id": str(i), "text": t.replace(", ", " — ").replace(". ", "’ ").replace("e", "é")}
                          for i, t in enumerate(texts)])
        st = _stage(small_files, cache=str(root / "cache"))
        t_uni, _ = timed(lambda: st.process(uni), repeat=3)
        rows.append(["20 test sets, every doc non-ASCII", "document", n_docs / t_uni, "", ""])
        base = _python_baseline(texts[:300], small_q[:per_set])
        rows.append(["python set baseline, 1 set", "document", base, "", ""])
        print_table(f"decontaminate: docs/s on ~3 KB documents, 1 process ({n_docs:,} docs, {planted} planted)",
                    ["index", "mode", "process docs/s", "scan docs/s", "found"], rows)
        print(f"peak RSS {peak_rss_mb():.0f} MiB")
