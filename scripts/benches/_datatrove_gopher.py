"""Run datatrove's Gopher quality + repetition filters over a Parquet text corpus; print JSON.

Runs inside a separate virtualenv that has datatrove (never a dependency of corpusclean):
``python _datatrove_gopher.py CORPUS.parquet [--whitespace]``. Each document goes through the
quality filter, then, if kept, the repetition filter (as a datatrove pipeline of the two does).
``--whitespace`` replaces datatrove's spaCy word tokenizer by ``str.split`` (the same logic with
whitespace words). Prints ``{"docs", "kept", "cpu_s", "wall_s", "chars"}``.
"""

from __future__ import annotations

import json
import sys
import time

import pyarrow.parquet as pq
from datatrove.data import Document
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter


def _split(text: str, *a: object, **k: object) -> list[str]:
    return text.split()


def main() -> None:
    path = sys.argv[1]
    texts = pq.read_table(path, columns=["text"]).column("text").to_pylist()
    quality, repetition = GopherQualityFilter(), GopherRepetitionFilter()
    if "--whitespace" in sys.argv:
        import datatrove.pipeline.filters.gopher_quality_filter as gq
        import datatrove.pipeline.filters.gopher_repetition_filter as gr

        for mod in (gq, gr):
            if hasattr(mod, "split_into_words"):
                mod.split_into_words = _split  # type: ignore[attr-defined]
    # warm the tokenizer (spaCy loads lazily) outside the timing
    quality.filter(Document(text="warm up " * 60, id="w"))
    repetition.filter(Document(text="warm up " * 60, id="w"))
    kept = 0
    w0, c0 = time.perf_counter(), time.process_time()
    for i, text in enumerate(texts):
        doc = Document(text=text, id=str(i))
        v = quality.filter(doc)
        if v is True:
            v = repetition.filter(doc)
        kept += v is True
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(json.dumps({"docs": len(texts), "kept": kept, "cpu_s": cpu, "wall_s": wall,
                      "chars": sum(map(len, texts))}))


if __name__ == "__main__":
    main()
