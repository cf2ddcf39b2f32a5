"""A damaged gzip member of a JSON Lines file costs that member only: its lines are never trusted
as documents, reading resumes at the next member, and the damage is reported once by file and offset."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import cli_passthrough

from corpusclean.io.files import gzip_members
from corpusclean.readers import ReadOptions, ReadStats, read_file


def _members(n: int = 4, lines: int = 500) -> list[bytearray]:
    return [bytearray(gzip.compress("".join(
        json.dumps({"id": f"m{m}-{i}", "text": f"member {m} line {i} " + "word " * 20}) + "\n"
        for i in range(lines)).encode(), mtime=0)) for m in range(n)]


def _damage(member: bytearray) -> None:
    k = len(member) // 2
    member[k] ^= 0xFF
    member[k + 7] ^= 0xFF


def _write(path: Path, bad: list[int], parts: list[bytearray] | None = None) -> tuple[Path, list[int]]:
    parts = parts or _members()
    for m in bad:
        _damage(parts[m])
    offsets = [sum(len(p) for p in parts[:m]) for m in range(len(parts))]
    path.write_bytes(b"".join(parts))
    return path, offsets


@pytest.mark.parametrize("bad", [1, 0, 3])
def test_cli_run_keeps_every_good_member(tmp_path: Path, bad: int) -> None:
    path, offsets = _write(tmp_path / "d.jsonl.gz", [bad])
    out = tmp_path / "out"
    stats = cli_passthrough(path, out)
    read = stats["read"]
    assert read["documents"] == 1500 and read.get("rejected_by_reason", {}) == {}
    ids = pq.read_table(out / "final", columns=["source_id"]).column("source_id").to_pylist()
    assert len(ids) == 1500 and not any(i.startswith(f"m{bad}-") for i in ids)
    assert {i.split("-")[0] for i in ids} == {f"m{m}" for m in range(4) if m != bad}
    errors = read["errors"]
    assert len(errors) == 1 and errors[0]["file"] == str(path) and errors[0]["offset"] == offsets[bad]
    assert "corrupt gzip member" in errors[0]["error"]
    if bad < 3:
        assert f"resumed at byte {offsets[bad + 1]}" in errors[0]["error"]
    assert stats["stages"][0]["in"] == 1500


def test_two_damaged_members_and_public_api(tmp_path: Path) -> None:
    path, offsets = _write(tmp_path / "d.jsonl.gz", [1, 2])
    stats = ReadStats()
    docs = list(read_file(str(path), "jsonl", ReadOptions(), stats))
    assert len(docs) == 1000 and all("reason" not in d for d in docs)
    assert [e["offset"] for e in stats.errors] == [offsets[1], offsets[2]]


def test_line_cut_by_a_damaged_member_is_rejected_not_joined(tmp_path: Path) -> None:
    """A writer that splits members mid-line: the halves around a dropped member are not glued."""
    raw = "".join(json.dumps({"text": f"line {i} " * 30}) + "\n" for i in range(90)).encode()
    thirds = [raw[:len(raw) // 3], raw[len(raw) // 3: 2 * len(raw) // 3], raw[2 * len(raw) // 3:]]
    parts = [bytearray(gzip.compress(t, mtime=0)) for t in thirds]
    path, _ = _write(tmp_path / "cut.jsonl.gz", [1], parts)
    stats = ReadStats()
    rows = list(read_file(str(path), "jsonl", ReadOptions(), stats))
    rejected = [r for r in rows if "reason" in r]
    assert [r["reason"] for r in rejected] == ["read.invalid_json", "read.invalid_json"]
    docs = [r["text"] for r in rows if "reason" not in r]
    assert docs and all(t == f"line {t.split()[1]} " * 30 for t in docs)  # whole lines only
    assert len(docs) + 2 < 90
    assert len(stats.errors) == 1


def test_long_member_is_checked_before_it_is_read(tmp_path: Path) -> None:
    """A member longer than the hold buffer is verified by a second inflate; a bad one gives nothing."""
    parts = _members(3, 2000)
    _damage(parts[1])
    path = tmp_path / "long.gz"
    path.write_bytes(b"".join(parts))
    with open(path, "rb") as f:
        seen = [(m.status, sum(len(c) for c in m.data)) for m in gzip_members(f, chunk=4096, hold=10_000)]
    assert [s for s, _ in seen] == ["ok", "corrupt", "ok"]
    assert seen[0][1] == seen[2][1] > 10_000


def test_nul_padding_and_trailing_garbage(tmp_path: Path) -> None:
    parts = _members(2, 10)
    path = tmp_path / "pad.jsonl.gz"
    path.write_bytes(bytes(parts[0]) + b"\x00" * 1000 + bytes(parts[1]) + b"\x00" * 10)
    stats = ReadStats()
    assert len(list(read_file(str(path), "jsonl", ReadOptions(), stats))) == 20 and stats.errors == []
    path.write_bytes(bytes(parts[0]) + bytes(parts[1]) + b"not gzip at all")
    stats = ReadStats()
    assert len(list(read_file(str(path), "jsonl", ReadOptions(), stats))) == 20
    assert len(stats.errors) == 1 and stats.errors[0]["offset"] == len(parts[0]) + len(parts[1])
