"""A labelled set of pages for the ``hidden_text`` stage: keyword spam and honest pages.

Generated deterministically (``pages(seed)``) so the set is small in the repository and the same
on every machine. Every spam page hides search-engine keywords (or stuffs them) with one of the
techniques the stage claims to catch; every normal page hides things the way honest sites do
(dropdown menus, modals, cookie banners, screen-reader labels, collapsed FAQ answers, tabs,
templates, icons, image-replaced logos, ``<noscript>`` notices) and may use a dark theme.
Used by ``tests/stages/test_hidden_text.py``, ``scripts/benches/fidelity_hidden.py`` and ``scripts/benches/extract.py``.
"""

from __future__ import annotations

import html
import random

from corpusclean.testing.synth import html_page, paragraph, sentence

SPAM_TERMS = [
    "cheap viagra", "buy cialis online", "online casino", "free slots", "payday loans", "best poker bonus",
    "replica watches", "cheap flights", "weight loss pills", "discount pharmacy", "bitcoin casino",
    "car insurance quotes", "cheap hotels", "forex signals", "essay writing service", "seo services",
    "cheap rolex", "no prescription", "mortgage rates", "dating site", "sports betting", "keto diet pills",
]
SR_ONLY_CSS = (".sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;"
               "clip:rect(0,0,0,0);white-space:nowrap;border:0}")
URL = "https://www.example.org/articles/post.html"


def _keywords(rng: random.Random, n: int, style: str) -> str:
    terms = [rng.choice(SPAM_TERMS) for _ in range(n)]
    if style == "comma":
        return ", ".join(terms)
    if style == "space":
        return " ".join(terms)
    if style == "repeat":
        t = rng.choice(SPAM_TERMS)
        return " ".join(f"{t} {rng.choice(['best', 'top', 'now', 'online', 'here', '2024'])}" for _ in range(n))
    return ". ".join(t.capitalize() for t in terms) + "."  # "sentences" of keywords


def _inject(page: str, snippet: str, where: str = "body", head: str = "") -> str:
    if head:
        page = page.replace("</head>", head + "</head>", 1)
    if where == "top":
        return page.replace("<body>", "<body>" + snippet, 1)
    if where == "article":
        i = page.index("</h1>") + 5
        return page[:i] + snippet + page[i:]
    return page.replace("</footer>", "</footer>" + snippet, 1)


def spam_pages(seed: int = 1, per_form: int = 3) -> list[tuple[str, str]]:
    """(form, html) for every hiding / stuffing form, ``per_form`` variants each."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []

    def kw(lo: int = 6, hi: int = 14) -> str:
        return html.escape(_keywords(rng, rng.randint(lo, hi), rng.choice(["comma", "space", "repeat", "sent"])))

    forms = {
        "display_none": lambda: f'<div style="display:none">{kw()}</div>',
        "display_none_important": lambda: f'<p style="DISPLAY: none !important;">{kw()}</p>',
        "visibility_hidden": lambda: f'<div style="visibility:hidden">{kw()}</div>',
        "hidden_attr": lambda: f"<div hidden>{kw()}</div>",
        "opacity_zero": lambda: f'<span style="opacity:0">{kw()}</span>',
        "font_size_zero": lambda: f'<span style="font-size:0">{kw()}</span>',
        "font_size_1px": lambda: f'<p style="font-size:1px;line-height:1px">{kw()}</p>',
        "white_on_white": lambda: f'<p style="color:#ffffff">{kw()}</p>',
        "font_color_bgcolor": lambda: f'<table bgcolor="#000000"><tr><td><font color="black">{kw()}</font></td></tr></table>',
        "color_near_bg": lambda: f'<div style="background:#fafafa"><p style="color:#f8f8f8">{kw()}</p></div>',
        "color_transparent": lambda: f'<p style="color:transparent">{kw()}</p>',
        "style_class_display": lambda: ('<div class="seo-box">' + kw() + "</div>", "<style>.seo-box{display:none}</style>"),
        "style_id_visibility": lambda: ('<div id="kw">' + kw() + "</div>", "<style>#kw { visibility: hidden; }</style>"),
        "style_class_color": lambda: ('<p class="tags">' + kw() + "</p>",
                                      "<style>body{background-color:#fff}.tags{color:#fff}</style>"),
        "style_tag_rule": lambda: ("<small>" + kw() + "</small>", "<style>small{font-size:0px}</style>"),
        "text_indent": lambda: f'<h3 style="text-indent:-9999px">{kw()}</h3>',
        "offscreen_absolute": lambda: f'<div style="position:absolute;left:-5000px;top:0">{kw()}</div>',
        "offscreen_top": lambda: f'<div style="position: fixed; top: -999px">{kw()}</div>',
        "noscript": lambda: f"<noscript>{kw()}</noscript>",
        "noframes": lambda: f"<noframes>{kw()}</noframes>",
        "zero_size_box": lambda: f'<div style="width:0;height:0;overflow:hidden">{kw()}</div>',
        "clip_rect": lambda: f'<div style="position:absolute;clip:rect(0 0 0 0)">{kw()}</div>',
        "hidden_links": lambda: '<div style="display:none">' + " ".join(
            f'<a href="https://spam{i}.example.net/">{html.escape(rng.choice(SPAM_TERMS))}</a>' for i in range(8)) + "</div>",
        "scattered_spans": lambda: "".join(
            f'<span style="color:#fff">{html.escape(rng.choice(SPAM_TERMS))}</span> ' for _ in range(6)),
        "meta_keywords": lambda: ("", '<meta name="keywords" content="' + html.escape(
            ", ".join(rng.choice(SPAM_TERMS) for _ in range(rng.randint(30, 60)))) + '">'),
        "visible_keyword_list": lambda: "<p>" + html.escape(
            ", ".join(rng.choice(SPAM_TERMS) for _ in range(rng.randint(30, 50)))) + "</p>",
        "alt_stuffing": lambda: '<img src="a.jpg" alt="' + html.escape(
            ", ".join(rng.choice(SPAM_TERMS) for _ in range(35))) + '">',
        "term_repetition": lambda: "".join(
            "<p>" + html.escape(" ".join(rng.choice(["Cheap viagra", "viagra", "buy viagra", sentence(rng, 4, 6)])
                                         for _ in range(20))) + "</p>" for _ in range(10)),
    }
    for form, make in forms.items():
        for _ in range(per_form):
            page = html_page(rng, size=rng.choice([1500, 4000, 8000]))
            made = make()
            snippet, head = made if isinstance(made, tuple) else (made, "")
            out.append((form, _inject(page, snippet, rng.choice(["top", "article", "body"]), head)))
    return out


def normal_pages(seed: int = 2, n: int = 150) -> list[tuple[str, str]]:
    """(description, html) of honest pages that hide menus, labels, modals..."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []

    def menu(style: str) -> str:
        items = "".join(f'<li><a href="/{w}">{w.title()} {rng.choice(["guides", "news", "shop", ""])}</a></li>'
                        for w in rng.sample(["garden", "kitchen", "travel", "science", "history", "music",
                                             "books", "sport", "health", "money", "homes", "cars"], 8))
        return f'<ul class="dropdown" {style}>{items}</ul>'

    extras = {
        "dropdown_menu": lambda: ('<nav>' + menu('style="display:none"') + menu('style="display: none;"') + "</nav>", ""),
        "mobile_menu": lambda: ('<div class="mobile-nav" hidden>' + menu("").replace('href="/', 'href="https://www.example.org/') + "</div>", ""),
        "modal": lambda: ('<div class="modal" style="display:none"><h2>Subscribe to our newsletter</h2><p>'
                          + html.escape(paragraph(rng)) + '</p><button>Sign up</button></div>', ""),
        "cookie_banner": lambda: ('<div id="cookie-banner" style="display:none"><p>We use cookies to make this '
                                  "site work and to understand how you use it. You can change your choice at any "
                                  "time in the privacy settings of this site.</p><a href=\"/privacy\">Read more</a></div>", ""),
        "sr_only": lambda: ("".join(f'<a href="/{i}"><span class="sr-only">{t}</span>*</a>' for i, t in enumerate(
            ["Skip to main content", "Open menu", "Close", "Search", "Facebook", "Twitter", "(opens in a new tab)",
             "Share on LinkedIn", "Next slide", "Previous slide"])), f"<style>{SR_ONLY_CSS}</style>"),
        "sr_only_inline": lambda: ("".join(
            f'<label><span style="position:absolute;left:-10000px">{t}</span><input></label>'
            for t in ["Email address", "Your name", "Search this site"]), ""),
        "faq_collapsed": lambda: ("".join(f'<div class="faq"><h3>{html.escape(sentence(rng, 4, 8))}</h3>'
                                          f'<div class="answer" style="display:none"><p>{html.escape(paragraph(rng))}</p></div></div>'
                                          for _ in range(rng.randint(3, 8))), ""),
        "tabs": lambda: ("".join(f'<div class="tab-panel"{" hidden" if i else ""}><p>{html.escape(paragraph(rng))}</p></div>'
                                 for i in range(3)), ""),
        "template": lambda: ('<template id="row"><tr><td class="name">Name placeholder</td><td>Value</td></tr></template>'
                             '<script type="text/template"><div>{{ title }} {{ body }} cheap tickets</div></script>', ""),
        "icons": lambda: ("".join(f'<i class="icon icon-{n}" aria-hidden="true"></i>' for n in ["star", "heart", "user"]), ""),
        "logo_replace": lambda: ('<h1 class="logo" style="text-indent:-9999px;background:url(logo.png)">Example Garden Co</h1>', ""),
        "noscript_notice": lambda: ('<noscript>Please enable JavaScript to view the comments powered by our provider.</noscript>'
                                    '<noscript><img src="/pixel.gif" alt=""></noscript>', ""),
        "dark_theme": lambda: ("", "<style>body{background:#111111;color:#eeeeee}a{color:#8ab4f8}</style>"),
        "meta_keywords": lambda: ("", '<meta name="keywords" content="garden, winter, bulbs, compost, planting, '
                                      'vegetables, allotment, soil">'),
        "tag_list": lambda: ("<p>Tags: " + ", ".join(rng.sample(["garden", "winter", "recipes", "travel", "bulbs",
                                                              "history", "family", "budget", "weekend"], 6)) + "</p>", ""),
        "breadcrumbs": lambda: ('<div class="crumbs"><a href="/">Home</a> / <a href="/garden">Garden</a> / '
                                "<span>Winter planting</span></div>", ""),
        "hidden_search": lambda: ('<form style="display:none"><label>Search for</label><input name=q>'
                                  "<button>Go</button></form>", ""),
        "spoiler": lambda: ('<details><summary>Show the answer</summary><p>' + html.escape(paragraph(rng)) + "</p></details>", ""),
        "small_print": lambda: ('<p style="font-size:11px;color:#777">' + html.escape(paragraph(rng)) + "</p>", ""),
        "white_on_dark_box": lambda: ('<div style="background-color:#222"><p style="color:#fff">'
                                      + html.escape(paragraph(rng)) + "</p></div>", ""),
    }
    names = list(extras)
    for _ in range(n):
        page = html_page(rng, size=rng.choice([1500, 4000, 8000, 20000]))
        chosen = rng.sample(names, rng.randint(1, 5))
        for name in chosen:
            snippet, head = extras[name]()
            page = _inject(page, snippet, rng.choice(["top", "article", "body"]), head)
        out.append(("+".join(chosen), page))
    return out
