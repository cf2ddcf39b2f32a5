"""Deeply nested pages: nesting libxml2 can parse (up to 2048 elements, ``huge_tree``) keeps all its
text; deeper nesting is the page's ``extract.too_deep`` rejection with a detail, never an empty text
with a null detail, a partial text or a traceback. Both back-ends, through the stage and a run."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpusclean.config import parse_config
from corpusclean.pipeline import Pipeline
from corpusclean.runner import run
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth

BACKENDS = ["resiliparse", "trafilatura"]

BEFORE = "The introduction explains what the page is about and who should read the rest of it."
DEEP = "The nested paragraph holds the instructions that matter, deep inside many wrappers."
AFTER = "The closing paragraph sums up the instructions and points to the next chapter."


def nested(depth: int, tag: str = "div", close: bool = True) -> str:
    inner = f"<p>{DEEP}</p>"
    body = f"<{tag}>" * depth + inner + (f"</{tag}>" * depth if close else "")
    return f"<html><head><title>Deep</title></head><body><p>{BEFORE}</p>{body}<p>{AFTER}</p></body></html>"


def apply(html: str, backend: str):
    return Pipeline([get_stage_class("extract")(backend=backend)]).apply(
        [{"id": "deep", "url": "https://deep.example.test/a.html", "html": html}])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("page", [nested(300), nested(300, "span"), nested(1500, "section"), nested(700, close=False)],
                         ids=["div300", "span300", "section1500", "div700-unclosed"])
def test_nesting_libxml2_parses_keeps_all_text(backend: str, page: str) -> None:
    res = apply(page, backend)
    assert res.kept.num_rows == 1, res.rejected_docs
    text = res.kept_docs[0]["text"]
    assert BEFORE in text and DEEP in text
    if "</div></div>" in page or "</section>" in page or "</span>" in page:
        assert AFTER in text


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("depth", [2100, 20_000])
def test_nesting_deeper_than_libxml2_is_too_deep(backend: str, depth: int) -> None:
    res = apply(nested(depth), backend)
    assert res.kept.num_rows == 0
    (row,) = res.rejected_docs
    assert row["reason"] == "extract.too_deep"
    assert row["detail"] == "elements nested deeper than 2048 (libxml2's limit); the page is cut there"


@pytest.mark.parametrize("backend", BACKENDS)
def test_run_counts_deep_pages_with_their_reason(tmp_path: Path, backend: str) -> None:
    pages = {"d300": nested(300), "d20000": nested(20_000), "flat": nested(2)}
    src = tmp_path / "pages.warc.gz"
    synth.write_warc(str(src), [synth.response_record(f"https://x.test/{k}", v, k) for k, v in pages.items()])
    cfg = parse_config({"input": str(src), "output": str(tmp_path / "out"),
                        "executor": {"kind": "local", "workers": 1},
                        "stages": [{"extract": {"backend": backend}}]})
    stats = run(cfg, progress=False)
    stage = stats["stages"][0]
    assert (stage["in"], stage["kept"], stage["rejected_by_reason"]) == (3, 2, {"extract.too_deep": 1})
    rejected = pq.read_table(tmp_path / "out" / "01_extract" / "rejected").to_pylist()
    assert [(r["url"], r["reason"]) for r in rejected] == [("https://x.test/d20000", "extract.too_deep")]
    assert "2048" in rejected[0]["detail"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_after_hidden_text_the_handed_over_tree_says_the_same(backend: str) -> None:
    stages = [get_stage_class("hidden_text")(), get_stage_class("extract")(backend=backend)]
    docs = [{"id": f"d{n}", "url": f"https://deep.example.test/{n}", "html": nested(n)} for n in (20_000, 300, 2000)]
    res = Pipeline(stages).apply(docs)  # the deep page first: the pages after it are not marked cut
    assert [d["id"] for d in res.kept_docs] == ["d300", "d2000"]
    assert all(DEEP in d["text"] and AFTER in d["text"] for d in res.kept_docs)
    assert [(d["id"], d["reason"]) for d in res.rejected_docs] == [("d20000", "extract.too_deep")]


def test_recursion_in_the_extractor_is_too_deep_not_a_traceback() -> None:
    """trafilatura and our renderer walk trees iteratively today (2000 levels pass above); should a
    walk recurse per level, Python's RecursionError is the page's too_deep, never a traceback."""
    stage = get_stage_class("extract")(timeout_s=0)
    stage.setup()

    def walk(node, depth: int = 0) -> str:  # a recursive walk, one frame per level
        return walk(node, depth + 1)

    stage.extract_text = lambda html, url=None: walk(html)  # type: ignore[method-assign]
    out = Pipeline([stage]).apply([{"id": "r", "url": "https://deep.example.test/r", "html": nested(300)}])
    (row,) = out.rejected_docs
    assert (row["reason"], row["detail"]) == (
        "extract.too_deep", "elements nested too deep for the extractor (RecursionError)")
