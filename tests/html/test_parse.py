"""One HTML parse per page (issue 18.3): hidden_text hands its tree to extract, results unchanged."""

from __future__ import annotations

import weakref

import pytest

import corpusclean.html.parse as parse_mod
from corpusclean.html.parse import HANDOFF, TreeHandoff, parse_page
from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.stages.hidden_text import analyse

PAGE = ("<html><head><title>Soups</title></head><body><nav><a href='/'>Home</a></nav><main>"
        "<h1>Soups {i}</h1><p>A soup is a liquid food, served <em>warm</em> or hot, made by combining "
        "ingredients such as meat and vegetables with stock or water.</p><ul><li>Tomato soup with "
        "basil</li><li>Leek and potato soup</li></ul><!-- comment --></main></body></html>")
SPAM = ("<html><body><p>An ordinary paragraph about gardens and how to water them in summer.</p>"
        "<div style='display:none'>cheap pills, cheap pills, buy pills, cheap pills, pills online, "
        "cheap pills, buy now</div></body></html>")


def _docs() -> list[dict]:
    docs = [{"id": str(i), "url": f"https://site.example/{i}", "html": PAGE.format(i=i)} for i in range(5)]
    docs.append({"id": "spam", "url": "https://site.example/s", "html": SPAM})
    docs.append({"id": "dup", "url": "https://site.example/d", "html": PAGE.format(i=0)})  # same html twice
    return docs


@pytest.mark.parametrize("backend", ["trafilatura", "resiliparse"])
def test_pair_parses_each_page_once_and_decides_as_separate_runs(monkeypatch, backend):
    Extract, Hidden = get_stage_class("extract"), get_stage_class("hidden_text")
    docs = _docs()
    # separate runs, nothing handed over
    monkeypatch.setattr(HANDOFF, "consumers", weakref.WeakValueDictionary())
    first = Pipeline([Hidden()]).apply(docs)
    assert len(HANDOFF) == 0
    alone = Pipeline([Extract(backend=backend)]).apply(first.kept.to_pylist())
    monkeypatch.setattr(HANDOFF, "consumers", weakref.WeakValueDictionary())
    calls = []
    real = parse_mod.parse_html
    monkeypatch.setattr(parse_mod, "parse_html", lambda h: calls.append(1) or real(h))
    both = Pipeline([Hidden(), Extract(backend=backend)]).apply(docs)
    assert both.kept.to_pylist() == alone.kept.to_pylist()
    assert [d["reason"] for d in both.rejected_docs] == ["hidden_text.hidden_keywords"]
    # 7 pages, 6 distinct: hidden_text parses each distinct page once; extract parses only the
    # duplicate again (the shared tree went to the first copy, which edits it)
    assert len(calls) == 7
    assert len(HANDOFF) == 0  # the rejected page's tree is not kept past the batch


def test_without_a_consumer_nothing_is_held(monkeypatch):
    monkeypatch.setattr(HANDOFF, "consumers", weakref.WeakValueDictionary())
    Pipeline([get_stage_class("hidden_text")()]).apply(_docs())
    assert len(HANDOFF) == 0


def test_handoff_is_bounded_and_take_forgets():
    h = TreeHandoff(max_chars=25)
    h.add_consumer(Pipeline)  # any live object stands for a consumer
    h.offer("a" * 10, "t1")
    h.offer("b" * 10, "t2")
    h.offer("c" * 10, "t3")  # over 25 chars held: the oldest goes
    assert h.take("a" * 10) is None
    assert h.take("b" * 10) == "t2" and h.take("b" * 10) is None
    h.offer("x" * 30, "big")  # larger than the bound: never held
    assert len(h) == 1


@pytest.mark.parametrize("html", [
    '<!DOCTYPE html>\n<html xml:lang="de" />\n<head><title>Verein</title></head>\n'
    "<body><p>Der Verein trainiert jeden Samstag auf dem Platz am Wald.</p></body></html>",
    '<html lang="en"/>\n<body><p>The club trains every Saturday on the field near the wood.</p></body></html>',
    '<html xmlns="http://www.w3.org/1999/xhtml" />\n<body><p>Opening hours are posted on the door of the '
    "office every week.</p></body></html>",
])
def test_self_closed_html_tag_still_has_its_text(html):
    """A self-closed ``<html/>`` made libxml2 return an empty tree: hidden_text saw no words."""
    root = parse_page(html)
    assert root is not None and "every" in root.text_content().replace("jeden", "every")
    assert analyse(html)["visible_words"] >= 10


def test_a_later_pipeline_without_extract_holds_no_trees():
    """The consumer is the live extract stage: once its pipeline is gone, a hidden_text-only
    pipeline in the same process hands nothing over (no trees held between runs)."""
    import gc

    Extract, Hidden = get_stage_class("extract"), get_stage_class("hidden_text")
    Pipeline([Hidden(), Extract()]).apply(_docs())
    gc.collect()
    assert not HANDOFF.consumers
    Pipeline([Hidden()]).apply(_docs())
    assert len(HANDOFF) == 0
