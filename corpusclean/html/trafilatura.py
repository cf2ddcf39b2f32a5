"""The trafilatura back-end of ``extract``: main-content detection by trafilatura, text by us.

trafilatura (Barbaresi 2021) finds the main content and drops navigation, footers, scripts and
styles; we then render its XML body ourselves instead of using its plain-text or markdown output,
because its text mode writes ordered lists as ``- ``, turns ``<br>`` inside an item into an
unbulleted line, drops blank lines between blocks and puts inline ``<code>`` on lines of its own,
and its markdown mode adds ``#``/``**`` markup. :class:`Renderer` writes exactly the glyphs that
:mod:`corpusclean.text` defines (``UNORDERED_BULLET``, ``ordered_bullet(n)``, ``LIST_INDENT``), so
:func:`corpusclean.text.is_bullet_line` counts every list item we emit. Only block elements start
lines: inline elements (``code``, ``q``, ``em``, links, ``abbr``, ``sub``/``sup``, ``kbd``…) stay
in their sentence.

Before trafilatura sees the page (we parse it with trafilatura's own ``load_html`` and hand it
the tree) we remove what :mod:`corpusclean.html.boilerplate` defines as not content (consent
banners, permalink anchors), hide the remaining cookie/consent *names* from trafilatura's
substring rules (they would delete recipe and informed-consent sections), and unwrap inline
``<time>`` elements that trafilatura would delete with their words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from corpusclean.html.boilerplate import elements_where, prune
from corpusclean.html.parse import check_depth, page_tree, strip_comments
from corpusclean.text import LIST_INDENT, UNORDERED_BULLET, ordered_bullet

_WS = re.compile(r"\s+")
#: ``<time>`` inside running text: trafilatura deletes the element and its words; we unwrap it.
_INLINE_TIME = etree.XPath("//p//time | //li//time | //td//time | //dd//time | //h1//time | //h2//time | "
                           "//h3//time | //blockquote//time")
#: Elements still named after cookies/consent/permissions once banners are gone are content, but
#: trafilatura's own discard rules delete any element whose id/class merely *contains* those
#: words (``trafilatura.xpaths._CONSENT_*``); we move such names to ``data-`` attributes first.
_CONSENT_NAME = re.compile("cookie|consent|gdpr|permission", re.I)


#: trafilatura's XML tags that start a new block when met inside inline content.
_BLOCK_TAGS = frozenset({"p", "head", "quote", "code", "list", "table", "div", "section", "item", "row"})
#: Tags trafilatura uses both for a block (``<pre>``, ``<blockquote>``) and for inline markup
#: (``<code>``, ``<kbd>``, ``<samp>``, ``<tt>`` and ``<q>``); inside a sentence they are inline.
_MAYBE_INLINE = frozenset({"code", "quote"})


def _is_inline(el: Any) -> bool:
    """True for a ``code``/``quote`` element that sits in running text: one line, no blocks inside."""
    if any(isinstance(c.tag, str) and (c.tag in _BLOCK_TAGS or c.tag == "lb") for c in el):
        return False
    return "\n" not in "".join(el.itertext()).strip()


@dataclass
class Renderer:
    """Turns trafilatura's XML body (head, p, list/item, table/row/cell, lb, hi, ref...) into text."""

    include_links: bool = False

    # inline content ------------------------------------------------------------------------
    def inline(self, el: Any, parts: list[str], nested: list[str] | None, depth: int) -> None:
        """Append ``el``'s content (not its tail) to ``parts``; lists go to ``nested`` when given."""
        if el.text:
            parts.append(_WS.sub(" ", el.text))
        for ch in el:
            tag = ch.tag if isinstance(ch.tag, str) else ""
            if tag == "lb":
                parts.append("\n")
            elif tag == "list" and nested is not None:
                nested.extend(self.list_lines(ch, depth + 1))
            elif tag == "list":
                parts.append("\n")
                for line in self.list_lines(ch, 0):
                    parts.append(line.strip() + "\n")
            elif tag == "graphic" or tag == "":
                pass
            elif tag in _MAYBE_INLINE and _is_inline(ch):
                self.inline(ch, parts, nested, depth)
            elif tag in _BLOCK_TAGS or tag == "cell":
                parts.append("\n")
                self.inline(ch, parts, nested, depth)
                parts.append("\n")
            elif tag == "ref" and self.include_links and ch.get("target"):
                sub: list[str] = []
                self.inline(ch, sub, nested, depth)
                label = "".join(sub).strip()
                parts.append(f"[{label}]({ch.get('target')})" if label else "")
            else:  # hi, del, span, anything inline
                self.inline(ch, parts, nested, depth)
            if ch.tail:
                parts.append(_WS.sub(" ", ch.tail))

    def inline_lines(self, el: Any, nested: list[str] | None = None, depth: int = 0) -> list[str]:
        parts: list[str] = []
        self.inline(el, parts, nested, depth)
        return [s for s in (_WS.sub(" ", line).strip() for line in "".join(parts).split("\n")) if s]

    # lists ---------------------------------------------------------------------------------
    def list_lines(self, lst: Any, depth: int) -> list[str]:
        rend = (lst.get("rend") or "ul").lower()
        if rend == "dl":
            return self.dl_lines(lst, depth)
        indent = LIST_INDENT * depth
        out: list[str] = []
        n = 0
        for item in lst:
            tag = item.tag if isinstance(item.tag, str) else ""
            if tag == "list":  # a list directly inside a list: nest it
                out.extend(self.list_lines(item, depth + 1))
                continue
            if tag != "item":
                continue
            nested: list[str] = []
            text = self.inline_lines(item, nested, depth)
            if text:
                n += 1
                marker = ordered_bullet(n) if rend == "ol" else UNORDERED_BULLET
                cont = indent + " " * len(marker)
                out.append(indent + marker + text[0])
                out.extend(cont + line for line in text[1:])
            out.extend(nested)
        return out

    def dl_lines(self, lst: Any, depth: int) -> list[str]:
        """Definition lists: one bullet per term, ``- term: definition``."""
        indent = LIST_INDENT * depth
        out: list[str] = []
        term: str | None = None
        defs: list[str] = []

        def flush() -> None:
            if term is None:
                return
            if defs:
                sep = " " if term.endswith(":") else ": "
                out.append(indent + UNORDERED_BULLET + term + sep + "; ".join(defs))
            else:
                out.append(indent + UNORDERED_BULLET + term)

        for item in lst:
            if not isinstance(item.tag, str):
                continue
            nested: list[str] = []
            text = " ".join(self.inline_lines(item, nested, depth))
            rend = item.get("rend") or ""
            if rend.startswith("dt"):
                flush()
                term, defs = (text or None), []
            elif rend.startswith("dd") and term is not None:
                if text:
                    defs.append(text)
            elif text:
                flush()
                term, defs = None, []
                out.append(indent + UNORDERED_BULLET + text)
            if nested:
                flush()
                term, defs = None, []
                out.extend(nested)
        flush()
        return out

    # blocks --------------------------------------------------------------------------------
    def table_lines(self, table: Any) -> list[str]:
        """One line per row, cells joined by `` | ``; a row whose cell holds a list is a layout
        table (DocBook's Tip/Note/Caution boxes, two-column page layouts): its cells are rendered
        as blocks, so the list keeps its bullet lines."""
        out: list[str] = []
        for row in table.iter("row"):
            cells = [c for c in row if isinstance(c.tag, str) and c.tag == "cell"]
            if any(c.find(".//list") is not None for c in cells):
                for cell in cells:
                    out.extend(b for b in self.blocks(cell) if b.strip())
                continue
            texts = [t for t in (" ".join(self.inline_lines(c)) for c in cells) if t]
            if texts:
                out.append(" | ".join(texts))
        return out

    def blocks(self, container: Any) -> list[str]:
        out: list[str] = []
        if container.text and container.text.strip():
            out.append(_WS.sub(" ", container.text).strip())
        for el in container:
            tag = el.tag if isinstance(el.tag, str) else ""
            if tag == "list":
                lines = self.list_lines(el, 0)
                if lines:
                    out.append("\n".join(lines))
            elif tag == "table":
                lines = self.table_lines(el)
                if lines:
                    out.append("\n".join(lines))
            elif tag == "code":
                code = "\n".join(line.rstrip() for line in "".join(el.itertext()).strip("\n").split("\n"))
                if code.strip():
                    out.append(code)
            elif tag in ("graphic", ""):
                pass
            elif tag in ("div", "section", "body", "main") and any(
                isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in el
            ):
                out.extend(self.blocks(el))
            else:  # head, p, quote, and unknown tags: one block, lists inside split out after it
                nested: list[str] = []
                lines = self.inline_lines(el, nested, -1)
                if lines:
                    out.append("\n".join(lines))
                if nested:
                    out.append("\n".join(nested))
            if el.tail and el.tail.strip():
                out.append(_WS.sub(" ", el.tail).strip())
        return out


@dataclass
class TrafilaturaExtractor:
    """Calls trafilatura with our options and renders its body; one instance per stage.

    ``favor``: "balanced" | "precision" | "recall"; ``fast`` skips trafilatura's fallback
    extractors. ``deduplicate`` is always off (its cache makes output depend on document order).
    """

    include_links: bool = False
    include_comments: bool = False
    include_tables: bool = True
    favor: str = "balanced"
    fast: bool = False
    renderer: Renderer = field(init=False)

    def __post_init__(self) -> None:
        import logging

        import trafilatura
        from trafilatura.utils import is_dubious_html

        # trafilatura logs every unparsable page at ERROR; we report those as reasons instead
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        self._bare = trafilatura.bare_extraction
        self._dubious = is_dubious_html
        self.renderer = Renderer(include_links=self.include_links)

    def extract(self, html: str, url: str | None = None) -> str:
        """The text of one page, ``""`` when trafilatura finds nothing. May raise."""
        tree = page_tree(html)  # the tree hidden_text parsed, when it ran first (one parse per page)
        check_depth(tree)  # cut by libxml2's depth limit: TooDeep, not the text before the cut
        # what trafilatura's load_html does after parsing: no comments, and a page that does not
        # start like HTML must parse into more than one element
        if tree is None or (self._dubious(html[:50].lower()) and len(tree) < 2):
            return ""
        strip_comments(tree)
        prune(tree)  # consent banners (by what they are) and permalink anchors
        for el in elements_where(tree, _CONSENT_NAME):
            for attr in ("id", "class"):
                if attr in el.attrib:
                    el.set(f"data-{attr}", el.attrib.pop(attr))
        for el in _INLINE_TIME(tree):
            el.drop_tag()
        doc = self._bare(
            tree, url=url, fast=self.fast, favor_precision=self.favor == "precision",
            favor_recall=self.favor == "recall", include_comments=self.include_comments,
            include_tables=self.include_tables, include_images=False, include_formatting=False,
            include_links=self.include_links, deduplicate=False, with_metadata=False,
        )
        if doc is None or doc.body is None:
            return ""
        blocks = self.renderer.blocks(doc.body)
        if self.include_comments and doc.commentsbody is not None and len(doc.commentsbody):
            blocks.extend(self.renderer.blocks(doc.commentsbody))
        return "\n\n".join(b for b in blocks if b.strip())
