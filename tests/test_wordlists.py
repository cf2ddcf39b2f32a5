"""corpusclean.wordlists: list references, compressed lists and archives, the hash set."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from corpusclean.wordlists import HashSet, open_list_members, read_word_list, resolve_list


def test_plain_and_compressed_lists_read_the_same(tmp_path: Path) -> None:
    text = b"# a comment\nfoo\n\n  bar  \nbaz"
    (tmp_path / "w.txt").write_bytes(text)
    (tmp_path / "w.txt.gz").write_bytes(gzip.compress(text))
    (tmp_path / "w.txt.zst").write_bytes(pa.compress(text, "zstd", asbytes=True))
    for name in ("w.txt", "w.txt.gz", "w.txt.zst"):
        assert read_word_list(str(tmp_path / name), {}) == ["foo", "bar", "baz"], name


@pytest.mark.parametrize("mode,suffix", [("w:gz", ".tar.gz"), ("w:bz2", ".tar.bz2"), ("w:xz", ".tar.xz"), ("w", ".tar")])
def test_ut1_archive_members(tmp_path: Path, mode: str, suffix: str) -> None:
    path = tmp_path / f"lists{suffix}"
    with tarfile.open(path, mode) as tf:
        for name, data in (("adult/domains", b"bad.example\n"), ("adult/urls", b"ok.example/x\n"),
                           ("adult/README", b"ignored\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    got = [(kind, name, f.read()) for kind, name, f in open_list_members(path)]
    assert got == [("domains", f"lists{suffix}/adult/domains", b"bad.example\n"),
                   ("urls", f"lists{suffix}/adult/urls", b"ok.example/x\n")]


def test_resolve_errors_name_the_reference(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="list file not found: .*nope.txt"):
        resolve_list(str(tmp_path / "nope.txt"), {})
    with pytest.raises(ValueError, match="unknown list '@nope'"):
        resolve_list("@nope", {"@default": tmp_path})


def test_hashset_matches_a_python_set():
    rng = np.random.default_rng(0)
    members = rng.integers(0, 2**63, 50_000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    chunks = [members[:10], members[10:]]
    hs = HashSet(chunks, [1, 0])
    queries = np.concatenate([members[::7], rng.integers(0, 2**63, 20_000, dtype=np.uint64) * np.uint64(2)])
    found = hs.lookup(queries)
    truth = np.isin(queries, members)
    assert ((found >= 0) == truth).all()
    assert (hs.hashes[found[found >= 0]] == queries[found >= 0]).all()
    assert hs.source(int(hs.lookup(members[:1])[0])) == 1  # smallest list is named


