"""What is not content, defined once for both extraction back-ends (lxml trees, XPath 1.0).

* **Consent banners** are recognised by what they *are*, never by a word inside an id or class
  name (a recipe in ``<section id="cookie-recipe">``, an "Informed consent" section in
  ``<div class="consent-process">`` and an API page about HTTP cookies are content):

  1. the root element of a known consent framework (OneTrust, Cookiebot, Usercentrics, Didomi,
     TrustArc, Quantcast, CookieYes, Complianz, iubenda, Sourcepoint, Osano, Borlabs, Klaro,
     tarteaucitron, Moove GDPR, Termly, Cookie-Script; :data:`CONSENT_FRAMEWORK_IDS`);
  2. a *short* element (at most :data:`BANNER_MAX_CHARS` characters of text) that mentions
     cookies/consent/privacy (:data:`CONSENT_WORDS`) and holds a consent control — a button or
     link whose whole text is an accept/reject action (:data:`CONSENT_ACTIONS`, several
     languages);
  3. a short overlay (``<dialog>``, ``role=dialog|alertdialog``, ``aria-modal``, inline
     ``position:fixed``/``sticky``) that mentions cookies/consent.

  None of them removes an element holding a ``<h1>``–``<h3>``, ``<article>`` or ``<main>``: a
  banner has no section headings.
* **Permalink anchors**: an ``<a>`` pointing at a fragment whose only text is a permalink glyph
  (Sphinx's ``¶`` header links, ``#``, ``§``, ``🔗``…; :data:`PERMALINK_GLYPHS`) is not content.

Each definition is an XPath expression, so trafilatura applies it through ``prune_xpath`` and the
resiliparse back-end through :func:`prune` on an lxml tree.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

_UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÄÉÖÜ"
_LO = "abcdefghijklmnopqrstuvwxyzàäéöü"


def _lower(expr: str) -> str:
    return f"translate({expr}, '{_UP}', '{_LO}')"


#: Longest text (characters) an element may hold and still be judged a consent banner.
BANNER_MAX_CHARS = 800
#: Words a banner's text contains (lower case; any of them).
CONSENT_WORDS = ("cookie", "consent", "gdpr", "privacy", "tracking", "datenschutz", "einwillig",
                 "données", "privacidad", "privacy", "personal data", "rgpd")
#: Text of a consent control (lower case, whole text of the button/link after trimming).
CONSENT_ACTIONS = (
    "accept", "accept all", "accept cookies", "accept all cookies", "i accept", "agree", "i agree",
    "allow", "allow all", "allow cookies", "allow all cookies", "ok", "okay", "got it", "reject",
    "reject all", "decline", "deny", "refuse", "only necessary", "necessary only", "essential only",
    "manage cookies", "cookie settings", "manage preferences", "customize", "customise",
    "alle akzeptieren", "akzeptieren", "zustimmen", "einverstanden", "ablehnen", "alle ablehnen",
    "accepter", "tout accepter", "j'accepte", "refuser", "tout refuser", "aceptar", "aceptar todo",
    "rechazar", "accetta", "accetto", "accetta tutti", "rifiuta", "aceitar", "aceito", "rejeitar",
    "akkoord", "accepteren", "weigeren", "godkänn", "acceptera", "hyväksy", "zaakceptuj", "принять",
)
#: id prefixes of known consent frameworks' root elements (and their class names, for classes).
CONSENT_FRAMEWORK_IDS = (
    "onetrust", "ot-sdk", "CybotCookiebot", "cookiebot", "usercentrics", "uc-banner", "didomi",
    "truste", "trustarc", "qc-cmp", "cookie-law-info", "cookieyes", "cky-consent", "cmplz",
    "iubenda-cs", "sp_message", "osano-cm", "BorlabsCookie", "klaro", "tarteaucitron",
    "moove_gdpr", "termly", "cookiescript", "cookie-script", "CookieConsent", "cc-window",
    "cc_banner", "gdpr-cookie-notice", "cookie-notice-container", "cookie-law-banner",
)
#: Text of an anchor that is only a permalink to its heading or definition.
PERMALINK_GLYPHS = ("¶", "§", "#", "🔗", "⚓", "⁋", "∞", "🔗︎", "link", "permalink")

_NO_SECTIONS = "not(.//h1 or .//h2 or .//h3 or .//article or .//main or self::article or self::main)"
_MENTIONS = "(" + " or ".join(f"contains({_lower('.')}, '{w}')" for w in CONSENT_WORDS) + ")"
_SHORT = f"string-length(normalize-space(.)) <= {BANNER_MAX_CHARS}"
_ACTION = ("(" + " or ".join(f"{_lower('normalize-space(.)')} = \"{a}\"" for a in CONSENT_ACTIONS) + ")")
_CONTROL = (f"(self::button or self::a or @role='button' or self::input) and "
            f"({_ACTION} or {_lower('normalize-space(@value)')} = 'accept')")
_FRAMEWORK_RE = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(p) for p in CONSENT_FRAMEWORK_IDS) + ")")
_NAMED = etree.XPath("//*[@id or @class]")
_HOLDS_SECTIONS = etree.XPath(f"not({_NO_SECTIONS})")
_OVERLAY = ("(self::dialog or @role='dialog' or @role='alertdialog' or @aria-modal='true' or "
            "contains(translate(@style, ' ', ''), 'position:fixed') or "
            "contains(translate(@style, ' ', ''), 'position:sticky'))")

#: XPath expressions selecting consent banners of forms 2 and 3 (see the module docstring); form 1
#: (framework ids) is :func:`framework_banners`, a regex over ids/classes (one XPath with 30
#: ``starts-with`` tests cost 30-40 ms on a 60 KB page).
CONSENT_BANNER_XPATHS = (
    f"//*[{_CONTROL}]/ancestor-or-self::*[not(self::body or self::html)][{_SHORT}][{_MENTIONS}][{_NO_SECTIONS}]",
    f"//*[{_OVERLAY}][{_SHORT}][{_MENTIONS}][{_NO_SECTIONS}]",
)
#: XPath selecting permalink anchors (``<a href="#…">¶</a>``).
PERMALINK_XPATH = (
    "//a[contains(@href, '#')][" + " or ".join(f"{_lower('normalize-space(.)')} = '{g}'" for g in PERMALINK_GLYPHS)
    + "]"
)
#: Everything :func:`prune` removes before extraction, for both back-ends.
NOT_CONTENT_XPATHS = (*CONSENT_BANNER_XPATHS, PERMALINK_XPATH)

_COMPILED = [etree.XPath(x) for x in NOT_CONTENT_XPATHS]


def remove_keep_tail(el: Any) -> None:
    """Detach ``el`` from its tree, keeping the text that follows it (its ``tail``)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def framework_banners(root: Any) -> list[Any]:
    """Root elements of known consent frameworks (:data:`CONSENT_FRAMEWORK_IDS` as the start of the
    id or of a class token) that hold no section heading, article or main."""
    out = []
    for el in _NAMED(root):
        if (_FRAMEWORK_RE.match(el.get("id") or "") or _FRAMEWORK_RE.search(el.get("class") or "")) \
                and not _HOLDS_SECTIONS(el):
            out.append(el)
    return out


def prune(root: Any, xpaths: list[Any] | None = None) -> int:
    """Remove consent banners and permalink anchors from an lxml tree in place.

    ``xpaths`` (compiled :class:`lxml.etree.XPath`, or callables returning elements) defaults to
    :func:`framework_banners` plus :data:`NOT_CONTENT_XPATHS`. Returns the number of elements removed.
    """
    n = 0
    for xp in xpaths if xpaths is not None else [framework_banners, *_COMPILED]:
        for el in xp(root):
            if el.getparent() is not None:
                remove_keep_tail(el)
                n += 1
    return n
