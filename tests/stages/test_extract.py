"""Golden and robustness tests for the ``extract`` stage (both backends)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.text import LIST_INDENT, UNORDERED_BULLET, is_bullet_line, lines, ordered_bullet

DATA = Path(__file__).parents[1] / "data" / "html"
BACKENDS = ["resiliparse", "trafilatura"]


def page(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def extract(html: str, backend: str = "trafilatura", **params) -> str:
    stage = get_stage_class("extract")(backend=backend, **params)
    res = Pipeline([stage]).apply([{"id": "p", "url": "https://example.com/a", "html": html}])
    assert res.kept.num_rows == 1, res.rejected_docs
    return res.kept_docs[0]["text"]


def test_glyphs_come_from_text_module_and_count_as_bullets():
    # the one definition: what the extractor writes is what the bullet-line check counts
    assert is_bullet_line(UNORDERED_BULLET + "item")
    assert is_bullet_line(LIST_INDENT * 3 + UNORDERED_BULLET + "deep item")
    for n in (1, 9, 10, 99, 123):
        assert is_bullet_line(ordered_bullet(n) + "item")
        assert is_bullet_line(LIST_INDENT + ordered_bullet(n) + "item")


@pytest.mark.parametrize("backend", BACKENDS)
def test_garden_golden(backend):
    text = extract(page("golden_garden.html"), backend)
    assert "- A sunny spot with good drainage and shelter from wind" in text  # <strong> inline
    assert "- Compost, ideally home made from kitchen scraps" in text  # <li><p><a>
    assert "- Tools:\n  - a spade for digging\n  - a rake for levelling\n    - metal rake preferred" in text
    assert "- Line one\n  line two of the same item" in text  # <br> in an item: continuation line
    assert "1. Clear the bed of weeds" in text and "3. Plant the bulbs" in text
    assert "Garlic | October" in text
    for junk in ("Home", "About", "Shop", "cookies", "Copyright", "Privacy", "Terms"):
        assert junk not in text, junk
    # headings and paragraphs are blocks separated by blank lines
    assert "How to plant a winter garden\n\nPlanting a winter garden" in text


def test_garden_exact_trafilatura():
    expected = """How to plant a winter garden

Planting a winter garden takes some planning, but the results are worth the effort for every gardener who tries it.

What you need

- A sunny spot with good drainage and shelter from wind
- Compost, ideally home made from kitchen scraps
- Tools:
  - a spade for digging
  - a rake for levelling
    - metal rake preferred
- Line one
  line two of the same item

Steps

1. Clear the bed of weeds and stones before you start.
2. Dig in the compost to a depth of twenty centimetres.
3. Plant the bulbs and water them well.

- Hardy: Survives frost without protection.
- Tender: Needs shelter in winter.

Plant | Month
Garlic | October
Onion | November

With these steps your garden will be ready for spring, and you will enjoy fresh produce early in the year."""
    assert extract(page("golden_garden.html")) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_page_whose_content_is_a_list(backend):
    text = extract(page("golden_list_page.html"), backend)
    ls = lines(text)
    items = [ln for ln in ls if is_bullet_line(ln)]
    assert len(items) == 10
    assert items[0].startswith("1. The Nile") and items[9].startswith("10. Rivers provide")
    for junk in ("Home", "Contact", "cookies", "Popular", "Lakes of the north", "Privacy policy", "River Weekly"):
        assert junk not in text, junk


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_and_ordered(backend):
    text = extract(page("golden_nested.html"), backend)
    assert "- Layers that you can add or remove" in text
    assert "  - a thin base layer that dries quickly" in text
    assert "  - a warm fleece for the summit\n    or a light down jacket" in text
    assert "- Walking boots that you have worn in before the trip" in text
    assert "2. Tell someone where you are going and when you expect to return.\n  1. Leave a written route.\n" \
           "  2. Agree on a time to call." in text
    assert "Walks" not in text and "Copyright" not in text


def test_options_tables_links_keep_html():
    html = page("golden_garden.html")
    assert "Garlic" not in extract(html, include_tables=False)
    assert "[home made](https://example.com/compost)" in extract(html, include_links=True)
    stage = get_stage_class("extract")(keep_html=True)
    res = Pipeline([stage]).apply([{"id": "p", "html": html}])
    assert "html" in res.kept.column_names
    res = Pipeline([get_stage_class("extract")()]).apply([{"id": "p", "html": html}])
    assert "html" not in res.kept.column_names
    declared = get_stage_class("extract")().output_schema(
        pa.schema([("id", pa.string()), ("text", pa.string()), ("url", pa.string()),
                   ("source", pa.string()), ("html", pa.string())]))
    assert res.kept.schema.names == declared.names and res.kept.schema.types == declared.types


def test_rejections_and_accounting():
    docs = [
        {"id": "ok", "html": page("golden_garden.html")},
        {"id": "empty", "html": "<html><body><script>var a = 1;</script><style>p{}</style></body></html>"},
        {"id": "blank", "html": "   "},
        {"id": "none", "html": None},
        {"id": "textonly", "html": None, "text": "already text"},
        {"id": "big", "html": "<p>" + "x" * 20000 + "</p>"},
        {"id": "garbage", "html": "\x00\x01<<<>>><?xml version='1.0' encoding='latin-1'?>"},
    ]
    stage = get_stage_class("extract")(min_chars=10, max_html_chars=10000)
    res = Pipeline([stage]).apply(docs)
    reasons = {d["id"]: d["reason"] for d in res.rejected_docs}
    assert {d["id"] for d in res.kept_docs} == {"ok", "textonly"}
    assert reasons["empty"] == "extract.empty" and reasons["blank"] == "extract.empty"
    assert reasons["none"] == "extract.no_html" and reasons["big"] == "extract.too_large"
    assert reasons["garbage"] in ("extract.empty", "extract.too_short", "extract.error")
    assert res.kept.num_rows + res.rejected.num_rows == len(docs)
    assert "html" in res.rejected.column_names  # rejected pages keep their html for inspection
    short = Pipeline([get_stage_class("extract")(min_chars=100_000)]).apply(docs[:1])
    assert short.rejected_docs[0]["reason"] == "extract.too_short"


def test_deterministic_whatever_the_batch():
    pages = [page("golden_garden.html"), page("golden_nested.html"), page("golden_list_page.html")]
    stage = get_stage_class("extract")()
    alone = [Pipeline([stage]).apply([{"id": str(i), "html": h}]).kept_docs[0]["text"] for i, h in enumerate(pages)]
    together = Pipeline([stage]).apply([{"id": str(i), "html": h} for i, h in enumerate(pages)] * 2).kept_docs
    assert [d["text"] for d in together] == alone * 2


class _Slow(get_stage_class("extract")):  # type: ignore[misc]
    """The real stage with a parser that hangs on one page."""

    def extract_text(self, html, url=None):
        if "HANG" in html:
            time.sleep(5)
        if "BOOM" in html:
            raise RuntimeError("parser blew up")
        return super().extract_text(html, url)


def _run_slow(out: dict) -> None:
    stage = _Slow(timeout_s=0.3)
    docs = [{"id": "a", "html": page("golden_garden.html")}, {"id": "hang", "html": "<p>HANG</p>"},
            {"id": "boom", "html": "<p>BOOM</p>"}, {"id": "b", "html": page("golden_nested.html")}]
    t0 = time.monotonic()
    out["res"] = Pipeline([stage]).apply(docs)
    out["secs"] = time.monotonic() - t0


@pytest.mark.parametrize("thread", [False, True], ids=["main-thread-alarm", "worker-thread"])
def test_timeout_and_error_do_not_take_worker_down(thread):
    out: dict = {}
    if thread:
        t = threading.Thread(target=_run_slow, args=(out,))
        t.start()
        t.join()
    else:
        _run_slow(out)
    res = out["res"]
    reasons = {d["id"]: (d["reason"], d["detail"]) for d in res.rejected_docs}
    assert reasons["hang"][0] == "extract.timeout"
    assert reasons["boom"] == ("extract.error", "RuntimeError: parser blew up")
    assert [d["id"] for d in res.kept_docs] == ["a", "b"]
    assert out["secs"] < 3


def test_resiliparse_missing_gives_one_line_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("resiliparse"):
            raise ImportError("No module named 'resiliparse'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'resiliparse>=2\.0'"):
        get_stage_class("extract")(backend="resiliparse")
