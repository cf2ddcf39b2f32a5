"""A FIFO, socket or broken link given as input is named for what it is, never opened (opening a
FIFO with no writer blocks forever): corpusclean/readers/expand.py ``special_kind``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from corpusclean.readers import InputError, expand_inputs

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "corpusclean.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # a hang fails, never blocks the suite


def test_fifo_input_is_named_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "crawl.jsonl"
    os.mkfifo(fifo)
    res = _cli("run", "--input", str(fifo), "--output", str(tmp_path / "out"), "--quiet", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert res.stderr == (f"error: {fifo}: not a regular file: FIFO (named pipe); a run reads each input more "
                          "than once (schema probe, resume): copy the stream to a file first\n")


@pytest.mark.parametrize("how", ["folder", "glob", "symlink"])
def test_fifo_found_in_a_folder_glob_or_behind_a_link(tmp_path: Path, how: str) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"text": "x"}\n')
    os.mkfifo(tmp_path / "in" / "b.jsonl")
    target = {"folder": tmp_path / "in", "glob": tmp_path / "in" / "*.jsonl", "symlink": tmp_path / "link.jsonl"}[how]
    if how == "symlink":
        target.symlink_to(tmp_path / "in" / "b.jsonl")
    with pytest.raises(InputError, match=r"b\.jsonl: not a regular file: FIFO \(named pipe\)"
                       if how != "symlink" else r"link\.jsonl: not a regular file: FIFO"):
        expand_inputs([str(target)])


def test_socket_and_broken_link(tmp_path: Path) -> None:
    sock_path = tmp_path / "s.jsonl"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        with pytest.raises(InputError, match="not a regular file: socket"):
            expand_inputs([str(sock_path)])
    (tmp_path / "gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    with pytest.raises(InputError, match=r"gone\.jsonl: broken symbolic link \(to .*nowhere\.jsonl\)"):
        expand_inputs([str(tmp_path / "gone.jsonl")])
