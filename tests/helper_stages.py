"""Stages and inputs shared by the runner and executor tests (importable by worker processes:
``tests/`` is on ``sys.path`` here and on ``PYTHONPATH`` for Ray's workers)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import make_warc

from corpusclean.stages.base import GlobalStage, StageOutput, param, register


# ---------------------------------------------------------------- a global stage using pmap
def _rows_of(path: Path) -> tuple[int, int]:
    """Module-level (picklable): rows of one scan file, and the process that counted them."""
    return pq.read_metadata(path).num_rows, os.getpid()


@register("pmap_probe")
class PmapProbe(GlobalStage):
    """Keeps everything; its middle step counts scan rows file by file through ``pmap``."""

    requires = ()
    note: str = param("", "unused")

    def scan(self, table: pa.Table) -> pa.Table:
        return pa.table({"id": table.column("id")})

    def reduce(self, scan_files: list[Path], state_dir: Path, pmap: Any = map) -> dict[str, Any]:
        assert all(isinstance(p, Path) and p.exists() for p in scan_files), "stages get local files"
        results = list(pmap(_rows_of, scan_files))
        (state_dir / "rows.json").write_text(json.dumps([r for r, _ in results]))
        return {"rows": sum(r for r, _ in results), "in_driver": all(pid == os.getpid() for _, pid in results)}

    def load_state(self, state_dir: Path) -> None:
        self._rows = json.loads((state_dir / "rows.json").read_text())

    def process(self, table: pa.Table) -> StageOutput:
        return self.split(table, [None] * table.num_rows)


# ------------------------------------------------------------------------------ helpers
def make_inputs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    make_warc(root / "a.warc.gz", 14, seed=1)
    with open(root / "b.jsonl", "w") as f:
        for i in range(12):  # every third text repeats: exact duplicates across shards
            f.write(json.dumps({"id": f"j{i}", "text": f"document {i % 3 if i % 3 == 0 else i}",
                                "url": f"https://jsite{i % 2}.example/j{i}"}) + "\n")
    return root


