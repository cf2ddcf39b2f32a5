"""corpusclean.html.boilerplate: banners by what they are, permalink anchors, tails kept."""

from __future__ import annotations

from corpusclean.html.boilerplate import prune
from corpusclean.html.parse import parse_html


def text_after_prune(html: str) -> str:
    root = parse_html(html)
    prune(root)
    return " ".join(" ".join(root.itertext()).split())


def test_names_alone_never_prune():
    html = ("<body><section id='cookie-recipe'><h2>Almond biscuits</h2><p>Mix the flour.</p></section>"
            "<div class='consent-process'><p>Participants signed the form.</p></div>"
            "<div id='gdpr-article'><p>The regulation took effect in 2018 and changed how sites accept data.</p></div></body>")
    assert text_after_prune(html) == ("Almond biscuits Mix the flour. Participants signed the form. "
                                      "The regulation took effect in 2018 and changed how sites accept data.")


def test_banner_forms_pruned_and_following_text_kept():
    html = ("<body><p>Before.</p><div id='CybotCookiebotDialog'>We use cookies.</div>after one."
            "<div class='bar'>Nous utilisons des cookies. <a href='#'>Tout accepter</a></div>"
            "<dialog open>This site uses cookies for statistics.</dialog><p>End.</p></body>")
    assert text_after_prune(html) == "Before. after one. End."


def test_long_section_with_accept_button_about_consent_is_content():
    long = "Consent forms must be read aloud to each participant before the study starts. " * 12
    html = f"<body><div class='box'><p>{long}</p><button>Accept</button></div></body>"
    assert "Consent forms must be read aloud" in text_after_prune(html)


def test_permalink_anchors():
    html = ("<body><h2>Usage<a class='headerlink' href='#usage'>¶</a></h2><p>See <a href='#x'>x</a> and "
            "<a href='/page#y'>#</a> done.</p></body>")
    assert text_after_prune(html) == "Usage See x and done."


def test_action_text_is_compared_with_whitespace_collapsed_and_case_folded():
    html = ("<body><p>Text.</p><div class='x'>We use COOKIES to measure visits."
            "<button>  Accept&nbsp;\n ALL </button></div><p>More.</p></body>")
    assert text_after_prune(html) == "Text. More."


def test_innermost_banner_is_removed_and_long_or_sectioned_ones_stay():
    banner = "<div id='inner'><span>Cookies help us.</span> <a href='#'>OK</a></div>"
    long = "A long article paragraph about the weather and the harvest this year. " * 14
    html = f"<body><div id='page'><p>{long}</p><div id='wrap'>{banner}</div></div></body>"
    root = parse_html(html)
    assert prune(root) == 1
    assert root.find(".//*[@id='inner']") is None and "harvest" in root.text_content()
    # a banner inside a section with a heading: only the banner goes
    html = f"<body><section><h2>Settings</h2>{banner}<p>Kept.</p></section></body>"
    assert text_after_prune(html) == "Settings Kept."


def test_short_page_sharing_a_wrapper_with_its_banner_keeps_its_content():
    # the wrapper is short and mentions cookies too: taking the outermost such element took the page
    post = "<p>The library opens at nine on Saturdays from March on.</p>"
    for banner in ("<div class='notice'>We use cookies. <button>OK</button></div>",
                   "<div class='notice'><p>This site uses cookies.</p><div class='btns'><button>Accept cookies</button>"
                   "<button>Reject</button></div></div>",
                   "<div class='notice'><span>Privacy: we store a cookie.</span> <a href='javascript:void(0)'>Got it!</a>"
                   "</div>"):
        assert text_after_prune(f"<body><div id='wrap'>{post}{banner}</div></body>") == \
            "The library opens at nine on Saturdays from March on.", banner


def test_a_link_to_another_page_is_not_a_consent_control():
    html = ("<body><div><p>Read how we handle privacy and tracking on this site.</p>"
            "<a href='/privacy'>OK</a></div></body>")
    assert text_after_prune(html) == "Read how we handle privacy and tracking on this site. OK"


def test_overlays_by_role_modal_or_fixed_position():
    for attrs in ("role='alertdialog'", "aria-modal='true'", "style='z-index: 9; position : fixed'",
                  "style='position:sticky'"):
        html = f"<body><p>Before.</p><div {attrs}>This site uses cookies.</div><p>After.</p></body>"
        assert text_after_prune(html) == "Before. After.", attrs
    # a fixed table layout is not an overlay
    html = "<body><div style='table-layout: fixed'>Our cookie recipes.</div></body>"
    assert text_after_prune(html) == "Our cookie recipes."


def test_elements_where_finds_anchored_names_in_document_order():
    import re

    from corpusclean.html.boilerplate import elements_where

    root = parse_html("<body><div id='a' class='onetrust-banner'></div><p class='x onetrust-x'></p>"
                      "<span id='not-onetrust'></span><i class='cookie'></i></body>")
    found = elements_where(root, re.compile(r"(?:^|\s)onetrust"))
    assert [el.tag for el in found] == ["div", "p"]
    assert elements_where(root, re.compile("^cookie$", re.M)) == [root.find(".//i")]
    assert elements_where(root, re.compile("nothing")) == []
