"""General-purpose stages: a pass-through (to measure runner overhead) and a per-domain cap.

``domain_cap`` is a global stage: whether a page goes depends on how many pages of its domain
the whole corpus holds, so it needs the runner's first pass / middle step / second pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean import urls
from corpusclean.dedup.scan_files import read_shard_state, shard_of
from corpusclean.output.writer import read_parquet, write_parquet
from corpusclean.stages.base import GlobalStage, Stage, StageOutput, param, register

#: domain_cap's per-shard state folder (``_global/over_cap/<shard key>.parquet``) and its schema.
_STATE = "over_cap"
_SCHEMA = pa.schema({"id": pa.string(), "host": pa.string()})


@register("passthrough")
class PassThrough(Stage):
    """Keeps every document unchanged (diagnostics: measures the runner's own overhead)."""

    requires = ()

    def process(self, table: pa.Table) -> StageOutput:
        return self.split(table, [None] * table.num_rows)


@register("domain_cap")
class DomainCap(GlobalStage):
    """Keeps at most ``max_per_domain`` documents per site; the rest are rejected.

    A site is, with ``group_by``:

    * ``host`` (default) — the normalised host (:func:`corpusclean.urls.host`: lower case, no
      ``www.``, port or userinfo, IDN as punycode), as ``url_filter`` compares hosts;
    * ``registered_domain`` — the host's registered domain from the Public Suffix List
      (:func:`corpusclean.urls.registered_domain`: ``news.bbc.co.uk`` and ``www.bbc.co.uk`` both
      count as ``bbc.co.uk``; ``alice.github.io`` and ``bob.github.io`` stay apart, since
      ``github.io`` is a public suffix). The list ships in the ``publicsuffixlist`` package;
      nothing is fetched.

    Host stays the default: it is what earlier runs counted (so their configs and fingerprints
    keep their meaning), and a cap per host never merges unrelated sites, while a cap per
    registered domain is the choice when one site spreads its pages over many subdomains.

    Which documents stay is deterministic: the first ones in corpus order (input file order, then
    record order), whatever the number of workers. Documents without a usable URL host are never
    capped.
    """

    requires = ("url",)
    replay_columns = {"url": pa.string()}
    state_per_shard = True
    remote_scan_files = True
    max_per_domain: int = param(1000, "Documents kept per site (www. and port ignored)")
    group_by: Literal["host", "registered_domain"] = param(
        "host", "What a site is: host (the URL's host name) or registered_domain (public-suffix "
                "aware eTLD+1: news.bbc.co.uk and www.bbc.co.uk are one site)")

    def key_of(self, url: str | None) -> str:
        """The site ``url`` is counted under ('' if none): what ``scan`` writes in ``host``."""
        return urls.group_key(url, self.group_by)

    def scan(self, table: pa.Table) -> pa.Table:
        self.check_input(table)
        hosts = [self.key_of(u) for u in table.column("url").to_pylist()]
        return pa.table({"id": table.column("id"), "host": pa.array(hosts, pa.string())})

    def reduce(self, scan_files: list[Path], state_dir: Path, *, pmap: Any = map) -> dict[str, Any]:
        """Count pages per site in corpus order; write the pages over the cap, one file per shard
        (``over_cap/<shard>.parquet``), so pass 2 loads only its shard's. Memory: one counter per site."""
        seen: dict[str, int] = {}
        n_over = 0
        folder = state_dir / _STATE
        folder.mkdir(parents=True, exist_ok=True)
        for path in scan_files:
            t = read_parquet(path)
            over: list[str] = []
            over_host: list[str] = []
            for doc_id, host in zip(t.column("id").to_pylist(), t.column("host").to_pylist()):
                if not host:
                    continue
                n = seen.get(host, 0) + 1
                seen[host] = n
                if n > self.max_per_domain:
                    over.append(doc_id)
                    over_host.append(host)
            n_over += len(over)
            write_parquet(pa.table({"id": pa.array(over, pa.string()), "host": pa.array(over_host, pa.string())}),
                          folder / f"{shard_of(path)}.parquet")
        return {"hosts": len(seen), "over_cap": n_over}

    def replay(self, rows: pa.Table, rejected: np.ndarray, absent: np.ndarray) -> np.ndarray:
        """Removing pages of a host only makes room: kept pages stay kept; pages over the cap of
        a host that lost pages are unknown."""
        hosts = [self.key_of(u) for u in rows.column("url").to_pylist()]
        lost = {h for h, a in zip(hosts, absent) if a}
        return rejected & ~absent & np.array([h in lost for h in hosts], bool)

    def load_state(self, state_dir: Path, shard: str | None = None) -> None:
        t = read_shard_state(state_dir / _STATE, shard, _SCHEMA)
        self._over = dict(zip(t.column("id").to_pylist(), t.column("host").to_pylist()))

    def process(self, table: pa.Table) -> StageOutput:
        ids = table.column("id").to_pylist()
        mask = pc.is_in(table.column("id"), value_set=pa.array(list(self._over), pa.string()))
        verdicts = [("over_cap", self._over[i]) if m else None for i, m in zip(ids, mask.to_pylist())]
        return self.split(table, verdicts)
