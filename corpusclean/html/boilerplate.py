"""What is not content, defined once for both extraction back-ends (lxml trees, XPath 1.0).

* **Consent banners** are recognised by what they *are*, never by a word inside an id or class
  name (a recipe in ``<section id="cookie-recipe">``, an "Informed consent" section in
  ``<div class="consent-process">`` and an API page about HTTP cookies are content):

  1. the root element of a known consent framework (OneTrust, Cookiebot, Usercentrics, Didomi,
     TrustArc, Quantcast, CookieYes, Complianz, iubenda, Sourcepoint, Osano, Borlabs, Klaro,
     tarteaucitron, Moove GDPR, Termly, Cookie-Script; :data:`CONSENT_FRAMEWORK_IDS`);
  2. the innermost *short* element (at most :data:`BANNER_MAX_CHARS` characters of text) that
     holds a consent control — a button, or a link that goes nowhere (``#``, ``javascript:``),
     whose whole text is an accept/reject action (:data:`CONSENT_ACTIONS`, several languages) —
     and mentions cookies/consent/privacy (:data:`CONSENT_WORDS`) outside it;
  3. a short overlay (``<dialog>``, ``role=dialog|alertdialog``, ``aria-modal``, inline
     ``position:fixed``/``sticky``) that mentions cookies/consent.

  None of them removes an element holding a ``<h1>``–``<h3>``, ``<article>`` or ``<main>``: a
  banner has no section headings.
* **Permalink anchors**: an ``<a>`` pointing at a fragment whose only text is a permalink glyph
  (Sphinx's ``¶`` header links, ``#``, ``§``, ``🔗``…; :data:`PERMALINK_GLYPHS`) is not content.

Each definition is a function ``root -> [element]`` (:data:`NOT_CONTENT`), applied by :func:`prune`
to the lxml tree of either back-end. XPath only finds the candidates by tag and attribute (controls,
overlays, fragment links, framework ids); their text is read in Python, for the candidates only:
one XPath testing the text of every element (``normalize-space(.)`` per element) cost 30 % of
extraction's CPU on the real-page fidelity set.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lxml import etree

#: Longest text (characters) an element may hold and still be judged a consent banner.
BANNER_MAX_CHARS = 800
#: Words a banner's text contains (lower case; any of them).
CONSENT_WORDS = ("cookie", "consent", "gdpr", "privacy", "tracking", "datenschutz", "einwillig",
                 "données", "privacidad", "privacy", "personal data", "rgpd")
#: Text of a consent control (lower case, whole text of the button/link after trimming, and
#: without the punctuation around it: "Got it!" is "got it").
CONSENT_ACTIONS = (
    "accept", "accept all", "accept cookies", "accept all cookies", "i accept", "agree", "i agree",
    "ok, i agree", "accept & close", "accept and close", "understood", "verstanden", "ok, verstanden",
    "alles klar", "j'ai compris", "entendido", "ho capito",
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

#: A banner holds none of these (checked on the element and its descendants).
_HOLDS_SECTIONS = etree.XPath("boolean(self::article or self::main or .//h1 or .//h2 or .//h3 or .//article or "
                              ".//main)")
#: Elements that can be a consent control (form 2), before their text is read.
_CONTROLS = etree.XPath("//button | //a | //input | //*[@role='button']")
#: Attribute values that make an element an overlay (form 3), before its text is read.
_OVERLAY_VALUE = re.compile(r"^(?:dialog|alertdialog|true)$|position\s*:\s*(?:fixed|sticky)", re.M)
_DIALOGS = etree.XPath("//dialog")
#: Anchors that can be permalinks (a fragment in ``href``), before their text is read.
_FRAGMENT_LINKS = etree.XPath("//a[contains(@href, '#')]")
_FRAMEWORK_RE = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(p) for p in CONSENT_FRAMEWORK_IDS) + ")")
_ACTIONS = frozenset(CONSENT_ACTIONS)
_GLYPHS = frozenset(PERMALINK_GLYPHS)


def _squashed(text: str) -> str:
    """``text`` with whitespace runs collapsed to one space and trimmed (XPath's normalize-space,
    but over every Unicode space, so ``Accept&nbsp;all`` is an action too)."""
    return " ".join(text.split())


_EDGE_PUNCT = "!.…:;·•*›»«‹\"'() "


def _action(text: str) -> str:
    """``text`` as :data:`CONSENT_ACTIONS` spells actions: squashed, lower case, without the
    punctuation around it."""
    return _squashed(text).lower().strip(_EDGE_PUNCT) or _squashed(text)


def _is_control(el: Any) -> bool:
    """A button, ``input``, ``role=button`` or a link that goes nowhere (no ``href``, ``#…`` or
    ``javascript:``: a link to another page is navigation, not a consent control) whose whole
    text is a consent action."""
    if el.tag == "a" and el.get("role") != "button":
        href = (el.get("href") or "").strip().lower()
        if href and not href.startswith(("#", "javascript:")):
            return False
    return (_action(el.text_content()) in _ACTIONS
            or (el.tag == "input" and _action(el.get("value") or "") == "accept"))


def _is_banner(el: Any, besides: str = "") -> bool | None:
    """True: ``el`` is short, holds no section and mentions consent in its text other than
    ``besides`` (the control's own text, once); False: short and without sections but no such
    mention; None: too long or holds a section (so every ancestor fails too)."""
    text = el.text_content()
    if len(_squashed(text)) > BANNER_MAX_CHARS or _HOLDS_SECTIONS(el):
        return None
    low = text.replace(besides, "", 1).lower() if besides else text.lower()
    return any(w in low for w in CONSENT_WORDS)


def control_banners(root: Any) -> list[Any]:
    """Form 2: for each consent control, its *innermost* ancestor (below ``<body>``) that is a
    banner, its consent mention found outside the control ("Accept cookies" on a button is not
    the notice). The innermost one: a notice that shares a short wrapper with a short page's
    content must not take the content with it. Being short and holding no section both fail for
    every ancestor once they fail for one, so the walk up stops there."""
    out = []
    for control in _CONTROLS(root):
        if not _is_control(control):
            continue
        own = control.text_content()
        for el in control.iterancestors():
            if el.tag in ("body", "html"):
                break
            verdict = _is_banner(el, own)
            if verdict is None:
                break
            if verdict:
                out.append(el)
                break
    return out


def overlay_banners(root: Any) -> list[Any]:
    """Form 3: short overlays (``<dialog>``, dialog roles, ``aria-modal``, inline fixed/sticky
    position) that mention consent and hold no section."""
    candidates = {el: None for el in _DIALOGS(root)}
    candidates.update((el, None) for el in elements_where(root, _OVERLAY_VALUE, ("role", "aria-modal", "style")))
    return [el for el in candidates if _is_banner(el)]


def permalink_anchors(root: Any) -> list[Any]:
    """Anchors to a fragment whose whole text is a permalink glyph (:data:`PERMALINK_GLYPHS`)."""
    return [a for a in _FRAGMENT_LINKS(root) if _squashed(a.text_content()).lower() in _GLYPHS]


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


@functools.lru_cache(maxsize=8)
def _attribute_xpaths(attrs: tuple[str, ...]) -> tuple[Any, Any]:
    values = etree.XPath(" | ".join(f"//@{a}" for a in attrs), smart_strings=False)
    elements = etree.XPath("//*[" + " or ".join(f"@{a}" for a in attrs) + "]")
    return values, elements


def elements_where(root: Any, pattern: re.Pattern[str], attrs: tuple[str, ...] = ("id", "class")) -> list[Any]:
    """Elements one of whose ``attrs`` values ``pattern`` finds (``search``), in document order.

    All values are first searched at once, joined by newlines: most pages have no such element,
    and lxml.html makes a Python object for every element an XPath returns. So a pattern anchored
    at a value's start or end must use ``re.M`` or write ``(?:^|\\s)``."""
    values, elements = _attribute_xpaths(attrs)
    if not pattern.search("\n".join(values(root))):
        return []
    return [el for el in elements(root) if any(pattern.search(el.get(a) or "") for a in attrs)]


def framework_banners(root: Any) -> list[Any]:
    """Root elements of known consent frameworks (:data:`CONSENT_FRAMEWORK_IDS` as the start of the
    id or of a class token) that hold no section heading, article or main."""
    return [el for el in elements_where(root, _FRAMEWORK_RE) if not _HOLDS_SECTIONS(el)]


#: Everything :func:`prune` removes by default, for both back-ends: functions ``root -> [element]``.
NOT_CONTENT = (framework_banners, control_banners, overlay_banners, permalink_anchors)


def prune(root: Any, xpaths: list[Any] | None = None) -> int:
    """Remove consent banners and permalink anchors from an lxml tree in place.

    ``xpaths`` (compiled :class:`lxml.etree.XPath`, or callables returning elements) defaults to
    :data:`NOT_CONTENT`. Returns the number of elements removed.
    """
    n = 0
    for xp in xpaths if xpaths is not None else NOT_CONTENT:
        for el in xp(root):
            if el.getparent() is not None:
                remove_keep_tail(el)
                n += 1
    return n
