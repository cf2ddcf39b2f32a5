"""``hidden_text``: text written for search engines rather than readers.

Gopher (Rae et al. 2021, appendix A.1.1) motivates its quality rules with text "not intended for
human consumption (such as keywords for search-engine optimisation)". Two forms are checked on the
page's HTML, so this stage runs *before* ``extract``:

1. **Hidden keywords.** Text a browser would not show: ``display:none``, ``visibility:hidden``,
   the ``hidden`` attribute, ``opacity:0``, ``font-size`` ≤ 1px, text colour equal to the
   background (inline styles, ``<font color>``, ``bgcolor``, and simple tag/class/id rules of the
   page's own ``<style>`` blocks), off-screen positioning, zero-size or clipped boxes, and
   ``<noscript>``/``<noframes>`` blocks. Pages legitimately hide things (menus, modals, cookie
   banners, collapsed FAQ answers, screen-reader labels), so a hidden block counts as *suspicious*
   by its amount and shape, not its presence: same-site link text (menus) never counts; a block
   of ≤ 3 words (a label) never counts; prose (function words present, not repetitive) hidden by
   display/visibility/off-screen counts as benign (modals, tabs); keyword-shaped text (no
   function words, comma lists, a few terms repeated) counts; and anything hidden by the methods
   no honest page uses for text (colour = background, font-size ≤ 1px) always counts.
2. **Keyword stuffing** in visible text, ``<title>``, ``<meta name=keywords|description>`` and
   ``alt`` attributes: the longest run of short comma/pipe-separated items (``keyword_run``) and
   the share of all visible words taken by the most frequent content term (``top_term_share``).

Signals are stored as columns (``retunable``); ``decide`` uses only them and the thresholds.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from corpusclean.html.parse import parse_html
from corpusclean.stages.base import FilterStage, Verdict, param, register
from corpusclean.text import words

# Function words of the most common web languages: prose has many, keyword lists almost none.
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet if then than that this these those there here is are was were be been
being am do does did have has had will would shall should can could may might must of in on at by for
with from to into onto upon about over under after before between through during without within as
it its it's he she they we you i me him her them us my your his their our who whom whose which what
when where why how not no all any each some such very just also only more most other own same too
up out off again further once both few many much every own let lets
der die das den dem des ein eine einer eines einem einen und oder aber ist sind war waren wird werden
mit von zu zum zur im in auf für nicht sich auch als wie bei nach aus noch nur so dass er sie es wir ihr
le la les un une des du de et ou mais est sont était dans sur pour par avec pas que qui ce cette il
elle nous vous ils elles au aux en se sa son ses leur
el los las unos unas y o pero es son era del al en por para con sin que se su sus lo como más este esta
il lo gli uno e ed di da nel nella per con non che è sono questo questa
o os as um uma e ou mas é são do da dos das no na em por para com não que se
de het een en of maar is zijn was waren van in op voor met niet dat die dit er ook
""".split())

_SEP_RE = re.compile(r"[,;|/·•]+")
_SENTENCE_END = re.compile(r"[.!?。！？]")
_SKIP_TAGS = frozenset({"script", "style", "template", "head", "select", "option", "textarea", "svg",
                        "math", "object", "embed", "iframe", "canvas", "audio", "video", "pre", "code"})
_NOSCRIPT_TAGS = frozenset({"noscript", "noframes"})
_STRONG_METHODS = frozenset({"color", "font_size"})  # never used by honest pages to hide prose
_NEG_PX = re.compile(r"^-\s*(\d+(?:\.\d+)?)(px|em|rem|pt|%|vw|vh)?$")

_NAMED_COLORS = {
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
}
_TRANSPARENT = (-1, -1, -1)
_HEX_RE = re.compile(r"#([0-9a-f]{3,8})\b")
_RGB_RE = re.compile(r"rgba?\(\s*([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)(?:[\s,/]+([\d.]+%?))?\s*\)")


def parse_color(value: str | None) -> tuple[int, int, int] | None:
    """A CSS/HTML colour as (r, g, b); ``transparent`` / alpha 0 as :data:`_TRANSPARENT`; else None."""
    if not value:
        return None
    v = value.strip().lower()
    if v == "transparent":
        return _TRANSPARENT
    m = _HEX_RE.search(v if v.startswith("#") else "#" + v if re.fullmatch(r"[0-9a-f]{6}", v) else v)
    if m:
        h = m.group(1)
        if len(h) in (3, 4):
            if len(h) == 4 and h[3] == "0":
                return _TRANSPARENT
            return (int(h[0] * 2, 16), int(h[1] * 2, 16), int(h[2] * 2, 16))
        if len(h) in (6, 8):
            if len(h) == 8 and h[6:] == "00":
                return _TRANSPARENT
            return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
        return None
    m = _RGB_RE.search(v)
    if m:
        def chan(s: str) -> int:
            return round(float(s[:-1]) * 2.55) if s.endswith("%") else round(float(s))
        if m.group(4) is not None:
            a = m.group(4)
            if (float(a[:-1]) / 100 if a.endswith("%") else float(a)) <= 0.05:
                return _TRANSPARENT
        return (chan(m.group(1)), chan(m.group(2)), chan(m.group(3)))
    for token in re.split(r"[\s,]+", v):
        if token in _NAMED_COLORS:
            return _NAMED_COLORS[token]
    return None


def _close(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Colours a reader cannot tell apart (sum of channel differences ≤ 24, e.g. #fefefe on #fff)."""
    return sum(abs(x - y) for x, y in zip(a, b)) <= 24


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


def _px(value: str) -> float | None:
    """A CSS length in px (em/rem/pt converted roughly), or None."""
    m = re.match(r"^(-?\d*\.?\d+)\s*(px|pt|em|rem|%)?$", value.strip())
    if not m:
        return None
    n, unit = float(m.group(1)), m.group(2) or "px"
    return n * {"px": 1.0, "pt": 1.333, "em": 16.0, "rem": 16.0, "%": 0.16}[unit]


def hiding_method(d: dict[str, str]) -> str | None:
    """Which hiding technique a set of declarations uses (colour is checked separately)."""
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
    fs = d.get("font-size")
    if fs is not None:
        px = _px(fs)
        if px is not None and px <= 1.0:
            return "font_size"
    ti = d.get("text-indent")
    if ti is not None:
        px = _px(ti)
        if px is not None and px <= -500:
            return "offscreen"
    if d.get("position") in ("absolute", "fixed"):
        for side in ("left", "top", "right"):
            px = _px(d.get(side, "0"))
            if px is not None and px <= -500:
                return "offscreen"
    clip = d.get("clip", "") + " " + d.get("clip-path", "")
    if "rect(0" in clip.replace(" ", "") or "rect(1px,1px,1px,1px)" in clip.replace(" ", "") \
            or "inset(50%" in clip or "inset(100%" in clip:
        return "clip"
    w, h = _px(d.get("width", "auto")), _px(d.get("height", "auto"))
    mh = _px(d.get("max-height", "none"))
    tiny = (w is not None and w <= 1) or (h is not None and h <= 1) or (mh is not None and mh <= 1)
    if tiny and d.get("overflow", "") in ("hidden", "clip"):
        return "zero_size"
    return None


_SIMPLE_SELECTOR = re.compile(r"^([a-z][a-z0-9]*)?((?:[.#][\w-]+)*)$", re.I)


class StyleSheet:
    """The simple rules of a page's own ``<style>`` blocks: ``tag``, ``.class``, ``#id``, ``tag.class``.

    Rules inside ``@media``/``@supports`` (conditional) and selectors with combinators or
    pseudo-classes are ignored: they hide things only in some states (hover menus, print), which
    is what legitimate pages do; keyword spam uses one plain rule.
    """

    def __init__(self, css: str):
        self.rules: list[tuple[str | None, frozenset[str], str | None, dict[str, str]]] = []
        css = re.sub(r"/\*.*?\*/", " ", css, flags=re.S)
        for selectors, body in _top_level_rules(css):
            decls = parse_decls(body)
            if not decls:
                continue
            for sel in selectors.split(","):
                sel = sel.strip()
                m = _SIMPLE_SELECTOR.match(sel)
                if not sel or not m:
                    continue
                tag = (m.group(1) or "").lower() or None
                parts = re.findall(r"([.#])([\w-]+)", m.group(2))
                classes = frozenset(n.lower() for k, n in parts if k == ".")
                ids = [n.lower() for k, n in parts if k == "#"]
                self.rules.append((tag, classes, ids[0] if ids else None, decls))

    def match(self, tag: str, classes: set[str], el_id: str | None) -> dict[str, str]:
        out: dict[str, str] = {}
        for r_tag, r_classes, r_id, decls in self.rules:
            if (r_tag is None or r_tag == tag) and r_classes <= classes and (r_id is None or r_id == el_id) \
                    and (r_tag or r_classes or r_id):
                out.update(decls)
        return out


def _top_level_rules(css: str) -> list[tuple[str, str]]:
    """``selector { body }`` pairs at nesting depth 0; @-blocks are skipped whole."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(css)
    while i < n:
        j = css.find("{", i)
        if j < 0:
            break
        selector = css[i:j].strip()
        depth, k = 1, j + 1
        while k < n and depth:
            if css[k] == "{":
                depth += 1
            elif css[k] == "}":
                depth -= 1
            k += 1
        if selector.startswith("@"):
            # "@import ...;" before a rule may precede it on the same chunk
            if ";" in selector and not selector.rstrip().endswith(")"):
                selector = selector.rsplit(";", 1)[1].strip()
                if selector and not selector.startswith("@"):
                    out.append((selector, css[j + 1:k - 1]))
        else:
            out.append((selector, css[j + 1:k - 1]))
        i = k
    return out


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def keyword_run(text: str) -> int:
    """Longest run of consecutive short (1-4 word) items separated by , ; | / · •."""
    best = run = 0
    if sum(text.count(c) for c in ",;|/·•") < 2:
        return 0
    pieces = _SEP_RE.split(text)
    if len(pieces) < 3:
        return 0
    for piece in pieces:
        n = len(piece.split())
        if 1 <= n <= 4 and not _SENTENCE_END.search(piece.strip()[:-1] if piece.strip() else ""):
            run += 1
            best = max(best, run)
        elif n:
            run = 0
    return best


def keyword_shaped(ws: list[str], raw: str) -> bool:
    """Text without sentence structure: few function words, a comma list, or a few terms repeated."""
    n = len(ws)
    if n < 4:
        return False
    low = [w.lower() for w in ws]
    fw = sum(1 for w in low if w in FUNCTION_WORDS)
    if fw / n < 0.15:
        return True
    if keyword_run(raw) >= 6:
        return True
    content = [w for w in low if w not in FUNCTION_WORDS]
    if len(content) >= 6:
        top = Counter(content).most_common(1)[0][1]
        if top >= 3 and top / n >= 0.15:
            return True
    return False


class _Block:
    __slots__ = ("method", "parts", "link_same", "link_ext")

    def __init__(self, method: str):
        self.method = method
        self.parts: list[str] = []
        self.link_same = 0
        self.link_ext = 0


def analyse(html: str | None, url: str | None = None) -> dict[str, Any]:
    """All signals of one page (see :class:`HiddenText` for their meaning)."""
    root = parse_html(html or "")
    sig: dict[str, Any] = {"visible_words": 0, "hidden_words": 0, "hidden_spam_words": 0,
                           "hidden_fraction": 0.0, "hidden_methods": None, "hidden_sample": None,
                           "keyword_run": 0, "top_term_share": 0.0, "top_term": None}
    if root is None:
        return sig
    css = " ".join("".join(s.itertext()) for s in root.iter("style"))
    sheet = StyleSheet(css) if css.strip() else None
    own_host = _host(url)
    if not own_host:  # no URL: the host most links point to is the site's own
        hosts = Counter(h for h in (_host(a.get("href")) for a in root.iter("a")) if h)
        own_host = hosts.most_common(1)[0][0] if hosts else ""

    visible_parts: list[str] = []
    segments: list[str] = []  # visible text nodes + title/meta/alt, for keyword runs
    blocks: list[_Block] = []
    # iterative walk: (element, inherited fg, inherited bg, current hidden block, in-link host)
    stack: list[tuple[Any, Any, Any, _Block | None, str | None]] = [(root, (0, 0, 0), (255, 255, 255), None, None)]
    while stack:
        el, fg, bg, block, link = stack.pop()
        if isinstance(el, _TailMarker):
            _emit(el.tail, block, link, visible_parts, segments)
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if el.tail and el.tail.strip() and el is not root:
            # the tail lives in the parent's context; pushed first, so emitted after the subtree
            stack.append((_TailMarker(el.tail), fg, bg, block, link))
        if tag in _SKIP_TAGS or not tag:
            continue
        attrib = el.attrib
        decls: dict[str, str] = {}
        if sheet is not None and sheet.rules:
            decls = sheet.match(tag, set((attrib.get("class") or "").lower().split()),
                                (attrib.get("id") or "").lower() or None)
        if "style" in attrib:
            decls = {**decls, **parse_decls(attrib.get("style"))}
        if tag in ("font", "basefont") and attrib.get("color"):
            decls.setdefault("color", attrib["color"])
        if attrib.get("bgcolor"):
            decls.setdefault("background-color", attrib["bgcolor"])
        new_fg = parse_color(decls["color"]) if "color" in decls else None
        bg_val = decls.get("background-color") or decls.get("background")
        new_bg = parse_color(bg_val) if bg_val and "url(" not in bg_val else None
        if bg_val and "url(" in bg_val:
            new_bg = None
            bg = (-2, -2, -2)  # an image behind: colours cannot be compared
        fg = new_fg or fg
        if new_bg is not None and new_bg != _TRANSPARENT:
            bg = new_bg
        if block is None:
            method = None
            if "hidden" in attrib and tag != "input":
                method = "hidden_attr"
            elif tag in _NOSCRIPT_TAGS:
                method = "noscript"
            elif decls:
                method = hiding_method(decls)
            # colours only need comparing where one of them changes (else the parent was checked)
            if method is None and (new_fg is not None or new_bg is not None) and (
                    fg == _TRANSPARENT or (fg[0] >= 0 and bg[0] >= 0 and _close(fg, bg))):
                method = "color"
            if method is not None:
                block = _Block(method)
                blocks.append(block)
        if tag == "a" and attrib.get("href"):
            h = _host(attrib.get("href"))
            link = "same" if (not h or h == own_host) else "ext"
        if tag == "img" and attrib.get("alt") and block is None:
            segments.append(attrib["alt"])
        text = el.text
        if text and text.strip():
            _emit(text, block, link, visible_parts, segments)
        for ch in reversed(el):
            stack.append((ch, fg, bg, block, link))

    head_texts = []
    title = root.find(".//title")
    if title is not None and title.text:
        head_texts.append(title.text)
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() in ("keywords", "description") and meta.get("content"):
            head_texts.append(meta.get("content"))
    segments.extend(head_texts)

    # running text (nodes of >= 8 words) is where term repetition is measured; UI labels repeated
    # once per item ("E-mail", "Add to cart", "Reply") are honest and sit in nodes of their own
    memo: dict[str, str] = {}
    prose = _word_counts(" ".join(p for p in visible_parts if p.count(" ") >= 7).lower(), memo)
    rest = _word_counts(" ".join(p for p in visible_parts if p.count(" ") < 7).lower(), memo)
    n_prose = sum(prose.values())
    n_visible = n_prose + sum(rest.values())
    sig["visible_words"] = n_visible
    hidden_total = 0
    spam_words = 0
    methods: set[str] = set()
    sample: list[str] = []
    for b in blocks:
        raw = " ".join(b.parts)
        ws = words(raw)
        hidden_total += len(ws)
        counted = len(ws) - b.link_same  # same-site link text: menus
        if counted <= 0:
            continue
        if b.method in _STRONG_METHODS:
            suspicious = counted >= 1
        elif counted <= 3:
            suspicious = False
        else:
            suspicious = keyword_shaped(ws, raw) or b.link_ext * 2 >= len(ws)
        if suspicious:
            spam_words += counted
            methods.add(b.method)
            if sum(len(s) for s in sample) < 160:
                sample.append(_WS.sub(" ", raw).strip())
    sig["hidden_words"] = hidden_total
    sig["hidden_spam_words"] = spam_words
    sig["hidden_fraction"] = spam_words / (n_visible + spam_words) if spam_words else 0.0
    sig["hidden_methods"] = ",".join(sorted(methods)) or None
    sig["hidden_sample"] = " | ".join(sample)[:200] or None
    sig["keyword_run"] = max((keyword_run(s) for s in segments), default=0)
    if n_prose >= 100:
        for term, count in prose.most_common():
            if len(term) > 2 and term not in FUNCTION_WORDS and not term.isdigit():
                sig["top_term_share"] = count / n_prose
                sig["top_term"] = term
                break
    return sig


_WS = re.compile(r"\s+")


def _word_counts(text: str, memo: dict[str, str]) -> Counter[str]:
    """Counts of :func:`corpusclean.text.words` of ``text`` (the same words, computed faster).

    ``words`` strips punctuation token by token; here the whitespace split and the counting run in
    C and the stripping runs once per *distinct* token, which makes the stage several times cheaper.
    """
    out: Counter[str] = Counter()
    for tok, c in Counter(text.split()).items():
        w = memo.get(tok)
        if w is None:
            ws = words(tok)
            w = memo[tok] = ws[0] if ws else ""
        if w:
            out[w] += c
    return out


class _TailMarker:
    """A stack entry standing for an element's tail text (emitted in its parent's context)."""

    __slots__ = ("tail",)
    tag = "#tail"

    def __init__(self, tail: str):
        self.tail = tail


def _emit(text: str, block: _Block | None, link: str | None, visible: list[str], segments: list[str]) -> None:
    if block is None:
        visible.append(text)
        segments.append(text)
        return
    block.parts.append(text)
    if link is not None:
        n = len(words(text))
        if link == "same":
            block.link_same += n
        else:
            block.link_ext += n


@register("hidden_text")
class HiddenText(FilterStage):
    """Rejects pages with hidden keywords or keyword stuffing; stores the signals as columns.

    Columns: ``visible_words``; ``hidden_words`` (all text hidden from readers, any shape);
    ``hidden_spam_words`` (the part judged suspicious by amount and shape, see module doc);
    ``hidden_fraction`` (= spam / (visible + spam)); ``hidden_methods`` (how it was hidden);
    ``hidden_sample`` (the first ~200 characters of it, to audit); ``keyword_run`` (longest run
    of short separated items in visible text, title, meta keywords/description, alt);
    ``top_term_share`` and ``top_term`` (the most frequent content word's share of the words of
    running text, i.e. visible text nodes of ≥ 8 words, pages with ≥ 100 such words only).
    """

    requires = ("html", "url")
    retunable = True
    columns = {
        "visible_words": pa.int32(), "hidden_words": pa.int32(), "hidden_spam_words": pa.int32(),
        "hidden_fraction": pa.float32(), "hidden_methods": pa.string(), "hidden_sample": pa.string(),
        "keyword_run": pa.int32(), "top_term_share": pa.float32(), "top_term": pa.string(),
    }

    thresholds = {"hidden_spam_words": ("max_hidden_words", "max"),
                  "hidden_fraction": ("max_hidden_fraction", "max"),
                  "keyword_run": ("max_keyword_run", "max"),
                  "top_term_share": ("max_top_term_share", "max")}

    max_hidden_words: int = param(8, "Reject when this many suspicious hidden words or more (hidden_keywords)")
    max_hidden_fraction: float = param(
        0.03, "Reject when suspicious hidden words are this share of all words or more (hidden_fraction)")
    min_hidden_words: int = param(4, "hidden_fraction applies only from this many suspicious hidden words")
    max_keyword_run: int = param(
        25, "Reject when a run of this many short comma/pipe-separated items or more appears (keyword_stuffing)")
    max_top_term_share: float = param(
        0.06, "Reject when one content word is this share of running-text words or more (term_repetition)")

    def __post_init__(self) -> None:
        if not 0 < self.max_hidden_fraction <= 1 or not 0 < self.max_top_term_share <= 1:
            raise ValueError("max_hidden_fraction and max_top_term_share must be in (0, 1]")

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return analyse(doc.get("html"), doc.get("url"))
        except RecursionError:  # pragma: no cover - lxml's own recursion on absurd nesting
            return analyse(None)

    def decide(self, signals: dict[str, Any], doc: dict[str, Any] | None = None) -> Verdict:
        spam = signals.get("hidden_spam_words") or 0
        how = signals.get("hidden_methods") or ""
        if spam >= self.max_hidden_words:
            return "hidden_keywords", f"{spam} hidden words ({how})"
        frac = signals.get("hidden_fraction") or 0.0
        if spam >= self.min_hidden_words and frac >= self.max_hidden_fraction:
            return "hidden_fraction", f"{frac:.3f} of words hidden ({how})"
        run = signals.get("keyword_run") or 0
        if run >= self.max_keyword_run:
            return "keyword_stuffing", f"keyword_run={run}"
        share = signals.get("top_term_share") or 0.0
        if share >= self.max_top_term_share:
            return "term_repetition", f"{signals.get('top_term')!r} is {share:.3f} of words"
        return None
