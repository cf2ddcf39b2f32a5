"""What is main content, for the resiliparse back-end of ``extract``: one owner for the choice.

:mod:`corpusclean.html.resiliparse` prunes boilerplate, then renders what :func:`main_content`
returns. Tiers, first that applies:

1. **A named article body** (:func:`named_body`): an ``article``/``div``/``main``/``section``
   with ``itemprop="articleBody"`` (schema.org ``Article``) or whose ``class``/``id`` holds one
   of the article-body names of trafilatura's ``BODY_XPATH`` first expression
   (``trafilatura/xpaths.py``, ``entry-content``, ``post-content``, ``article-body``,
   ``story-body``…; :data:`BODY_CLASS_NAMES`, :data:`BODY_ID_NAMES`). This is how the default
   back-end finds the article on CMS pages (WordPress, Blogger, news systems) that have no single
   ``<main>``/``<article>``. Of several holding at least :data:`MIN_BODY_CHARS` characters, the
   one holding the most text (trafilatura takes the first; an author box or a "recent posts"
   widget before the article may reuse the names), then the innermost named one inside it that
   still holds most of its text (:data:`INNER_MIN_SHARE`). The closest ``<h1>`` before it (the headline,
   which news templates put outside the body) is rendered with it.
2. **The single** ``<main>``, ``<article>`` or ``role="main"`` element (HTML Living Standard §4.4.14
   "only one visible main per document"; WAI-ARIA ``main`` landmark), when it holds at least
   :data:`MAIN_MIN_SHARE` of the page's words (a ``<main>`` around a short teaser is not the page).
3. **Text-density scoring** (:func:`scored_blocks`), after Arc90 Readability as maintained in
   Mozilla's Readability.js (``_grabArticle``; the scores and thresholds below are theirs): every
   paragraph-like block (``p``, ``pre``, ``td``, ``blockquote``) of at least
   :data:`MIN_PARAGRAPH_CHARS` characters scores ``1 + commas + min(chars // 100, 3)``, added in
   full to its parent and halved to its grandparent; a container's score is scaled by
   ``1 - link density`` (share of its characters inside links); the best container wins, and its
   siblings join it when they score at least :data:`SIBLING_SHARE` of it (and 10), or are a
   paragraph of over 80 characters with link density under 0.25 (or a shorter one with no link
   and a sentence end). Readability's tag and class-name weights are left out: our pruning has
   removed the names it penalises already. Used only when it holds at least
   :data:`MAIN_MIN_SHARE` of the page's words, otherwise the whole body is kept (a page of short
   blocks — a manual page, a table — has no single dense block; keeping all of it is the safe
   side).
4. **The body.**

Cost: one XPath for the names (tier 1), one for the candidate blocks (tier 3); a few ms per page.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

#: class substrings of an article body (trafilatura ``BODY_XPATH[0]``, ``_ARTICLE_CONTENT_CLASS_TOKENS``).
BODY_CLASS_NAMES = (
    r"post[-_]text", r"post-body", r"post-?entry", r"post[-_]?content", r"postContent", r"post_inner_wrapper",
    r"article-?text", r"articleText", r"(?:entry|page|text|article|art)-content", r"article__content",
    r"article(?:-|__)?body", r"articleBody", r"ArticleContent", r"body-text", r"article__container",
    r"story-body", r"story-?content",
)
#: id substrings of an article body (trafilatura ``_ARTICLE_CONTENT_ID_TOKENS`` and ``_STORY_ID_TOKENS``).
BODY_ID_NAMES = (
    r"(?:entry|article|art)-content", r"article__content", r"article(?:-|__)?body", r"articleBody", r"body-text",
    r"story-body", r"articleContent",
)
#: Fewest characters of text a named body must hold (trafilatura's ``MIN_EXTRACTED_SIZE``,
#: ``settings.cfg``: below it trafilatura tries its next candidate too).
MIN_BODY_CHARS = 250
#: A named element inside the chosen one replaces it when it holds at least this share of its
#: text (ours: "most of it"; an outer wrapper adds a byline, tags, an author box, not half the text).
INNER_MIN_SHARE = 0.5
#: Share of the page's words a ``<main>``/``<article>`` or the scored blocks must hold to be taken alone.
MAIN_MIN_SHARE = 0.25
#: Shortest block that scores (Readability.js: ``innerText.length < 25`` is skipped).
MIN_PARAGRAPH_CHARS = 25
#: A sibling joins the top container when it scores at least this share of it (Readability.js:
#: ``siblingScoreThreshold = Math.max(10, topCandidate.readability.contentScore * 0.2)``).
SIBLING_SHARE = 0.2

_CLASS_RE = re.compile("|".join(BODY_CLASS_NAMES))
_ID_RE = re.compile("|".join(BODY_ID_NAMES))
_NAMED = etree.XPath(
    "//body//*[self::article or self::div or self::main or self::section][@itemprop or @class or @id]")
_PRECEDING_H1 = etree.XPath("preceding::h1[1]")
_BLOCKS = etree.XPath("//body//p | //body//pre | //body//td | //body//blockquote")


def _is_named(el: Any) -> bool:
    if el.get("itemprop") == "articleBody":
        return True
    cls = el.get("class") or ""
    if cls in ("post", "entry") or (cls and _CLASS_RE.search(cls)):
        return True
    ident = el.get("id") or ""
    return bool(ident and _ID_RE.search(ident))


def _chars(el: Any) -> int:
    return len(" ".join(el.text_content().split()))


def named_body(root: Any) -> Any | None:
    """Tier 1: the article body named by class/id/itemprop (see the module doc), or ``None``.

    Of several, the one holding the most text (an author box or a "recent posts" widget may reuse
    the names); then, while it holds a named element with at least :data:`INNER_MIN_SHARE` of its
    text, that one (the most specific name: ``post-content-container`` around ``entry-content``,
    ``article.post`` around ``itemprop=articleBody`` add a byline, tags, an author box).
    """
    named = [(el, _chars(el)) for el in _NAMED(root) if _is_named(el)]
    named = [(el, n) for el, n in named if n >= MIN_BODY_CHARS]
    if not named:
        return None
    best, chars = max(named, key=lambda x: x[1])  # max keeps the first of equals
    while True:
        inner = [(el, n) for el, n in named if n >= INNER_MIN_SHARE * chars and el is not best
                 and any(a is best for a in el.iterancestors())]
        if not inner:
            return best
        best, chars = max(inner, key=lambda x: x[1])


def headline(node: Any) -> Any | None:
    """The ``<h1>`` closest before ``node`` in document order when ``node`` holds none, else ``None``."""
    if node.find(".//h1") is not None:
        return None
    found = _PRECEDING_H1(node)
    return found[0] if found else None


def single_main(body: Any, body_words: int) -> Any | None:
    """Tier 2: the one ``<main>`` (else ``<article>``, else ``role=main``) holding at least
    :data:`MAIN_MIN_SHARE` of ``body_words``, or ``None``."""
    for tag in ("main", "article"):
        found = body.findall(f".//{tag}")
        if len(found) == 1:
            return found[0] if _words(found[0]) >= MAIN_MIN_SHARE * body_words else None
    found = body.xpath(".//*[@role='main']")
    if len(found) == 1 and _words(found[0]) >= MAIN_MIN_SHARE * body_words:
        return found[0]
    return None


def _words(el: Any) -> int:
    return len(el.text_content().split())


def _link_density(el: Any, chars: int) -> float:
    if not chars:
        return 0.0
    linked = sum(len(" ".join(a.text_content().split())) for a in el.iter("a"))
    return min(1.0, linked / chars)


def scored_blocks(body: Any, body_words: int) -> list[Any] | None:
    """Tier 3: the top-scoring container and the siblings that join it (document order), or
    ``None`` when no block scores or the result holds under :data:`MAIN_MIN_SHARE` of the words."""
    scores: dict[Any, float] = {}
    for block in _BLOCKS(body):
        text = " ".join(block.text_content().split())
        if len(text) < MIN_PARAGRAPH_CHARS:
            continue
        score = 1 + text.count(",") + min(len(text) // 100, 3)
        parent = block.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
    if not scores:
        return None
    final = {el: s * (1 - _link_density(el, _chars(el))) for el, s in scores.items()}
    top = max(final, key=lambda el: final[el])
    if top is body or top.tag in ("html", "body"):
        return None
    parent = top.getparent()
    if parent is None:
        return None
    threshold = max(10.0, final[top] * SIBLING_SHARE)
    out = []
    for sib in parent:
        if sib is top:
            out.append(sib)
            continue
        if not isinstance(sib.tag, str):
            continue
        bonus = final[top] * SIBLING_SHARE if sib.get("class") and sib.get("class") == top.get("class") else 0.0
        if final.get(sib, 0.0) + bonus >= threshold:
            out.append(sib)
        elif sib.tag == "p":
            chars = _chars(sib)
            density = _link_density(sib, chars)
            if (chars > 80 and density < 0.25) or (0 < chars <= 80 and density == 0 and
                                                   re.search(r"\.( |$)", sib.text_content())):
                out.append(sib)
    if sum(_words(el) for el in out) < MAIN_MIN_SHARE * body_words:
        return None
    return out


_SEARCH = object()


def main_content(body: Any, named: Any = _SEARCH) -> list[Any]:
    """The elements of ``body`` to render, in document order (tiers 1-4 of the module doc).

    ``named``: the tier-1 body when the caller looked for it already (:func:`named_body`, before
    pruning; ``None``: there is none); by default it is looked for here.
    """
    if named is _SEARCH:
        named = named_body(body)
    elif named is not None and not _attached(named, body):
        named = None
    if named is not None:
        h1 = headline(named)
        return [h1, named] if h1 is not None else [named]
    body_words = _words(body)
    main = single_main(body, body_words)
    if main is not None:
        return [main]
    blocks = None  # TMP scored_blocks(body, body_words)
    if blocks:
        return blocks
    return [body]


def _attached(el: Any, body: Any) -> bool:
    return any(a is body for a in el.iterancestors())
