"""Signature indexes: a run's kept documents, stored so a later ``minhash_dedup`` run can remove
near-duplicates of them (``against:``).

Layout of an index folder (``<state>/index/``):

* ``meta.json`` — :data:`INDEX_FORMAT`, :data:`INDEX_VERSION`, the hash version and every
  setting that must match for signatures to be comparable (``num_perm``, ``seed``, ``bands``,
  ``rows``, ``ngram_size``, ``shingle``, ``digits``), plus ``docs`` and ``has_shingles``;
* ``docs.parquet`` — the scan columns of the kept documents that have a signature: ``id``,
  ``length``, ``n_shingles``, ``sig`` (fixed-size list of uint32), ``b0..b{bands-1}`` (uint64
  band keys) and, when built with ``verify: exact``, ``shingles``.

Both files are written atomically (:mod:`corpusclean.io.files`), ``docs.parquet`` first, so a
folder with ``meta.json`` is always complete.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpusclean.io.files import atomic_output, atomic_write_text
from corpusclean.io.storage import AnyPath
from corpusclean.output.writer import read_parquet

__all__ = ["INDEX_FORMAT", "INDEX_VERSION", "open_index", "write_index"]

INDEX_FORMAT = "corpusclean-minhash-index"
INDEX_VERSION = 1


def open_index(path_str: str, expected: dict[str, Any], need_shingles: bool) -> tuple[Path, dict[str, Any]]:
    """The index folder named by ``path_str`` (itself or its ``index/`` subfolder) and its meta.

    Raises ValueError (worded for ``minhash_dedup.against``) when there is no index there, when
    it was built with settings other than ``expected``, or when ``need_shingles`` and it has none.
    """
    path = Path(path_str)
    if (path / "index" / "meta.json").exists():
        path = path / "index"
    meta_file = path / "meta.json"
    if not meta_file.exists():
        raise ValueError(f"minhash_dedup.against: {path_str!r} is not a signature index "
                         "(no meta.json there or in its index/ folder)")
    meta = json.loads(meta_file.read_text())
    bad = [f"{k}={meta.get(k)!r} (this stage: {v!r})" for k, v in expected.items() if meta.get(k) != v]
    if bad:
        raise ValueError(f"minhash_dedup.against: index {path_str!r} was built with other settings: "
                         + ", ".join(bad))
    if need_shingles and not meta.get("has_shingles"):
        raise ValueError(f"minhash_dedup.against: index {path_str!r} has no shingle sets; "
                         "use verify: signature with it")
    return path, meta


def write_index(scan_files: list[AnyPath], removed_ids: pa.Array, index_dir: Path,
                meta: dict[str, Any]) -> int:
    """Write the scan rows not in ``removed_ids`` that have shingles as an index; return its rows.

    Nothing is written when there are no scan files.
    """
    if not scan_files:
        return 0
    rows = 0
    with atomic_output(index_dir / "docs.parquet") as sink:
        writer: pq.ParquetWriter | None = None
        for path in scan_files:
            t = read_parquet(path)  # local, or read where it is on an object store
            keep = pc.and_(pc.invert(pc.is_in(t.column("id"), value_set=removed_ids)),
                           pc.greater(t.column("n_shingles"), 0))
            t = t.filter(keep)
            if writer is None:
                writer = pq.ParquetWriter(sink, t.schema)
            writer.write_table(t)
            rows += t.num_rows
        assert writer is not None
        writer.close()
    atomic_write_text(index_dir / "meta.json", json.dumps(dict(meta, docs=rows), indent=2, sort_keys=True))
    return rows
