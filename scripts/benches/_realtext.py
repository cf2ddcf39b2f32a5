"""A real-text corpus for the quality-filter benchmarks: Debian documentation packages.

Fetched at benchmark time with ``apt-get download`` into ``~/.cache/corpusclean-bench`` (never
committed: several are GPL) and turned into one document per file:

* plain text: the reStructuredText sources of the Python 3.11 and Debian Policy manuals
  (``_sources/*.rst.txt``) and git's ``*.txt`` manuals;
* man pages (``manpages``, ``manpages-dev``) rendered to text by ``groff -man -Tutf8``;
* Perl's ``*.pod`` manuals rendered by ``pod2text``;
* HTML manuals (Python, PostgreSQL 15, Debian Reference) through the project's ``extract`` stage.

The result is cached as ``quality_text.parquet`` (columns ``id``, ``text``, ``source``).
"""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CACHE = Path.home() / ".cache" / "corpusclean-bench"
PACKAGES = ["python3.11-doc", "debian-policy", "git-doc", "manpages", "manpages-dev", "perl-doc",
            "postgresql-doc-15", "debian-reference-en"]
CORPUS = CACHE / "quality_text.parquet"


def _fetch(root: Path) -> None:
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    have = {p.name.split("_")[0] for p in debs.glob("*.deb")}
    missing = [p for p in PACKAGES if p not in have]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True, capture_output=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)


def _render(cmd: list[str], data: bytes) -> str:
    res = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
    return res.stdout.decode("utf-8", "replace")


def build() -> pa.Table:
    """Build (or read from the cache) the corpus; one row per documentation file."""
    if CORPUS.exists():
        return pq.read_table(CORPUS)
    root = CACHE / "x"
    _fetch(root)
    docs: list[dict[str, str]] = []
    share = root / "usr" / "share"
    for p in sorted(share.rglob("*.txt")):
        if p.is_file() and "/doc/" in str(p) and p.stat().st_size > 200:
            docs.append({"id": str(p.relative_to(root)), "text": p.read_text("utf-8", "replace"), "source": "txt"})
    for p in sorted((share / "man").rglob("*.gz")):
        raw = gzip.decompress(p.read_bytes())
        if raw.startswith(b".so ") or len(raw) < 300:
            continue  # a link to another page
        text = _render(["groff", "-man", "-Tutf8", "-P", "-cbou"], raw)
        docs.append({"id": str(p.relative_to(root)), "text": text, "source": "man"})
    for p in sorted(share.rglob("*.pod")):
        text = _render(["pod2text"], p.read_bytes())
        docs.append({"id": str(p.relative_to(root)), "text": text, "source": "pod"})
    html_paths = [p for p in sorted(share.rglob("*.html"))
                  if p.is_file() and "/git-doc/" not in str(p) and "/_static/" not in str(p)]  # git's HTML = its .txt
    docs += _extract(root, html_paths)
    docs = [d for d in docs if d["text"].strip()]
    table = pa.Table.from_pylist(docs, pa.schema([("id", pa.string()), ("text", pa.string()),
                                                  ("source", pa.string())]))
    CORPUS.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, CORPUS)
    return table


def _extract(root: Path, paths: list[Path]) -> list[dict[str, str]]:
    from corpusclean.document import from_dicts
    from corpusclean.stages.base import get_stage_class

    stage = get_stage_class("extract")()
    stage.setup()
    out: list[dict[str, str]] = []
    for i in range(0, len(paths), 200):
        chunk = paths[i:i + 200]
        table = from_dicts([{"id": str(p.relative_to(root)), "html": p.read_text("utf-8", "replace"),
                             "url": "file:///" + str(p.relative_to(root))} for p in chunk])
        res = stage.process(table)
        for row in res.kept.select(["id", "text"]).to_pylist():
            out.append({"id": row["id"], "text": row["text"] or "", "source": "html"})
    return out


if __name__ == "__main__":
    t = build()
    sizes = [len(s) for s in t.column("text").to_pylist()]
    print(t.num_rows, "docs", sum(sizes) / len(sizes) / 1000, "KB mean", sum(sizes) / 1e6, "MB")
