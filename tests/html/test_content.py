"""corpusclean.html.content: which element is the main content (resiliparse back-end)."""

from __future__ import annotations

from corpusclean.html.content import MIN_BODY_CHARS, main_content, named_body
from corpusclean.html.parse import parse_html

ARTICLE = ("The council voted on Tuesday to extend the night bus network to the northern suburbs, "
           "after a year of petitions from shift workers. ") * 4
SIDEBAR = "Popular this week: ten recipes, a quiz, the weather and our newsletter archive. " * 6


def body_of(html: str):
    return parse_html(html).find("body")


def texts(nodes) -> list[str]:
    return [" ".join(n.text_content().split())[:40] for n in nodes]


def test_named_article_body_chosen_over_longer_sidebar_with_its_headline():
    body = body_of(f"<body><h1>Night buses reach the north</h1><div class='col'>{SIDEBAR}</div>"
                   f"<div class='entry-content'><p>{ARTICLE}</p></div><div class='col'>{SIDEBAR}</div></body>")
    nodes = main_content(body)
    assert [n.tag for n in nodes] == ["h1", "div"]
    assert nodes[1].get("class") == "entry-content"
    assert texts(nodes)[0] == "Night buses reach the north"


def test_itemprop_and_id_names_count():
    for attrs in ("itemprop='articleBody'", "id='story-body'", "class='td-post-content'"):
        body = body_of(f"<body><div>{SIDEBAR}</div><section {attrs}><p>{ARTICLE}</p></section></body>")
        node = named_body(body)
        assert node is not None and node.tag == "section", attrs


def test_of_several_names_the_one_with_most_text_then_the_innermost_holding_most_of_it():
    author = "Anna writes about cities, transport and the people who keep them running at night. " * 4
    body = body_of(f"<body><div class='post-content-container'><div class='byline'>By Anna</div>"
                   f"<div class='entry-content'><p>{ARTICLE}</p></div>"
                   f"<div class='data-entry-content'>{author}</div></div></body>")
    assert named_body(body).get("class") == "entry-content"


def test_short_named_element_is_not_the_article():
    short = "Share this story."
    assert len(short) < MIN_BODY_CHARS
    body = body_of(f"<body><div class='entry-content'>{short}</div><main><p>{ARTICLE}</p></main></body>")
    assert named_body(body) is None
    assert [n.tag for n in main_content(body)] == ["main"]


def test_single_main_only_when_it_holds_a_quarter_of_the_words():
    big = body_of(f"<body><main><p>{ARTICLE}</p></main><div>{SIDEBAR}</div></body>")
    assert [n.tag for n in main_content(big)] == ["main"]
    teaser = body_of(f"<body><main><p>Read on.</p></main><div><p>{ARTICLE}</p><p>{SIDEBAR}</p></div></body>")
    assert [n.tag for n in main_content(teaser)] == ["body"]


def test_several_articles_without_names_keep_the_body():
    body = body_of(f"<body><article><p>{ARTICLE}</p></article><article><p>{ARTICLE}</p></article></body>")
    assert [n.tag for n in main_content(body)] == ["body"]


def test_without_names_or_main_the_body_loses_its_link_blocks_only():
    menu = "".join(f"<a href='/{w}'>{w}</a> " for w in ("Home", "Sport", "Weather", "Culture"))
    prose = ("<p>The <a href='/c'>council</a> said the <a href='/b'>buses</a> will run from "
             "<a href='/m'>March</a>, after a long consultation with residents and drivers.</p>")
    links = "".join(f"<li><a href='/t{i}'>Topic {i}</a></li>" for i in range(4))
    body = body_of(f"<body><div class='top'>{menu}</div><div>{prose}<p>{ARTICLE}</p></div>"
                   f"<div class='more'><p>Read next:</p><ul>{links}</ul></div></body>")
    nodes = main_content(body)
    assert [n.tag for n in nodes] == ["body"]
    text = " ".join(nodes[0].text_content().split())
    assert "Weather" not in text and "Culture" not in text
    assert "The council said the buses will run from March" in text and ARTICLE.split(",")[0] in text
    assert "Topic 3" in text  # a list of links is the list rule's to judge (resiliparse.prune_boilerplate)


def test_link_blocks_are_not_cut_inside_a_named_article():
    links = "".join(f"<a href='/s{i}'>Source {i}</a> " for i in range(4))
    body = body_of(f"<body><div class='entry-content'><p>{ARTICLE}</p><div>{links}</div></div></body>")
    node = main_content(body)[0]
    assert "Source 3" in node.text_content()
