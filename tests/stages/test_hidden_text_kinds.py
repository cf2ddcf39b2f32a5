"""``hidden_text`` on the fault kinds of issue 14 (ordinary pages it used to reject).

Each kind: the handed case from ``shared/cases/hidden-*`` (page and its control, embedded here)
and variants of our own. A page's right verdict is asserted, never just "no crash".
"""

from __future__ import annotations

import pytest

from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class

PROSE = ("The council met on Tuesday evening to discuss the new budget for the town library. Members said "
         "that the plan would reduce costs and improve the opening hours for residents, and they asked the "
         "staff to prepare a report on the reading rooms before the next meeting in the spring. ")
ARTICLE = f"<article><h1>Library budget approved</h1><p>{PROSE * 3}</p><p>{PROSE * 2}</p></article>"
EXTERNAL = '<link rel="stylesheet" href="/static/site.css">'
KEYWORDS = ("cheap flights cheap hotels last minute deals cheap car hire budget holidays cheap flights "
            "online hotel discounts cheap travel deals")


def reason(body: str, head: str = "", body_attrs: str = "", url: str = "https://news.example-town.test/a.html",
           **params) -> str | None:
    """The rejection reason of one page (None when kept)."""
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Town news</title>{head}</head>"
            f"<body{body_attrs}>{body}</body></html>")
    res = Pipeline([get_stage_class("hidden_text")(**params)]).apply([{"id": "1", "url": url, "html": html}])
    return res.rejected_docs[0]["reason"] if res.rejected.num_rows else None


HIDDEN = ("hidden_text.hidden_keywords", "hidden_text.hidden_fraction")


# --- kind 1: colours the stage cannot know never count; a known colour on a known background does

def test_case_legacy_colours():
    assert reason(ARTICLE, body_attrs=' bgcolor="#000000" text="#ffffff"') is None
    assert reason(ARTICLE, body_attrs=' bgcolor="#000000"') in HIDDEN  # control: default black on black


@pytest.mark.parametrize("body,head,attrs", [
    # legacy <font color> and link colours on a black page
    (f'<table bgcolor="#000000"><tr><td><font color="#ffffff">{PROSE}</font></td></tr></table>', "", ""),
    (f'{ARTICLE}<p><a href="/more">Read more about the library budget and the reading rooms</a></p>', "",
     ' bgcolor="black" text="white" link="#ffff00"'),
    # an external stylesheet may set any background: white text is not known to be invisible
    (f'{ARTICLE}<div class="btn"><span style="color:#fff">Share this story with your friends today</span></div>',
     EXTERNAL, ""),
    # a descendant sets its own colour
    (f'<div style="color:#fff;background:#fff"><p style="color:#222">{PROSE}</p></div>', "", ""),
    # a combinator rule may set the colour: unknown
    (f'<div class="card"><p>{PROSE}</p></div>', "<style>body{background:#000;color:#000} .card p{color:#fff}</style>",
     ""),
    # colours we cannot read (custom properties, hsl with a var) are unknown, not black
    (f'<div style="background:#000"><p style="color:var(--text)">{PROSE}</p></div>', "", ""),
    # gradient text: transparent glyphs painted with the background
    (f'{ARTICLE}<h2 style="color:transparent;background:linear-gradient(red,blue);-webkit-background-clip:text">'
     "Our reading rooms are open again for everyone in town</h2>", "", ""),
])
def test_unknown_or_readable_colours_are_kept(body, head, attrs):
    assert reason(body, head, attrs) is None


@pytest.mark.parametrize("body,head", [
    (f'{ARTICLE}<div style="color:#fff;background:#fff">{KEYWORDS}</div>', EXTERNAL),  # both inline: known
    (f'{ARTICLE}<p style="color:hsl(0, 0%, 100%)">{KEYWORDS}</p>', ""),  # hsl white on the default white
    (f'{ARTICLE}<div style="background:#000"><p style="color:#010101">{KEYWORDS}</p></div>', ""),
])
def test_known_colour_on_known_background_is_caught(body, head):
    assert reason(body, head) in HIDDEN


# --- kind 2: translucent backgrounds are composited over what lies below

def _caption(background: str, colour: str = "") -> str:
    style = f"background: {background} none repeat scroll 0 0; font-size: 12px" + (f"; color: {colour}" if colour else "")
    return f'{ARTICLE}<div class="caption" style="{style}">What makes a good headline? (Photo: example.org / picture desk)</div>'


def test_case_translucent_background():
    assert reason(_caption("rgba(0, 0, 0, 0.15)")) is None
    assert reason(_caption("rgba(0, 0, 0, 1)")) in HIDDEN  # control: black text on black


@pytest.mark.parametrize("background,colour,hidden", [
    ("#00000026", "", False),  # 8-digit hex with alpha 0.15
    ("hsla(0, 0%, 0%, 0.2)", "", False),
    ("rgba(0 0 0 / 60%)", "#ffffff", False),  # white caption on a dark glaze
    ("rgba(255, 255, 255, 0.2)", "#ffffff", True),  # white glaze on the white page, white text
    ("#000000ff", "", True),  # opaque, written with alpha
    ("rgba(0 0 0 / 98%)", "", True),  # nearly opaque black under black text
])
def test_translucent_variants(background, colour, hidden):
    got = reason(_caption(background, colour))
    assert (got in HIDDEN) if hidden else got is None


# --- kind 3: font-size 0 on a container whose children set their own size

@pytest.mark.parametrize("body,head", [
    (f'<div style="font-size:0"><span style="font-size:16px">{PROSE}</span> <span style="font-size:1rem">{PROSE}</span></div>', ""),
    (f'<ul class="row"><li class="col">{PROSE}</li><li class="col">{PROSE}</li></ul>',
     "<style>.row{font-size:0} .col{font-size:14px}</style>"),
    (f'<div style="font-size:0">{ARTICLE}</div>', EXTERNAL),  # the stylesheet may size the children
])
def test_font_size_zero_container_with_sized_children_is_kept(body, head):
    assert reason(body, head) is None


@pytest.mark.parametrize("body", [
    f'{ARTICLE}<div style="font-size:0"><span>{KEYWORDS}</span></div>',
    f'{ARTICLE}<div style="font-size:0"><span style="font-size:1.5em">{KEYWORDS}</span></div>',  # 1.5 x 0
])
def test_font_size_zero_reaching_the_text_is_caught(body):
    assert reason(body) in HIDDEN


# --- kind 4: hidden interface (dialogs, cookie notices in any language, galleries, tabs, widgets)

DIALOG = ('<div id="share_email" style="display:none"><form><h2>Email this post</h2>'
          "<label>Recipient email</label><label>Your name</label><label>Your email</label>"
          "<button>Send email</button><button>Cancel</button>"
          "<p>Your email was not sent. Please check the email address.</p>"
          "<p>We could not verify this email address. Please try again.</p></form></div>")


def test_case_share_dialog():
    assert reason(ARTICLE + DIALOG) is None
    assert reason(ARTICLE + f'<div id="seo" style="display:none">{KEYWORDS}</div>') in HIDDEN


@pytest.mark.parametrize("ui", [
    # cookie notices in languages the function-word list does not hold
    '<div class="cc" style="display:none"><p>Ta strona korzysta z plików cookie. Korzystając ze strony '
    "wyrażasz zgodę na ich używanie zgodnie z ustawieniami przeglądarki.</p><button>Akceptuję</button></div>",
    '<div id="consent" hidden><p>Tämä sivusto käyttää evästeitä. Jatkamalla sivuston käyttöä hyväksyt '
    "evästeiden käytön palvelun parantamiseksi.</p><button>Hyväksy</button></div>",
    '<div class="cookie" style="display:none"><p>当サイトではクッキーを使用しています。サイトを利用することで、'
    "クッキーの使用に同意したことになります。</p><button>同意する</button></div>",
    # a <noscript> image gallery: captions repeat the product name once per picture
    "<noscript>" + "".join(f'<figure><img src="/g/{i}.jpg" alt="HTC Touch"><figcaption>HTC Touch</figcaption></figure>'
                           for i in range(9)) + "</noscript>",
    # tab panels and a weather widget
    '<div role="tabpanel" hidden>' + "".join(f"<h3>Przegląd prasy {i}</h3><p>Rząd przedstawił nowy plan budżetu "
                                             f"na przyszły rok i omówił go z posłami.</p>" for i in range(4)) + "</div>",
    '<div class="weather" style="visibility:hidden">' + "".join(
        f"<div><span>{c}</span><span>{t}°</span><span>wolkig</span></div>"
        for c, t in [("München", 31), ("Berlin", 26), ("Hamburg", 17), ("Köln", 21)]) + "<a>5-Tage-Vorschau</a></div>",
    # share buttons: external links that name their site, or carry this page's address
    '<div class="share" style="display:none">Share <a href="https://www.facebook.com/sharer.php?u=x">Facebook</a> '
    '<a href="https://twitter.com/intent/tweet">Twitter</a> <a href="https://www.linkedin.com/">LinkedIn</a> '
    '<a href="https://www.reddit.com/submit">reddit</a> <a href="https://digg.com/">Digg</a></div>',
])
def test_hidden_interface_is_not_keyword_spam(ui):
    assert reason(ARTICLE + ui) is None


# --- kind 5: term repetition on focused articles and on unspaced scripts

RELEASE = ("<article><h1>Widget 3.6 is now available</h1>" + "".join(
    f"<p>Version 3.6.{i} is the newest release of Widget, the open-source charting library for the web. It now "
    f"draws large plots faster, and the Widget team thanks every contributor who tested the "
    f"{'Widget' if i % 2 else 'beta'} releases on their own data.</p>" for i in range(6)) + "</article>")
STUFFED = ("<article><h1>Best widget deals</h1>" + "".join(
    "<p>Buy a widget today from the best widget shop, where every widget is cheap and each widget ships "
    "fast, so order your widget now and get a second widget free with the widget club card.</p>"
    for _ in range(4)) + "</article>")


def test_case_topical_article():
    assert reason(RELEASE) is None
    assert reason(STUFFED) == "hidden_text.term_repetition"


@pytest.mark.parametrize("body", [
    # a biography names its subject in most sentences
    "".join(f"<p>In {1900 + i} Curie moved to a new laboratory, where Curie and her colleagues measured the "
            f"radiation of several minerals and published the results in a short paper.</p>" for i in range(8)),
    # Chinese and Japanese pages whose only Latin words are product names
    "".join("<p>苹果公司今天发布了新款iPhone手机，新机型采用了更大的屏幕和更快的处理器，"
            "用户可以在下周的发布会之后购买这款产品，价格与去年的型号相同。</p>" for _ in range(6)),
    "".join("<p>新しいiPhoneは来週から日本でも発売される予定で、価格は前のモデルとほぼ同じになると"
            "発表されました。多くの店舗では予約の受付がすでに始まっています。</p>" for _ in range(6)),
])
def test_focused_and_unspaced_pages_are_kept(body):
    assert reason(body) is None


def test_stuffed_term_in_an_unspaced_page_is_caught():
    body = "".join("<p>iPhone 便宜 iPhone 最好 iPhone 购买 iPhone 优惠 iPhone 官方 iPhone 正品 iPhone 特价 iPhone</p>"
                   for _ in range(20))
    assert reason(body) in ("hidden_text.term_repetition", "hidden_text.keyword_stuffing")


# --- kind 6: long but ordinary <meta name=keywords>

def test_long_distinct_meta_keywords_are_kept():
    kws = ", ".join(f"topic {w}" for w in ["budget", "library", "council", "town", "reading rooms", "opening hours",
                                          "residents", "staff", "report", "spring", "meeting", "costs", "plan",
                                          "members", "tuesday", "evening", "news", "local", "politics", "culture",
                                          "books", "education", "finance", "community", "events", "city hall",
                                          "elections", "schools", "parks", "transport"])
    assert reason(ARTICLE, head=f'<meta name="keywords" content="{kws}">') is None
    long_desc = ", ".join(["budget", "library", "council", "town", "residents", "staff", "report", "spring"] * 1)
    assert reason(ARTICLE, head=f'<meta name="description" content="{long_desc}">') is None


def test_repeated_meta_keywords_are_stuffing():
    kws = ", ".join(["cheap flights", "cheap hotels", "car hire"] * 5)
    assert reason(ARTICLE, head=f'<meta name="keywords" content="{kws}">') == "hidden_text.keyword_stuffing"


# --- visible lists: a tag cloud of distinct tags is an index, a list repeating its keywords is stuffing

TAGS = ["Gewusst wie", "How To", "Erklärung", "Anleitung", "Bilder", "blauen Haken", "Bildquelle", "Tracking",
        "Ad Tracking", "Daten", "Facebook-Konto", "Facebook-Account löschen", "WhatsApp-Kontakte", "Instagram",
        "Speicherplatz", "Datenschutz", "Smartphone", "Android", "iOS", "Browser", "Passwort", "Sicherheit",
        "Update", "Akku", "Kamera", "Fotos", "Videos", "Musik", "Streaming", "Podcast"]


def test_visible_tag_cloud_is_kept():
    assert reason(ARTICLE + "<p>Tags: " + ", ".join(TAGS) + "</p>") is None
    assert reason(ARTICLE + '<img src="a.jpg" alt="' + " | ".join(TAGS) + '">') is None


def test_visible_list_repeating_its_keywords_is_stuffing():
    cities = ["london", "paris", "rome", "berlin", "madrid", "vienna", "prague", "lisbon", "dublin", "oslo"]
    variations = ", ".join(f"cheap flights {c}" for c in cities * 3)
    assert reason(ARTICLE + f"<p>{variations}</p>") == "hidden_text.keyword_stuffing"


def test_hidden_teaser_headlines_and_form_hints_are_kept():
    teasers = "".join(f'<span class="sr-only">{t}</span>' for t in [
        "Gegen dicke Luft: Aldi Nord bietet Luftreiniger an",
        "Sicherheitsschnäppchen beim Discounter: Rauchmelder bei Aldi Nord",
        "Test: Lupusec XT1 Plus Starter Pack (Smarte Alarmanlage im Praxistest)"])
    css = "<style>.sr-only{position:absolute;clip:rect(0,0,0,0)}</style>"
    assert reason(ARTICLE + teasers, head=css) is None
    form = ('<div style="display:none"><p>E-Mail-Adresse des Empfängers</p><p>(Mehrere Adressen durch Kommas '
            "trennen)</p><p>Nutzerbasierte Abrechnung: Musik-Stars fordern neues Streaming-Modell</p></div>")
    assert reason(ARTICLE + form) is None


def test_a_term_the_title_names_may_be_frequent_an_unnamed_one_may_not():
    para = ("<p>The new Lumix camera is small and light, the Lumix menu is easy to learn, and the Lumix battery "
            "is short-lived for anyone who has used a phone before.</p>")
    named = (f"<html><head><title>Lumix review</title></head><body>{para * 8}</body></html>")
    unnamed = named.replace("Lumix review", "Camera review")
    stage = get_stage_class("hidden_text")()
    res = Pipeline([stage]).apply([{"id": "a", "url": "https://a.test/", "html": named},
                                   {"id": "b", "url": "https://a.test/", "html": unnamed}])
    assert [d["id"] for d in res.kept_docs] == ["a"]
    assert res.rejected_docs[0]["reason"] == "hidden_text.term_repetition"
    assert 0.08 <= res.rejected_docs[0]["unnamed_term_share"] < 0.12
