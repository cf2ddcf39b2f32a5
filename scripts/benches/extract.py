"""Extraction and hidden-text benchmarks: pages/s per backend, bullet retention, spam detection.

Pages are generated (``corpusclean.testing.synth.html_page``, 20-100 KB, with nav/footer and lists);
the labelled spam/normal set is ``tests/data/html/labelled.py``.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

from benches._common import print_table, timed
from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.testing.synth import html_page
from corpusclean.text import is_bullet_line, lines

ROOT = Path(__file__).resolve().parents[2]


def _labelled():
    spec = importlib.util.spec_from_file_location("labelled_pages", ROOT / "tests" / "data" / "html" / "labelled.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _pages(n: int) -> list[dict]:
    rng = random.Random(7)
    return [{"id": str(i), "url": f"https://site{i % 17}.example.com/p/{i}",
             "html": html_page(rng, size=rng.randint(20_000, 100_000))} for i in range(n)]


def run(args) -> None:
    n = 60 if args.quick else 300
    docs = _pages(n)
    mb = sum(len(d["html"]) for d in docs) / 1e6
    Extract = get_stage_class("extract")
    Hidden = get_stage_class("hidden_text")
    from resiliparse.extract.html2text import extract_plain_text

    configs = [
        ("hidden_text", [Hidden()]),
        ("extract (resiliparse, the default)", [Extract()]),
        ("extract (trafilatura)", [Extract(backend="trafilatura")]),
        ("extract (trafilatura, fast=true)", [Extract(backend="trafilatura", fast=True)]),
        ("hidden_text + extract (resiliparse)", [Hidden(), Extract()]),
        ("hidden_text + extract (trafilatura)", [Hidden(), Extract(backend="trafilatura")]),
    ]
    rows = []
    secs: dict[str, float] = {}
    for name, stages in configs:
        pipe = Pipeline(stages)
        pipe.setup()
        pipe.apply(docs[:5], setup=False)  # warm-up: first-call imports and caches are not the stage's cost
        t, res = timed(lambda p=pipe: p.apply(docs, setup=False))
        secs[name] = t
        rows.append([name, n, round(mb, 1), t, n / t, res.kept.num_rows])
    print_table(f"extract / hidden_text speed ({n} generated pages, 20-100 KB, one process)",
                ["stages", "pages", "MB", "seconds", "pages/s", "kept"], rows)
    print(f"hidden_text costs {secs['hidden_text'] / secs['extract (trafilatura)']:.0%} of trafilatura extraction")
    print(f"hidden_text costs {secs['hidden_text'] / secs['extract (resiliparse, the default)']:.0%} of resiliparse "
          "extraction")

    # bullet retention: share of <li> items that come out as bullet lines, same pages, each backend
    li_total = sum(d["html"].count("<li>") - d["html"].count('<li><a href="/') for d in docs[:50])
    ret = []
    backends = [("resiliparse (ours, the default)", Extract()), ("trafilatura", Extract(backend="trafilatura"))]
    for name, stage in backends:
        stage.setup()
        bullets = sum(sum(is_bullet_line(x) for x in lines(stage.extract_text(d["html"], d["url"]))) for d in docs[:50])
        ret.append([name, li_total, bullets, bullets / li_total])
    raw = sum(sum(is_bullet_line(x.strip()) for x in extract_plain_text(d["html"], main_content=True).split("\n"))
              for d in docs[:50])
    ret.append(["resiliparse main_content=True (raw)", li_total, raw, raw / li_total])
    print_table("list items kept as bullet lines (50 pages; menu items excluded from the count)",
                ["backend", "article <li>", "bullet lines", "ratio"], ret)

    lab = _labelled()
    spam = lab.spam_pages()
    normal = lab.normal_pages()
    stage = Hidden()
    res_s = Pipeline([stage]).apply([{"id": str(i), "url": lab.URL, "html": h} for i, (_, h) in enumerate(spam)])
    res_n = Pipeline([stage]).apply([{"id": str(i), "url": lab.URL, "html": h} for i, (_, h) in enumerate(normal)])
    forms = sorted({f for f, _ in spam})
    caught_ids = {int(d["id"]) for d in res_s.rejected_docs}
    missed = sorted({spam[i][0] for i in range(len(spam)) if i not in caught_ids})
    print_table("hidden_text on the labelled set (tests/data/html/labelled.py)",
                ["set", "pages", "flagged", "rate"],
                [["spam (" + str(len(forms)) + " forms)", len(spam), res_s.rejected.num_rows,
                  res_s.rejected.num_rows / len(spam)],
                 ["normal (menus, modals, sr-only, ...)", len(normal), res_n.rejected.num_rows,
                  res_n.rejected.num_rows / len(normal)]])
    if missed:
        print("missed forms:", ", ".join(missed))
    by_reason: dict[str, int] = {}
    for d in res_s.rejected_docs:
        by_reason[d["reason"]] = by_reason.get(d["reason"], 0) + 1
    print("spam reasons:", ", ".join(f"{k}={v}" for k, v in sorted(by_reason.items())))
    sig_s = [d["hidden_spam_words"] for d in res_s.rejected_docs if d["reason"].startswith("hidden_text.hidden")]
    normal_rows = res_n.kept.to_pylist() + res_n.rejected_docs
    print(f"suspicious hidden words: spam pages min {min(sig_s)}, normal pages max "
          f"{max(r['hidden_spam_words'] for r in normal_rows)}; keyword_run normal max "
          f"{max(r['keyword_run'] for r in normal_rows)}; top_term_share normal max "
          f"{max(r['top_term_share'] for r in normal_rows):.3f}; all hidden words on normal pages max "
          f"{max(r['hidden_words'] for r in normal_rows)}")
