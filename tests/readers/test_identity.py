"""Run-unique document ids: per-file numbering, integer ids, the same file twice, and the stages
that decide by id (exact_dedup, minhash_dedup, domain_cap) applying each decision to the right row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import make_warc

from corpusclean.config import parse_config
from corpusclean.readers import ReadOptions, read_chunks
from corpusclean.readers.identity import IdAssigner, several_inputs
from corpusclean.runner import run

TEXTS = [
    "The alpine cheese festival returns to the valley this weekend, with farmers from twelve villages "
    "bringing their wheels down from the summer pastures and a brass band in the square.",
    "The regional rail timetable changes on the first of next month: trains on the coast line will run "
    "every thirty minutes and two small stations that saw very few passengers will close.",
    "New cycling lanes downtown opened on Monday after eight months of work, separated from traffic by a "
    "low kerb and connecting the railway station with the university campus.",
    "Two hundred volunteers spent Saturday cleaning the banks of the river, collecting shopping trolleys, "
    "tyres, a rusty bicycle and more than a tonne of plastic for recycling.",
    "The city museum will stay open until midnight on the last Friday of each month, with short guided "
    "tours of the painting galleries and a string quartet in the courtyard.",
]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def run_dedup(tmp_path: Path, inputs: list[Path], stage: str) -> tuple[list[dict], list[dict]]:
    out = tmp_path / f"out-{stage}"
    cfg = parse_config({"input": [str(p) for p in inputs], "output": str(out), "executor": {"workers": 1},
                        "stages": [{stage: {}}]})
    run(cfg, progress=False)
    folder = out / f"01_{stage}"
    return rows(out / "final"), rows(folder / "rejected")  # the last stage's kept documents are final/


def rows(folder: Path) -> list[dict]:
    """The rows of a stage folder's own part files (not its sub-folders)."""
    return [r for f in sorted(folder.glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.mark.parametrize("stage", ["exact_dedup", "minhash_dedup"])
def test_case_ids_per_file_integer_ids_numbered_per_file(tmp_path: Path, stage: str) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_jsonl(a, [{"id": i, "text": t} for i, t in enumerate([TEXTS[0], TEXTS[1], TEXTS[2]])])
    write_jsonl(b, [{"id": i, "text": t} for i, t in enumerate([TEXTS[1], TEXTS[3], TEXTS[4]])])
    kept, rejected = run_dedup(tmp_path, [a, b], stage)
    assert [(r["id"], r["source_id"]) for r in rejected] == [("1:b.jsonl#0", "0")]
    assert rejected[0]["duplicate_of"] == "0:a.jsonl#1"
    assert TEXTS[0] in [r["text"] for r in kept] and len(kept) == 5
    assert len({r["id"] for r in kept}) == 5


def test_same_file_twice_keeps_one_copy_of_each_document(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    write_jsonl(a, [{"id": f"doc-{i}", "text": t} for i, t in enumerate(TEXTS)])
    (tmp_path / "copy").mkdir()
    b = tmp_path / "copy" / "a.jsonl"
    shutil.copy(a, b)
    kept, rejected = run_dedup(tmp_path, [a, b, a], "exact_dedup")  # `a` named twice: read once
    assert sorted(r["text"] for r in kept) == sorted(TEXTS)
    assert {r["source"] for r in kept} == {str(a)} and {r["source"] for r in rejected} == {str(b)}
    assert [r["duplicate_of"] for r in rejected] == [f"0:a.jsonl#{i}" for i in range(5)]
    assert [r["id"] for r in rejected] == [f"1:a.jsonl#{i}" for i in range(5)]


def test_same_warc_under_two_names_and_domain_cap(tmp_path: Path) -> None:
    a = tmp_path / "a.warc.gz"
    make_warc(a, 8)
    b = tmp_path / "b.warc.gz"
    shutil.copy(a, b)
    out = tmp_path / "out"
    cfg = parse_config({"input": [str(a), str(b)], "output": str(out), "executor": {"workers": 1},
                        "stages": [{"extract": {}}, {"exact_dedup": {}}, {"domain_cap": {"max_per_domain": 1}}]})
    run(cfg, progress=False)
    dedup_rej = rows(out / "02_exact_dedup" / "rejected")
    assert len(dedup_rej) == 8 and {r["source"] for r in dedup_rej} == {str(b)}
    kept = rows(out / "final")
    cap_rej = rows(out / "03_domain_cap" / "rejected")
    assert len(kept) == 4 and len(cap_rej) == 4  # 4 hosts, one page each; each row judged once
    assert len({r["id"] for r in kept + cap_rej}) == 8
    assert {r["source_id"] for r in kept + cap_rej} == {f"urn:uuid:00000000-0000-4000-8000-0000{i:08d}"
                                                          for i in range(8)}


def test_one_file_keeps_its_own_ids_and_qualifies_repeats() -> None:
    ids = IdAssigner("f.jsonl", qualify=False)
    assert [ids(x) for x in ["7", "8", "7", None, "f.jsonl#5", "f.jsonl#3"]] == [
        "7", "8", "f.jsonl#2", "f.jsonl#3", "f.jsonl#5", "f.jsonl#5~"]
    many = IdAssigner("f.jsonl", qualify=True)
    assert [many(x) for x in ["7", "7", None]] == ["f.jsonl#0", "f.jsonl#1", "f.jsonl#2"]


def test_several_inputs_rule(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text("")
    assert not several_inputs([str(f)]) and not several_inputs([str(f), str(f)])
    assert several_inputs([str(f), str(tmp_path / "b.jsonl")])
    assert several_inputs([str(tmp_path)]) and several_inputs([str(tmp_path / "*.jsonl")])
    assert not several_inputs(["s3://bucket/x.warc.gz"]) and several_inputs(["s3://bucket/crawl/"])
    assert several_inputs(["s3://bucket/crawl"]) and not several_inputs([])


def test_names_are_relative_to_the_input_paths(tmp_path: Path) -> None:
    from corpusclean.readers.identity import file_name

    assert file_name("/d/sub/x.jsonl", ["/d"]) == "sub/x.jsonl"
    assert file_name("/d/sub/x.jsonl", ["/d/"]) == "sub/x.jsonl"
    assert file_name("s3://b/crawl/x.warc.gz", ["s3://b/crawl"]) == "x.warc.gz"
    assert file_name("/d/sub/x.jsonl", ["/d/*/*.jsonl"]) == "sub/x.jsonl"
    assert file_name("/e/x.jsonl", ["/d", "/e/x.jsonl"]) == "1:x.jsonl"
    assert file_name("/d/x.jsonl", ["/d", "/e/x.jsonl"]) == "0:x.jsonl"
    assert file_name("/elsewhere/x.jsonl", ["/d"]) == "/elsewhere/x.jsonl"


def test_duplicate_ids_within_one_file(tmp_path: Path) -> None:
    p = tmp_path / "dup.jsonl"
    write_jsonl(p, [{"id": 1, "text": "a"}, {"id": 1, "text": "b"}, {"text": "c"}])
    (chunk,) = list(read_chunks(str(p), "jsonl", ReadOptions(), 100, False))
    assert chunk.docs.column("id").to_pylist() == ["1", f"{p}#1", f"{p}#2"]
    assert chunk.docs.column("source_id").to_pylist() == ["1", "1", None]
