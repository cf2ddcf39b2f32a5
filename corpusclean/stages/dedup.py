"""Corpus-wide deduplication: ``exact_dedup`` then ``minhash_dedup`` (Gopher's order).

Gopher (Rae et al. 2021, appendix A.1.1) removed exact duplicates, then near-duplicates with
MinHash on 13-gram Jaccard similarity >= 0.8. Both are :class:`GlobalStage` s:

* ``scan`` (per shard) writes a small table: ``id``, a corpus-order key is implicit (the runner
  hands ``reduce`` the scan files in shard order, rows in shard order), text length, and the
  hashes / signatures / band keys.
* ``reduce`` (once) groups: exact hashes by hash partition, MinHash band keys *band by band*
  (one Parquet column at a time), so peak memory is bounded by one band (8 bytes x documents x 3)
  plus the candidate edges, never documents x permutations. It writes the ids to remove with
  their ``duplicate_of`` / ``cluster_id`` / ``similarity`` and the cluster sizes of kept docs.
* ``process`` (per shard) matches rows to that state **by id**, never by position, so shard
  counts and worker counts cannot change the result.

``minhash_dedup``'s reduce composes the steps of :mod:`corpusclean.dedup`, one module each (as
NeMo Curator lays out its fuzzy dedup): candidates (:mod:`~corpusclean.dedup.lsh`), verification
(:mod:`~corpusclean.dedup.verify`), clusters (:mod:`~corpusclean.dedup.components`); signatures
come from :mod:`~corpusclean.dedup.minhash`, earlier runs from :mod:`~corpusclean.dedup.index`.
State files are written atomically.

Which document survives is deterministic (``keep``): ``first`` in corpus order, ``last``,
``longest`` or ``shortest`` text (ties to the first). Documentation: ``docs/dedup.md``.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from corpusclean.dedup import exact, lsh, middle
from corpusclean.dedup import minhash as mh
from corpusclean.dedup.components import STATE_SCHEMA, KeepRule
from corpusclean.dedup.index import INDEX_FORMAT, INDEX_VERSION, index_files, open_index, write_index
from corpusclean.dedup.scan_files import (
    binary16,
    read_shard_state,
    row_counts,
    row_offsets,
    shard_state_writer,
)
from corpusclean.document import with_columns
from corpusclean.stages.base import GlobalStage, StageOutput, param, register
from corpusclean.text import normalize_for_ngrams

#: Per-shard state folders (``_global/<name>/<shard key>.parquet``) and their schemas.
_EXACT_STATE = "exact_dedup"
_EXACT_SCHEMA = pa.schema({"id": pa.string(), "duplicate_of": pa.string()})
_MINHASH_STATE = "minhash_dedup"
_MINHASH_SCHEMA = STATE_SCHEMA


# ------------------------------------------------------------------------------ exact_dedup
@register("exact_dedup")
class ExactDedup(GlobalStage):
    """Removes documents whose normalised text is identical to another's (a 128-bit xxh3 hash).

    One document of each group is kept (``keep``); the others are rejected with
    ``exact_dedup.duplicate``, ``duplicate_of`` (and ``detail``) naming the kept document's id.
    """

    columns = {"duplicate_of": pa.string()}
    replay_columns = {"duplicate_of": pa.string()}
    duplicate_column = "duplicate_of"
    normalize: Literal["none", "whitespace", "lowercase_punct"] = param(
        "whitespace", "none: exact text; whitespace: runs of whitespace collapsed, ends stripped; "
        "lowercase_punct: normalize_for_ngrams tokens (NFKC, lowercase, punctuation removed)")
    keep: KeepRule = param("first", "Which copy survives: first/last in corpus order, longest/shortest text")
    partitions: int = param(64, "Hash partitions of the middle step: one parallel task each, every scan "
                                "file read once in total (raise it when one partition's hashes do not fit a task)")
    state_per_shard = True
    remote_scan_files = True
    scan_row_groups = exact.PART_COLUMN

    def _key(self, text: str | None) -> bytes:
        text = text or ""
        if self.normalize == "whitespace":
            text = " ".join(text.split())
        elif self.normalize == "lowercase_punct":
            text = " ".join(normalize_for_ngrams(text))
        return xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"))

    def __post_init__(self) -> None:
        if not 1 <= self.partitions <= 4096:
            raise ValueError(f"partitions must be between 1 and 4096, got {self.partitions}")

    def scan(self, table: pa.Table) -> pa.Table:
        """Per shard: ``id``, 16-byte ``key``, text ``length``, hash ``part`` and shard ``row``,
        ordered by partition (one row group each, :attr:`scan_row_groups`)."""
        texts = table.column("text").to_pylist()
        raw = pa.array([self._key(t) for t in texts], pa.binary(16))
        part = exact.partition_of(binary16(pa.chunked_array([raw])), self.partitions)
        order = np.argsort(part, kind="stable")
        take = pa.array(order, pa.int64())
        return pa.table({
            "id": table.column("id").cast(pa.string()).take(take),
            "key": raw.take(take),
            "length": pa.array([len(texts[i] or "") for i in order.tolist()], pa.int64()),
            exact.PART_COLUMN: pa.array(part[order], pa.uint16()),
            exact.ROW_COLUMN: pa.array(order.astype(np.int32)),
        })

    def reduce(self, scan_files: list[Path], state_dir: Path, *, pmap: Any = map) -> dict[str, Any]:
        """One task per hash partition (each reads its row group of every scan file once); the
        removed documents are written per shard (``exact_dedup/<shard>.parquet``) through a local
        work folder, so the driver holds one partition's or one group of shards' rows at a time."""
        offsets = row_offsets(scan_files)
        task = functools.partial(exact.group_partition, list(scan_files), offsets, self.keep)
        work = state_dir / "_exact_work"
        shutil.rmtree(work, ignore_errors=True)  # a killed earlier attempt: start afresh
        removed, groups = 0, 0
        try:
            for p, (rows, ids, dup_of, n_groups) in enumerate(pmap(task, range(self.partitions))):
                exact.write_removed(work / f"p{p:05d}.parquet", rows, ids, dup_of)
                removed += int(rows.size)
                groups += n_groups
            exact.write_shard_states_from(sorted(work.glob("p*.parquet")), offsets, list(scan_files),
                                          state_dir / _EXACT_STATE)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return {"docs": int(offsets[-1]), "duplicate_groups": groups, "duplicates": removed,
                "partitions": self.partitions}

    def replay(self, rows: pa.Table, rejected: np.ndarray, absent: np.ndarray) -> np.ndarray:
        """A copy stays removed while the copy it duplicates is there (still first / longest / …
        of what remains); when that one went, which copy survives is unknown."""
        gone = set(pc.filter(rows.column("id"), pa.array(absent)).to_pylist())
        dup_gone = np.array([d in gone for d in rows.column("duplicate_of").to_pylist()], bool)
        return rejected & ~absent & dup_gone

    def load_state(self, state_dir: Path, shard: str | None = None) -> None:
        t = read_shard_state(state_dir / _EXACT_STATE, shard, _EXACT_SCHEMA)
        self._ids = t.column("id").combine_chunks()
        self._dup_of = t.column("duplicate_of").combine_chunks()

    def process(self, table: pa.Table) -> StageOutput:
        self.check_input(table)
        pos = pc.index_in(table.column("id").cast(pa.string()), value_set=self._ids)
        dup_of = self._dup_of.take(pos) if len(self._ids) else pa.nulls(table.num_rows, pa.string())
        table = with_columns(table, {"duplicate_of": dup_of}, self.columns)
        verdicts = [None if d is None else ("duplicate", d) for d in dup_of.to_pylist()]
        return self.split(table, verdicts)


# ----------------------------------------------------------------------------- minhash_dedup
@register("minhash_dedup")
class MinHashDedup(GlobalStage):
    """Removes near-duplicates: MinHash signatures, LSH bands, verified edges, connected components.

    Kept documents get ``cluster_id`` (the id of their cluster's survivor; their own id when
    alone) and ``cluster_size``; removed ones are rejected with ``minhash_dedup.near_duplicate``,
    ``duplicate_of`` (the survivor's id) and ``similarity`` (estimated Jaccard with it).
    """

    columns = {"cluster_id": pa.string(), "cluster_size": pa.int64(),
               "duplicate_of": pa.string(), "similarity": pa.float64()}
    replay_columns = {"cluster_id": pa.string()}
    duplicate_column = "duplicate_of"

    threshold: float = param(0.8, "Jaccard similarity of shingle sets at or above which two docs are "
                                  "near-duplicates (Gopher: 0.8)")
    ngram_size: int = param(13, "Shingle length in units (Gopher: 13 words; FineWeb: 5)")
    shingle: Literal["word", "char"] = param("word", "Shingle unit: normalised words or characters")
    digits: Literal["keep", "zero", "drop"] = param(
        "keep", "Digit handling after normalisation: keep, map every digit to 0, or drop digits")
    num_perm: int = param(128, "MinHash permutations (signature length)")
    seed: int = param(1, "Seed of the permutations (datasketch's default is 1)")
    bands: int | None = param(None, "LSH bands (with rows); null: chosen by datasketch's optimal rule")
    rows: int | None = param(None, "Rows per band (with bands); null: chosen by datasketch's optimal rule")
    lsh_threshold: float | None = param(
        None, "Threshold given to the optimal-parameter rule; null: threshold - 0.2 when verifying "
              "(candidates generous, verification exact), threshold when verify is none")
    verify: Literal["exact", "signature", "none"] = param(
        "exact", "Check each candidate pair before linking it: exact Jaccard of the shingle sets, "
                 "estimated Jaccard of the signatures, or no check (plain LSH)")
    keep: KeepRule = param("first", "Which cluster member survives: first/last in corpus order, "
                                    "longest/shortest text")
    against: list[str] = param([], "Signature indexes of earlier runs (their state folder or its "
                                    "index/ subfolder): documents near-duplicating any are removed")
    write_index: bool = param(False, "Write this run's kept documents as a signature index (state/index/) "
                                     "for later runs' against: (opt-in: signatures take ~2x a gzip corpus)")
    state_per_shard = True
    remote_scan_files = True
    tasks_share_state_dir = True

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.ngram_size < 1 or self.ngram_size > 256:
            raise ValueError(f"ngram_size must be between 1 and 256, got {self.ngram_size}")
        if self.num_perm < 2 or self.num_perm > 1024:
            raise ValueError(f"num_perm must be between 2 and 1024, got {self.num_perm}")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither (then they are chosen from the threshold)")
        if self.bands is not None and self.rows is not None:
            if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
                raise ValueError(f"bands x rows must be at least 1 and at most num_perm={self.num_perm}, "
                                 f"got {self.bands} x {self.rows}")
            if self.rows > 256:
                raise ValueError("rows must be at most 256")
            self._bands, self._rows = self.bands, self.rows
        else:
            t = self.lsh_threshold
            if t is None:
                t = max(0.05, self.threshold - 0.2) if self.verify != "none" else self.threshold
            if not 0.0 < t < 1.0:
                raise ValueError(f"lsh_threshold must be in (0, 1), got {t}")
            self._bands, self._rows = lsh.optimal_param(round(t, 6), self.num_perm)
        for path in self.against:  # at config load (validate), not after the whole first pass
            self._open_index(path)

    # ------------------------------------------------------------------ signatures (pass 1)
    def signatures(self, texts: list[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(signatures, shingle hashes, their doc index, shingles per doc)`` of a batch."""
        hashes, docs, per_doc = mh.batch_shingles(texts, self.ngram_size, self.shingle, self.digits)
        sigs = mh.signatures(hashes, docs, len(texts), self.num_perm, self.seed)
        return sigs, hashes, docs, per_doc

    def scan(self, table: pa.Table) -> pa.Table:
        texts = table.column("text").to_pylist()
        sigs, hashes, docs, per_doc = self.signatures(texts)
        keys = lsh.band_keys(sigs, self._bands, self._rows)
        cols: dict[str, Any] = {
            "id": table.column("id").cast(pa.string()),
            "length": pa.array([len(t or "") for t in texts], pa.int64()),
            "n_shingles": pa.array(per_doc.astype(np.int32)),
            "sig": pa.FixedSizeListArray.from_arrays(pa.array(sigs.reshape(-1)), self.num_perm),
        }
        for j in range(self._bands):
            cols[f"b{j}"] = pa.array(keys[:, j])
        if self.verify == "exact":
            # every shingle hash of each document (grouped by document already; reduce takes
            # the distinct ones of the few candidate documents, cheaper than sorting them all here)
            offs = np.concatenate(([0], np.cumsum(per_doc))).astype(np.int64)
            cols["shingles"] = pa.LargeListArray.from_arrays(pa.array(offs), pa.array(hashes))
        return pa.table(cols)

    # ------------------------------------------------------------------------ index (reuse)
    def _index_meta(self) -> dict[str, Any]:
        return {"format": INDEX_FORMAT, "version": INDEX_VERSION, "hash": mh.HASH_VERSION,
                "scheme": "affine32", "num_perm": self.num_perm, "seed": self.seed,
                "bands": self._bands, "rows": self._rows, "ngram_size": self.ngram_size,
                "shingle": self.shingle, "digits": self.digits}

    def _open_index(self, path_str: str) -> tuple[Path, dict[str, Any]]:
        return open_index(path_str, self._index_meta(), self.verify == "exact")

    # ------------------------------------------------------------------------ reduce (middle)
    def reduce(self, scan_files: list[Path], state_dir: Path,
               pmap: Callable[..., Iterable[Any]] = map) -> dict[str, Any]:
        """Candidates (LSH bands) -> verified pairs -> clusters; writes the state and the index.

        Earlier runs' indexes (``against``) come first in the global row numbering. Every step
        but the connected components runs as ``pmap`` tasks (:mod:`corpusclean.dedup.middle`).
        """
        old_files = [f for p in self.against for f in index_files(*self._open_index(p))]
        files = old_files + list(scan_files)
        counts_old = row_counts(old_files)
        n_old = int(counts_old.sum())
        total = n_old + int(row_counts(scan_files).sum())
        settings = middle.Settings(self._bands, self.num_perm, self.verify, self.threshold, self.keep)
        # the state streams out in global row order, split by shard (pass 2 loads one shard's)
        with shard_state_writer(state_dir / _MINHASH_STATE, list(scan_files), STATE_SCHEMA, first_row=n_old) as write:
            counts = middle.minhash_middle(files, n_old, settings, write, state_dir / "_work", pmap)
        if self.write_index:  # one task per shard: its scan file minus its state's removed rows
            write_index(list(scan_files), state_dir / _MINHASH_STATE, state_dir / "index",
                        dict(self._index_meta(), has_shingles=self.verify == "exact"), pmap)
        return {"docs": total - n_old, "index_docs": n_old, "bands": self._bands, "rows": self._rows, **counts}

    # ------------------------------------------------------------------------- pass 2
    def replay(self, rows: pa.Table, rejected: np.ndarray, absent: np.ndarray) -> np.ndarray:
        """Clusters are connected components, which can split when a member goes: the removed
        members of a cluster that lost anyone are unknown; its survivor still beats them all."""
        cid = pc.coalesce(rows.column("cluster_id"), rows.column("id")).to_pylist()
        lost = {c for c, a in zip(cid, absent) if a}
        return rejected & ~absent & np.array([c in lost for c in cid], bool)

    def load_state(self, state_dir: Path, shard: str | None = None) -> None:
        t = read_shard_state(state_dir / _MINHASH_STATE, shard, _MINHASH_SCHEMA)
        self._state = t.combine_chunks()
        self._ids = self._state.column("id").combine_chunks()

    def process(self, table: pa.Table) -> StageOutput:
        self.check_input(table)
        ids = table.column("id").cast(pa.string())
        pos = pc.index_in(ids, value_set=self._ids)
        st = self._state

        def col(name: str) -> pa.Array:
            return st.column(name).combine_chunks().take(pos)

        cluster_id = pc.coalesce(col("cluster_id"), ids)
        size = pc.coalesce(col("cluster_size"), pa.scalar(1, pa.int64()))
        dup_of = col("duplicate_of")
        sim = col("similarity")
        table = with_columns(table, {"cluster_id": cluster_id, "cluster_size": size,
                                     "duplicate_of": dup_of, "similarity": sim}, self.columns)
        verdicts = [None if d is None else ("near_duplicate", f"{d} (estimated Jaccard {s:.3f})")
                    for d, s in zip(dup_of.to_pylist(), sim.to_pylist())]
        return self.split(table, verdicts)
