"""What the report reads from a run, and how little: Parquet column projection everywhere.

Histograms read only signal columns; examples find their rows through the ``reason`` / ``id``
columns and then read ``text`` only from the row groups that hold them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.io.storage import AnyPath
from corpusclean.whatif.output import RunOutput, StageInfo, parquet_file, read_columns

#: Columns never read for charts (only for the few examples).
TEXT_COLUMNS = frozenset({"text", "html"})


def by_count(counts: dict[str, int]) -> dict[str, int]:
    """``counts`` ordered by count, largest first, then by name (``stats.json`` stores them by name)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def ordered_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """``stats.json`` with every per-reason count ordered by count, as the run prints them."""
    out = dict(stats)
    if "read" in stats:
        read = dict(stats["read"])
        for key in ("rejected_by_reason", "skipped_by_kind"):
            if isinstance(read.get(key), dict):
                read[key] = by_count(read[key])
        out["read"] = read
    stages = []
    for s in stats.get("stages", []):
        s = dict(s)
        if isinstance(s.get("rejected_by_reason"), dict):
            s["rejected_by_reason"] = by_count(s["rejected_by_reason"])
        if isinstance(s.get("top_details"), dict):
            s["top_details"] = {r: by_count(d) for r, d in s["top_details"].items()}
        stages.append(s)
    if "stages" in stats:
        out["stages"] = stages
    return out


def numeric(t: pa.DataType) -> bool:
    """Integer or floating type (drawn as a histogram; anything else as value counts)."""
    return pa.types.is_integer(t) or pa.types.is_floating(t)


def values(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Non-null, non-NaN values as float64, shape (n,)."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = pc.drop_null(arr)
    if pa.types.is_floating(arr.type):
        arr = pc.filter(arr, pc.invert(pc.is_nan(arr)))
    return arr.to_numpy(zero_copy_only=False).astype(np.float64)


def stage_params(info: StageInfo) -> dict[str, Any]:
    """The parameters in force in the run: built stage's values, else defaults + the manifest's."""
    stage = info.build()
    if stage is not None:
        return stage.param_values()
    defaults = {}
    if info.cls is not None:
        for f in info.cls.params():
            if f.default is not dataclasses.MISSING:
                defaults[f.name] = f.default
    return {**defaults, **info.params}


def fetch_rows(files: list[AnyPath], where: list[tuple[int, int]], columns: list[str]) -> list[dict[str, Any]]:
    """Rows at (file number, row number), in ``where`` order, reading only the row groups holding them."""
    out: dict[tuple[int, int], dict[str, Any]] = {}
    by_file: dict[int, list[int]] = {}
    for f, r in where:
        by_file.setdefault(f, []).append(r)
    for f, rows in by_file.items():
        pf = parquet_file(files[f])
        names = set(pf.schema_arrow.names)
        cols = [c for c in columns if c in names]
        starts = np.cumsum([0] + [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)])
        groups: dict[int, list[int]] = {}
        for r in rows:
            g = int(np.searchsorted(starts, r, side="right") - 1)
            groups.setdefault(g, []).append(r)
        for g, rs in groups.items():
            t = pf.read_row_group(g, columns=cols)
            local = t.take(pa.array([r - int(starts[g]) for r in rs], pa.int64())).to_pylist()
            for r, row in zip(rs, local):
                out[(f, r)] = row
    return [out[w] for w in where if w in out]


def find_ids(files: list[AnyPath], ids: set[str]) -> list[tuple[int, int]]:
    """(file number, row number) of the rows whose id is in ``ids`` (reads the id column only)."""
    found: list[tuple[int, int]] = []
    if not ids:
        return found
    value_set = pa.array(sorted(ids), pa.string())
    for f, path in enumerate(files):
        col = parquet_file(path).read(columns=["id"]).column("id")
        mask = pc.is_in(col, value_set=value_set).to_numpy(zero_copy_only=False)
        found.extend((f, int(r)) for r in np.flatnonzero(mask))
    return found


def first_by_reason(files: list[AnyPath], reasons: list[str], n: int) -> list[tuple[int, int]]:
    """(file, row) of the first ``n`` rows of each reason, grouped by reason in ``reasons`` order."""
    need = {r: n for r in reasons}
    picks: dict[str, list[tuple[int, int]]] = {r: [] for r in reasons}
    for f, path in enumerate(files):
        if not any(need.values()):
            break
        col = parquet_file(path).read(columns=["reason"]).column("reason").to_pylist()
        for r, reason in enumerate(col):
            if need.get(reason):
                picks[reason].append((f, r))
                need[reason] -= 1
    return [w for r in reasons for w in picks[r]]


@dataclass
class Clusters:
    """What a deduplicating stage removed, as clusters: survivor id -> number of removed copies."""

    removed_per_survivor: Counter[str]
    #: A few of the largest clusters: survivor id -> (its kept row or None, a few removed rows).
    samples: dict[str, tuple[dict[str, Any] | None, list[dict[str, Any]]]]

    def sizes(self) -> Counter[int]:
        """Cluster size (survivor included) -> number of clusters."""
        return Counter(c + 1 for c in self.removed_per_survivor.values())


def clusters(run: RunOutput, info: StageInfo, column: str, n_clusters: int, per_cluster: int = 2) -> Clusters:
    """The clusters of a stage whose rejected rows name their survivor in ``column``."""
    kept_files, rej_files = run.kept_files(info.folder), run.rejected_files(info.folder)
    dup_of = read_columns(rej_files, [column], {column: pa.string()}).column(column).to_pylist()
    counts = Counter(v for v in dup_of if v is not None)
    largest = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n_clusters]]
    samples: dict[str, tuple[dict[str, Any] | None, list[dict[str, Any]]]] = {}
    if largest:
        surv_rows = fetch_rows(kept_files, find_ids(kept_files, set(largest)), ["id", "url", "text"])
        survivors = {r["id"]: r for r in surv_rows}
        need = {k: per_cluster for k in largest}
        starts = np.cumsum([0] + [parquet_file(p).metadata.num_rows for p in rej_files])
        where: list[tuple[int, int]] = []
        for i, v in enumerate(dup_of):
            if v in need and need[v] > 0:
                f = int(np.searchsorted(starts, i, side="right") - 1)
                where.append((f, i - int(starts[f])))
                need[v] -= 1
        members: dict[str, list[dict[str, Any]]] = {}
        for r in fetch_rows(rej_files, where, ["id", "url", "text", column, "detail"]):
            members.setdefault(r[column], []).append(r)
        samples = {k: (survivors.get(k), members.get(k, [])) for k in largest}
    return Clusters(counts, samples)
