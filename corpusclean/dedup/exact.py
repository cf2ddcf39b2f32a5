"""Exact dedup's middle step, partitioned by hash when scanning (issue 17, item 3).

``exact_dedup``'s scan gives every document a *partition* (its 128-bit text hash modulo
``partitions``) and orders the shard's scan rows by partition; the runner writes one Parquet row
group per partition (:attr:`~corpusclean.stages.base.GlobalStage.scan_row_groups`). The middle
step then runs one task per partition (:func:`group_partition`, through the executor's ``pmap``):
each task reads only its row group of every scan file (found from the footers' statistics, read
where the files are, object stores included), groups identical hashes, and returns the removed
documents with the id of the copy they duplicate. Every scan byte is read once, in parallel;
no task holds more than one partition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.dedup.components import KeepRule, survivors
from corpusclean.dedup.exchange import file_groups
from corpusclean.dedup.scan_files import binary16, write_shard_states
from corpusclean.io.storage import AnyPath
from corpusclean.output.writer import parquet_file

__all__ = ["PART_COLUMN", "ROW_COLUMN", "STATE_GROUP_ROWS", "group_partition", "partition_of", "read_partition",
           "write_removed", "write_shard_states_from"]

#: Scan rows per group of shards whose states are written together (the driver holds the
#: removed rows of one such group at a time).
STATE_GROUP_ROWS = 1_000_000
#: Rows per row group of a partition's removed-rows file (what a row-range read skips by).
_REMOVED_ROW_GROUP = 16_384

#: Scan columns: the document's partition (uint16) and its row in the shard (int32; rows are
#: reordered by partition, so the corpus order is kept explicitly).
PART_COLUMN = "part"
ROW_COLUMN = "row"


def partition_of(keys: np.ndarray, partitions: int) -> np.ndarray:
    """Partition of each ``(n, 16)`` uint8 hash: its first 8 bytes (little-endian) modulo ``partitions``."""
    if keys.shape[0] == 0:
        return np.empty(0, np.uint16)
    first = np.ascontiguousarray(keys[:, :8]).view(np.uint64).reshape(-1)
    return (first % np.uint64(partitions)).astype(np.uint16)


def read_partition(path: AnyPath, part: int, columns: list[str]) -> pa.Table | None:
    """The rows of partition ``part`` in one scan file (its row groups whose ``part`` is ``part``), or None."""
    pf = parquet_file(path)
    meta = pf.metadata
    if meta.num_rows == 0:
        return None
    col = pf.schema_arrow.get_field_index(PART_COLUMN)
    groups = []
    for g in range(meta.num_row_groups):
        st = meta.row_group(g).column(col).statistics
        if st is None or not st.has_min_max:  # no statistics: read the group and filter
            groups.append(g)
        elif st.min <= part <= st.max:
            groups.append(g)
    if not groups:
        return None
    t = pf.read_row_groups(groups, columns=[*columns, PART_COLUMN])
    parts = t.column(PART_COLUMN).to_numpy()
    if (parts != part).any():
        t = t.filter(pa.array(parts == part))
    return t.select(columns)


def group_partition(files: list[AnyPath], offsets: np.ndarray, keep: KeepRule,
                    part: int) -> tuple[np.ndarray, pa.Array, pa.Array, int]:
    """One partition of exact dedup: ``(removed global rows (sorted), their ids, duplicate_of ids, groups)``.

    ``files`` are the scan files in shard order and ``offsets`` their
    :func:`~corpusclean.dedup.scan_files.row_offsets`. Within a group of identical hashes the
    survivor is chosen by ``keep`` (:func:`~corpusclean.dedup.components.survivors`, ties to the
    first in corpus order), so the result does not depend on partitioning or on worker count.
    Module-level (picklable) so a process pool or Ray can run partitions in parallel.
    """
    keys_l, rows_l, len_l, ids_l = [], [], [], []
    for f, path in enumerate(files):
        t = read_partition(path, part, ["id", "key", "length", ROW_COLUMN])
        if t is None or t.num_rows == 0:
            continue
        keys_l.append(binary16(t.column("key")))
        rows_l.append(t.column(ROW_COLUMN).to_numpy().astype(np.int64) + offsets[f])
        len_l.append(t.column("length").to_numpy())
        ids_l.extend(t.column("id").cast(pa.string()).chunks)
    empty = (np.empty(0, np.int64), pa.array([], pa.string()), pa.array([], pa.string()), 0)
    if not rows_l:
        return empty
    k = np.ascontiguousarray(np.concatenate(keys_l)).view(np.uint64).reshape(-1, 2)
    rows = np.concatenate(rows_l)
    lengths = np.concatenate(len_l)
    ids = pa.chunked_array(ids_l, pa.string()).combine_chunks()
    # group identical keys: sort by (key, row), label runs
    order = np.lexsort((rows, k[:, 1], k[:, 0]))
    ks = k[order]
    new = np.concatenate(([True], (ks[1:] != ks[:-1]).any(axis=1)))
    comp = np.cumsum(new)[np.argsort(order, kind="stable")]
    best = survivors(comp, lengths, rows, keep)
    dup = np.flatnonzero(best != np.arange(rows.size))
    if dup.size == 0:
        return empty
    dup = dup[np.argsort(rows[dup], kind="stable")]
    groups = int(np.unique(comp[dup]).size)
    return (rows[dup], ids.take(pa.array(dup, pa.int64())),
            ids.take(pa.array(best[dup], pa.int64())), groups)


def write_removed(path: Path, rows: np.ndarray, ids: pa.Array, dup_of: pa.Array) -> None:
    """One partition's result (sorted global ``rows``, their ``id`` and ``duplicate_of``) as a
    Parquet file of small row groups, so a range of rows is read without the rest.

    A work file of the driver: written in place (not atomically), as the work folder is removed
    before the step starts again after a kill. Nothing is written for an empty result."""
    if rows.size == 0:
        return
    table = pa.table({ROW_COLUMN: pa.array(rows, pa.int64()), "id": ids, "duplicate_of": dup_of})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=_REMOVED_ROW_GROUP)


def write_shard_states_from(partition_files: list[Path], offsets: np.ndarray, scan_files: list[AnyPath],
                            folder: Path) -> None:
    """The per-shard states (:func:`~corpusclean.dedup.scan_files.write_shard_states`) from the
    partitions' :func:`write_removed` files, one group of shards (:data:`STATE_GROUP_ROWS` scan
    rows) at a time: memory is that group's removed rows, not the corpus's."""
    for f_lo, f_hi in file_groups(offsets, STATE_GROUP_ROWS) or [(0, 0)]:
        lo, hi = int(offsets[f_lo]), int(offsets[f_hi])
        pieces = [pq.read_table(p, filters=[(ROW_COLUMN, ">=", lo), (ROW_COLUMN, "<", hi)])
                  for p in partition_files]
        table = (pa.concat_tables(pieces) if pieces else
                 pa.table({ROW_COLUMN: pa.array([], pa.int64()), "id": pa.array([], pa.string()),
                           "duplicate_of": pa.array([], pa.string())}))
        rows = table.column(ROW_COLUMN).to_numpy()
        order = np.argsort(rows, kind="stable")
        write_shard_states(table.select(["id", "duplicate_of"]).take(pa.array(order, pa.int64())), rows[order],
                           offsets[f_lo:f_hi + 1], scan_files[f_lo:f_hi], folder)
