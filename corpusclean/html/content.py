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
   still holds most of its text (:data:`INNER_MIN_SHARE`). The closest ``<h1>`` before it (the
   headline, which news templates put outside the body) is rendered with it.
2. **The single** ``<main>``, ``<article>`` or ``role="main"`` element (HTML Living Standard §4.4.14
   "only one visible main per document"; WAI-ARIA ``main`` landmark), when it holds at least
   :data:`MAIN_MIN_SHARE` of the page's words (a ``<main>`` around a short teaser is not the page).
3. **The body**, less its link blocks (:func:`drop_link_blocks`: a ``div``/``section``/``p``
   of at least three links whose text is mostly link text — menus, teaser grids, tag clouds
   written without ``<nav>`` or a list).

Not adopted, measured: Readability-style text-density scoring (Mozilla Readability.js
``_grabArticle``: paragraph scores ``1 + commas + min(chars // 100, 3)`` passed to five levels of
ancestors, scaled by ``1 - link density``, top container plus siblings scoring >= 20 % of it) for
pages that reach tier 3. On the 147 held-out real news/blog pages (``scripts/bench.py --only
fidelity``, held-out section) it raised the share of resiliparse's words that trafilatura also
outputs by at most 2.4 points (79.9 -> 82.3 %) while the share of trafilatura's words kept fell
from 99.2 to 97.6 %, and on the AsciiDoc manual pages (git) it kept one section of a manual page
(git-bisect 0 of 7 list items, git-rebase 24 of 44): a document of sibling sections has no single
dense container. With the gates that kept the manual pages whole it no longer changed the
held-out numbers (numbers measured before the link-block cut of tier 3, which moved the held-out
share from 79.9 to 80.9 % at equal recall and left the documentation pages within 0.2 points).

Cost: the named elements come from the walk :mod:`corpusclean.html.resiliparse` makes for its
name pruning; about 2-3 ms per page for tiers 1-3 on the fidelity pages.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from corpusclean.html.boilerplate import remove_keep_tail

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
#: Tier 3: a block is navigation when at least this share of its characters is link text
#: (Readability.js ``_cleanConditionally``: ``linkDensity > 0.5`` removes a well-scored node) ...
LINK_BLOCK_DENSITY = 0.5
#: ... and it holds at least this many links (ours: a short paragraph with one or two links in
#: its sentence is content).
LINK_BLOCK_MIN_LINKS = 3
#: Share of the page's words a ``<main>``/``<article>`` must hold to be taken alone.
MAIN_MIN_SHARE = 0.25

_CLASS_RE = re.compile("|".join(BODY_CLASS_NAMES))
_ID_RE = re.compile("|".join(BODY_ID_NAMES))
_BODY_TAGS = frozenset({"article", "div", "main", "section"})
_NAMED = etree.XPath("//body//*[@class or @id or @itemprop]")
_PRECEDING_H1 = etree.XPath("preceding::h1[1]")


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


def named_body(root: Any, elements: list[Any] | None = None) -> Any | None:
    """Tier 1: the article body named by class/id/itemprop (see the module doc), or ``None``.

    ``elements``: the page's elements carrying a class, id or itemprop when the caller selected
    them already (one walk of the tree for both), else they are selected here.

    Of several, the one holding the most text (an author box or a "recent posts" widget may reuse
    the names); then, while it holds a named element with at least :data:`INNER_MIN_SHARE` of its
    text, that one (the most specific name: ``post-content-container`` around ``entry-content``,
    ``article.post`` around ``itemprop=articleBody`` add a byline, tags, an author box).
    """
    named = [(el, _chars(el)) for el in (_NAMED(root) if elements is None else elements)
             if el.tag in _BODY_TAGS and _is_named(el)]
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


def single_main(body: Any, body_words: int | None = None) -> Any | None:
    """Tier 2: the one ``<main>`` (else ``<article>``, else ``role=main``) holding at least
    :data:`MAIN_MIN_SHARE` of ``body_words`` (counted here when not given), or ``None``."""
    found = None
    for tag in ("main", "article"):
        found = body.findall(f".//{tag}")
        if found:
            break
    if not found:
        found = body.xpath(".//*[@role='main']")
    if len(found) != 1:
        return None
    if body_words is None:
        body_words = _words(body)
    return found[0] if _words(found[0]) >= MAIN_MIN_SHARE * body_words else None


def _words(el: Any) -> int:
    return len(el.text_content().split())


_SEARCH = object()


def main_content(body: Any, named: Any = _SEARCH) -> list[Any]:
    """The elements of ``body`` to render, in document order (tiers 1-3 of the module doc).

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
    main = single_main(body)
    if main is not None:
        return [main]
    drop_link_blocks(body)
    return [body]


_LINKY = etree.XPath(".//*[self::div or self::section or self::p]"
                     f"[count(.//a) >= {LINK_BLOCK_MIN_LINKS}][not(.//table or .//ul or .//ol or .//dl or .//pre)]")


def drop_link_blocks(node: Any) -> int:
    """Tier 3's cut: remove from ``node``, innermost first, every ``div``/``section``/``p`` with at
    least :data:`LINK_BLOCK_MIN_LINKS` links whose text is at least :data:`LINK_BLOCK_DENSITY` link
    text (characters), unless it holds a table, list, definition list or code block (judged on
    their own: the link-list rule of :mod:`corpusclean.html.resiliparse`). Returns the number removed.
    """
    n = 0
    for el in reversed(_LINKY(node)):  # reversed document order: descendants before ancestors
        if el.getparent() is None:
            continue
        chars = _chars(el)
        if chars and sum(_chars(a) for a in el.iter("a")) >= LINK_BLOCK_DENSITY * chars:
            remove_keep_tail(el)
            n += 1
    return n


def _attached(el: Any, body: Any) -> bool:
    return any(a is body for a in el.iterancestors())
