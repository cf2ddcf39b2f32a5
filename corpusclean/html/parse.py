"""HTML parsing shared by the HTML stages: one definition of how a page is parsed, done once.

* :func:`parse_html` — lxml's HTML parser (libxml2), never raising on odd input.
* :func:`parse_page` — the parse both ``hidden_text`` and ``extract`` use: :func:`parse_html`
  after trafilatura's own repair of markup libxml2 mis-reads (``repair_faulty_html``: a
  self-closed ``<html/>`` that would otherwise leave an empty tree, characters XML forbids, a
  broken doctype line), so one tree serves both stages.
* :class:`TreeHandoff` / :data:`HANDOFF` — one parse per page (issue 18.3): ``hidden_text``
  (which only reads the tree) offers the tree it parsed; ``extract`` (which edits it) takes it,
  keyed by the page's HTML text, so a later stage never sees a tree an earlier one edited and the
  result never depends on which documents came before (a miss simply parses again). Bounded in
  characters of HTML held; ``extract`` drops what it did not take at the end of each batch (pages
  an earlier stage rejected).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from weakref import WeakKeyDictionary, WeakValueDictionary

#: libxml2's limit on element nesting with ``XML_PARSE_HUGE`` (lxml's ``huge_tree``; 256 without
#: it). A page nested deeper is cut at that depth by libxml2, which drops everything after the cut.
MAX_DEPTH = 2048

#: Trees :func:`parse_html` returned cut at :data:`MAX_DEPTH` (root element -> the limit), held
#: only while someone holds the tree.
_CUT: WeakKeyDictionary[Any, int] = WeakKeyDictionary()
_PARSERS = threading.local()  # lxml parsers are not shared between threads


class TooDeep(ValueError):
    """A page nested deeper than libxml2 can parse (:data:`MAX_DEPTH` elements): rejected as
    ``extract.too_deep`` rather than kept with the text after the cut silently missing."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"elements nested deeper than {limit} (libxml2's limit); the page is cut there")
        self.limit = limit


def _parser(encoding: str | None) -> Any:
    from lxml import html as lxml_html

    key = f"p_{encoding}"
    parser = getattr(_PARSERS, key, None)
    if parser is None:
        # huge_tree: nesting up to 2048 instead of 256 (pages of 300 nested <div>s keep their text)
        parser = lxml_html.HTMLParser(encoding=encoding, huge_tree=True)
        setattr(_PARSERS, key, parser)
    return parser


def parse_html(html: str) -> Any:
    """Parse a page with lxml's HTML parser (libxml2, ``huge_tree``); returns the root element or None.

    Never raises on malformed markup: libxml2 recovers like a browser does. Two inputs lxml
    refuses are handled here: a ``str`` carrying an XML encoding declaration (re-encoded to UTF-8
    bytes) and a document with no elements at all (``None``). A page nested deeper than
    :data:`MAX_DEPTH` is returned as libxml2 cut it; :func:`check_depth` tells.
    """
    from lxml import etree
    from lxml import html as lxml_html

    if not html or not html.strip():
        return None
    parser = _parser(None)
    try:
        root = lxml_html.document_fromstring(html, parser=parser)
    except ValueError:
        # "Unicode strings with encoding declaration are not supported"
        parser = _parser("utf-8")
        try:
            root = lxml_html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
        except (ValueError, etree.ParserError):
            return None
    except etree.ParserError:  # "Document is empty"
        return None
    last = parser.error_log.last_error  # the depth limit is fatal: parsing stops, it is the last error
    if last is not None and last.type_name == "ERR_RESOURCE_LIMIT" and "depth" in last.message:
        _CUT[root] = MAX_DEPTH
    return root


def check_depth(root: Any) -> None:
    """Raise :class:`TooDeep` when ``root`` (from :func:`parse_html`) was cut at libxml2's depth limit."""
    if root is not None and root in _CUT:
        raise TooDeep(_CUT[root])


def parse_page(html: str) -> Any:
    """The tree of one page as the HTML stages see it (root element or ``None``); never raises.

    :func:`parse_html` of the page after trafilatura's ``repair_faulty_html`` (trafilatura is a
    core dependency). On 203 real pages (Debian documentation, trafilatura/htmldate test caches)
    trafilatura's extraction from this tree, comments removed (:func:`strip_comments`), equals its
    extraction from its own parse on every page.
    """
    if not html or not html.strip():
        return None
    from trafilatura.utils import repair_faulty_html

    return parse_html(repair_faulty_html(html, html[:50].lower()))


def strip_comments(root: Any) -> Any:
    """Remove comments and processing instructions in place (their tails stay); returns ``root``."""
    from lxml import etree

    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    return root


class TreeHandoff:
    """Parsed pages handed from a stage that reads them to the one stage that edits them.

    ``offer(html, tree)`` keeps the tree while at most ``max_chars`` characters of HTML are held
    (the oldest go first); ``take(html)`` returns and forgets it (``None`` on a miss);
    ``clear()`` forgets everything. ``consumers`` holds (weakly) the set-up stages that take
    trees: with none alive, nothing is offered, so a run without ``extract`` holds no trees, also
    in a process where an earlier pipeline had one.
    """

    def __init__(self, max_chars: int = 64_000_000) -> None:
        self.max_chars = max_chars
        self.consumers: WeakValueDictionary[int, Any] = WeakValueDictionary()
        self._trees: OrderedDict[str, Any] = OrderedDict()
        self._chars = 0

    def add_consumer(self, stage: Any) -> None:
        """Register ``stage`` as taking trees for as long as it lives."""
        self.consumers[id(stage)] = stage

    def offer(self, html: str, tree: Any) -> None:
        if not self.consumers:
            self.clear()  # trees offered while an earlier consumer was alive
            return
        if tree is None or html in self._trees or len(html) > self.max_chars:
            return
        self._trees[html] = tree
        self._chars += len(html)
        while self._chars > self.max_chars:
            old, _ = self._trees.popitem(last=False)
            self._chars -= len(old)

    def take(self, html: str) -> Any:
        tree = self._trees.pop(html, None)
        if tree is not None:
            self._chars -= len(html)
        return tree

    def clear(self) -> None:
        self._trees.clear()
        self._chars = 0

    def __len__(self) -> int:
        return len(self._trees)


#: The process-wide handoff (each worker process has its own).
HANDOFF = TreeHandoff()


def shared_tree(html: str) -> Any:
    """:func:`parse_page` of ``html`` for a stage that only *reads* the tree, offered to
    :data:`HANDOFF` for the stage that edits it; a tree already offered is reused."""
    tree = HANDOFF._trees.get(html) if HANDOFF.consumers else None
    if tree is None:
        tree = parse_page(html)
        HANDOFF.offer(html, tree)
    return tree


def page_tree(html: str) -> Any:
    """A tree of ``html`` this caller may edit: the one :data:`HANDOFF` holds, else a fresh
    :func:`parse_page`."""
    tree = HANDOFF.take(html)
    return tree if tree is not None else parse_page(html)
