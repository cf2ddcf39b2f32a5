"""The resiliparse back-end of ``extract`` (the default).

resiliparse's own ``main_content=True`` mode drops ``<ul>`` lists that sit directly in the
article, so we run it with ``main_content=False`` after removing boilerplate ourselves. Pruning
runs on an lxml tree (libxml2 XPath), not with resiliparse's CSS selectors: on real documentation
pages (Debian Reference, 290 KB) one ``query_selector_all("[class], [id]")`` took over 100 s. What
is removed:

* what :mod:`corpusclean.html.boilerplate` defines for both back-ends (consent banners by what
  they are, permalink anchors);
* semantic boilerplate: ``nav``, ``aside``, ``button``, ARIA navigation/banner/contentinfo/
  complementary/dialog/menu/search roles, hidden elements; ``header``/``footer`` outside the
  article and ``form`` unless they hold the article or ``<main>`` (some templates put the
  article inside a ``<header>``; ASP.NET pages wrap the whole page in one ``<form>``, which then
  holds the ``<h1>``/``<h2>`` headings too);
* elements whose class or id *is* a boilerplate name token (``nav``, ``menu``, ``footer``,
  ``sidebar``, ``breadcrumb``, ``share``, ``toc``…, :data:`BOILERPLATE_NAMES`; matched as whole
  ``-``/``_``/space separated tokens; a BEM modifier — what follows ``--`` in
  ``block__element--modifier``, getbem.com/naming — describes a state or look, not what the
  element is, and is ignored) unless they hold the article, ``<main>``, ``<h1>`` or the named
  article body (:func:`corpusclean.html.content.named_body`), or more than :data:`MAJORITY` of
  the page's words (comment threads excepted). ``widget`` is not a name: page builders
  (Elementor's ``elementor-widget-container``) and Blogger (``widget Blog``) put the article in it;
* link lists (at least 80 % of the words in links, at most 4 words per item), except a list
  the text before it announces with a colon ("The affected functions are:"): an enumeration.

Then :func:`corpusclean.html.content.main_content` chooses what is rendered (a named article
body, the single ``<main>``/``<article>``, or the densest text blocks), and resiliparse's ``•``
bullets are rewritten into ours.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from corpusclean.html.boilerplate import prune, remove_keep_tail
from corpusclean.html.content import main_content, named_body
from corpusclean.html.parse import check_depth, page_tree
from corpusclean.text import LIST_INDENT, UNORDERED_BULLET, is_bullet_line, ordered_bullet

_BLANKS = re.compile(r"\n{3,}")

#: class/id tokens naming boilerplate containers (not cookie/consent: see html.boilerplate).
BOILERPLATE_NAMES = (
    "nav", "navbar", "navigation", "menu", "menus", "mainmenu", "submenu", "breadcrumb", "breadcrumbs",
    "banner", "footer", "sidebar", "share", "sharing", "social", "related", "ad", "ads",
    "advert", "advertisement", "sponsored", "promo", "newsletter", "subscribe", "subscription", "popup",
    "modal", "overlay", "comment", "comments", "skip", "skiplink", "pagination", "pager", "toolbar",
    "masthead", "site-header", "topbar", "login", "signup", "disclaimer", "copyright",
    "toc", "navheader", "navfooter",  # a table of contents; DocBook XSL's navigation bars
)
#: An element holding more than this share of the page's words (after the semantic pruning) is
#: not removed for its name (ours: a theme's ``share-zone`` or ``sidebar_content`` around the
#: article); comment threads, which can outweigh the article, are the exception.
MAJORITY = 0.5
_NAME_RE = r"(^|[-_\s])(" + "|".join(re.escape(n) for n in BOILERPLATE_NAMES) + r")([-_\s]|$)"
#: Elements removed by tag (``iter`` walks the tree in C, no XPath).
_SEMANTIC_TAGS = ("script", "style", "noscript", "template", "nav", "aside", "button", "select", "iframe",
                  "svg", "dialog")
_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "dialog", "menu", "menubar",
                    "search", "alert"})
_ATTRIBUTED = etree.XPath("//*[@hidden or @aria-hidden or @role]")  # filtered in Python: 4x faster than @role='x' tests
_OUTSIDE = etree.XPath(
    "//header[not(ancestor::article or ancestor::main or .//article or .//main)] | "
    "//footer[not(ancestor::article or ancestor::main or .//article or .//main)] | "
    "//form[not(.//article or .//main or .//h1 or .//h2)]")


def _semantic(root: Any) -> list[Any]:
    """Semantic boilerplate (see the module doc): by tag, by hidden/ARIA attributes, and
    header/footer/form outside the article."""
    hidden = [el for el in _ATTRIBUTED(root) if el.get("hidden") is not None
              or el.get("aria-hidden") == "true" or el.get("role") in _ROLES]
    return [*root.iter(*_SEMANTIC_TAGS), *hidden, *_OUTSIDE(root)]


_NAME_TOKEN = re.compile(_NAME_RE, re.I)
_HAS_NAME = etree.XPath("//body//*[@class or @id or @itemprop]")
_HOLDS_CONTENT = etree.XPath("boolean(.//article or .//main or .//h1)")
_COMMENT_NAME = re.compile(r"(^|[-_\s])comments?([-_\s]|$)", re.I)
_BEM_MODIFIER = re.compile(r"--\S*")
_LISTS = etree.XPath("//ul | //ol")


def _names_boilerplate(names: str) -> bool:
    """Whether a class/id value holds a :data:`BOILERPLATE_NAMES` token (BEM modifiers ignored)."""
    if not _NAME_TOKEN.search(names):  # most values: one search
        return False
    return "--" not in names or bool(_NAME_TOKEN.search(_BEM_MODIFIER.sub("", names)))


def boilerplate_name(el: Any) -> bool:
    """Whether ``el``'s class or id holds a :data:`BOILERPLATE_NAMES` token (BEM modifiers ignored)."""
    return _names_boilerplate(el.get("class") or "") or _names_boilerplate(el.get("id") or "")


def _word_count(el: Any) -> int:
    """Whitespace words of ``el``'s text, element boundaries counting as spaces (``text_content``
    would glue ``<p>Deprecated:</p><ul><li>open()`` into one word)."""
    return len(" ".join(el.itertext()).split())


def _announced(lst: Any) -> bool:
    """True when the text just before ``lst`` (after its previous element, or that element's
    text, else its parent's leading text) ends with a colon: a list the prose introduces."""
    for prev in lst.itersiblings(preceding=True):
        if prev.tail and prev.tail.strip():
            return prev.tail.rstrip().endswith(":")
        if isinstance(prev.tag, str):  # an element (comments and processing instructions are skipped)
            return prev.text_content().rstrip().endswith(":")
    parent = lst.getparent()
    return parent is not None and (parent.text or "").rstrip().endswith(":")


def prune_boilerplate(root: Any, include_comments: bool) -> Any | None:
    """Remove banners, navigation, named boilerplate and link lists from an lxml tree, in place.

    Returns the named article body (:func:`corpusclean.html.content.named_body`, found before the
    names are pruned and kept with its ancestors), or ``None``.
    """
    prune(root)
    prune(root, [_semantic])
    named = _HAS_NAME(root)
    article = named_body(root, named)
    keep = set() if article is None else {article, *article.iterancestors()}
    body = root.find("body")
    page_words = -1  # counted when first needed
    for el in named:
        if el.tag in ("main", "article") or not boilerplate_name(el) or el.getparent() is None or el in keep \
                or _HOLDS_CONTENT(el):
            continue
        comments = _COMMENT_NAME.search(el.get("class") or "") or _COMMENT_NAME.search(el.get("id") or "")
        if include_comments and comments:
            continue
        if not comments:
            if page_words < 0:
                page_words = len(body.text_content().split()) if body is not None else 0
            if len(el.text_content().split()) > MAJORITY * page_words:
                continue  # the name says boilerplate, the text says it is the page
        remove_keep_tail(el)
    for lst in _LISTS(root):
        if lst.getparent() is None:
            continue
        items = lst.findall(".//li")
        total = _word_count(lst)
        if not items or total == 0:
            continue
        link_words = sum(_word_count(a) for a in lst.iter("a"))
        if link_words / total >= 0.8 and total / len(items) <= 4 and not _announced(lst):
            remove_keep_tail(lst)
    return article


def _resiliparse_modules() -> tuple[Any, Any]:
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "extract backend 'resiliparse' cannot import resiliparse, a dependency of corpusclean: "
            "pip install 'resiliparse>=2.0'"
        ) from exc
    return HTMLTree, extract_plain_text


class ResiliparseExtractor:
    """lxml pruning, then resiliparse's plain-text rendering; one instance per stage.

    Raises :class:`ImportError` (with the install hint) when resiliparse is missing.
    """

    def __init__(self, include_comments: bool = False, include_tables: bool = True,
                 include_links: bool = False) -> None:
        self.include_comments = include_comments
        self.include_tables = include_tables
        self.include_links = include_links
        self._HTMLTree, self._extract_plain_text = _resiliparse_modules()

    def extract(self, html: str, url: str | None = None) -> str:
        """The text of one page, ``""`` when nothing is extractable. May raise."""
        root = page_tree(html)  # the tree hidden_text parsed, when it ran first (one parse per page)
        check_depth(root)  # cut by libxml2's depth limit: TooDeep, not the text before the cut
        if root is None:
            return ""
        body = root.find("body")
        if body is None:
            return ""
        article = prune_boilerplate(root, self.include_comments)
        nodes = main_content(body, article)
        marked = protect_preformatted(nodes, html)
        inner = "".join(etree.tostring(n, encoding="unicode", method="html", with_tail=False) for n in nodes)
        tree = self._HTMLTree.parse(f"<html><body>{inner}</body></html>")
        skip = [] if self.include_tables else ["table"]
        text = self._extract_plain_text(
            tree, preserve_formatting=True, main_content=False, list_bullets=True, alt_texts=False,
            links=self.include_links, form_fields=False, noscript=False, skip_elements=skip,
        )
        text = normalise(text)
        return text.translate(_RESTORE) if marked else text


#: Private-use characters standing for a space and a tab inside ``<pre>`` while the text goes
#: through :func:`normalise` (which strips lines and reads leading spaces as list nesting).
PRE_SPACE, PRE_TAB = "\ue010", "\ue011"
_PROTECT = str.maketrans({" ": PRE_SPACE, "\t": PRE_TAB})
_RESTORE = str.maketrans({PRE_SPACE: " ", PRE_TAB: "\t"})


def protect_preformatted(nodes: list[Any], html: str) -> bool:
    """Write the spaces and tabs of every ``<pre>`` under ``nodes`` as :data:`PRE_SPACE` /
    :data:`PRE_TAB`, in place, so code keeps its indentation and tabs through :func:`normalise`
    (resiliparse itself renders ``<pre>`` verbatim). False (nothing done) when the page has no
    ``<pre>`` or already holds one of the two characters, which could then not be told apart."""
    pres = [pre for node in nodes for pre in node.iter("pre")]
    if not pres or PRE_SPACE in html or PRE_TAB in html:
        return False
    for pre in pres:
        if pre.text:
            pre.text = pre.text.translate(_PROTECT)
        for el in pre.iterdescendants():
            if el.text:
                el.text = el.text.translate(_PROTECT)
            if el.tail:
                el.tail = el.tail.translate(_PROTECT)
    return True


_RP_BULLET = re.compile(r"^( *)(?:•|(\d+)\.) (.*)$")


def normalise(text: str) -> str:
    """Rewrite resiliparse's list markup (``  • item``, ``  1. item``) into ours."""
    out: list[str] = []
    depth: int | None = None  # nesting depth of the list item being continued, if any
    for raw in text.split("\n"):
        line = raw.replace("\t\t", " | ").replace("\t", " ").rstrip()
        m = _RP_BULLET.match(line)
        if m:
            depth = max(len(m.group(1)) // 2 - 1, 0)
            marker = ordered_bullet(int(m.group(2))) if m.group(2) else UNORDERED_BULLET
            out.append(LIST_INDENT * depth + marker + m.group(3).strip())
        elif depth is not None and line.startswith("  ") and line.strip():
            out.append(LIST_INDENT * depth + "  " + line.strip())  # continuation of an item
        else:
            if line.strip():
                depth = None
            out.append(line.strip())
    # items holding <p> come out separated by blank lines: a list is one paragraph
    for i in range(1, len(out) - 1):
        if not out[i] and is_bullet_line(out[i - 1]) and is_bullet_line(out[i + 1]):
            out[i] = "\0"
    return _BLANKS.sub("\n\n", "\n".join(x for x in out if x != "\0")).strip()
