"""Object-store style paths (``file://`` through pyarrow, ``memory://`` through fsspec), and the
``pmap`` argument of a global stage's ``reduce``. Nothing here touches the network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_warc
from helper_stages import make_inputs

from corpusclean.config import parse_config
from corpusclean.io.storage import RemotePath, as_path
from corpusclean.output.writer import read_parquet, write_parquet
from corpusclean.readers import expand_inputs, read_chunks
from corpusclean.runner import run

PIPELINE = [{"extract": {}}, {"domain_cap": {"max_per_domain": 3}}, {"exact_dedup": {}},
            {"pmap_probe": {}}]


def snapshot(out: Any) -> dict[str, list[dict]]:
    """Kept and rejected parts of a run, by relative path (works for a Path or a RemotePath).

    The ``source`` column is left out: it names where the input was read from, which differs.
    """
    out = as_path(out)
    if isinstance(out, RemotePath):
        files = [(f.relative_to(out), f) for f in out.walk_files()]
    else:
        files = [(str(p.relative_to(out)), p) for p in sorted([*out.glob("[0-9][0-9]_*/**/*"), *out.glob("final/*")])]
    return {rel: [{k: v for k, v in r.items() if k != "source"} for r in read_parquet(f).to_pylist()]
            for rel, f in files if (rel[:2].isdigit() or rel.startswith("final/")) and "/_" not in rel
            and f.name.startswith("part-")}


def strip_stats(stats: dict) -> dict:
    # bytes written differ: the documents' source column names where the input was read from
    stages = [{k: v for k, v in s.items() if k not in ("seconds", "global", "bytes_written")} for s in stats["stages"]]
    read = dict(stats["read"], errors=[{k: v for k, v in e.items() if k != "file"} for e in stats["read"]["errors"]])
    return {"stages": stages, "read": {k: v for k, v in read.items()}}


def config(inputs: str, output: str, workers: int | None = None, **extra: Any) -> Any:
    if workers is not None:
        extra["executor"] = {"kind": "local", "workers": workers}
    return parse_config({"input": inputs, "output": output, "shard_size": 5, "stages": PIPELINE, **extra})


# -------------------------------------------------------------------------------- tests
def test_file_uri_run_matches_a_local_run(tmp_path: Path) -> None:
    """The remote code path (no rename, no symlink, staged global state) over the local disk,
    with two worker processes: the same parts and statistics as a plain-path run."""
    inputs = make_inputs(tmp_path / "in")
    local = run(config(str(inputs), str(tmp_path / "local"), workers=2), progress=False)
    remote = run(config(f"file://{inputs}", f"file://{tmp_path / 'remote'}", workers=2), progress=False)
    assert snapshot(tmp_path / "local") == snapshot(tmp_path / "remote")
    assert local["stages"][2]["rejected"] > 0  # the global stages did decide something
    assert strip_stats(local)["stages"] == strip_stats(remote)["stages"]
    assert local["read"]["documents"] == remote["read"]["documents"] == 26
    # final/ is a plain folder of the last stage's kept parts, on both
    final = tmp_path / "remote" / "final"
    assert final.is_dir() and not final.is_symlink()
    assert pq.read_table(final).num_rows == pq.read_table(tmp_path / "local" / "final").num_rows
    # the global state was uploaded next to the stage, split by shard (pass 2 loads only its
    # shard's rows), one file per shard; the scans are gone once the second pass is complete
    shards = sorted(p.stem for p in (tmp_path / "remote" / "02_domain_cap" / "_global" / "over_cap").glob("*.parquet"))
    assert shards == sorted(json.loads((tmp_path / "remote" / "_state" / "seg01" / f"{k}.json").read_text())["shard"]
                            for k in shards) and len(shards) == 6
    assert not (tmp_path / "remote" / "02_domain_cap" / "_scan").exists()
    assert not list((tmp_path / "remote").rglob("*.tmp"))


def test_file_uri_run_resumes_without_rewriting(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    cfg = config(str(inputs), f"file://{tmp_path / 'out'}", workers=1)
    first = run(cfg, progress=False)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*/**/part-*.parquet")}
    assert before
    second = run(cfg, progress=False)
    assert before == {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*/**/part-*.parquet")}
    assert strip_stats(first) == strip_stats(second)


def test_memory_filesystem_through_fsspec(tmp_path: Path) -> None:
    """Input and output on fsspec's in-memory filesystem (one process: it is per process)."""
    fsspec = pytest.importorskip("fsspec")
    mem = fsspec.filesystem("memory")
    inputs = make_inputs(tmp_path / "in")
    for f in sorted(inputs.iterdir()):
        mem.pipe(f"/bucket/crawl/{f.name}", f.read_bytes())
    try:
        stats = run(config("memory://bucket/crawl", "memory://bucket/out", workers=1), progress=False)
        local = run(config(str(inputs), str(tmp_path / "local"), workers=1), progress=False)
        got = snapshot("memory://bucket/out")
        assert got == snapshot(tmp_path / "local") and got
        assert strip_stats(stats)["stages"] == strip_stats(local)["stages"]
        manifest = json.loads(mem.cat("/bucket/out/manifest.json"))
        assert manifest["status"] == "complete"
        assert mem.exists("/bucket/out/stats.json") and mem.exists("/bucket/out/final")
    finally:
        mem.rm("/bucket", recursive=True)


def test_remote_inputs_expand_like_local_ones(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    (inputs / "sub").mkdir()
    make_warc(inputs / "sub" / "c.warc.gz", 3, seed=3)
    (inputs / "notes.txt").write_text("not an input")
    uri = f"file://{inputs}"
    assert [p.split("://", 1)[1] for p, _ in expand_inputs([uri])] == [p for p, _ in expand_inputs([str(inputs)])]
    assert [f for f, _ in expand_inputs([f"{uri}/*.warc.gz"])] == [f"{uri}/a.warc.gz"]
    assert [f for f, _ in expand_inputs([f"{uri}/sub/c.warc.gz"])] == [f"{uri}/sub/c.warc.gz"]
    from corpusclean.errors import InputError

    with pytest.raises(InputError, match="no such object"):
        expand_inputs([f"{uri}/missing.warc.gz"])
    with pytest.raises(InputError, match="no file matches"):
        expand_inputs([f"{uri}/*.parquet"])
    # and reading through the URI yields the same documents
    from corpusclean.config import InputConfig

    a = [c.docs for c in read_chunks(f"{uri}/a.warc.gz", "warc", InputConfig(), 100, False)][0]
    b = [c.docs for c in read_chunks(str(inputs / "a.warc.gz"), "warc", InputConfig(), 100, False)][0]
    assert a.column("id") == b.column("id") and a.column("html") == b.column("html")


def test_remote_writes_are_atomic(tmp_path: Path) -> None:
    """A write that fails half-way leaves no file under the final name (nor a temporary one)."""
    target = as_path(f"file://{tmp_path}/x/part.parquet")
    assert isinstance(target, RemotePath)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with target.open_output() as sink:
            sink.write(b"PAR1 half a file")
            raise Boom
    assert not target.exists() and not list((tmp_path / "x").iterdir())
    write_parquet(pa.table({"a": [1, 2]}), target)
    assert read_parquet(target).column("a").to_pylist() == [1, 2]
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["part.parquet"]


def test_pmap_runs_a_middle_step_in_the_worker_pool(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in")
    two = run(config(str(inputs), str(tmp_path / "w2"), workers=2), progress=False)
    one = run(config(str(inputs), str(tmp_path / "w1"), workers=1), progress=False)
    probe2, probe1 = two["stages"][3]["global"]["summary"], one["stages"][3]["global"]["summary"]
    assert probe2["rows"] == probe1["rows"] == two["stages"][3]["in"]
    assert probe1["in_driver"] and not probe2["in_driver"]  # one worker: builtin map, in process
    assert snapshot(tmp_path / "w1") == snapshot(tmp_path / "w2")
