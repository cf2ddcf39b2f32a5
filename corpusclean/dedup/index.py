"""Signature indexes: a run's kept documents, stored so a later ``minhash_dedup`` run can remove
near-duplicates of them (``against:``). Opt-in (``write_index: true``); see ``docs/dedup.md``.

Layout of an index folder (``<state>/index/``):

* ``meta.json`` — :data:`INDEX_FORMAT`, :data:`INDEX_VERSION`, the hash version and every
  setting that must match for signatures to be comparable (``num_perm``, ``seed``, ``bands``,
  ``rows``, ``ngram_size``, ``shingle``, ``digits``), plus ``docs``, ``has_shingles`` and
  ``parts`` (the part files, in corpus order);
* ``docs/<shard>.parquet`` — one part per scan file: the scan columns of that shard's kept
  documents that have a signature: ``id``, ``length``, ``n_shingles``, ``sig`` (fixed-size list
  of uint32), ``b0..b{bands-1}`` (uint64 band keys) and, when built with ``verify: exact``,
  ``shingles``, stored as each document's *distinct* shingle hashes in ascending order (what
  exact verification compares; sorted values also compress better).

Each part is written by one ``pmap`` task (:func:`index_part`) that reads one scan file and the
same shard's ``minhash_dedup`` state (which of its documents were removed), so neither a task
nor the driver holds more than one shard, whatever the corpus size. Parts are written atomically
(:mod:`corpusclean.io.files`) and ``meta.json`` last, so a folder with ``meta.json`` is complete.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.dedup.scan_files import shard_of
from corpusclean.io.files import atomic_write_text
from corpusclean.io.storage import AnyPath
from corpusclean.output.writer import read_parquet, write_parquet

__all__ = ["INDEX_FORMAT", "INDEX_VERSION", "distinct_sorted", "index_files", "index_part", "open_index",
           "write_index"]

INDEX_FORMAT = "corpusclean-minhash-index"
#: 2: one part per shard under ``docs/``, distinct sorted shingles (1: one ``docs.parquet``).
INDEX_VERSION = 2


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
                         "(no meta.json there or in its index/ folder); run the earlier one with "
                         "write_index: true")
    meta = json.loads(meta_file.read_text())
    bad = [f"{k}={meta.get(k)!r} (this stage: {v!r})" for k, v in expected.items() if meta.get(k) != v]
    if bad:
        raise ValueError(f"minhash_dedup.against: index {path_str!r} was built with other settings: "
                         + ", ".join(bad))
    if need_shingles and not meta.get("has_shingles"):
        raise ValueError(f"minhash_dedup.against: index {path_str!r} has no shingle sets; "
                         "use verify: signature with it")
    return path, meta


def index_files(path: Path, meta: dict[str, Any]) -> list[Path]:
    """The part files of an opened index, in corpus order."""
    return [path / "docs" / name for name in meta.get("parts", [])]


def distinct_sorted(shingles: pa.Array) -> pa.LargeListArray:
    """Each list's distinct values in ascending order (a large list of the same value type).

    One sort over the whole column (by list, then value), not one per document.
    """
    arr = shingles.combine_chunks() if isinstance(shingles, pa.ChunkedArray) else shingles
    offs = arr.offsets.to_numpy().astype(np.int64)
    vals = arr.values.to_numpy()[offs[0]:offs[-1]] if len(arr) else np.empty(0, np.uint32)
    offs = offs - offs[0]
    owner = np.repeat(np.arange(len(arr), dtype=np.int64), np.diff(offs))
    order = np.lexsort((vals, owner))
    v, o = vals[order], owner[order]
    keep = np.ones(v.size, bool)
    if v.size:
        keep[1:] = (v[1:] != v[:-1]) | (o[1:] != o[:-1])
    counts = np.bincount(o[keep], minlength=len(arr))
    new_offs = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return pa.LargeListArray.from_arrays(pa.array(new_offs), pa.array(v[keep], arr.type.value_type))


def index_part(scan_files: list[AnyPath], state_folder: Path, index_dir: Path, f: int) -> int:
    """One index task: scan file ``f``'s kept rows with shingles as ``index_dir/docs/<shard>.parquet``.

    The removed rows are the shard's ``minhash_dedup`` state rows with a ``duplicate_of``
    (``state_folder/<shard>.parquet``). Returns the rows written. Memory: one scan file.
    """
    shard = shard_of(scan_files[f])
    state = read_parquet(state_folder / f"{shard}.parquet", columns=["id", "duplicate_of"])
    removed = state.filter(pc.is_valid(state.column("duplicate_of"))).column("id").combine_chunks()
    t = read_parquet(scan_files[f])
    keep = pc.and_(pc.invert(pc.is_in(t.column("id"), value_set=removed)), pc.greater(t.column("n_shingles"), 0))
    t = t.filter(keep)
    if "shingles" in t.column_names:
        i = t.column_names.index("shingles")
        t = t.set_column(i, "shingles", distinct_sorted(t.column("shingles")))
    write_parquet(t, index_dir / "docs" / f"{shard}.parquet")
    return t.num_rows


def write_index(scan_files: list[AnyPath], state_folder: Path, index_dir: Path, meta: dict[str, Any],
                pmap: Callable[..., Iterable[Any]] = map) -> int:
    """Write the index of this run's kept documents, one :func:`index_part` task per scan file;
    return its rows. Nothing is written when there are no scan files."""
    if not scan_files:
        return 0
    task = functools.partial(index_part, list(scan_files), state_folder, index_dir)
    rows = sum(pmap(task, range(len(scan_files))))
    parts = [f"{shard_of(p)}.parquet" for p in scan_files]
    atomic_write_text(index_dir / "meta.json",
                      json.dumps(dict(meta, docs=int(rows), parts=parts), indent=2, sort_keys=True))
    return int(rows)
