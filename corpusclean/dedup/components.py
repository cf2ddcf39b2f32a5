"""Clusters for the dedup stages (step 4 of 4): connected components of accepted pairs, and the
one survivor of each cluster.

* :func:`connected_components` — a vectorised union-find; a component's label is its smallest
  node, so labels do not depend on edge order.
* :func:`survivors` — the survivor of each component by the ``keep`` rule: ``first`` / ``last``
  in corpus order, ``longest`` / ``shortest`` text (ties to the first in corpus order).
* :func:`clusters` — the clusters of the accepted edges and their survivors (global rows): the
  only central part of ``minhash_dedup``'s middle step;
* :func:`state_piece` — ``minhash_dedup``'s state, piece by piece (a ``pmap`` task each): one
  row per document in a cluster of two or more, with ``cluster_id`` (the survivor's id),
  ``cluster_size``, ``duplicate_of`` (null for the survivor) and ``similarity`` (estimated
  Jaccard with the survivor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.dedup import exchange

__all__ = ["KeepRule", "connected_components", "survivors", "clusters", "state_piece", "empty_cluster_table",
           "STATE_SCHEMA", "PIECE_SCHEMA"]

KeepRule = Literal["first", "last", "longest", "shortest"]

def connected_components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Root of every node ``0..n-1`` given edges ``(a[i], b[i])``; the root is the component's
    smallest node, so labels do not depend on edge order. Vectorised hook-and-compress.

    The labels have the dtype of ``a`` (int32 indexes halve the memory of large graphs)."""
    parent = np.arange(n, dtype=a.dtype if a.dtype in (np.int32, np.int64) else np.int64)
    if a.size == 0:
        return parent
    while True:
        pa = parent[a]
        pb = parent[b]
        diff = pa != pb
        if not diff.any():
            return parent
        lo = np.minimum(pa[diff], pb[diff])
        hi = np.maximum(pa[diff], pb[diff])
        np.minimum.at(parent, hi, lo)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def survivors(comp: np.ndarray, rank_key: np.ndarray | None, order_key: np.ndarray,
              keep: str) -> np.ndarray:
    """Index (into the arrays) of each component's survivor, for every element.

    ``comp`` labels components; ``order_key`` is the corpus order; ``rank_key`` the text length
    (needed for ``longest``/``shortest``).
    """
    if keep == "first":
        primary = order_key
    elif keep == "last":
        primary = -order_key
    elif keep == "longest":
        primary = -rank_key  # type: ignore[operator]
    else:
        primary = rank_key  # type: ignore[assignment]
    order = np.lexsort((order_key, primary, comp))
    sc = comp[order]
    first = np.flatnonzero(np.concatenate(([True], sc[1:] != sc[:-1])))
    best_of_comp = np.empty(comp.size, np.int64)
    lens = np.diff(first, append=comp.size)
    best_of_comp[order] = np.repeat(order[first], lens)
    return best_of_comp


def empty_cluster_table() -> pa.Table:
    """The state of a corpus without clusters (no ``row`` column: the state as written)."""
    return STATE_SCHEMA.empty_table()


#: ``minhash_dedup``'s state as written; :data:`PIECE_SCHEMA` adds each document's global row.
STATE_SCHEMA = pa.schema({"id": pa.string(), "cluster_id": pa.string(), "cluster_size": pa.int64(),
                          "duplicate_of": pa.string(), "similarity": pa.float64()})
PIECE_SCHEMA = STATE_SCHEMA.append(pa.field("row", pa.int64()))


def clusters(a: np.ndarray, b: np.ndarray, length_a: np.ndarray, length_b: np.ndarray, n_old: int,
             keep: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clusters of the accepted edges ``(a[i], b[i])`` (global rows): the one central step.

    Returns ``(nodes, comp_size, survivor)``: the sorted global rows of every document in a
    cluster (every endpoint: each has an accepted edge), each one's cluster size, and the global
    row of its cluster's survivor by the ``keep`` rule. Rows below ``n_old`` come from earlier
    runs' indexes: they are the smallest nodes, so a component holding one has it as its root,
    and that earlier document survives. Memory: about 60 bytes per accepted edge (the arrays
    below; node indexes are int32 while there are fewer than 2**31 nodes).
    """
    nodes, inverse = exchange.unique_inverse(np.concatenate([a, b]))
    if nodes.size == 0:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    small = np.int32 if nodes.size < 2**31 else np.int64
    ia = inverse[:a.size].astype(small)
    ib = inverse[a.size:].astype(small)
    del inverse
    lengths = np.empty(nodes.size, np.int64)
    lengths[ia] = length_a
    lengths[ib] = length_b
    root = connected_components(ia, ib, nodes.size)
    del ia, ib
    comp_size = np.bincount(root, minlength=nodes.size)[root]
    best = survivors(root, lengths, nodes, keep)
    best = np.where(nodes[root] < n_old, root, best)
    return nodes, comp_size.astype(np.int64), nodes[best]


def state_piece(num_perm: int, route_files: list[Path],
                piece: tuple[int, np.ndarray, np.ndarray, np.ndarray]) -> pa.Table:
    """One piece of ``minhash_dedup``'s state: ``(piece number, rows, survivor rows, cluster sizes)``
    in, the state rows of those documents out (in row order), with their global ``row`` (int64)
    so the caller can split the state by shard (:data:`PIECE_SCHEMA`).

    The ids and signatures of the rows and of their survivors come routed to this piece
    (:func:`corpusclean.dedup.exchange.read_partition`); ``similarity`` is the estimated Jaccard
    of a removed document's signature with its survivor's.
    """
    p, rows, surv, size = piece
    got = exchange.read_partition(route_files, p)
    node = got.column("row").to_numpy()
    i, j = np.searchsorted(node, rows), np.searchsorted(node, surv)
    sig = got.column("sig").combine_chunks().flatten().to_numpy().reshape(-1, num_perm)
    ids = got.column("id").combine_chunks()
    removed = surv != rows
    sim = (sig[i] == sig[j]).mean(axis=1) if rows.size else np.zeros(0)
    surv_ids = ids.take(pa.array(j, pa.int64()))
    return pa.table({
        "id": ids.take(pa.array(i, pa.int64())),
        "cluster_id": surv_ids,
        "cluster_size": pa.array(size, pa.int64()),
        "duplicate_of": pc.if_else(pa.array(removed, pa.bool_()), surv_ids, pa.scalar(None, pa.string())),
        "similarity": pa.array(np.where(removed, sim, 0.0), pa.float64(), mask=~removed),
        "row": pa.array(rows, pa.int64()),
    }, schema=PIECE_SCHEMA)
