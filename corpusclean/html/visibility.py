"""Which text of a page a reader sees: one walk over the parsed HTML, no judgement of content.

:func:`walk` sorts every text node of a page into *visible* text and *hidden blocks*, each block
tagged with how it was hidden. Two kinds of hiding are told apart:

* **Box hiding** hides an element and everything in it: ``display:none``, ``visibility:hidden``,
  the ``hidden`` attribute, ``opacity`` ≤ 0.05, off-screen positioning or ``text-indent`` ≤ -500px,
  ``clip``/``clip-path`` to nothing, a ≤ 1px box with ``overflow:hidden``, and ``<noscript>`` /
  ``<noframes>`` content. Read from inline styles and the known rules of the page's own
  ``<style>`` blocks (:class:`corpusclean.html.css.StyleSheet`).
* **Paint hiding** is decided per text node, with the values in force *at that node*: a known
  text colour indistinguishable from a known background (translucent colours composited over
  the background below them, CSS Color 4 §5), or a known font size ≤ 1px. A descendant that sets
  its own colour or size is judged by its own values, not its ancestor's. Text painted invisible
  inside a box-hidden block counts as paint-hidden.

A value is *known* only when the page states it in a way this module can evaluate (see
:mod:`corpusclean.html.css`). When the page loads an external stylesheet (``<link
rel=stylesheet>``, ``@import``) any element may be restyled by rules we cannot see, so only
values set in an element's own ``style`` attribute are known there; presentational attributes
(``<font color>``, ``bgcolor``, ``<body text=… link=…>``) count only on pages without one, since
any author CSS overrides them. Unknown never counts as hidden.

Returns :class:`PageText`; raises nothing on malformed HTML (``shared_tree`` returns ``None`` for
an empty or unparsable page, giving an empty result).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from corpusclean import urls
from corpusclean.html.css import (
    TRANSPARENT,
    Color,
    box_hiding,
    font_size,
    imports_external,
    indistinguishable,
    over,
    parse_color,
    parse_decls,
    style_sheet,
)
from corpusclean.html.parse import shared_tree
from corpusclean.html.prune import NOSCRIPT_TAGS, SKIP_TAGS, candidates, visible_text

#: Hiding methods no honest page uses for text a reader should not see (judged without shape).
PAINT_METHODS = frozenset({"color", "font_size"})
_WHITE: Color = (255, 255, 255, 1.0)
_BLACK: Color = (0, 0, 0, 1.0)
_LINK_BLUE: Color = (0, 0, 238, 1.0)
_NO_DECLS: dict[str, str] = {}
_NO_PROPS: set[str] = set()
#: Elements whose state differs from their parent's even without a style (links, legacy colours, noscript).
_SPECIAL_TAGS = frozenset({"a", "body", "font", "basefont", "noscript", "noframes"})


class Segment:
    """One hidden text node: its text and the link it sits in (``same``, ``named``, ``ext`` or None)."""

    __slots__ = ("text", "link")

    def __init__(self, text: str, link: str | None):
        self.text = text
        self.link = link


class HiddenBlock:
    """Text hidden by one method: a box-hidden element's subtree, or all paint-hidden text of a kind."""

    __slots__ = ("method", "segments")

    def __init__(self, method: str):
        self.method = method
        self.segments: list[Segment] = []


class PageText:
    """Result of :func:`walk`: ``visible`` text nodes, ``alts`` (alt attributes of visible images),
    ``blocks`` (hidden text), ``title`` and ``metas`` (``name`` → ``content`` of ``<meta>``);
    ``ambiguous``: strings of ``visible`` whose copies may not be in the page's order (a pruned
    walk, :func:`corpusclean.html.prune.visible_text`)."""

    __slots__ = ("visible", "alts", "blocks", "title", "metas", "ambiguous")

    def __init__(self) -> None:
        self.ambiguous: set[str] = set()
        self.visible: list[str] = []
        self.alts: list[str] = []
        self.blocks: list[HiddenBlock] = []
        self.title = ""
        self.metas: dict[str, str] = {}


@lru_cache(maxsize=4096)
def host(url: str | None) -> str:
    """Host of an absolute (``scheme://``) or scheme-relative (``//``) link by
    :func:`corpusclean.urls.host`, the one host definition; "" for a relative link (same site).
    Cached: hosts repeat within a page."""
    if not url or ("://" not in url[:16] and not url.startswith("//")):
        return ""
    return urls.host("http:" + url if url.startswith("//") else url)


def _link_kind(href: str, anchor: Any, own_host: str) -> str:
    """``same`` (this site), ``named`` (an external link that names or shares: anchor text naming
    its host — "Facebook" → facebook.com — or a URL carrying another URL, as share buttons do) or
    ``ext`` (any other external link: a link farm's shape)."""
    h = host(href)
    if not h or (own_host and (h == own_host or h.endswith("." + own_host) or own_host.endswith("." + h))):
        return "same"
    q = href.lower()
    if _SHARE_URL.search(q) or "http" in q[8:]:
        return "named"
    label = "".join(c for c in "".join(anchor.itertext())[:60].lower() if c.isalnum())
    if len(label) >= 3 and label[:6] in h.replace(".", "").replace("-", ""):
        return "named"
    return "ext"


_SHARE_URL = re.compile(r"[?&](?:u|url|link|href|text|body|subject|title)=|share|intent|sendto|mailto:")


class _Frame:
    """Inherited state at an element: colours (None = unknown), font size in px, box block, link."""

    __slots__ = ("fg", "bg", "fs", "block", "link", "link_fg", "paint")

    def __init__(self, fg: Color | None, bg: Color | None, fs: float | None,
                 block: HiddenBlock | None, link: str | None, link_fg: Color | None):
        self.fg, self.bg, self.fs, self.block, self.link, self.link_fg = fg, bg, fs, block, link, link_fg
        self.paint: str | None = "" if fg is None and fs is None else None  # "" = visible, None = not yet known


def walk(html: str | None, url: str | None = None, *, prune: bool = True,
         ordered: Callable[[str], bool] | None = None) -> PageText:
    """Sort the text of ``html`` into visible text and hidden blocks (see module doc).

    ``prune`` (the default): visit one by one only what :func:`corpusclean.html.prune.candidates`
    names and what lies inside hidden elements, and take the visible text as a difference of
    text nodes (:func:`corpusclean.html.prune.visible_text`). ``prune=False`` visits every
    element; both give the same result up to the order of ``visible`` and ``alts``. ``ordered``:
    the visible strings whose page order the caller needs; when the pruned walk cannot keep the
    order of one (``PageText.ambiguous``), the page is walked in full.
    """
    root = shared_tree(html or "")  # read only: extract may take this same tree afterwards
    if root is None:
        return PageText()
    out = _walk(root, url, prune)
    if out.ambiguous and ordered is not None and any(map(ordered, out.ambiguous)):
        out = _walk(root, url, False)
    return out


def _walk(root: Any, url: str | None, prune: bool) -> PageText:
    """:func:`walk` of a parsed page."""
    out = PageText()
    styles = ["".join(s.itertext()) for s in root.iter("style")]
    css = " ".join(styles)
    external = imports_external(css) or any(
        "stylesheet" in (ln.get("rel") or "").lower() for ln in root.iter("link"))
    sheet = style_sheet(styles, uncertain=not external) if css.strip() else None
    kids = candidates(root, sheet, external) if prune else None
    hosts: list[str] = []  # the site's own host, found on first need
    paint: dict[str, HiddenBlock] = {}
    hidden_alts: list[str] = []

    def segment(text: str, frame: _Frame) -> Segment:
        link = frame.link
        if link is not None and link.__class__ is not str:  # (href, anchor): its kind, found on first need
            if not hosts:
                hosts.append(_own_host(root, url))
            link = frame.link = _link_kind(link[0], link[1], hosts[0])
        return Segment(text, link)

    def emit(text: str, frame: _Frame) -> None:
        method = frame.paint
        if method is None:
            method = frame.paint = _paint_hidden(frame) or ""
        if not method:
            if frame.block is not None:
                frame.block.segments.append(segment(text, frame))
            elif kids is None:  # pruned: visible text is taken as a whole at the end
                out.visible.append(text)
            return
        block = paint.get(method)
        if block is None:
            block = paint[method] = HiddenBlock(method)
            out.blocks.append(block)
        block.segments.append(segment(text, frame))

    start = _Frame(None if external else _BLACK, None if external else _WHITE, None if external else 16.0,
                   None, None, None if external else _LINK_BLUE)
    stack: list[tuple[Any, _Frame]] = [(root, start)]
    while stack:
        el, parent = stack.pop()
        if isinstance(el, str):  # an element's tail, in its parent's context
            emit(el, parent)
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if el is not root and el.tail and el.tail.strip():
            stack.append((el.tail, parent))  # pushed first, so emitted after the subtree
        if tag in SKIP_TAGS or not tag:
            continue
        attrib = el.attrib
        if sheet is not None:
            sheet_decls, uncertain = sheet.match(tag, attrib.get("class") or "",
                                                 (attrib.get("id") or "").lower() or None)
        else:
            sheet_decls, uncertain = _NO_DECLS, _NO_PROPS
        if not sheet_decls and not uncertain and "style" not in attrib and tag not in _SPECIAL_TAGS \
                and "bgcolor" not in attrib and "hidden" not in attrib \
                and (not external or parent.fg is parent.bg is parent.fs is None):
            frame = parent  # nothing changes here: share the parent's state
        else:
            frame = _element_frame(el, tag, parent, sheet_decls, uncertain, external)
        if frame is not parent and frame.block is None:
            method = None
            if "hidden" in attrib and tag != "input":
                method = "hidden_attr"
            elif tag in NOSCRIPT_TAGS:
                method = "noscript"
            elif frame.decls:
                method = box_hiding(frame.decls)
            if method is not None:
                frame.block = HiddenBlock(method)
                out.blocks.append(frame.block)
        if tag == "a" and attrib.get("href"):
            frame.link = (attrib["href"], el)  # type: ignore[assignment]
        elif tag == "img" and el.get("alt"):
            (out.alts if frame.block is None else hidden_alts).append(el.get("alt"))
        if kids is not None and frame.block is None:
            if frame.paint is None:
                frame.paint = _paint_hidden(frame) or ""
            if not frame.paint:  # visible: only the children holding candidates need a visit
                stack.extend((ch, frame) for ch in reversed(kids.get(el, ())))
                continue
        text = el.text
        if text and text.strip():
            emit(text, frame)
        for ch in reversed(el):
            stack.append((ch, frame))
    if kids is not None:
        out.visible, out.alts, out.ambiguous = visible_text(root, [s.text for b in out.blocks for s in b.segments], hidden_alts)
    t = root.find(".//title")
    out.title = (t.text or "") if t is not None else ""
    for meta in root.iter("meta"):
        name, content = meta.get("name"), meta.get("content")
        if name and content:
            out.metas[name.lower()] = content
    return out


def _own_host(root: Any, url: str | None) -> str:
    """The page's own host: ``url``'s, or with no URL the host most links point to."""
    own = host(url)
    if not own:
        counts: dict[str, int] = {}
        for a in root.iter("a"):
            h = host(a.get("href"))
            if h:
                counts[h] = counts.get(h, 0) + 1
        own = max(counts, key=counts.__getitem__) if counts else ""
    return own


def _paint_hidden(frame: _Frame) -> str | None:
    """``font_size`` / ``color`` when the text's known size or colours hide it, else None."""
    if frame.fs is not None and frame.fs <= 1.0:
        return "font_size"
    fg, bg = frame.fg, frame.bg
    if fg is None:
        return None
    if fg[3] <= 0.05:
        return "color"
    if bg is None:
        return None
    return "color" if indistinguishable(over(fg, bg) if fg[3] < 1 else fg, bg) else None


class _ElFrame(_Frame):
    __slots__ = ("decls",)


def _element_frame(el: Any, tag: str, parent: _Frame, sheet_decls: dict[str, str], uncertain: set[str],
                   external: bool) -> _ElFrame:
    """The state at ``el``: its declarations and the colours / size in force for its own text."""
    attrib = el.attrib
    inline = parse_decls(attrib.get("style")) if "style" in attrib else {}
    decls = {**sheet_decls, **inline} if sheet_decls else inline
    # presentational attributes: lowest precedence, and unknowable under an external stylesheet
    hints: dict[str, str] = {}
    if not external:
        if tag in ("font", "basefont") and attrib.get("color"):
            hints["color"] = attrib["color"]
        elif tag == "body" and attrib.get("text"):
            hints["color"] = attrib["text"]
        if attrib.get("bgcolor"):
            hints["background-color"] = attrib["bgcolor"]
    link_fg = parent.link_fg
    if tag == "body" and not external and attrib.get("link"):
        link_fg = parse_color(attrib["link"])

    def source(*props: str) -> tuple[str | None, bool]:
        """(value, known): inline wins; then unknown if an unseen rule may set it; then sheet, hints."""
        if inline:
            for p in props:
                if p in inline:
                    return inline[p], True
        if external or uncertain and any(p in uncertain for p in props):
            return None, False
        for d in (sheet_decls, hints):
            for p in props:
                if p in d:
                    return d[p], True
        return None, True

    # text colour
    value, known = source("color")
    if not known:
        fg = None
    elif value is None or value == "inherit":
        fg = link_fg if tag == "a" and attrib.get("href") else parent.fg
    else:
        fg = parent.fg if value in ("currentcolor", "inherit") else parse_color(value)
    clip = decls.get("background-clip", "") + decls.get("-webkit-background-clip", "")
    if "text" in clip:
        fg = None  # gradient text: the colour is the background's, painted through the glyphs
    # background: this element's layer over what lies below it
    value, known = source("background-color", "background", "background-image")
    if not known:
        bg = None
    elif value is None or value in ("inherit", "none", "initial"):
        bg = parent.bg
    else:
        layer = parse_color(value)
        if layer is None:
            bg = None  # an image, gradient or a colour we cannot read
        elif layer[3] >= 1:
            bg = layer
        elif layer[3] <= 0.05:
            bg = parent.bg
        else:
            bg = over(layer, parent.bg) if parent.bg is not None else None
    # font size
    value, known = source("font-size")
    if not known:
        fs = None
    elif value is None:
        fs = parent.fs
    else:
        fs = font_size(value, parent.fs)
    frame = _ElFrame(fg, bg, fs, parent.block, parent.link, link_fg)
    frame.decls = decls
    return frame


__all__ = ["PAINT_METHODS", "TRANSPARENT", "HiddenBlock", "PageText", "Segment", "box_hiding", "host", "walk"]
