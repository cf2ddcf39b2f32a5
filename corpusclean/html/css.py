"""The small part of CSS that decides whether text is visible: colours, declarations, lengths, rules.

This is not a CSS engine. It reads what a page states about itself — inline ``style``
attributes, presentational attributes, and the rules of the page's own ``<style>`` blocks — and
says *which of those values it can know*. Whatever it cannot evaluate (an external stylesheet, a
rule with a combinator or a structural pseudo-class, a rule inside ``@media``, ``var()``,
``hsl()`` with alpha, a background image or gradient) is reported as **unknown**, never guessed:
:mod:`corpusclean.html.visibility` counts text as colour-hidden only when a *known* text colour
meets a *known* background (CSS 2.1 §14 colours, CSS Color 4 §5 alpha compositing).

Shapes: a colour is ``(r, g, b, a)`` with channels 0-255 and alpha 0-1; a declaration block is a
``dict`` of lower-cased property → lower-cased value (``!important`` dropped).
"""

from __future__ import annotations

import re
from collections import OrderedDict

Color = tuple[float, float, float, float]

#: CSS named colours a page is likely to use for text or backgrounds (CSS Color 4 §6.1 subset).
NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0), "green": (0, 128, 0),
    "blue": (0, 0, 255), "yellow": (255, 255, 0), "gray": (128, 128, 128), "grey": (128, 128, 128),
    "silver": (192, 192, 192), "maroon": (128, 0, 0), "navy": (0, 0, 128), "purple": (128, 0, 128),
    "teal": (0, 128, 128), "olive": (128, 128, 0), "lime": (0, 255, 0), "aqua": (0, 255, 255),
    "cyan": (0, 255, 255), "fuchsia": (255, 0, 255), "magenta": (255, 0, 255), "orange": (255, 165, 0),
    "whitesmoke": (245, 245, 245), "snow": (255, 250, 250), "ivory": (255, 255, 240),
    "beige": (245, 245, 220), "linen": (250, 240, 230), "ghostwhite": (248, 248, 255),
    "lightgray": (211, 211, 211), "lightgrey": (211, 211, 211), "darkgray": (169, 169, 169),
    "darkgrey": (169, 169, 169), "gainsboro": (220, 220, 220), "pink": (255, 192, 203),
    "brown": (165, 42, 42), "darkblue": (0, 0, 139), "darkgreen": (0, 100, 0), "darkred": (139, 0, 0),
    "dimgray": (105, 105, 105), "dimgrey": (105, 105, 105), "lightyellow": (255, 255, 224),
    "floralwhite": (255, 250, 240), "honeydew": (240, 255, 240), "mintcream": (245, 255, 250),
    "azure": (240, 255, 255), "aliceblue": (240, 248, 255), "seashell": (255, 245, 238),
}
TRANSPARENT: Color = (0.0, 0.0, 0.0, 0.0)
_HEX_RE = re.compile(r"#([0-9a-f]{3,8})\b")
_BARE_HEX = re.compile(r"[0-9a-f]{6}")
_RGB_RE = re.compile(r"rgba?\(\s*([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)(?:[\s,/]+([\d.]+%?))?\s*\)")
_HSL_RE = re.compile(r"hsla?\(\s*([\d.]+)(?:deg)?[\s,]+([\d.]+)%[\s,]+([\d.]+)%(?:[\s,/]+([\d.]+%?))?\s*\)")
_UNKNOWABLE = ("url(", "gradient(", "var(", "image(", "image-set(", "calc(", "color-mix(", "env(")


def _alpha(s: str | None) -> float:
    if s is None:
        return 1.0
    a = float(s[:-1]) / 100 if s.endswith("%") else float(s)
    return min(max(a, 0.0), 1.0)


def parse_color(value: str | None) -> Color | None:
    """A CSS or HTML-attribute colour as ``(r, g, b, a)``; ``None`` when it cannot be known.

    Accepts ``#rgb``/``#rgba``/``#rrggbb``/``#rrggbbaa``, bare ``rrggbb`` (legacy attributes),
    ``rgb()``/``rgba()`` (comma or space syntax, % channels), ``hsl()``/``hsla()``, the named
    colours of :data:`NAMED_COLORS` and ``transparent``. Keywords that refer elsewhere
    (``inherit``, ``currentcolor``, ``var(…)``) and anything else give ``None``.
    """
    if not value:
        return None
    v = value.strip().lower()
    if v == "transparent":
        return TRANSPARENT
    if any(k in v for k in _UNKNOWABLE):
        return None
    if _BARE_HEX.fullmatch(v):
        v = "#" + v
    m = _HEX_RE.search(v)
    if m:
        h = m.group(1)
        if len(h) in (3, 4):
            a = int(h[3] * 2, 16) / 255 if len(h) == 4 else 1.0
            return (int(h[0] * 2, 16), int(h[1] * 2, 16), int(h[2] * 2, 16), a)
        if len(h) in (6, 8):
            a = int(h[6:], 16) / 255 if len(h) == 8 else 1.0
            return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), a)
        return None
    m = _RGB_RE.search(v)
    if m:
        def chan(s: str) -> float:
            return min(255.0, float(s[:-1]) * 2.55 if s.endswith("%") else float(s))
        return (chan(m.group(1)), chan(m.group(2)), chan(m.group(3)), _alpha(m.group(4)))
    m = _HSL_RE.search(v)
    if m:
        return (*_hsl_to_rgb(float(m.group(1)), float(m.group(2)) / 100, float(m.group(3)) / 100),
                _alpha(m.group(4)))
    for token in re.split(r"[\s,]+", v):
        if token in NAMED_COLORS:
            return (*NAMED_COLORS[token], 1.0)
    return None


def _hsl_to_rgb(h: float, s: float, lum: float) -> tuple[float, float, float]:
    """CSS Color 4 §7.1 ``hslToRgb``."""
    def f(n: float) -> float:
        k = (n + h / 30) % 12
        a = s * min(lum, 1 - lum)
        return 255 * (lum - a * max(-1.0, min(k - 3, 9 - k, 1.0)))
    return (f(0), f(8), f(4))


def over(top: Color, below: Color) -> Color:
    """``top`` painted over the opaque ``below`` (source-over compositing), an opaque colour."""
    a = top[3]
    return (top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a),
            top[2] * a + below[2] * (1 - a), 1.0)


def indistinguishable(fg: Color, bg: Color) -> bool:
    """Colours a reader cannot tell apart: sum of channel differences ≤ 24 (``#fefefe`` on ``#fff``).

    Both must be opaque (composite first with :func:`over`).
    """
    return abs(fg[0] - bg[0]) + abs(fg[1] - bg[1]) + abs(fg[2] - bg[2]) <= 24


def parse_decls(style: str | None) -> dict[str, str]:
    """``"a: b; c: d"`` → ``{"a": "b", "c": "d"}`` (lower-cased, ``!important`` dropped)."""
    out: dict[str, str] = {}
    if not style:
        return out
    for decl in style.split(";"):
        if ":" in decl:
            k, v = decl.split(":", 1)
            out[k.strip().lower()] = v.replace("!important", "").strip().lower()
    return out


_LENGTH = re.compile(r"^(-?\d*\.?\d+)\s*(px|pt|em|rem|%|vw|vh)?$")
_UNIT_PX = {"px": 1.0, "pt": 4 / 3, "em": 16.0, "rem": 16.0, "%": 0.16, "vw": 12.8, "vh": 8.0}


def px(value: str) -> float | None:
    """A CSS length in px, em/rem/% taken against the 16px default (or ``None``)."""
    m = _LENGTH.match(value.strip())
    if not m:
        return None
    return float(m.group(1)) * _UNIT_PX[m.group(2) or "px"]


def font_size(value: str, parent_px: float | None) -> float | None:
    """The computed font size in px of ``font-size: value`` under a parent of ``parent_px``.

    ``em`` and ``%`` scale the parent's size (so they stay 0 under a 0 parent); ``px``, ``pt``,
    ``rem`` and keywords (``small``, ``medium``…) do not depend on it. ``None`` when unknown.
    """
    v = value.strip()
    if v in _KEYWORD_SIZES:
        return _KEYWORD_SIZES[v]
    m = _LENGTH.match(v)
    if not m:
        return None
    n, unit = float(m.group(1)), m.group(2) or "px"
    if unit in ("em", "%"):
        if parent_px is None:
            return None
        return n * parent_px * (0.01 if unit == "%" else 1.0)
    return n * _UNIT_PX[unit]


_KEYWORD_SIZES = {"xx-small": 9.0, "x-small": 10.0, "small": 13.0, "medium": 16.0, "large": 18.0,
                  "x-large": 24.0, "xx-large": 32.0, "smaller": 13.0, "larger": 19.0}

#: Properties whose value decides colour visibility (the ones an unevaluated rule makes unknown).
COLOR_PROPS = ("color", "background", "background-color", "background-image", "font-size")
_COMBINATOR = re.compile(r"\s*[>+~]\s*|\s+")
_COMPOUND = re.compile(r"^(\*|[a-z][a-z0-9-]*)?((?:[.#][\w-]+)*)((?:\[[^\]]*\]|::?[\w-]+(?:\([^)]*\))?)*)$", re.I)
#: Pseudo-classes of a passing state: a rule under them does not describe the resting page.
_STATE_PSEUDO = re.compile(r":(?:hover|focus|focus-within|focus-visible|active|visited|target|checked)\b|::")

Rule = tuple[str | None, frozenset[str], str | None, dict[str, str]]
_SIMPLE = re.compile(r"^(?:\*|[a-z][a-z0-9-]*)?(?:[.#][\w-]+)*$", re.I)
_PAINT_WORDS = ("color", "background", "font-size")
_VISIBILITY_WORDS = (*_PAINT_WORDS, "display", "visibility", "opacity", "text-indent", "position", "clip",
                     "overflow")


def _simple_rule(sel: str, decls: dict[str, str]) -> Rule:
    """A rule of one compound selector of tag / ``.class`` / ``#id`` (``*`` = any tag)."""
    tag = sel.split(".", 1)[0].split("#", 1)[0].lower() or None
    named = re.findall(r"([.#])([\w-]+)", sel)
    ids = [n.lower() for k, n in named if k == "#"]
    return (None if tag == "*" else tag, frozenset(n.lower() for k, n in named if k == "."),
            ids[0] if ids else None, decls)


class StyleSheet:
    """The rules of a page's own ``<style>`` blocks, split into what can and cannot be known.

    *Known* rules: a single compound of tag, ``.class`` and ``#id`` (``p``, ``.x``, ``div#k.y``,
    ``*``) at the top level; their declarations apply as written. *Uncertain* rules: a selector
    with a combinator, an attribute or structural pseudo-class, or any rule inside ``@media`` /
    ``@supports``: whether it applies to an element cannot be told without a layout engine, so
    for the elements its last compound matches, the colour properties it sets become unknown
    (:meth:`match` reports them). Hiding properties (``display:none``…) of uncertain rules are
    ignored: a page hides things in some states (hover menus, print), which is what honest pages
    do. Rules under a passing state (``:hover``, ``::before``) are ignored entirely.
    """

    def __init__(self, css: str | list[str], uncertain: bool = True):
        """``css``: the text of one ``<style>`` block, or of each block (read one by one, so an
        unbalanced brace in one block does not swallow the rules of the next). ``uncertain=False``
        reads the known rules only: under an external stylesheet no colour is known anyway, so
        what uncertain rules would make unknown already is."""
        self._with_uncertain = uncertain
        self.rules: list[Rule] = []
        self.uncertain: list[Rule] = []
        for text in [css] if isinstance(css, str) else css:
            self._read(re.sub(r"/\*.*?\*/", " ", text, flags=re.S), conditional=False)
        self._index()
        self._cache: dict[tuple[str, str, str | None], tuple[dict[str, str], set[str]]] = {}
        self._hiding_keys: dict[bool, set[str]] = {}

    def _read(self, css: str, conditional: bool) -> None:
        for selectors, body, at_rule in top_level_rules(css):
            if at_rule:
                if self._with_uncertain and at_rule.startswith(("@media", "@supports", "@document", "@layer")):
                    self._read(body, conditional=True)
                continue
            # only rules about visibility matter; conditional ones only for the colours they may set
            if not any(k in body for k in (_PAINT_WORDS if conditional else _VISIBILITY_WORDS)):
                continue
            decls = parse_decls(body)
            if not decls:
                continue
            colour_decls = {k: v for k, v in decls.items() if k in COLOR_PROPS}
            for sel in selectors.split(","):
                sel = sel.strip()
                if not sel:
                    continue
                if _SIMPLE.match(sel):
                    if not conditional:
                        self.rules.append(_simple_rule(sel, decls))
                    elif colour_decls:
                        self.uncertain.append(_simple_rule(sel, colour_decls))
                    continue
                if not colour_decls or not self._with_uncertain or _STATE_PSEUDO.search(sel):
                    continue
                parts = [p for p in _COMBINATOR.split(sel) if p]
                m = _COMPOUND.match(parts[-1]) if parts else None
                if m is None:
                    continue
                tag = (m.group(1) or "").lower() or None
                if tag == "*":
                    tag = None
                named = re.findall(r"([.#])([\w-]+)", m.group(2))
                classes = frozenset(n.lower() for k, n in named if k == ".")
                ids = [n.lower() for k, n in named if k == "#"]
                self.uncertain.append((tag, classes, ids[0] if ids else None, colour_decls))

    def _index(self) -> None:
        """Rules keyed by id, else first class, else tag (else universal), with their source order."""
        self._keyed: list[dict[str, list[tuple[int, Rule]]]] = []
        for rules in (self.rules, self.uncertain):
            keyed: dict[str, list[tuple[int, Rule]]] = {}
            for i, rule in enumerate(rules):
                tag, classes, el_id, _ = rule
                key = "#" + el_id if el_id else "." + min(classes) if classes else tag or "*"
                keyed.setdefault(key, []).append((i, rule))
            self._keyed.append(keyed)

    def _matching(self, which: int, tag: str, classes: set[str], el_id: str | None) -> list[tuple[int, Rule]]:
        keyed = self._keyed[which]
        found = keyed.get(tag, []) + keyed.get("*", [])
        if el_id:
            found += keyed.get("#" + el_id, [])
        for c in classes:
            found += keyed.get("." + c, [])
        hits = [(i, r) for i, r in found if (r[0] is None or r[0] == tag) and r[1] <= classes
                and (r[2] is None or r[2] == el_id)]
        if len(hits) > 1:
            hits.sort(key=lambda x: x[0])
        return hits

    def match(self, tag: str, class_attr: str, el_id: str | None) -> tuple[dict[str, str], set[str]]:
        """(declarations of the known rules that apply, colour properties uncertain rules may set).

        ``class_attr`` is the element's ``class`` attribute as written; results are cached per
        (tag, class attribute, id), which pages repeat a lot. Do not mutate what is returned.
        """
        key = (tag, class_attr, el_id)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) >= 100_000:  # a sheet serves many pages (style_sheet): bound its cache
                self._cache.clear()
            hit = self._cache[key] = self._match(tag, set(class_attr.lower().split()), el_id)
        return hit

    def _match(self, tag: str, classes: set[str], el_id: str | None) -> tuple[dict[str, str], set[str]]:
        out: dict[str, str] = {}
        for _, rule in self._matching(0, tag, classes, el_id):
            out.update(rule[3])
        unknown: set[str] = set()
        for _, rule in self._matching(1, tag, classes, el_id):
            unknown.update(rule[3])
        return out, unknown


    def hiding_keys(self, colours: bool) -> set[str] | None:
        """Index keys (``tag``, ``.class``, ``#id``) of the known rules that can make the text of an
        element they match hidden; ``None`` when a universal rule (``*``) is among them.

        ``colours`` (a page without an external stylesheet): every known rule. Otherwise only
        those that :func:`may_hide` a box: under an external stylesheet no colour or size from a
        rule is known. Uncertain rules never count: they only make values unknown, and an
        unknown value never hides text.
        """
        found = self._hiding_keys.get(colours)
        if found is None:
            found = self._hiding_keys[colours] = {
                key for key, keyed in self._keyed[0].items()
                if colours or any(may_hide(rule[3]) for _, rule in keyed)}
        return None if "*" in found else found


def top_level_rules(css: str) -> list[tuple[str, str, str | None]]:
    """``(selector, body, at_rule)`` for each block at nesting depth 0.

    ``at_rule`` is the ``@…`` prelude for at-blocks (their body holds nested rules), else ``None``.
    Statements such as ``@import …;`` or ``@charset …;`` before a rule are dropped from its selector.
    """
    out: list[tuple[str, str, str | None]] = []
    depth, start, open_at = 0, 0, 0
    for m in _BRACE.finditer(css):
        if m.group() == "{":
            if depth == 0:
                open_at = m.start()
            depth += 1
            continue
        if depth == 0:  # a stray "}": skip it
            start = m.end()
            continue
        depth -= 1
        if depth:
            continue
        selector = css[start:open_at].strip()
        if ";" in selector:  # "@import url(x); p" — keep what follows the last statement
            selector = selector.rsplit(";", 1)[1].strip()
        body = css[open_at + 1:m.start()]
        if selector.startswith("@"):
            out.append((selector, body, selector.split("(")[0].split()[0].lower()))
        elif selector:
            out.append((selector, body, None))
        start = m.end()
    return out


_BRACE = re.compile(r"[{}]")


def imports_external(css: str) -> bool:
    """True if a ``<style>`` block pulls in another stylesheet (``@import``)."""
    return "@import" in css.lower()


_SHEETS: OrderedDict[tuple[bool, tuple[str, ...]], StyleSheet] = OrderedDict()


def style_sheet(styles: list[str], uncertain: bool = True) -> StyleSheet:
    """:class:`StyleSheet` of a page's ``<style>`` blocks, read once per distinct text (the pages
    of one site repeat theirs); the 32 most recently used are kept."""
    key = (uncertain, tuple(styles))
    sheet = _SHEETS.get(key)
    if sheet is None:
        sheet = _SHEETS[key] = StyleSheet(styles, uncertain)
        if len(_SHEETS) > 32:
            _SHEETS.popitem(last=False)
    else:
        _SHEETS.move_to_end(key)
    return sheet


def box_hiding(d: dict[str, str]) -> str | None:
    """Which box-hiding technique a set of declarations uses, or None."""
    if d.get("display", "").startswith("none"):
        return "display"
    if d.get("visibility", "") in ("hidden", "collapse"):
        return "visibility"
    op = d.get("opacity")
    if op is not None:
        try:
            if float(op.rstrip("%")) / (100 if op.endswith("%") else 1) <= 0.05:
                return "opacity"
        except ValueError:
            pass
    ti = d.get("text-indent")
    if ti is not None:
        v = px(ti)
        if v is not None and v <= -500:
            return "offscreen"
    if d.get("position") in ("absolute", "fixed"):
        for side in ("left", "top", "right"):
            v = px(d.get(side, "0"))
            if v is not None and v <= -500:
                return "offscreen"
    clip = (d.get("clip", "") + " " + d.get("clip-path", "")).replace(" ", "")
    if "rect(0" in clip or "rect(1px,1px,1px,1px)" in clip or "inset(50%" in clip or "inset(100%" in clip:
        return "clip"
    if d.get("overflow", "") in ("hidden", "clip"):
        w, h = px(d.get("width", "auto")), px(d.get("height", "auto"))
        mh = px(d.get("max-height", "none"))
        if (w is not None and w <= 1) or (h is not None and h <= 1) or (mh is not None and mh <= 1):
            return "zero_size"
    return None



def may_hide(d: dict[str, str]) -> bool:
    """Declarations that hide a box alone or with others from elsewhere (another rule, the
    ``style`` attribute): :func:`box_hiding` hides them with an absolute ``position`` and
    ``overflow: hidden`` added (offsets and sizes hide only with those, which any source may set),
    or they set ``clip`` / ``clip-path`` (read joined with each other)."""
    return "clip" in d or "clip-path" in d or box_hiding({**d, "position": "absolute", "overflow": "hidden"}) is not None
