"""Resume compares the files a run reads and their content, not how their paths are spelled."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from corpusclean.config import parse_config
from corpusclean.errors import RunError
from corpusclean.readers import SAMPLE_INPUT, sample_path
from corpusclean.runner import run

STAGES = [{"passthrough": {}}]


def crawl(root: Path, big: bool = False) -> Path:
    """Two JSONL files (``big``: the second is over the 2 MiB a digest reads whole)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, n in (("a.jsonl", 9), ("b.jsonl", 4000 if big else 7)):
        with open(root / name, "w") as f:
            for i in range(n):
                f.write(json.dumps({"id": f"{name}{i}", "text": f"document {i} " + "x" * (600 if big else 10),
                                    "url": f"https://s{i % 3}.example/{i}"}) + "\n")
    return root


def go(inputs: str | list[str], output: Path, overwrite: bool = False) -> dict:
    cfg = {"input": inputs, "output": str(output), "shard_size": 4, "stages": STAGES,
           "executor": {"kind": "local", "workers": 1}}
    return run(parse_config(cfg), overwrite=overwrite, progress=False)


def parts(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.glob("0*/**/part-*.parquet"))}


@pytest.mark.parametrize("first,again", [
    ("{d}", "{d}/*.jsonl"),
    ("{d}/*.jsonl", "{d}/"),
    ("{d}", ["{d}/b.jsonl", "{d}/a.jsonl"]),
    ("{d}", "./{rel}"),
    ("./{rel}/", "{rel}//**/*.jsonl"),
    ("{d}", "{link}"),  # through a symbolic link to the folder
])
def test_the_same_files_spelled_another_way_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      first: str | list[str], again: str | list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    d = crawl(tmp_path / "crawl")
    (tmp_path / "link").symlink_to(d, target_is_directory=True)
    fill = lambda s: s.format(d=d, rel="crawl", link=tmp_path / "link")  # noqa: E731
    out = tmp_path / "out"
    stats = go([fill(s) for s in first] if isinstance(first, list) else fill(first), out)
    before = parts(out)
    again_stats = go([fill(s) for s in again] if isinstance(again, list) else fill(again), out)
    assert parts(out) == before  # nothing recomputed
    assert again_stats["read"] == stats["read"]


def test_the_bundled_sample_at_another_install_path_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    go(SAMPLE_INPUT, out)
    before = parts(out)
    moved = tmp_path / "site-packages" / "corpusclean" / "data" / "sample.warc.gz"
    moved.parent.mkdir(parents=True)
    shutil.copyfile(sample_path(), moved)  # a fresh copy: another path, inode and mtime
    monkeypatch.setattr("corpusclean.readers.expand.sample_path", lambda: moved)
    go(SAMPLE_INPUT, out)
    assert parts(out) == before
    assert json.loads((out / "manifest.json").read_text())["inputs"][0]["real"] == str(moved)


@pytest.mark.parametrize("big", [False, True])
def test_a_moved_folder_resumes(tmp_path: Path, big: bool) -> None:
    d = crawl(tmp_path / "crawl", big)
    out = tmp_path / "out"
    go(str(d), out)
    before = parts(out)
    shutil.copytree(d, tmp_path / "elsewhere")  # copy2: same content and mtime, new inode
    shutil.rmtree(d)
    go(str(tmp_path / "elsewhere"), out)
    assert parts(out) == before


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("how", ["in_place", "replaced", "same_mtime"])
def test_a_file_rewritten_with_the_same_size_is_refused(tmp_path: Path, big: bool, how: str) -> None:
    d = crawl(tmp_path / "crawl", big)
    out = tmp_path / "out"
    go(str(d), out)
    target = d / "b.jsonl"
    data = bytearray(target.read_bytes())
    st = target.stat()
    at = len(data) // 2 if how != "same_mtime" else 20  # the middle; or the start, with the mtime put back
    data[at:at + 1] = b"Y" if data[at:at + 1] != b"Y" else b"Z"
    if how == "replaced":
        (d / "new").write_bytes(bytes(data))
        os.replace(d / "new", target)
    else:
        with open(target, "r+b") as f:
            f.write(bytes(data))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + (0 if how == "same_mtime" else 1_000_000_000)))
    with pytest.raises(RunError, match=r"changed: input file .*b\.jsonl \((content differs|modified since the run "
                                       r"started|replaced by another file)"):
        go(str(d), out)
    stats = go(str(d), out, overwrite=True)
    assert stats["read"]["documents"] + stats["read"]["rejected"] == 9 + (4000 if big else 7)


def test_added_and_removed_files_are_named(tmp_path: Path) -> None:
    d = crawl(tmp_path / "crawl")
    out = tmp_path / "out"
    go(str(d), out)
    shutil.copyfile(d / "a.jsonl", d / "c.jsonl")
    with pytest.raises(RunError, match=r"input files: 2 -> 3; added .*c\.jsonl"):
        go(str(d), out)
    (d / "c.jsonl").unlink()
    (d / "b.jsonl").rename(d / "z.jsonl")  # the same content in the same place of the order: the same input
    go(str(d), out)
    (d / "z.jsonl").unlink()
    shutil.copyfile(d / "a.jsonl", d / "y.jsonl")
    with pytest.raises(RunError, match=r"input file .*z\.jsonl -> .*y\.jsonl \(size"):
        go(str(d), out)


def test_resumed_documents_keep_the_first_spelling_of_their_source(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    crawl(tmp_path / "crawl")
    go("crawl", tmp_path / "out")
    for part in (tmp_path / "out" / "final").glob("part-*"):
        part.unlink()
    for marker in (tmp_path / "out" / "_state").rglob("*.json"):
        marker.unlink()
    go("./crawl/*.jsonl", tmp_path / "out")
    import pyarrow.parquet as pq

    sources = set(pq.read_table(tmp_path / "out" / "final").column("source").to_pylist())
    assert sources == {"crawl/a.jsonl", "crawl/b.jsonl"}
