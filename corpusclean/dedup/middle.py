"""``minhash_dedup``'s middle step (``reduce``), distributed: what runs where.

Every step but one is a round of ``pmap`` tasks (processes of the local executor, Ray tasks on
any node of a cluster); they hand each other files in a work folder (``<state>/_work``, removed
at the end) through :mod:`corpusclean.dedup.exchange`, and only counts, accepted edges and the
state's pieces come back to the driver:

1. **Band grouping**: one task per group of scan files (:func:`~corpusclean.dedup.lsh.key_split`)
   reads the band columns once and cuts every band's keys by key partition; then one task per
   band and key partition (:func:`~corpusclean.dedup.lsh.band_task`) groups its slice and writes
   its candidate edges (partitioned by edge hash) and its endpoints' row requests.
2. **Routing** (:func:`~corpusclean.dedup.exchange.route`): one task per group of scan files
   reads those files once (``length``, ``sig`` and, for ``verify: exact``, ``shingles``) and
   writes each requested row to the partitions that asked for it.
3. **Verification** (:func:`~corpusclean.dedup.verify.verify_partition`): one task per edge
   partition checks its candidates against its routed rows and returns the accepted edges.
4. **Components** (:func:`~corpusclean.dedup.components.clusters`), *in the driver*: connected
   components of the accepted edges and each cluster's survivor, about 60 bytes per accepted
   edge (the one global step; see ``docs/scaling.md`` for where it stops fitting one machine).
5. **Routing again**, ids and signatures of the clustered documents and of their survivors, to
   contiguous pieces of clustered documents; then **state pieces**
   (:func:`~corpusclean.dedup.components.state_piece`), one task each, streamed by the driver
   into the state file in row order.

The partition counts come from the corpus size (the constants below), never from the executor
or its worker count, and every step is order-independent (sorted unique edges; component labels
are smallest members), so the state is the same bytes whatever runs it. A task killed and run
again rewrites the same files (atomic writes); a driver killed in the middle starts the step
again from a fresh work folder.
"""

from __future__ import annotations

import functools
import math
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusclean.dedup import exchange, lsh, verify
from corpusclean.dedup.components import PIECE_SCHEMA, STATE_SCHEMA, clusters, state_piece
from corpusclean.dedup.scan_files import row_offsets
from corpusclean.executors.memlog import note
from corpusclean.io.files import atomic_output

__all__ = ["EDGE_PARTITION_ROWS", "BAND_PARTITION_ROWS", "ROUTE_ROWS", "STATE_PIECE_ROWS", "Settings",
           "minhash_middle", "single_file_writer"]

#: Documents per verification partition (edge partitions = ceil(documents / this)).
EDGE_PARTITION_ROWS = 500_000
#: Documents per band-grouping task (key partitions per band = ceil(documents / this)).
BAND_PARTITION_ROWS = 1_000_000
#: Scan rows per key-split and routing task (contiguous groups of whole scan files).
ROUTE_ROWS = 500_000
#: Clustered documents per state piece.
STATE_PIECE_ROWS = 50_000

PMap = Callable[..., Iterable[Any]]


@dataclass(frozen=True)
class Settings:
    """What the middle step needs of the stage's parameters."""

    bands: int
    num_perm: int
    verify: verify.Verify
    threshold: float
    keep: str


def minhash_middle(files: list[Path], n_old: int, settings: Settings, write: Callable[[pa.Table], None],
                   work: Path, pmap: PMap = map) -> dict[str, int]:
    """Run the middle step over ``files`` (earlier indexes' files first: their ``n_old`` rows).

    ``work`` is a folder every task can read (on a filesystem every node sees). ``write`` is
    called with each piece of the state in global row order (:data:`~corpusclean.dedup.components.PIECE_SCHEMA`:
    the state columns plus ``row``, the document's global row) — at least once, with an empty
    piece when nothing is clustered. Returns the counts for the run summary (the removed
    documents are the state rows with a ``duplicate_of``; nothing per document comes back).
    """
    shutil.rmtree(work, ignore_errors=True)  # a killed earlier attempt: start afresh
    offsets = row_offsets(files)
    total = int(offsets[-1])
    edge_parts = max(1, math.ceil(total / EDGE_PARTITION_ROWS))
    key_parts = max(1, math.ceil(total / BAND_PARTITION_ROWS))
    groups = exchange.file_groups(offsets, ROUTE_ROWS)
    try:
        # 1. band grouping: band keys cut by key partition (each scan file read once), then grouped
        split = functools.partial(lsh.key_split, files, offsets, settings.bands, key_parts, work)
        for _ in pmap(split, groups):
            pass
        key_files = [work / "keys" / f"g{lo:08d}.npy" for lo, _ in groups]
        band = functools.partial(lsh.band_task, key_files, total, n_old, key_parts, edge_parts, work)
        jobs = [(j, q) for j in range(settings.bands) for q in range(key_parts)]
        collisions = sum(pmap(band, jobs))
        note("middle: bands done")
        names = [f"b{j:03d}-q{q:05d}.npy" for j, q in jobs]
        # 2. routing the endpoints' rows to their edge partitions
        routed = work / "routed"
        cols = verify.row_columns(settings.verify)
        _route(files, offsets, cols, [work / "requests" / n for n in names], edge_parts, routed, groups, pmap)
        route_files = sorted(routed.glob("route-*.arrow"))
        note("middle: routed")
        # 3. verification
        check = functools.partial(verify.verify_partition, settings.verify, settings.threshold,
                                  settings.num_perm, total, [work / "edges" / n for n in names], route_files)
        a_l, b_l, la_l, lb_l, cand = [], [], [], [], 0
        for a, b, la, lb, n in pmap(check, range(edge_parts)):
            a_l.append(a)
            b_l.append(b)
            la_l.append(la)
            lb_l.append(lb)
            cand += int(n)
        a, b = np.concatenate(a_l), np.concatenate(b_l)
        accepted = int(a.size)
        note("middle: verified")
        # 4. components, centrally
        nodes, size, surv = clusters(a, b, np.concatenate(la_l), np.concatenate(lb_l), n_old, settings.keep)
        del a, b, a_l, b_l, la_l, lb_l
        new = nodes >= n_old
        rows, size, surv = nodes[new], size[new], surv[new]
        n_clusters = int(exchange.unique(surv).size)
        note("middle: components")
        # 5. the state, piece by piece
        _state(files, offsets, rows, surv, size, settings.num_perm, work, groups, write, pmap)
        note("middle: state")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"candidate_pairs": cand, "band_collisions": int(collisions), "accepted_pairs": accepted,
            "clusters": n_clusters, "near_duplicates": int((surv != rows).sum())}


def _route(files: list[Path], offsets: np.ndarray, columns: list[str], requests: list[Path], n_parts: int,
           out_dir: Path, groups: list[tuple[int, int]], pmap: PMap) -> None:
    task = functools.partial(exchange.route, files, offsets, columns, requests, n_parts, out_dir)
    for _ in pmap(task, groups):
        pass


def _state(files: list[Path], offsets: np.ndarray, rows: np.ndarray, surv: np.ndarray, size: np.ndarray,
           num_perm: int, work: Path, groups: list[tuple[int, int]], write: Callable[[pa.Table], None],
           pmap: PMap) -> None:
    """Route ids and signatures to contiguous pieces of ``rows``; hand each piece to ``write``."""
    if rows.size == 0:
        write(PIECE_SCHEMA.empty_table())
        return
    n_pieces = max(1, math.ceil(rows.size / STATE_PIECE_ROWS))
    piece_of = np.arange(rows.size, dtype=np.int64) * n_pieces // rows.size
    exchange.write_requests(work / "requests2" / "state.npy", np.concatenate([rows, surv]),
                            np.concatenate([piece_of, piece_of]), n_pieces)
    routed = work / "routed2"
    _route(files, offsets, ["id", "sig"], [work / "requests2" / "state.npy"], n_pieces, routed, groups, pmap)
    bounds = np.searchsorted(piece_of, np.arange(n_pieces + 1))
    pieces = [(p, rows[bounds[p]:bounds[p + 1]], surv[bounds[p]:bounds[p + 1]], size[bounds[p]:bounds[p + 1]])
              for p in range(n_pieces)]
    task = functools.partial(state_piece, num_perm, sorted(routed.glob("route-*.arrow")))
    for piece in pmap(task, pieces):
        write(piece)


@contextmanager
def single_file_writer(path: Path) -> Iterator[Callable[[pa.Table], None]]:
    """A ``write`` for :func:`minhash_middle`: the state pieces streamed into one Parquet file at
    ``path`` (``row`` dropped), which appears only if the block succeeds. Memory: one piece."""
    with atomic_output(path) as sink, pq.ParquetWriter(sink, STATE_SCHEMA) as writer:
        yield lambda piece: writer.write_table(piece.drop_columns(["row"]))
