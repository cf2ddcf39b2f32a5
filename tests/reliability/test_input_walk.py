"""Globs do not follow directory-link loops; an unreadable folder under a glob is an error."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from corpusclean.errors import InputError
from corpusclean.readers import expand_inputs


def test_a_recursive_glob_never_follows_a_link_loop(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.jsonl").write_text('{"text": "x"}\n')
    (data / "sub" / "b.jsonl").write_text('{"text": "y"}\n')
    for name in ("up", "up2", "up3"):  # three loops: glob.glob would walk 3^40 paths
        (data / "sub" / name).symlink_to("..", target_is_directory=True)
    t0 = time.perf_counter()
    found = expand_inputs([str(data / "**" / "*.jsonl")])
    assert time.perf_counter() - t0 < 5
    assert [Path(p).relative_to(data).as_posix() for p, _ in found] == ["a.jsonl", "sub/b.jsonl"]


@pytest.mark.parametrize("pattern", ["**/*.jsonl", "*/*.jsonl", "sub/**"])
def test_a_glob_matches_like_glob_glob_on_plain_folders(tmp_path: Path, pattern: str) -> None:
    import glob

    for rel in ("a.jsonl", "sub/b.jsonl", "sub/deep/c.jsonl", ".hidden/d.jsonl", "sub/.e.jsonl"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text('{"text": "x"}\n')
    expected = sorted(f for f in glob.glob(str(tmp_path / pattern), recursive=True) if os.path.isfile(f))
    assert [p for p, _ in expand_inputs([str(tmp_path / pattern)])] == expected


@pytest.mark.parametrize("pattern", ["**/*.jsonl", "*/*.jsonl"])
def test_an_unreadable_folder_under_a_glob_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       pattern: str) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:  # what a folder without read permission does (we may be root)
        if os.fspath(path).endswith("locked"):  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[call-overload]
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InputError, match=r"cannot read .*locked: Permission denied"):
        expand_inputs([str(tmp_path / pattern)])
