"""Run datatrove's four-stage MinHash dedup over a Parquet text corpus, one worker; print JSON.

Runs inside the separate benchmark virtualenv that has datatrove (never a dependency of
corpusclean): ``python _datatrove_minhash.py CORPUS_FOLDER WORK_FOLDER [--whitespace]``.
``CORPUS_FOLDER`` holds Parquet files with ``id`` and ``text``. The stages are datatrove's own
example pipeline (``examples/minhash_deduplication.py``) with ``MinhashConfig()`` defaults
(5-gram words, 14 buckets x 8 hashes, 64-bit xxhash): 1 signatures (one task), 2 buckets (one
task per bucket, as datatrove requires), 3 clusters, 4 filter (reads the corpus again, writes
the kept documents as Parquet and the removed ones through a Parquet exclusion writer), each with a
``LocalPipelineExecutor`` of one worker (in this process). ``--whitespace`` replaces the spaCy
word tokenizer (datatrove's English default) by ``str.split``.

Prints ``{"docs", "chars", "removed_ids", "stages": {name: [wall_s, cpu_s]}}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import (
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter


def main() -> None:
    corpus, work = sys.argv[1], Path(sys.argv[2])
    config = MinhashConfig()
    sig = MinhashDedupSignature(output_folder=str(work / "signatures"), config=config, language="en")
    if "--whitespace" in sys.argv:
        class _Split:
            def word_tokenize(self, text: str, *a: object, **k: object) -> list[str]:
                return text.split()

        sig.word_tokenizer = _Split()  # type: ignore[assignment]

    def reader() -> ParquetReader:
        return ParquetReader(corpus, glob_pattern="*.parquet", text_key="text", id_key="id")

    stages = [
        ("1 signatures", LocalPipelineExecutor([reader(), sig], tasks=1, workers=1,
                                               logging_dir=str(work / "logs" / "1"))),
        ("2 buckets", LocalPipelineExecutor(
            [MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"),
                                 config=config)],
            tasks=config.num_buckets, workers=1, logging_dir=str(work / "logs" / "2"))),
        ("3 clusters", LocalPipelineExecutor(
            [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"),
                                 config=config)],
            tasks=1, workers=1, logging_dir=str(work / "logs" / "3"))),
        ("4 filter", LocalPipelineExecutor(
            [reader(), MinhashDedupFilter(input_folder=str(work / "remove_ids"),
                                          exclusion_writer=ParquetWriter(str(work / "removed"))),
             ParquetWriter(output_folder=str(work / "deduplicated"))],
            tasks=1, workers=1, logging_dir=str(work / "logs" / "4"))),
    ]
    times = {}
    for name, ex in stages:
        w0, c0 = time.perf_counter(), time.process_time()
        ex.run()
        times[name] = [time.perf_counter() - w0, time.process_time() - c0]
    removed = [i for f in sorted((work / "removed").glob("*.parquet"))
               for i in pq.read_table(f, columns=["id"]).column("id").to_pylist()]
    texts = [t for f in sorted(Path(corpus).glob("*.parquet"))
             for t in pq.read_table(f, columns=["text"]).column("text").to_pylist()]
    print(json.dumps({"docs": len(texts), "chars": sum(map(len, texts)), "removed_ids": removed, "stages": times}))


if __name__ == "__main__":
    main()
