"""Safety stages: url_filter with the full UT1 list (load time, memory, URLs/s) and
explicit_text / classifier docs/s on ~3 KB documents.

The full UT1 list is read from the datatrove wheel (Apache-2.0), which is not a dependency:
``pip download --no-deps datatrove -d /tmp/dt`` first, or set ``CORPUSCLEAN_UT1`` to the wheel
or to its ``url_filterblacklistsv0_3_0.tar.gz``. Without it the full-list rows are skipped.
"""

from __future__ import annotations

import glob
import os
import random
import sys
from pathlib import Path

import pyarrow as pa

from benches._common import peak_rss_mb, print_table, timed
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth


def _ut1_path() -> str | None:
    env = os.environ.get("CORPUSCLEAN_UT1")
    if env and Path(env).exists():
        return env
    found = sorted(glob.glob("/tmp/dt/datatrove-*.whl"))
    return found[-1] if found else None


def _urls(n: int, seed: int = 0) -> list[str]:
    """Crawl-like URLs: mixed hosts, subdomains, www., ports, queries; ~1% adult hosts."""
    rng = random.Random(seed)
    words = ("news blog article index page about contact products category item view story sport "
             "travel recipes forum shop wiki docs").split()
    tlds = ["com", "org", "net", "de", "co.uk", "fr", "io"]
    adult = ["pornhub.com", "xvideos.com", "xhamster.com", "0-1avsex.com"]
    out = []
    for _ in range(n):
        if rng.random() < 0.01:
            host = rng.choice(adult)
        else:
            host = f"{rng.choice(words)}{rng.randint(0, 99999)}.{rng.choice(tlds)}"
        sub = rng.choice(["", "www.", "m.", "blog."])
        port = ":8080" if rng.random() < 0.02 else ""
        out.append(f"https://{sub}{host}{port}/{rng.choice(words)}/{rng.choice(words)}-"
                   f"{rng.randint(0, 10**6)}.html?id={rng.randint(0, 999)}")
    return out


def run(args) -> None:
    n_urls = 20_000 if args.quick else 100_000
    n_docs = 1_000 if args.quick else 5_000
    URLFilter = get_stage_class("url_filter")
    rows = []
    table = pa.table({"id": [str(i) for i in range(n_urls)], "url": _urls(n_urls)})
    configs = [("default lists (80 domains)", ["@default"])]
    ut1 = _ut1_path()
    if ut1:
        configs.append(("full UT1 (datatrove wheel)", ["@default", ut1]))
    for label, lists in configs:
        stage = URLFilter(domain_lists=lists)
        rss0 = peak_rss_mb()
        load_s, _ = timed(stage.setup)
        rss = peak_rss_mb() - rss0
        # one shard at a time, as the runner does (10,000 docs)
        shards = [table.slice(i, 10_000) for i in range(0, n_urls, 10_000)]
        secs, outs = timed(lambda st=stage, sh=shards: [st.process(s) for s in sh], repeat=2)
        rejected = sum(o.rejected.num_rows for o in outs)
        rows.append([label, stage.domain_count, load_s, stage._domains.nbytes / 2**20, rss,
                     n_urls / secs, rejected])
    print_table("url_filter (1 core, 10k-URL shards)",
                ["lists", "domains", "load s", "index MiB", "peak RSS +MiB", "URLs/s", "rejected"], rows)
    if not ut1:
        print("  full UT1 row skipped: no datatrove wheel found (pip download --no-deps datatrove -d /tmp/dt, "
              "or set CORPUSCLEAN_UT1)", file=sys.stdout)

    texts = synth.documents(n_docs, seed=3, size=3000)
    rng = random.Random(1)
    for i in rng.sample(range(n_docs), n_docs // 100):  # 1% explicit documents
        texts[i] = "fuck porn sluts " * 20 + texts[i]
    docs = pa.table({"id": [str(i) for i in range(n_docs)], "text": texts})
    stage = get_stage_class("explicit_text")()
    stage.setup()
    secs, out = timed(lambda: stage.process(docs), repeat=2)
    rows2 = [["explicit_text (en list, RE2 pre-filter + Aho-Corasick)", n_docs / secs, out.rejected.num_rows]]
    model = Path(__file__).resolve().parents[2] / "tests" / "data" / "safety" / "tiny_toxic.bin"
    if model.exists():
        clf = get_stage_class("classifier")(model_path=str(model), label="toxic")
        clf.setup()
        secs, out = timed(lambda: clf.process(docs), repeat=1)
        rows2.append(["classifier (document level, tiny test model)", n_docs / secs, out.rejected.num_rows])
        clf = get_stage_class("classifier")(model_path=str(model), label="toxic", level="line",
                                            action="remove_lines")
        clf.setup()
        secs, out = timed(lambda: clf.process(docs), repeat=1)
        rows2.append(["classifier (line level, remove_lines)", n_docs / secs, out.rejected.num_rows])
    print_table(f"text safety stages on ~3 KB documents ({n_docs} docs, 1 core)",
                ["stage", "docs/s", "rejected"], rows2)
