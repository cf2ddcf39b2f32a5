"""The CSS reading and the visibility walk behind ``hidden_text``: known vs unknown values."""

from __future__ import annotations

import pytest

from corpusclean.html.css import StyleSheet, font_size, indistinguishable, over, parse_color, top_level_rules
from corpusclean.html.visibility import walk


@pytest.mark.parametrize("value,rgba", [
    ("#fff", (255, 255, 255, 1.0)), ("FFFFFF", (255, 255, 255, 1.0)), ("#00000080", (0, 0, 0, 128 / 255)),
    ("rgba(0, 0, 0, 0.15)", (0, 0, 0, 0.15)), ("rgb(0 0 0 / 50%)", (0, 0, 0, 0.5)),
    ("hsl(0, 0%, 100%)", (255, 255, 255, 1.0)), ("transparent", (0, 0, 0, 0.0)), ("White", (255, 255, 255, 1.0)),
])
def test_parse_color(value, rgba):
    assert parse_color(value) == pytest.approx(rgba)


@pytest.mark.parametrize("value", ["var(--fg)", "inherit", "currentColor", "url(a.png)", "linear-gradient(red, blue)",
                                   "", None, "bogus"])
def test_colours_that_cannot_be_known(value):
    assert parse_color(value) is None


def test_translucent_layer_is_composited():
    tint = over((0, 0, 0, 0.15), (255, 255, 255, 1.0))
    assert tint[:3] == pytest.approx((216.75,) * 3)
    assert not indistinguishable((0, 0, 0, 1.0), tint)
    assert indistinguishable((250, 250, 250, 1.0), (255, 255, 255, 1.0))


def test_font_size_relative_to_parent():
    assert font_size("1.5em", 0.0) == 0.0 and font_size("150%", 0.0) == 0.0
    assert font_size("14px", 0.0) == 14.0 and font_size("1rem", 0.0) == 16.0 and font_size("small", 0.0) == 13.0
    assert font_size("1em", None) is None


def test_stylesheet_known_and_uncertain_rules():
    sheet = StyleSheet("/* c */ .x{color:#fff} div#k.y{display:none} .card p{color:red} a:hover{color:#000} "
                       "@media (min-width: 1px) { body { background: #000 } } .m{margin:0}")
    decls, unknown = sheet.match("div", "y", "k")
    assert decls == {"display": "none"} and not unknown
    assert sheet.match("p", "x", None) == ({"color": "#fff"}, {"color"})  # .card p may set it
    assert sheet.match("a", "", None) == ({}, set())  # :hover is a passing state
    assert sheet.match("body", "", None)[1] == {"background"}  # conditional: unknown
    assert sheet.match("div", "m", None) == ({}, set())  # not about visibility


def test_top_level_rules_survive_bad_css():
    assert [r[0] for r in top_level_rules("} a{x:1} @import url(y); b{y:2} c{unclosed")] == ["a", "b"]


def test_walk_counts_only_known_colours():
    html = ('<html><head>{head}</head><body bgcolor="#000"><p>plain words</p>'
            '<div style="color:#fff;background:#fff">white box</div><span style="font-size:0">zero</span>'
            '<div hidden><a href="https://other.test/x">Other site</a></div></body></html>')
    own = walk(html.format(head=""), "https://site.test/")
    assert {b.method: [s.text for s in b.segments] for b in own.blocks} == {
        "color": ["plain words", "white box"], "font_size": ["zero"], "hidden_attr": ["Other site"]}
    ext = walk(html.format(head='<link rel="stylesheet" href="s.css">'), "https://site.test/")
    assert "plain words" in ext.visible  # the stylesheet may colour the page: unknown, so visible
    assert {b.method for b in ext.blocks} == {"color", "font_size", "hidden_attr"}  # inline values are known
    assert [b for b in ext.blocks if b.method == "hidden_attr"][0].segments[0].link == "ext"


def test_walk_reads_title_meta_and_alt():
    page = walk('<html><head><title>T</title><meta name="Keywords" content="a, b"></head>'
                '<body><img src="x" alt="A photo"></body></html>')
    assert (page.title, page.metas, page.alts) == ("T", {"keywords": "a, b"}, ["A photo"])
    assert walk("").blocks == [] and walk(None).visible == []
