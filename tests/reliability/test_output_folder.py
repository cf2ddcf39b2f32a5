"""--overwrite deletes only our own runs; inputs and output never overlap; one run per folder;
a run killed before its first manifest leaves a folder the next run accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpusclean.config import parse_config
from corpusclean.errors import RunError
from corpusclean.runner import run
from corpusclean.runner.lock import LOCK_NAME, OutputLock

STAGES = [{"passthrough": {}}]


def jsonl(path: Path, n: int = 12, tag: str = "d") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": f"{tag}{i}", "text": f"document {tag} {i}",
                                        "url": f"https://s{i % 3}.example/{tag}{i}"}) + "\n" for i in range(n)))
    return path


def go(inputs: str | list[str], output: Path | str, overwrite: bool = False, **extra) -> dict:
    cfg = {"input": inputs, "output": str(output), "shard_size": 5, "stages": STAGES,
           "executor": {"kind": "local", "workers": 1}, **extra}
    return run(parse_config(cfg), overwrite=overwrite, progress=False)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- whose folder
@pytest.mark.parametrize("manifest", [
    {"name": "my-extension", "version": "1.0", "manifest_version": 3},   # a browser extension
    {"name": "App", "start_url": "/", "display": "standalone", "icons": []},  # a web app manifest
    {"corpusclean_version": "0.1", "fingerprint": "x", "format": "something-else",
     "config": {}, "inputs": [], "segments": {}},                      # our keys, another format
])
def test_overwrite_never_deletes_a_folder_with_someone_elses_manifest(tmp_path: Path, manifest: dict) -> None:
    src = jsonl(tmp_path / "in" / "a.jsonl")
    theirs = tmp_path / "site"
    theirs.mkdir()
    (theirs / "manifest.json").write_text(json.dumps(manifest))
    (theirs / "index.html").write_text("<h1>mine</h1>")
    before = tree(theirs)
    with pytest.raises(RunError, match="not written by corpusclean"):
        go(str(src), theirs, overwrite=True)
    with pytest.raises(RunError, match="not written by corpusclean"):
        go(str(src), theirs)
    assert tree(theirs) == before


def test_overwrite_refuses_files_it_did_not_write_in_a_run_folder(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in" / "a.jsonl")
    out = tmp_path / "out"
    go(str(src), out)
    (out / "notes.txt").write_text("my notes about this run")
    (out / "analysis").mkdir()
    with pytest.raises(RunError, match=r"would delete files corpusclean did not write \(analysis, notes.txt\)"):
        go(str(src), out, overwrite=True, shard_size=4)
    assert (out / "notes.txt").read_text() == "my notes about this run"
    (out / "notes.txt").unlink()
    (out / "analysis").rmdir()
    stats = go(str(src), out, overwrite=True, shard_size=4)
    assert stats["stages"][0]["kept"] == 12


def test_a_manifest_from_before_the_format_marker_is_still_ours(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in" / "a.jsonl")
    out = tmp_path / "out"
    go(str(src), out)
    m = json.loads((out / "manifest.json").read_text())
    for k in ("format", "format_version"):
        m.pop(k)
    (out / "manifest.json").write_text(json.dumps(m))
    assert go(str(src), out, overwrite=True, shard_size=4)["stages"][0]["kept"] == 12


# ------------------------------------------------------------------------------- overlap
@pytest.mark.parametrize("inside", ["out/raw", "out/final", "out/01_passthrough"])
def test_inputs_inside_the_output_are_refused_before_anything_is_deleted(tmp_path: Path, inside: str) -> None:
    out = tmp_path / "out"
    go(str(jsonl(tmp_path / "in" / "a.jsonl")), out)
    jsonl(out / "raw" / "b.jsonl")  # someone keeps raw data in the output folder
    before = tree(out)
    with pytest.raises(RunError, match="is inside the output folder"):
        go(str(tmp_path / inside), out, overwrite=True, input={"paths": [str(tmp_path / inside)], "format": "auto"}
           if inside == "out/raw" else {"paths": [str(tmp_path / inside)], "format": "parquet"})
    assert tree(out) == before


@pytest.mark.parametrize("pattern,output", [
    ("{d}", "{d}/out"),                      # a folder input is read recursively
    ("{d}/", "{d}/sub/out"),
    ("{d}/**/*.parquet", "{d}/out"),          # the run's own parts match
    ("{d}/**/*.json*", "{d}/deep/out"),       # its manifest and markers match
    ("{d}/**", "{d}/out"),
])
def test_an_output_its_inputs_would_read_back_is_refused(tmp_path: Path, pattern: str, output: str) -> None:
    d = tmp_path / "data"
    jsonl(d / "a.jsonl")
    (d / "x.parquet").write_bytes(b"")  # so every pattern matches something
    with pytest.raises(RunError, match="would read this run's own files as input"):
        go(pattern.format(d=d), output.format(d=d), input={"paths": [pattern.format(d=d)], "format": "jsonl"})
    assert not Path(output.format(d=d)).exists() or not any(Path(output.format(d=d)).iterdir())


@pytest.mark.parametrize("pattern,output", [
    ("{d}/*.jsonl", "{d}/out"),               # one level, .jsonl only: never the run's files
    ("{d}/raw/**/*.jsonl", "{d}/out"),        # a sibling folder
    ("{d}/**/*.jsonl", "{d}/out"),            # the run writes no .jsonl
])
def test_an_output_next_to_its_inputs_is_fine(tmp_path: Path, pattern: str, output: str) -> None:
    d = tmp_path / "data"
    jsonl(d / "a.jsonl")
    jsonl(d / "raw" / "a.jsonl", tag="r")
    stats = go(pattern.format(d=d), output.format(d=d))
    assert stats["read"]["documents"] in (12, 24)
    assert go(pattern.format(d=d), output.format(d=d))["read"] == stats["read"]  # resume reads no own files


# ------------------------------------------------------------------ kills and concurrency
@pytest.mark.parametrize("leftovers", [
    [".manifest.json.4242.0badc0de.tmp"],
    [".manifest.json.4242.0badc0de.tmp", LOCK_NAME],
    [LOCK_NAME],
])
def test_a_run_killed_before_its_first_manifest_does_not_block_the_folder(tmp_path: Path, leftovers: list[str]) -> None:
    src = str(jsonl(tmp_path / "in" / "a.jsonl"))
    for overwrite in (False, True):
        out = tmp_path / f"out-{overwrite}"
        out.mkdir()
        for name in leftovers:
            (out / name).write_text(json.dumps({"pid": 999999999, "host": "gone", "started": "then"})
                                    if name == LOCK_NAME else '{"half": ')
        stats = go(src, out, overwrite=overwrite)
        assert stats["stages"][0]["kept"] == 12
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_second_run_on_a_folder_in_use_stops_and_names_the_holder(tmp_path: Path) -> None:
    src = str(jsonl(tmp_path / "in" / "a.jsonl"))
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from corpusclean.runner.lock import OutputLock\n"
         "lock = OutputLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match=rf"another corpusclean run is using this output folder "
                                           rf"\(process {holder.pid} on host .+, running since "):
            go(src, out)
        with pytest.raises(RunError, match="another corpusclean run"):
            go(src, out, overwrite=True)
        assert not (out / "manifest.json").exists()
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.05)
    assert go(src, out)["stages"][0]["kept"] == 12  # the holder died: its lock went with it


def test_the_lock_is_released_after_a_run_and_after_a_failed_run(tmp_path: Path) -> None:
    src = str(jsonl(tmp_path / "in" / "a.jsonl"))
    out = tmp_path / "out"
    go(src, out)
    with pytest.raises(RunError, match="different config"):
        go(src, out, shard_size=3)
    with OutputLock(out) as lock:  # nobody holds it any more
        assert lock.holder()["pid"] == os.getpid()
