"""General-purpose stages: a pass-through (to measure runner overhead) and a per-domain cap.

``domain_cap`` is a global stage: whether a page goes depends on how many pages of its domain
the whole corpus holds, so it needs the runner's first pass / middle step / second pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpusclean.stages.base import GlobalStage, Stage, StageOutput, param, register
from corpusclean.stages.url_filter import parse_url


@register("passthrough")
class PassThrough(Stage):
    """Keeps every document unchanged (diagnostics: measures the runner's own overhead)."""

    requires = ()

    def process(self, table: pa.Table) -> StageOutput:
        return self.split(table, [None] * table.num_rows)


def url_host(url: str | None) -> str:
    """Normalised host of ``url`` ('' if there is none): the URL filter's definition (lower case,
    no ``www.``, port, userinfo or trailing dot, IDN as punycode), so both stages agree on hosts."""
    return (parse_url(url).host or "") if url else ""


@register("domain_cap")
class DomainCap(GlobalStage):
    """Keeps at most ``max_per_domain`` documents per host; the rest are rejected.

    Which documents stay is deterministic: the first ones in corpus order (input file order, then
    record order), whatever the number of workers.
    """

    requires = ()
    replay_columns = {"url": pa.string()}
    max_per_domain: int = param(1000, "Documents kept per host (www. and port ignored)")

    def scan(self, table: pa.Table) -> pa.Table:
        hosts = [url_host(u) for u in table.column("url").to_pylist()]
        return pa.table({"id": table.column("id"), "host": pa.array(hosts, pa.string())})

    def reduce(self, scan_files: list[Path], state_dir: Path, *, pmap: Any = map) -> dict[str, Any]:
        seen: dict[str, int] = {}
        over: list[str] = []
        over_host: list[str] = []
        for path in scan_files:
            t = pq.read_table(path)
            for doc_id, host in zip(t.column("id").to_pylist(), t.column("host").to_pylist()):
                if not host:
                    continue
                n = seen.get(host, 0) + 1
                seen[host] = n
                if n > self.max_per_domain:
                    over.append(doc_id)
                    over_host.append(host)
        pq.write_table(pa.table({"id": pa.array(over, pa.string()), "host": pa.array(over_host, pa.string())}),
                       state_dir / "over_cap.parquet")
        return {"hosts": len(seen), "over_cap": len(over)}

    def replay(self, rows: pa.Table, rejected: np.ndarray, absent: np.ndarray) -> np.ndarray:
        """Removing pages of a host only makes room: kept pages stay kept; pages over the cap of
        a host that lost pages are unknown."""
        hosts = [url_host(u) for u in rows.column("url").to_pylist()]
        lost = {h for h, a in zip(hosts, absent) if a}
        return rejected & ~absent & np.array([h in lost for h in hosts], bool)

    def load_state(self, state_dir: Path) -> None:
        t = pq.read_table(state_dir / "over_cap.parquet")
        self._over = dict(zip(t.column("id").to_pylist(), t.column("host").to_pylist()))

    def process(self, table: pa.Table) -> StageOutput:
        ids = table.column("id").to_pylist()
        mask = pc.is_in(table.column("id"), value_set=pa.array(list(self._over), pa.string()))
        verdicts = [("over_cap", self._over[i]) if m else None for i, m in zip(ids, mask.to_pylist())]
        return self.split(table, verdicts)
