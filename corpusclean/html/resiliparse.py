"""The resiliparse back-end of ``extract`` (the default).

resiliparse's own ``main_content=True`` mode drops ``<ul>`` lists that sit directly in the
article, so we run it with ``main_content=False`` after removing boilerplate ourselves. Pruning
runs on an lxml tree (libxml2 XPath), not with resiliparse's CSS selectors: on real documentation
pages (Debian Reference, 290 KB) one ``query_selector_all("[class], [id]")`` took over 100 s. What
is removed:

* what :mod:`corpusclean.html.boilerplate` defines for both back-ends (consent banners by what
  they are, permalink anchors);
* semantic boilerplate: ``nav``, ``aside``, ``button``, ARIA navigation/banner/contentinfo/
  complementary/dialog/menu/search roles, hidden elements (``hidden``, ``aria-hidden``, and an
  inline ``style`` that hides the box: :func:`styled_hidden`); ``header``/``footer`` outside the
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
body, the single ``<main>``/``<article>``, or the body without its link blocks); in that tree every data
table row is made one line (:func:`table_rows`), links become ``[text](url)`` with
``include_links`` (:func:`markdown_links`), code keeps its whitespace
(:func:`protect_preformatted`) and top-level lists, tables, code blocks and quotes become
paragraphs of their own (:func:`separate_blocks`); resiliparse renders it and :func:`normalise`
rewrites its ``•`` bullets and tab-separated cells into ours. A page whose text holds almost
none of its body's words is extracted again by the trafilatura back-end
(:meth:`ResiliparseExtractor.extract`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from corpusclean.html.boilerplate import elements_where, prune, remove_keep_tail
from corpusclean.html.content import main_content, named_body
from corpusclean.html.css import box_hiding, parse_decls
from corpusclean.html.parse import check_depth, page_tree
from corpusclean.html.trafilatura import TrafilaturaExtractor
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
#: A style that can hide a box names one of these properties (:func:`corpusclean.html.css.box_hiding`);
#: only such styles are parsed.
_MAY_HIDE = re.compile(r"display|visibility|opacity|text-indent|position|clip|overflow", re.I)
_OUTSIDE = etree.XPath(
    "//header[not(ancestor::article or ancestor::main or .//article or .//main)] | "
    "//footer[not(ancestor::article or ancestor::main or .//article or .//main)] | "
    "//form[not(.//article or .//main or .//h1 or .//h2)]")


def _semantic(root: Any) -> list[Any]:
    """Semantic boilerplate (see the module doc): by tag, by hidden/ARIA attributes, by an inline
    style that hides the box, and header/footer/form outside the article."""
    hidden = [el for el in _ATTRIBUTED(root) if el.get("hidden") is not None
              or el.get("aria-hidden") == "true" or el.get("role") in _ROLES]
    return [*root.iter(*_SEMANTIC_TAGS), *hidden, *styled_hidden(root), *_OUTSIDE(root)]


def styled_hidden(root: Any) -> list[Any]:
    """Elements (not ``<body>``/``<html>`` themselves) whose own ``style`` attribute hides their box, as
    :func:`corpusclean.html.css.box_hiding` defines it (``display: none``, ``visibility: hidden``,
    ``opacity`` <= 5 %, off-screen offsets, clipping, a zero-size box with hidden overflow):
    Wikipedia's MathML fallback ``<span style="display:none">{\\displaystyle …}</span>``, collapsed
    "read more" copies, screen-reader-only labels. Only styles naming a property that can hide a
    box (:data:`_MAY_HIDE`) are parsed; most pages have none, and their values are searched at once.
    (trafilatura's own rules, ``xpaths.py``, drop only some of these, so the trafilatura back-end
    can still keep such text: a fresh-user review found ``DISPLAY: NONE !important`` and the
    ``hidden`` attribute kept there.)"""
    return [el for el in elements_where(root, _MAY_HIDE, ("style",))
            if el.tag not in ("body", "html")  # not judged: pages hide the body until their scripts ran
            and box_hiding(parse_decls(el.get("style")))]


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


#: The fallback runs when our text holds fewer than this share of the body's words. Measured on the
#: 203 real pages of ``scripts/bench.py --only fidelity`` (56 labelled, 147 held out): pages our
#: text was right on (as many words as the trafilatura back-end's) go down to 2.7 % of their
#: body's words (a lyrics page under 5,000 words of song lists); the one page whose article we
#: lost (rnz.de) had 0 %. At 5 % the fallback ran on 2 of the 203 pages and took trafilatura's
#: text on rnz.de only; at 10 % it ran on 7 and took trafilatura's text on 3, two of them for
#: 3-5 % more words (261 -> 274, 307 -> 316): each run costs a trafilatura extraction (~4x ours)
#: for no text a reader would miss.
FALLBACK_SHARE = 0.05
#: Pages with fewer body words are not second-guessed (a short page may be mostly menu).
FALLBACK_MIN_WORDS = 100
_NOT_TEXT = ("script", "style", "noscript", "template")


def body_words(body: Any) -> int:
    """Whitespace words of ``body``'s text less those of its scripts and styles (one
    ``text_content`` call in C: words either side of an element boundary without a space count as
    one, so the count is a little low; an XPath selecting the text nodes outside scripts took 10x
    as long, ~10 ms per real page)."""
    skipped = " ".join(el.text or "" for el in body.iter(*_NOT_TEXT))
    return len(body.text_content().split()) - len(skipped.split())


class ResiliparseExtractor:
    """lxml pruning, then resiliparse's plain-text rendering, with the trafilatura back-end as a
    fallback for near-empty output (:meth:`extract`); one instance per stage.

    Raises :class:`ImportError` (with the install hint) when resiliparse is missing.
    """

    def __init__(self, include_comments: bool = False, include_tables: bool = True,
                 include_links: bool = False) -> None:
        self.include_comments = include_comments
        self.include_tables = include_tables
        self.include_links = include_links
        self._HTMLTree, self._extract_plain_text = _resiliparse_modules()
        self._fallback: TrafilaturaExtractor | None = None
        #: pages the trafilatura fallback ran on, and those whose text came from it (:meth:`extract`)
        self.fallbacks_tried = self.fallbacks = 0

    def extract(self, html: str, url: str | None = None) -> str:
        """The text of one page, ``""`` when nothing is extractable. May raise.

        **Fallback.** When the page's body holds at least :data:`FALLBACK_MIN_WORDS` words
        (counted before pruning, without scripts and styles) and our text holds fewer than
        :data:`FALLBACK_SHARE` of them, the page is extracted again with the trafilatura back-end
        (:class:`corpusclean.html.trafilatura.TrafilaturaExtractor`, from a fresh parse) and the
        text with more words is returned — as trafilatura itself falls back on readability-lxml and
        jusText when its own extraction is short (``trafilatura/external.py``). Our pruning can
        remove an article that a template puts where boilerplate usually sits (rnz.de: the whole
        article in an ``<aside>`` inside ``<main>``). :attr:`fallbacks` counts the pages whose
        text came from the fallback.
        """
        root = page_tree(html)  # the tree hidden_text parsed, when it ran first (one parse per page)
        check_depth(root)  # cut by libxml2's depth limit: TooDeep, not the text before the cut
        if root is None:
            return ""
        body = root.find("body")
        if body is None:
            return ""
        page_words = body_words(body)
        text = self._render(root, body, html, url)
        if page_words < FALLBACK_MIN_WORDS or len(text.split()) >= FALLBACK_SHARE * page_words:
            return text
        if self._fallback is None:
            self._fallback = TrafilaturaExtractor(
                include_links=self.include_links, include_comments=self.include_comments,
                include_tables=self.include_tables, favor="recall")  # the stage's trafilatura defaults
        self.fallbacks_tried += 1
        other = self._fallback.extract(html, url)  # parses the page afresh: ours was pruned in place
        if len(other.split()) > len(text.split()):
            self.fallbacks += 1
            return other
        return text

    def _render(self, root: Any, body: Any, html: str, url: str | None) -> str:
        """Prune ``root`` in place, choose the main content, render it with resiliparse."""
        article = prune_boilerplate(root, self.include_comments)
        nodes = main_content(body, article)
        table_rows(nodes)
        if self.include_links:
            markdown_links(nodes, url)
        marked = protect_preformatted(nodes, html)
        separated = separate_blocks(nodes, html)
        inner = "".join(etree.tostring(n, encoding="unicode", method="html", with_tail=False) for n in nodes)
        tree = self._HTMLTree.parse(f"<html><body>{inner}</body></html>")
        skip = [] if self.include_tables else ["table"]
        text = self._extract_plain_text(
            tree, preserve_formatting=True, main_content=False, list_bullets=True, alt_texts=False,
            links=False, form_fields=False, noscript=False, skip_elements=skip,
        )
        text = normalise(text, BLOCK_MARK if separated else None)
        return text.translate(_RESTORE) if marked else text


def markdown_links(nodes: list[Any], base: str | None = None) -> None:
    """Write every link under ``nodes`` as ``[text](url)``, in place (``include_links``: the
    format the trafilatura back-end writes; resiliparse's own ``links=True`` writes ``text (url)``),
    a relative ``href`` resolved against the page's address ``base`` when given (as trafilatura
    does). The anchor keeps its inline markup between the brackets; links without text or
    ``href`` and links inside ``<pre>`` (code is kept verbatim) are left as their text."""
    for a in [a for node in nodes for a in node.iter("a")]:
        href = (a.get("href") or "").strip()
        if not href or not "".join(a.itertext()).strip() or any(True for _ in a.iterancestors("pre")):
            continue
        if base:
            try:
                href = urljoin(base, href)
            except ValueError:  # a malformed address (an unclosed IPv6 bracket): written as it stands
                pass
        a.text = "[" + (a.text or "").lstrip()
        if len(a):
            a[-1].tail = (a[-1].tail or "").rstrip() + f"]({href})"
        else:
            a.text = a.text.rstrip() + f"]({href})"


_CELL_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "section")
_LAYOUT_ROW = etree.XPath(".//ul | .//ol | .//dl | .//pre | .//table")


def table_rows(nodes: list[Any]) -> None:
    """Make every data row of the tables under ``nodes`` one line, in place: rows without text
    are removed (resiliparse writes them as a line of bare ``|`` separators), and in a data row
    a ``<br>`` becomes a space and a paragraph, ``div`` or heading inside a cell inline text
    (resiliparse breaks the line there, the next cells then start lines of their own:
    ``Britax Römer Swingfix M i-Size`` / ``| 500 €`` / ``| ja``). A data row has at least two
    cells and none holding a list, a code block, a nested table or more than one block: such
    rows lay out a page (a sidebar beside the article), whose blocks stay lines of their own —
    the trafilatura back-end's rule for layout rows (:mod:`corpusclean.html.trafilatura`)."""
    rows = [tr for node in nodes for tr in node.iter("tr")]
    for tr in rows:
        if tr.getparent() is None:
            continue
        if not "".join(tr.itertext()).strip():
            remove_keep_tail(tr)
            continue
        cells = [c for c in tr if c.tag in ("td", "th")]
        if len(cells) < 2 or _LAYOUT_ROW(tr):
            continue
        blocks = [[b for b in c.iterdescendants(*_CELL_BLOCKS)] for c in cells]
        if any(len(b) > 1 for b in blocks):
            continue
        for b in (b for bs in blocks for b in bs):
            b.tag = "span"
            b.text = " " + (b.text or "")
            b.tail = " " + (b.tail or "")
        for br in list(tr.iter("br")):
            br.tail = " " + (br.tail or "")
            remove_keep_tail(br)


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


#: A private-use character written as a paragraph of its own before and after each top-level
#: block by :func:`separate_blocks`, turned into a blank line at the end of :func:`normalise`.
BLOCK_MARK = "\ue012"
#: Blocks that are a paragraph of their own (resiliparse separates adjacent ones by one line break).
SEPARATE_BLOCKS = ("ul", "ol", "dl", "table", "pre", "blockquote")
_INSIDE = ("li", "dd", "dt", "td", "th", "ul", "ol", "dl", "table", "pre")


def separate_blocks(nodes: list[Any], html: str) -> bool:
    """Put a :data:`BLOCK_MARK` paragraph before and after every top-level
    :data:`SEPARATE_BLOCKS` element under ``nodes`` (not inside a list item, definition, table
    cell, list, table or code block), in place, so that it is a paragraph of its own
    (:func:`corpusclean.text.paragraphs`: runs of non-blank lines): resiliparse puts a single
    line break between a ``<ul>`` and the ``<ol>`` or ``<pre>`` after it, which the Gopher
    paragraph rules would read as one paragraph. False (nothing done) when the page already holds
    the character, which could then not be told apart."""
    if BLOCK_MARK in html:
        return False
    blocks = [el for node in nodes for el in node.iter(*SEPARATE_BLOCKS)
              if el.getparent() is not None and not any(True for _ in el.iterancestors(*_INSIDE))]
    for el in blocks:
        before, after = etree.Element("p"), etree.Element("p")
        before.text = after.text = BLOCK_MARK
        el.addprevious(before)
        after.tail, el.tail = el.tail, None  # the text after the block follows the marker
        el.addnext(after)
    return bool(blocks)


_CELL_SEP = re.compile(r"[ \t]*\t\t[ \t]*")
_RP_BULLET = re.compile(r"^( *)(?:•|(\d+)\.) (.*)$")


def normalise(text: str, mark: str | None = None) -> str:
    """Rewrite resiliparse's list markup (``  • item``, ``  1. item``) into ours; table rows of
    bare separators are dropped. ``mark`` (:data:`BLOCK_MARK`, when :func:`separate_blocks` ran):
    its lines become blank lines *after* the items of a list are joined into one paragraph, so a
    ``<ul>`` and the ``<ol>`` after it stay two."""
    out: list[str] = []
    depth: int | None = None  # nesting depth of the list item being continued, if any
    for raw in text.split("\n"):
        if "\t\t" in raw:  # a table row: resiliparse separates cells by two tabs
            first, *rest = _CELL_SEP.split(raw)
            cells = [c for c in (first.rstrip(), *(c.strip() for c in rest)) if c.strip()]
            if not cells:
                continue  # a row whose cells hold no text
            raw = " | ".join(cells)  # empty cells are left out, as the trafilatura back-end does
        line = raw.replace("\t", " ").rstrip()
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
    if mark:
        out = ["" if x == mark else x.replace(mark, "") for x in out]
    return _BLANKS.sub("\n\n", "\n".join(x for x in out if x != "\0")).strip()
