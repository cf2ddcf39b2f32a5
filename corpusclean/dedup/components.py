"""Clusters for the dedup stages (step 4 of 4): connected components of accepted pairs, and the
one survivor of each cluster.

* :func:`connected_components` — a vectorised union-find; a component's label is its smallest
  node, so labels do not depend on edge order.
* :func:`survivors` — the survivor of each component by the ``keep`` rule: ``first`` / ``last``
  in corpus order, ``longest`` / ``shortest`` text (ties to the first in corpus order).
* :func:`cluster_table` — ``minhash_dedup``'s state: one row per document in a cluster of two or
  more, with ``cluster_id`` (the survivor's id), ``cluster_size``, ``duplicate_of`` (null for
  the survivor) and ``similarity`` (estimated Jaccard with the survivor).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["KeepRule", "connected_components", "survivors", "cluster_table", "empty_cluster_table"]

KeepRule = Literal["first", "last", "longest", "shortest"]

def connected_components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Root of every node ``0..n-1`` given edges ``(a[i], b[i])``; the root is the component's
    smallest node, so labels do not depend on edge order. Vectorised hook-and-compress."""
    parent = np.arange(n, dtype=np.int64)
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
    """The state of a corpus without clusters."""
    return pa.table({"id": pa.array([], pa.string()), "cluster_id": pa.array([], pa.string()),
                     "cluster_size": pa.array([], pa.int64()),
                     "duplicate_of": pa.array([], pa.string()),
                     "similarity": pa.array([], pa.float64()), "row": pa.array([], pa.int64())})


def cluster_table(nodes: np.ndarray, ia: np.ndarray, ib: np.ndarray, ok: np.ndarray,
                  ids: pa.Array, lengths: np.ndarray, sig: np.ndarray, n_old: int,
                  keep: str) -> tuple[pa.Table, int, int]:
    """Clusters of the accepted pairs: ``(state table, documents removed, clusters)``.

    ``nodes`` are the sorted global rows of every candidate endpoint; ``ia``/``ib`` index into
    them; ``ok`` says which pairs were accepted; ``ids``, ``lengths`` and ``sig`` are the nodes'
    ids, text lengths and signatures. Rows below ``n_old`` come from earlier runs' indexes: they
    are the smallest nodes, so a component holding one has it as its root, and that earlier
    document survives (earlier rows themselves are never in the table). The table's ``row``
    column is each document's global row (so the caller can split the state by shard).
    """
    root = connected_components(ia[ok], ib[ok], nodes.size)
    comp_size = np.bincount(root, minlength=nodes.size)[root]
    in_cluster = comp_size > 1
    is_old = nodes < n_old
    best = survivors(root, lengths, nodes, keep)
    best = np.where(is_old[root], root, best)
    sel = np.flatnonzero(in_cluster & ~is_old)
    surv = best[sel]
    removed = surv != sel
    sim = np.where(removed, (sig[sel] == sig[surv]).mean(axis=1), 0.0) if sel.size else np.zeros(0)
    surv_ids = ids.take(pa.array(surv, pa.int64()))
    state = pa.table({
        "id": ids.take(pa.array(sel, pa.int64())),
        "cluster_id": surv_ids,
        "cluster_size": pa.array(comp_size[sel].astype(np.int64)),
        "duplicate_of": pc.if_else(pa.array(removed, pa.bool_()), surv_ids, pa.scalar(None, pa.string())),
        "similarity": pa.array(sim, pa.float64(), mask=~removed),
        "row": pa.array(nodes[sel].astype(np.int64)),
    })
    return state, int(removed.sum()), int(np.unique(root[in_cluster]).size)
