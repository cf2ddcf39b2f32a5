"""Shared fixtures: small crawl files generated on the fly."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from corpusclean.testing import synth

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


def make_warc(path: Path, n_pages: int = 20, seed: int = 0, compress: bool = True) -> list[str]:
    """A WARC with ``n_pages`` HTML responses (plus request/metadata records); returns their ids."""
    rng = random.Random(seed)
    records = []
    ids = []
    for i in range(n_pages):
        url = f"https://site{i % 4}.example/page/{i}"
        rid = f"00000000-0000-4000-8000-{seed:04d}{i:08d}"
        records.append(synth.warc_record("request", url, b"GET / HTTP/1.1\r\n\r\n", f"r{rid}"))
        records.append(synth.response_record(url, synth.html_page(rng, 1500), rid))
        ids.append(f"urn:uuid:{rid}")
    records.append(synth.warc_record("metadata", "https://site0.example/", b"a: b\r\n", "meta-1"))
    synth.write_warc(str(path), records, compress=compress)
    return ids


def run_stage(stage, docs):
    """Apply one stage in memory; asserts no row is dropped (in = kept + rejected)."""
    from corpusclean.pipeline import Pipeline

    result = Pipeline([stage]).apply(docs)
    assert result.kept.num_rows + result.rejected.num_rows == len(docs)  # never drops a row
    return result


def reasons(result) -> dict[str, str | None]:
    """id -> reason (None = kept)."""
    out: dict[str, str | None] = {d["id"]: None for d in result.kept_docs}
    out.update({d["id"]: d["reason"] for d in result.rejected_docs})
    return out


def snapshot(output: Path) -> dict[str, list[dict]]:
    """Every stage part and final/ part of a run folder, as rows (for comparing two runs)."""
    import pyarrow.parquet as pq

    return {str(p.relative_to(output)): pq.read_table(p).to_pylist()
            for p in sorted([*output.glob("[0-9][0-9]_*/**/part-*.parquet"), *output.glob("final/part-*.parquet")])}


def comparable_stats(output: Path) -> dict:
    """stats.json without timings and bytes on disk (for comparing two runs)."""
    import json

    stats = json.loads((output / "stats.json").read_text())
    stats.pop("disk", None)  # bytes on disk: shard markers hold timings, so their sizes vary
    for s in stats["stages"]:
        s.pop("seconds")
        if "global" in s:
            s["global"].pop("seconds")
    return stats


def cli_passthrough(inp: Path, out: Path) -> dict:
    """``corpusclean run`` of a one-worker ``passthrough`` pipeline over ``inp`` into ``out``
    (asserted to exit 0); its ``stats.json``."""
    import json

    import yaml
    from click.testing import CliRunner

    from corpusclean.cli import main

    cfg = out.parent / f"{out.name}.yaml"
    cfg.write_text(yaml.safe_dump({"input": str(inp), "output": str(out), "stages": [{"passthrough": {}}],
                                   "executor": {"kind": "local", "workers": 1}}))
    res = CliRunner().invoke(main, ["run", str(cfg), "--quiet"])
    assert res.exit_code == 0, res.output
    return json.loads((out / "stats.json").read_text())


@pytest.fixture
def warc_file(tmp_path: Path) -> Path:
    p = tmp_path / "crawl.warc.gz"
    make_warc(p)
    return p
