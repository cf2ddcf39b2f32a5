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
