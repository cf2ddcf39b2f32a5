"""The pruned visibility walk equals the full one (issue 18.3: the walk made cheap, no decision changed).

``walk(prune=True)`` visits only candidates and their ancestors and takes visible text as a
difference of text nodes; ``walk(prune=False)`` visits every element. They must give the same
page (``visible`` and ``alts`` as multisets): checked on the labelled set, on generated pages,
on hand-made pages of each pruning rule's edge, and (slow) on the real pages of the benchmark
cache when it is present.
"""

from __future__ import annotations

import importlib.util
import random
import weakref
from collections import Counter
from pathlib import Path

import pytest

from corpusclean.html import parse
from corpusclean.html.css import StyleSheet
from corpusclean.html.prune import candidates
from corpusclean.html.visibility import walk
from corpusclean.testing.synth import html_page

DATA = Path(__file__).resolve().parents[1] / "data" / "html"
_spec = importlib.util.spec_from_file_location("labelled_pages", DATA / "labelled.py")
labelled = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(labelled)  # type: ignore[union-attr]


def same(html: str, url: str = "https://site.test/") -> None:
    """Assert the pruned and the full walk give the same page."""
    parse.HANDOFF.consumers = weakref.WeakValueDictionary()
    full, pruned = walk(html, url, prune=False), walk(html, url)
    assert Counter(pruned.visible) == Counter(full.visible)
    assert Counter(pruned.alts) == Counter(full.alts)
    assert [(b.method, [(s.text, s.link) for s in b.segments]) for b in pruned.blocks] == \
           [(b.method, [(s.text, s.link) for s in b.segments]) for b in full.blocks]
    assert (pruned.title, pruned.metas) == (full.title, full.metas)


EXTERNAL = '<link rel="stylesheet" href="s.css">'
EDGES = {
    # a colour kept from a candidate's parent through "inherit" under a universal rule that may apply
    "inherit_under_universal": ("<style>@media print { * { color: black } } body{background:#fff}</style>",
                                '<div><p>text <span style="color:inherit;background:#000">dark on dark'
                                "</span></p></div>"),
    "universal_known_rule": ("<style>* { color: #fff }</style>", "<div><p>white on white words here</p></div>"),
    "uppercase_class": (EXTERNAL + "<style>.SEO{display:none}</style>",
                        '<div class="Seo Box">cheap flights cheap hotels deals cheap cheap</div><p>ok</p>'),
    "non_ascii_class": (EXTERNAL + "<style>.kelvin{display:none}</style>",
                        '<div class="\u212aelvin">hidden by a Kelvin sign that lower-cases to k</div>'),
    "id_rule": (EXTERNAL + "<style>#KW{visibility:hidden}</style>", '<p id="kw">one two three four five</p>'),
    "offset_rule_and_inline_position": (EXTERNAL + "<style>.off{left:-9999px;color:red}</style>",
                                        '<p class="off" style="position:absolute">far away words here</p>'),
    "size_rule_and_overflow_rule": (EXTERNAL + "<style>.a{overflow:hidden}.b{height:0}</style>",
                                    '<div class="a b">squeezed keyword list words</div>'),
    "nested_skipped": ("", "<div><pre>code <code>inner</code> <b>bold</b></pre> tail <code>x</code> after</div>"
                           '<svg><text>svg text</text><script>s()</script></svg><img alt="visible alt">'
                           '<object><img alt="not read"></object>'),
    "paint_region_with_visible_child": ("", '<div style="color:#fff;background:#fff">hidden <span '
                                            'style="color:#000">shown</span> hidden tail <img alt="a"></div>'),
    "hidden_block_with_links_and_alt": (EXTERNAL, '<div hidden><a href="https://other.test/">Other</a> '
                                                  '<img alt="in block"> text</div><a href="/x">menu</a>'),
    "second_root": ("", "<p>first</p></body></html><html><body><script>var x</script><p>second</p>"),
    "comments_and_pis": ("", "<div>a<!-- c -->b<?pi x?>c<p>d<!--e-->f</p></div>"),
    "legacy_colours": ("", '<body text="#ffffff" bgcolor="#ffffff"><font color="#fff">white</font>'
                           '<table bgcolor="#000"><tr><td>dark</td></tr></table></body>'),
    "noscript_in_head": ("<noscript><p>enable js</p></noscript>", "<p>body text</p>"),
    "many_class_values": (EXTERNAL + "<style>.x{display:none}</style>",
                          "".join(f'<p class="x{i} é{i}">word {i} cheap cheap cheap flights</p>' for i in range(300))
                          + '<p class="x">hidden keywords cheap flights cheap hotels</p>'),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_pruned_walk_equals_full_walk_on_edges(name):
    head, body = EDGES[name]
    same(f"<html><head>{head}</head><body>{body}</body></html>")


def test_pruned_walk_equals_full_walk_on_labelled_and_generated_pages():
    for _, page in labelled.spam_pages(per_form=1) + labelled.normal_pages(n=40):
        same(page, labelled.URL)
    rng = random.Random(3)
    for i in range(8):
        same(html_page(rng, size=rng.randint(20_000, 60_000)), f"https://site{i}.example.com/p")


def test_pruning_visits_few_elements():
    """A plain page with an external stylesheet: only the hidden element and its ancestors."""
    html = (f"<html><head>{EXTERNAL}</head><body>" + "<div><p>text <b>bold</b></p></div>" * 200
            + '<div><span style="display:none">x</span></div></body></html>')
    root = parse.parse_page(html)
    kids = candidates(root, None, external=True)
    assert kids is not None and len(kids) == 4  # html, body, div, span
    assert candidates(root, StyleSheet("* { display: none }"), external=True) is None  # any element may hide


@pytest.mark.slow
def test_pruned_walk_equals_full_walk_on_real_pages():
    """The 173 real news/blog pages of the hidden-text benchmark cache (skipped when absent)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from benches.fidelity_hidden import CACHE, real_pages

    if not CACHE.is_dir():
        pytest.skip("benchmark cache absent: python scripts/benches/fidelity_hidden.py fetches it")
    for _, page in real_pages():
        same(page, "")


def test_signals_equal_when_a_running_text_string_is_both_skipped_and_visible(monkeypatch):
    """A string visible once and also inside ``<code>``: the pruned walk cannot tell which copy
    it dropped, and word order breaks ties between top terms, so ``analyse`` walks in full."""
    from corpusclean.stages import hidden_text

    first = "apple orchards grow near the river and apple trees bloom in spring " * 6
    second = "pear orchards grow near the river and pear trees bloom in spring " * 6
    body = f"<p>{first}</p><p>{second}</p><code>{first}</code>"
    html = f"<html><head>{EXTERNAL}<title>Orchards</title></head><body>{body}</body></html>"
    parse.HANDOFF.consumers = weakref.WeakValueDictionary()
    assert walk(html).ambiguous == {first}
    pruned = hidden_text.analyse(html, "https://site.test/")
    monkeypatch.setattr(hidden_text, "walk", lambda h, u, **_: walk(h, u, prune=False))
    assert pruned == hidden_text.analyse(html, "https://site.test/")
    assert pruned["top_term"] == "apple"  # first in the page, tied with "pear"
