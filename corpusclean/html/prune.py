"""What the visibility walk (:func:`corpusclean.html.visibility.walk`) need not visit one by one.

Most of a page is visible text: an element changes what its text is only when it hides a box,
sets a colour, background or size the page lets us know, or is skipped as not text. Visiting
every element from Python costs more than extracting the page (every element proxy passes
through lxml.html's class lookup), so the walk visits only

* the *candidates* (:func:`candidates`): elements that may change their text's state, and
  their ancestors, to compute the state in force at each candidate, and
* every element inside a hidden or invisibly painted element (as before: each text node there
  is judged),

and takes the visible text as a difference of text-node multisets computed by libxml2
(:func:`visible_text`): all text nodes of the page, less those inside skipped elements, less
those the walk found hidden. ``walk(prune=False)`` visits every element; the two give the same
:class:`~corpusclean.html.visibility.PageText` up to the order of ``visible`` and ``alts``
(tests compare them on real pages).

Text nodes are libxml2's: lxml's ``.text`` / ``.tail`` are one such node each on trees of the
HTML parser (which merges adjacent character data), so both walks see the same strings.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import compress
from typing import Any

from lxml import etree

from corpusclean.html.css import StyleSheet, may_hide, parse_decls

#: Elements whose content is not text a reader reads (code and preformatted text are not prose).
SKIP_TAGS = frozenset({"script", "style", "template", "head", "select", "option", "textarea", "svg",
                       "math", "object", "embed", "iframe", "canvas", "audio", "video", "pre", "code"})
#: Elements whose content shows only without scripts / frames: box-hidden.
NOSCRIPT_TAGS = frozenset({"noscript", "noframes"})
#: Elements whose colours differ from their parent's on a page without an external stylesheet.
COLOUR_TAGS = ("a", "body", "font", "basefont")
#: Inline properties whose values are known even under an external stylesheet.
_PAINT_PROPS = frozenset({"color", "background", "background-color", "background-image", "font-size",
                          "background-clip", "-webkit-background-clip"})
#: A class or id with a character beyond printable ASCII is compared in Python (``str.lower``).
_NOT_PLAIN = re.compile(r"[^\x20-\x7e]")
_TEXTS = etree.XPath("descendant::text()", smart_strings=False)
_ALTS = etree.XPath("descendant::img/@alt", smart_strings=False)
_SKIPPED = tuple(sorted(SKIP_TAGS))
_ATTRS = etree.XPath("descendant-or-self::*/@style | descendant-or-self::*/@hidden | descendant-or-self::*/@bgcolor")


def candidates(root: Any, sheet: StyleSheet | None, external: bool) -> dict[Any, list[Any]] | None:
    """The elements to visit one by one, as ``{element: its children to visit, in order}``.

    Candidates: ``noscript`` / ``noframes``; a ``hidden`` attribute; a ``style`` attribute (under
    an external stylesheet only one setting a colour, background, font size or declarations that
    :func:`~corpusclean.html.css.may_hide` a box); an element a rule of the page's ``<style>``
    blocks may match (:meth:`StyleSheet.hiding_keys`: its tag, or a class / id equal to a key
    when lower-cased, and any class or id with characters beyond printable ASCII); and, with no
    external stylesheet, ``a``, ``body``, ``font``, ``basefont`` and ``bgcolor``. Their ancestors
    are visited too. Every other element under a visible element has its parent's state, some
    of it made unknown (an external stylesheet, a rule that may apply), and unknown never hides:
    its subtree is visible text.
    ``None``: no pruning (a universal rule such as ``* {…}`` may match every element).
    """
    keys = sheet.hiding_keys(colours=not external) if sheet is not None else set()
    if keys is None:
        return None
    # a rule naming a skipped tag (``code``, ``pre``…) changes nothing the walk reads: it skips them
    found = list(root.iter(*NOSCRIPT_TAGS, *(() if external else COLOUR_TAGS),
                           *(k for k in keys if k[0] not in ".#" and k not in SKIP_TAGS)))
    for attr in _ATTRS(root):
        name = attr.attrname
        if name == "hidden" or not external and (name == "bgcolor" or name == "style") \
                or name == "style" and _style_matters(attr):
            found.append(attr.getparent())
    for attr, mark in (("class", "."), ("id", "#")):
        names = {k[1:] for k in keys if k[0] == mark}
        if names:
            found += _matching_values(root, attr, names)
    kids: dict[Any, list[Any]] = {root: []}
    for el in found:
        child = None
        while el not in kids:
            kids[el] = [child] if child is not None else []
            child, el = el, el.getparent()
        if child is not None:
            kids[el].append(child)
    for parent, children in kids.items():
        if 1 < len(children) <= 32:
            children.sort(key=parent.index)
        elif len(children) > 32:
            position = {c: i for i, c in enumerate(parent)}
            children.sort(key=position.__getitem__)
    return kids


def _matching_values(root: Any, attr: str, names: set[str]) -> list[Any]:
    """Elements whose ``class`` (a word of it) or ``id``, lower-cased, is one of ``names``, or
    holds a character beyond printable ASCII. Values are read as plain strings and only the
    elements of matching values are fetched."""
    hits: list[str] = []
    for value in set(root.xpath(f"descendant-or-self::*/@{attr}", smart_strings=False)):
        if _NOT_PLAIN.search(value):
            hits.append(value)
        elif attr == "class":
            if not names.isdisjoint(value.lower().split()):
                hits.append(value)
        elif value.lower() in names:
            hits.append(value)
    if not hits:
        return []
    if len(hits) > 64:  # one XPath test per value would be long: read every value with its element
        wanted = set(hits)
        return [v.getparent() for v in root.xpath(f"descendant-or-self::*/@{attr}") if v in wanted]
    variables = {f"v{i}": v for i, v in enumerate(hits)}
    test = " or ".join(f". = $v{i}" for i in range(len(hits)))
    return root.xpath(f"descendant-or-self::*/@{attr}[{test}]/..", **variables)


def _style_matters(style: str) -> bool:
    """Under an external stylesheet: does a ``style`` attribute set a colour, background or font
    size, or declarations that may hide a box?"""
    decls = parse_decls(style)
    return bool(decls) and (not _PAINT_PROPS.isdisjoint(decls) or may_hide(decls))


def visible_text(root: Any, hidden: list[str], hidden_alts: list[str]) -> tuple[list[str], list[str], set[str]]:
    """(visible text nodes, ``alt`` of visible images, *ambiguous* strings) of the page under ``root``.

    Text nodes that are not blank, less those inside skipped elements (:data:`SKIP_TAGS`), less
    ``hidden`` (the text nodes the walk put in hidden blocks); ``alt`` attributes that are not
    empty, less those of images inside skipped elements and ``hidden_alts`` (images the walk
    found in hidden boxes). In the page's order, except for the ambiguous strings: those that
    occur both dropped and kept, where the first copies are dropped, which may not be the ones
    the full walk drops (a caller whose result depends on the order of such a string walks the
    page in full).
    """
    drop: Counter[str] = Counter(hidden)
    drop_alts: Counter[str] = Counter(hidden_alts)
    inside: set[Any] = set()  # skipped elements within an outer one, counted with it
    for el in root.iter(*_SKIPPED):
        if el in inside:
            continue
        if len(el):
            inside.update(el.iter(*_SKIPPED))
            drop.update(filter(str.strip, _TEXTS(el)))
            drop_alts.update(filter(None, _ALTS(el)))
        else:
            text = el.text
            if text is not None and text.strip():
                drop[text] += 1
    every = _TEXTS(root)
    texts = list(compress(every, map(str.strip, every)))  # not blank
    ambiguous: set[str] = set()
    if drop:
        count = Counter(texts)
        ambiguous = {t for t, n in drop.items() if n < count[t]}
    alts = _ALTS(root)
    return _less(texts, drop), _less(list(filter(None, alts)), drop_alts), ambiguous



def _less(items: list[str], drop: Counter[str]) -> list[str]:
    """``items`` without ``drop`` (a multiset), keeping their order."""
    if not drop:
        return items
    out = []
    for s in items:
        if drop[s] > 0:
            drop[s] -= 1
        else:
            out.append(s)
    return out
