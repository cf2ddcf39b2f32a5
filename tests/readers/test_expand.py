"""Input expansion: files, folders, globs, links, formats; empty files."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from corpusclean.readers import InputError, ReadOptions, expand_inputs, read_chunks


def test_expand_inputs_files_folders_globs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ["b.jsonl", "sub/a.warc.gz", "sub/c.parquet", "notes.txt", "sub/old.arc.gz", ".hidden.jsonl"]:
        (tmp_path / name).write_bytes(b"")
    found = expand_inputs([str(tmp_path)])
    assert [Path(p).name for p, _ in found] == ["b.jsonl", "a.warc.gz", "c.parquet", "old.arc.gz"]
    assert [f for _, f in found] == ["jsonl", "warc", "parquet", "warc"]
    assert len(expand_inputs([str(tmp_path / "sub" / "*.gz"), str(tmp_path / "sub/a.warc.gz")])) == 2
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([str(tmp_path / "missing.warc")])
    with pytest.raises(InputError, match="cannot tell the format"):
        expand_inputs([str(tmp_path / "notes.txt")])
    assert expand_inputs([str(tmp_path / "notes.txt")], "jsonl")[0][1] == "jsonl"
    with pytest.raises(InputError, match="no input"):
        expand_inputs([])


def test_links_are_resolved_and_loops_not_followed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text('{"text": "x"}\n')
    (data / "parent").symlink_to("..", target_is_directory=True)  # a loop
    (data / "alias.jsonl").symlink_to(data / "a.jsonl")
    assert [Path(p).name for p, _ in expand_inputs([str(data)])] == ["a.jsonl"]
    found = expand_inputs([str(data / "**" / "*.jsonl"), str(data / "a.jsonl"), str(data / ".." / "data" / "a.jsonl")])
    assert len(found) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_unreadable_sub_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text("")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(InputError, match="cannot read"):
            expand_inputs([str(tmp_path)])
    finally:
        locked.chmod(0o755)


def test_empty_files_are_fine(tmp_path: Path) -> None:
    for name, fmt in [("e.warc.gz", "warc"), ("e.warc", "warc"), ("e.jsonl", "jsonl"), ("e.jsonl.gz", "jsonl"),
                      ("e.json", "jsonl")]:
        p = tmp_path / name
        p.write_bytes(b"" if not name.endswith(".gz") else gzip.compress(b""))
        chunks = list(read_chunks(str(p), fmt, ReadOptions(), 10, False))
        assert len(chunks) == 1 and chunks[0].docs.num_rows == 0 and chunks[0].stats.errors == []


def test_chunks_are_bounded_and_deterministic(tmp_path: Path) -> None:
    from conftest import make_warc

    p = tmp_path / "a.warc.gz"
    make_warc(p, 23)
    sizes = [c.docs.num_rows for c in read_chunks(str(p), "warc", ReadOptions(), 10, False)]
    assert sizes == [10, 10, 3]
    again = [c.docs.column("id").to_pylist() for c in read_chunks(str(p), "warc", ReadOptions(), 10, False)]
    first = [c.docs.column("id").to_pylist() for c in read_chunks(str(p), "warc", ReadOptions(), 10, False)]
    assert again == first
