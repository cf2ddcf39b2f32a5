"""The resiliparse back-end of ``extract`` (the default).

resiliparse's own ``main_content=True`` mode drops ``<ul>`` lists that sit directly in the
article, so we run it with ``main_content=False`` after removing boilerplate ourselves. Pruning
runs on an lxml tree (libxml2 XPath), not with resiliparse's CSS selectors: on real documentation
pages (Debian Reference, 290 KB) one ``query_selector_all("[class], [id]")`` took over 100 s. What
is removed:

* what :mod:`corpusclean.html.boilerplate` defines for both back-ends (consent banners by what
  they are, permalink anchors);
* semantic boilerplate: ``nav``, ``aside``, ``form``, ``button``, ARIA navigation/banner/
  contentinfo/complementary/dialog/menu/search roles, hidden elements, ``header``/``footer``
  outside the article;
* elements whose class or id *is* a boilerplate name token (``nav``, ``menu``, ``footer``,
  ``sidebar``, ``breadcrumb``, ``share``…, :data:`BOILERPLATE_NAMES`; matched as whole
  ``-``/``_``/space separated tokens) unless they hold the article, ``<main>`` or ``<h1>``;
* link lists (at least 80 % of the words in links, at most 4 words per item).

Then the single ``<main>`` (or ``<article>``) is kept alone when it holds at least a quarter of
the page's words, and resiliparse's ``•`` bullets are rewritten into ours.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from corpusclean.html.boilerplate import prune, remove_keep_tail
from corpusclean.html.parse import check_depth, page_tree
from corpusclean.text import LIST_INDENT, UNORDERED_BULLET, is_bullet_line, ordered_bullet

_BLANKS = re.compile(r"\n{3,}")

#: class/id tokens naming boilerplate containers (not cookie/consent: see html.boilerplate).
BOILERPLATE_NAMES = (
    "nav", "navbar", "navigation", "menu", "menus", "mainmenu", "submenu", "breadcrumb", "breadcrumbs",
    "banner", "footer", "sidebar", "widget", "widgets", "share", "sharing", "social", "related", "ad", "ads",
    "advert", "advertisement", "sponsored", "promo", "newsletter", "subscribe", "subscription", "popup",
    "modal", "overlay", "comment", "comments", "skip", "skiplink", "pagination", "pager", "toolbar",
    "masthead", "site-header", "topbar", "login", "signup", "disclaimer", "copyright",
)
_NAME_RE = r"(^|[-_\s])(" + "|".join(re.escape(n) for n in BOILERPLATE_NAMES) + r")([-_\s]|$)"
_SEMANTIC = etree.XPath(
    "//script | //style | //noscript | //template | //nav | //aside | //form | //button | //select | "
    "//iframe | //svg | //dialog | //*[@hidden] | //*[@aria-hidden='true'] | //*[@role='navigation' or "
    "@role='banner' or @role='contentinfo' or @role='complementary' or @role='dialog' or @role='menu' or "
    "@role='menubar' or @role='search' or @role='alert'] | "
    "//header[not(ancestor::article or ancestor::main)] | //footer[not(ancestor::article or ancestor::main)]")
_NAME_TOKEN = re.compile(_NAME_RE, re.I)
_HAS_NAME = etree.XPath("//body//*[@class or @id][not(self::main or self::article)]")
_HOLDS_CONTENT = etree.XPath("boolean(.//article or .//main or .//h1)")
_COMMENT_NAME = re.compile(r"(^|[-_\s])comments?([-_\s]|$)", re.I)
_LISTS = etree.XPath("//ul | //ol")


def prune_boilerplate(root: Any, include_comments: bool) -> None:
    """Remove banners, navigation, named boilerplate and link lists from an lxml tree, in place."""
    prune(root)
    prune(root, [_SEMANTIC])
    for el in _HAS_NAME(root):
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if el.getparent() is None or not _NAME_TOKEN.search(names) or _HOLDS_CONTENT(el):
            continue
        if include_comments and (_COMMENT_NAME.search(el.get("class") or "") or _COMMENT_NAME.search(el.get("id") or "")):
            continue
        remove_keep_tail(el)
    for lst in _LISTS(root):
        if lst.getparent() is None:
            continue
        items = lst.findall(".//li")
        total = len(lst.text_content().split())
        if not items or total == 0:
            continue
        link_words = sum(len(a.text_content().split()) for a in lst.iter("a"))
        if link_words / total >= 0.8 and total / len(items) <= 4:
            remove_keep_tail(lst)


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
        prune_boilerplate(root, self.include_comments)
        node = body
        mains = body.findall(".//main")
        if len(mains) != 1:
            mains = body.findall(".//article")
        if len(mains) == 1:
            body_words = len(body.text_content().split())
            if body_words and len(mains[0].text_content().split()) / body_words >= 0.25:
                node = mains[0]
        inner = etree.tostring(node, encoding="unicode", method="html", with_tail=False)
        tree = self._HTMLTree.parse(f"<html><body>{inner}</body></html>")
        skip = [] if self.include_tables else ["table"]
        text = self._extract_plain_text(
            tree, preserve_formatting=True, main_content=False, list_bullets=True, alt_texts=False,
            links=self.include_links, form_fields=False, noscript=False, skip_elements=skip,
        )
        return normalise(text)


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
