"""The resiliparse back-end of ``extract``: what its pruning keeps and removes (issue 18.4).

Each kind of fault seen on real pages (the fidelity benchmark) with variants of our own: an
article inside a ``<header>`` or a page-wide ``<form>``, an article inside a container whose
name reads as boilerplate, BEM modifiers, lists announced by a colon, a boilerplate-named
container holding most of the page, page-builder widgets, tables of contents; and code blocks
keeping their indentation and tabs.
"""

from __future__ import annotations

import pytest

from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.text import is_bullet_line

STORY = ("Engineers reopened the old river bridge on Monday after eighteen months of repairs, "
         "and the first trams crossed it before dawn. ")
NAV = "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"


def extract(html: str) -> str:
    stage = get_stage_class("extract")(backend="resiliparse")
    res = Pipeline([stage]).apply([{"id": "p", "url": "https://example.com/a", "html": html}])
    assert res.kept.num_rows == 1, res.rejected_docs
    return res.kept_docs[0]["text"]


def test_article_inside_header_or_page_wide_form_is_kept():
    inside_header = f"<body>{NAV}<header id='page-header'><article><p>{STORY * 3}</p></article></header></body>"
    assert "Engineers reopened" in extract(inside_header)
    aspnet = (f"<body><form id='aspnetForm' action='/p.aspx'>{NAV}<h1>Bridge reopens</h1><p>{STORY * 3}</p>"
              "</form></body>")
    text = extract(aspnet)
    assert "Bridge reopens" in text and "Engineers reopened" in text and "Home" not in text
    site_header = (f"<body><header><a href='/'>City Times</a> Your daily paper</header><p>{STORY * 3}</p>"
                   "<form action='/search'><label>Search the archive</label><input name='q'></form></body>")
    text = extract(site_header)
    assert "City Times" not in text and "Search the archive" not in text and "Engineers reopened" in text


@pytest.mark.parametrize("wrapper", ["single-page hidden-contents-menu", "post category-social-media tag-ads"])
def test_boilerplate_name_on_a_container_of_the_named_article_does_not_remove_it(wrapper):
    html = (f"<body>{NAV}<div class='{wrapper}'><div class='entry-content'><p>{STORY * 3}</p></div></div>"
            "<div class='sidebar'><p>Most read: ten photos of trams.</p></div></body>")
    text = extract(html)
    assert "Engineers reopened" in text and "Most read" not in text


def test_bem_modifier_is_not_a_name_but_the_block_is():
    html = (f"<body><article class='Report'><section class='Report__Section Report__Section--Ads'><h2>Verdict</h2>"
            f"<p>{STORY * 3}</p></section><div class='Report__ads'>Buy tram tickets online now.</div>"
            "</article></body>")
    text = extract(html)
    assert "Verdict" in text and "Engineers reopened" in text and "Buy tram tickets" not in text


def test_link_list_announced_by_a_colon_is_content_a_menu_is_not():
    funcs = "".join(f"<li><a href='/api#{n}'><code>{n}()</code></a></li>" for n in ("open", "close", "seek"))
    menu = "".join(f"<li><a href='/{n}'>{n}</a></li>" for n in ("Home", "Sport", "Weather"))
    html = (f"<body><ul class='x'>{menu}</ul><p>{STORY * 3}</p><p>The affected functions are:</p><ul>{funcs}</ul>"
            f"<ul><li><p>Deprecated:</p><ul>{funcs}</ul></li></ul></body>")
    text = extract(html)
    bullets = [ln.strip() for ln in text.split("\n") if is_bullet_line(ln)]
    assert bullets.count("- open()") == 2 and bullets.count("- seek()") == 2
    assert "Weather" not in text


def test_list_inside_the_named_article_is_kept_as_bullets():
    html = (f"<body><ul class='menu'><li><a href='/'>Home</a></li></ul><div class='post-content'><p>{STORY * 2}</p>"
            "<p>What changes for passengers</p><ul><li>Trams every six minutes at peak times</li>"
            "<li>A new stop at the market hall</li></ul><p>{STORY}</p></div></body>")
    lines = extract(html).split("\n")
    assert "- Trams every six minutes at peak times" in lines and "- A new stop at the market hall" in lines
    assert "Home" not in lines


def test_boilerplate_named_container_holding_most_of_the_page_is_kept_comments_are_not():
    html = (f"<body><div class='share-zone'><h2>Bridge</h2><p>{STORY * 4}</p></div>"
            "<div class='share'>Share on all networks</div></body>")
    text = extract(html)
    assert "Engineers reopened" in text and "Share on all networks" not in text
    comments = " ".join(f"<p>Comment {i}: I took the tram today and it was late again, as usual.</p>" for i in range(20))
    html = f"<body><p>{STORY}</p><div id='comments'>{comments}</div></body>"
    text = extract(html)
    assert "Engineers reopened" in text and "Comment 3" not in text


def test_page_builder_widgets_and_blogger_blog_widget_are_content():
    elementor = (f"<body><div class='elementor-widget-wrap'><div class='elementor-widget-container'><p>{STORY * 2}</p>"
                 "</div></div></body>")
    assert "Engineers reopened" in extract(elementor)
    blogger = f"<body><div class='widget Blog' id='Blog1'><h3>Bridge</h3><p>{STORY * 2}</p></div></body>"
    assert "Engineers reopened" in extract(blogger)


def test_table_of_contents_and_docbook_navigation_are_removed():
    html = ("<body><div class='navheader'><table><tr><td>Chapter 7. GUI</td><td><a href='n.html'>Next</a></td></tr>"
            "</table></div><div class='chapter'><div class='toc'><p><b>Table of Contents</b></p><dl><dt>"
            "<a href='#a'>7.1. Desktop</a></dt></dl></div><h2>7.1. Desktop</h2>"
            f"<p>{STORY * 2}</p></div><div class='navfooter'><a href='p.html'>Prev</a> Home</div></body>")
    text = extract(html)
    assert "Table of Contents" not in text and "Chapter 7. GUI" not in text and "Prev" not in text
    assert text.count("7.1. Desktop") == 1 and "Engineers reopened" in text


CODE = "def fib(n):\n    a, b = 0, 1\n    while a < n:\n        a, b = b, a + b\n"


@pytest.mark.parametrize("before", ["<p>Define it:</p>", "<ul><li>first step</li><li>second step</li></ul>",
                                    "<ol><li>one</li></ol>"])
def test_code_block_keeps_its_indentation_after_any_block(before):
    # after a list, resiliparse's indented code lines once read as continuations of the last item
    text = extract(f"<main><h1>Fibonacci</h1>{before}<pre>{CODE}</pre><p>{STORY}</p></main>")
    assert CODE.rstrip("\n") in text
    assert "  def fib" not in text and "- second step" + "\n" + "  " not in text


def test_code_block_keeps_tabs_markup_and_numbered_lines():
    code = "all:\n\tcc -o <b>prog</b> main.c\n1. not a list\n  - nor this"
    text = extract(f"<main><h1>Make</h1><p>{STORY}</p><pre>{code}</pre></main>")
    assert "all:\n\tcc -o prog main.c\n1. not a list\n  - nor this" in text
    assert " | " not in text  # a tab in code is not resiliparse's table-cell separator


def test_page_holding_the_marker_characters_is_not_altered():
    from corpusclean.html.resiliparse import PRE_SPACE

    text = extract(f"<main><h1>Icons</h1><p>{STORY}{PRE_SPACE}</p><pre>x = 1</pre></main>")
    assert PRE_SPACE in text and "x = 1" in text


# ---------------------------------------------------------------- hidden by an inline style
@pytest.mark.parametrize("style", ["display:none", "DISPLAY: none !important", "visibility: hidden",
                                   "opacity:0", "position:absolute; left:-9999px", "position:absolute;clip:rect(0 0 0 0)",
                                   "width:0;height:0;overflow:hidden"])
def test_text_hidden_by_an_inline_style_inside_the_article_is_dropped(style):
    html = (f"<body>{NAV}<article><h1>Bridge</h1><p>{STORY}<span style='{style}'>SEO tram tickets cheap</span> "
            f"The area is <span class='mwe-math-element'><span style='{style}'>{{\\displaystyle \\pi r^{{2}}}}</span>"
            f"</span> square metres.</p><p>{STORY}</p></article></body>")
    text = extract(html)
    assert "SEO tram" not in text and "displaystyle" not in text
    assert "The area is square metres." in text and text.count("Engineers reopened") == 2


def test_a_style_that_does_not_hide_keeps_the_text():
    html = (f"<body><article><p style='color: #333; display: block; opacity: 0.9'>{STORY}</p>"
            "<div style='overflow:hidden;height:200px'><p>Timetables change on Sunday.</p></div></article></body>")
    text = extract(html)
    assert "Engineers reopened" in text and "Timetables change on Sunday." in text
    # a page hiding its whole body until its scripts ran shows it to readers: the body is not judged
    text = extract(f"<html style='visibility:hidden'><body style='display:none'><main><p>{STORY * 2}</p></main></body></html>")
    assert text.count("Engineers reopened") == 2


# ---------------------------------------------------------------- table rows
def _lines(text: str) -> list[str]:
    return text.split("\n")


@pytest.mark.parametrize("cell", ["Britax Römer Swingfix M i-Size<br>", "Britax Römer<br>Swingfix M i-Size",
                                  "<p>Britax Römer Swingfix M i-Size</p>", "Britax Römer <br/> <br/>Swingfix M i-Size"])
def test_a_line_break_inside_a_table_cell_is_a_space(cell):
    html = (f"<main><h1>Child seats</h1><p>{STORY}</p><table><tr><th>Seat</th><th>Price<br>(EUR)</th><th>Isofix</th></tr>"
            f"<tr><td>{cell}</td><td>500 €<br></td><td>ja</td></tr></table></main>")
    lines = _lines(extract(html))
    assert "Seat | Price (EUR) | Isofix" in lines
    assert "Britax Römer Swingfix M i-Size | 500 € | ja" in lines


@pytest.mark.parametrize("empty", ["<tr><td>&nbsp;</td><td> </td><td></td></tr>", "<tr><td><img src='x.png'></td><td></td></tr>",
                                   "<tr><td colspan='2'><span style='display:none'>x</span></td><td> </td></tr>"])
def test_a_table_row_without_text_is_not_written(empty):
    html = (f"<main><p>{STORY}</p><table><tr><td>Route</td><td>Stop</td><td>Minutes</td></tr>{empty}"
            f"<tr><td>4</td><td>Market hall</td><td>6</td></tr>{empty}</table></main>")
    lines = _lines(extract(html))
    i = lines.index("Route | Stop | Minutes")
    assert lines[i + 1] == "4 | Market hall | 6"
    assert not any(ln.strip() and not ln.replace("|", "").strip() for ln in lines)


def test_a_layout_row_keeps_its_paragraphs():
    html = (f"<body><table><tr><td><a href='/'>Home</a></td><td><h1>Bridge</h1><p>{STORY}</p><p>Second paragraph "
            "about the trams and their timetable.</p></td></tr></table></body>")
    text = extract(html)
    assert "Second paragraph about the trams and their timetable." in _lines(text)
    assert f"{STORY.strip()}" in _lines(text)


# ---------------------------------------------------------------- links and trafilatura-only options
def _extract_with(html: str, **params) -> str:
    stage = get_stage_class("extract")(**params)
    res = Pipeline([stage]).apply([{"id": "p", "url": "https://example.com/a", "html": html}])
    assert res.kept.num_rows == 1, res.rejected_docs
    return res.kept_docs[0]["text"]


def test_include_links_writes_markdown_links_like_the_trafilatura_backend():
    html = (f"<html><body><main><h1>Bridge</h1><p>{STORY * 2}</p><p>See <a href='https://city.example/report.pdf'> the report </a> and "
            "<a href='/api#open'><code>open()</code></a>, or <a name='x'>this anchor</a>.</p>"
            "<ul><li><a href='/timetable'>Timetable</a> for line 4</li></ul><pre><a href='/src'>src</a> = 1</pre></main></body></html>")
    text = _extract_with(html, include_links=True)
    # relative addresses resolved against the page's url, as the trafilatura back-end does
    assert "See [the report](https://city.example/report.pdf) and [open()](https://example.com/api#open), " \
           "or this anchor." in text
    assert "- [Timetable](https://example.com/timetable) for line 4" in _lines(text)
    assert "src = 1" in _lines(text) and "(https" not in text.replace("](https", "")
    assert "[the report]" not in _extract_with(html)  # default: the text only
    traf = _extract_with(html, include_links=True, backend="trafilatura")
    assert "[the report](https://city.example/report.pdf)" in traf


@pytest.mark.parametrize("param", [{"fast": True}, {"favor": "precision"}, {"favor": "balanced"}])
def test_trafilatura_only_options_are_refused_with_resiliparse(param, tmp_path):
    from click.testing import CliRunner

    from corpusclean.cli import main

    name = next(iter(param))
    with pytest.raises(ValueError, match=f"{name} applies to backend: trafilatura"):
        get_stage_class("extract")(**param)
    get_stage_class("extract")(backend="trafilatura", **param)  # accepted there
    cfg = tmp_path / "c.yaml"
    value = str(param[name]).lower()
    cfg.write_text(f"stages:\n  - extract: {{{name}: {value}}}\n")
    res = CliRunner().invoke(main, ["validate", str(cfg)])
    assert res.exit_code == 2 and res.output.count("\n") == 1
    assert res.output.startswith(f"error: stages[0].extract: {name} applies to backend: trafilatura")


def test_include_comments_keeps_comment_named_elements_inside_the_main_content():
    html = (f"<body>{NAV}<main><h1>Bridge</h1><p>{STORY * 2}</p><div class='comments'><p>Reader: the trams were "
            "late again this morning.</p></div></main><div id='comment-form'>Leave a comment below</div></body>")
    assert "Reader: the trams" not in _extract_with(html)
    text = _extract_with(html, include_comments=True)
    assert "Reader: the trams were late again this morning." in text
    assert "Leave a comment" not in text  # outside the main content chosen: not written either way


# ---------------------------------------------------------------- adjacent blocks are paragraphs
@pytest.mark.parametrize("first, second", [
    ("<ul><li>Trams every six minutes</li><li>A new stop</li></ul>", "<ol><li>Buy a ticket</li><li>Board</li></ol>"),
    ("<ul><li>Trams every six minutes</li></ul>", "<pre>tram --line 4</pre>"),
    ("<table><tr><td>Line</td><td>4</td></tr></table>", "<blockquote>It is faster now.</blockquote>"),
    ("<dl><dt>Line 4</dt><dd>Market hall</dd></dl>", "<ul><li>Trams every six minutes</li></ul>"),
    ("<div><ol><li>Buy a ticket</li></ol></div>", "<div><ul><li>Trams every six minutes</li></ul></div>"),
])
def test_adjacent_blocks_are_paragraphs_of_their_own(first, second):
    from corpusclean.text import paragraphs

    text = extract(f"<main><h1>Bridge</h1><p>{STORY}</p>{first}{second}<p>{STORY}</p></main>")
    paras = paragraphs(text)
    assert len(paras) == 5, paras
    assert "\ue012" not in text


def test_a_nested_list_and_items_with_paragraphs_stay_one_paragraph():
    from corpusclean.text import paragraphs

    html = (f"<main><p>{STORY}</p><ul><li><p>Trams</p><ul><li>every six minutes</li></ul></li>"
            "<li><p>A new stop</p><ol><li>first</li></ol></li><li>Old <pre>x</pre></li></ul></main>")
    paras = paragraphs(extract(html))
    assert len(paras) == 2 and paras[1].startswith("- Trams") and "A new stop" in paras[1]


def test_page_holding_the_block_marker_is_not_altered():
    text = extract(f"<main><p>{STORY}\ue012</p><ul><li>one</li></ul><ol><li>two</li></ol></main>")
    assert "\ue012" in text and "- one" in text and "1. two" in text


# ---------------------------------------------------------------- the trafilatura fallback
MENU = "".join(f"<li><a href='/{w}'>{w}</a></li>" for w in ("Home", "Region", "Sport", "Culture", "Weather"))
ARTICLE = ("<h1>Bridge reopens after repairs</h1>" + "".join(
    f"<p>{STORY}Paragraph {i} tells how the crews replaced the bearings and repainted the steel arches "
    "in the winter months.</p>" for i in range(6)))


def _extract_counting(html: str) -> tuple[str | None, int]:
    """(text or None when rejected, pages whose text came from the trafilatura fallback)."""
    from corpusclean.document import from_dicts

    stage = get_stage_class("extract")(backend="resiliparse")
    out = stage.process(from_dicts([{"id": "p", "url": "https://example.com/a", "html": html}]))
    text = out.kept.column("text")[0].as_py() if out.kept.num_rows else None
    return text, out.counters["extract_rows"]["trafilatura_fallback"]


@pytest.mark.parametrize("wrap", [
    "<main><aside class='article-main'>{}</aside></main>",  # rnz.de: the article in an aside inside main
    "<div class='content' style='opacity:0'>{}</div>",  # faded in by a script: hidden to our pruning
    "<div role='complementary'><div>{}</div></div>",
])
def test_an_article_our_pruning_removes_is_extracted_by_the_trafilatura_fallback(wrap):
    html = f"<html><body><nav><ul>{MENU}</ul></nav>{wrap.format(ARTICLE)}<footer>(c) City Times</footer></body></html>"
    text, fallbacks = _extract_counting(html)
    assert fallbacks == 1
    assert text is not None and "Paragraph 0 tells" in text and "Paragraph 5 tells how the crews" in text


def test_the_fallback_does_not_run_on_short_pages_or_pages_we_extract():
    short = f"<html><body><nav><ul>{MENU}</ul></nav><aside><p>{STORY}</p></aside></body></html>"  # < 100 words
    assert _extract_counting(short) == (None, 0)  # rejected extract.empty, as before
    menus = "".join(f"<ul class='x{i}'>{MENU}</ul>" for i in range(20))
    ours = f"<html><body><div class='links'>{menus}</div><article>{ARTICLE}</article></body></html>"
    text, fallbacks = _extract_counting(ours)
    assert fallbacks == 0 and "Paragraph 5 tells" in text and "Weather" not in text
