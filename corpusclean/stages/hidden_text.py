"""``hidden_text``: text written for search engines rather than readers.

Gopher (Rae et al. 2021, appendix A.1.1) motivates its quality rules with text "not intended for
human consumption (such as keywords for search-engine optimisation)". Two forms are checked on the
page's HTML, so this stage runs *before* ``extract``:

1. **Hidden keywords.** Which text a reader cannot see is decided by
   :func:`corpusclean.html.visibility.walk` (box hiding: ``display:none``, ``hidden``,
   off-screen, clipped, ``<noscript>``…; paint hiding: a *known* text colour on a *known*,
   indistinguishable background, or a known size ≤ 1px — unknown colours never count). Pages
   legitimately hide things (menus, dialogs, cookie notices in any language, tab panels,
   widgets, galleries), so box-hidden text counts as *suspicious* by its shape, text node by
   text node (:func:`keyword_shaped`): keyword lists, a term repeated, or no sentence shape;
   labels and buttons (≤ 3 words), same-site link text (menus), share buttons and prose never
   count; a block of external links (a link farm) counts whole. Paint-hidden text always counts.
2. **Keyword stuffing** in what readers see: the longest run of short comma/pipe-separated items
   in visible text, ``<title>`` and ``alt``, when the list repeats its keywords (``keyword_run``;
   a tag cloud of distinct tags is ordinary); items of ``<meta name=keywords|
   description>`` that repeat an earlier item (``meta_repeats``: a long list of distinct
   keywords is ordinary, the same keywords over and over is stuffing); and the share of
   running-text words taken by the most frequent content term (``top_term_share``), counted
   script-aware so Chinese and Japanese text has its real length (:func:`word_units`), with a
   lower limit for a term the page's ``<title>`` does not name (``unnamed_term_share``).

Signals are stored as columns (``retunable``); ``decide`` uses only them and the thresholds.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain, repeat
from typing import Any

import pyarrow as pa

from corpusclean.html.visibility import PAINT_METHODS, HiddenBlock, walk
from corpusclean.stages.base import FilterStage, Verdict, param, register
from corpusclean.text import words

# Function words of common web languages: prose has many, keyword lists almost none.
# (:func:`is_prose` also accepts sentence-shaped text in any other language.)
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet if then than that this these those there here is are was were be been
being am do does did have has had will would shall should can could may might must of in on at by for
with from to into onto upon about over under after before between through during without within as
it its it's he she they we you i me him her them us my your his their our who whom whose which what
when where why how not no all any each some such very just also only more most other own same too
up out off again further once both few many much every own let lets
der die das den dem des ein eine einer eines einem einen und oder aber ist sind war waren wird werden
mit von zu zum zur im in auf für nicht sich auch als wie bei nach aus noch nur so dass er sie es wir ihr
ich du mich mir dich dir mein meine meinen uns euch hat habe hatte man wenn was
um ihre ihren sie sich bitte diese dieser dieses kann können
le la les un une des du de et ou mais est sont était dans sur pour par avec pas que qui ce cette il
elle nous vous ils elles au aux en se sa son ses leur votre vos
el los las unos unas y o pero es son era del al en por para con sin que se su sus lo como más este esta
il lo gli uno e ed di da nel nella per con non che è sono questo questa
o os as um uma e ou mas é são do da dos das no na em por para com não que se
de het een en of maar is zijn was waren van in op voor met niet dat die dit er ook
i w z na do się nie to jest że jak o po dla od za ze są
a v ve se na je že s z do o k to jako pro jsou
och att det som en ett är på av för med inte den till har om
og at det som en et er på af for med ikke den til har om
ve bir bu ile için da de mi ne olarak
и в во не на что с со как по к у из за от о это для
""".split())

_SEP_RE = re.compile(r"[,;|/·•、，；]+")
#: Two separator runs with something between: without them :func:`keyword_run` is 0.
_SEP_RUNS = re.compile(r"[,;|/·•、，；][^,;|/·•、，；]+[,;|/·•、，；]")
_UNBROKEN_RE = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_SENTENCE_END = re.compile(r"[.!?。！？]")
_WS = re.compile(r"\s+")


def _unbroken_units(token: str) -> int:
    """Word units of one whitespace token: 1, or for scripts written without spaces, per character.

    Han, Hiragana and Katakana characters count one unit each (a Chinese word is 1-2 characters);
    Thai, Lao, Khmer and Myanmar characters one unit per 3 (their words are longer). A token
    mixing scripts counts the larger of 1 and its unbroken-script units.
    """
    n = 0.0
    for c in token:
        o = ord(c)
        if 0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF:
            n += 1
        elif 0x0E00 <= o <= 0x0EFF or 0x1000 <= o <= 0x109F or 0x1780 <= o <= 0x17FF:
            n += 1 / 3
    return max(1, round(n))


def _has_unbroken(token: str) -> bool:
    """True if ``token`` holds characters of a script written without spaces."""
    return not token.isascii() and _UNBROKEN_RE.search(token) is not None


def keyword_run(text: str) -> int:
    """Longest run of consecutive short (1-4 word) items separated by , ; | / · • (and CJK commas)."""
    best = run = 0
    seps = text.count(",") + text.count(";") + text.count("|") + text.count("/")
    if not text.isascii():
        seps += sum(text.count(c) for c in "·•、，；")
    if seps < 2:
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


def stuffed_run(text: str) -> int:
    """:func:`keyword_run` of a list that repeats its keywords, else 0.

    A list repeats its keywords when ≥ 20 % of its items repeat an earlier item, or one word
    appears in ≥ 30 % of its items ("cheap flights london, cheap flights paris, …"). A long list
    of distinct tags (a tag cloud, an index) is ordinary.
    """
    run = keyword_run(text)
    if run < 6:
        return run
    items = [" ".join(p.lower().split()) for p in _SEP_RE.split(text)]
    items = [i for i in items if i]
    if repeated_items(text) >= 0.2 * len(items):
        return run
    per_word = Counter(w for item in items for w in set(item.split()) if w not in FUNCTION_WORDS)
    if per_word and per_word.most_common(1)[0][1] >= 0.3 * len(items):
        return run
    return 0


def repeated_items(text: str) -> int:
    """Items of a comma/pipe list that repeat an earlier item (case-insensitive): ``a, b, a`` → 1."""
    seen: set[str] = set()
    repeats = 0
    for piece in _SEP_RE.split(text.lower()):
        item = " ".join(piece.split())
        if not item:
            continue
        if item in seen:
            repeats += 1
        seen.add(item)
    return repeats


def is_prose(ws: list[str], raw: str) -> bool:
    """Sentence-shaped text, in any language: function words present, or sentences of ≥ 5 words.

    A keyword blob has neither: no grammar words and, at most, "sentences" of one or two terms.
    """
    low = [w.lower() for w in ws]
    if sum(1 for w in low if w in FUNCTION_WORDS) >= 0.15 * len(low):
        return True
    if not _SENTENCE_END.search(raw):
        return False
    sentences = [s for s in _SENTENCE_SPLIT.split(raw.strip()) if s.strip()]
    return bool(sentences) and len(ws) / len(sentences) >= 5


def keyword_shaped(ws: list[str], raw: str) -> bool:
    """One run of hidden text (a text node) shaped as keywords rather than language.

    Judged on text nodes of ≥ 4 words: a comma/pipe list of ≥ 6 short items; one content term
    repeated (≥ 3 times and ≥ 15 % of the words); or, from 12 words on, no sentence shape at all
    (:func:`is_prose`). Labels and buttons (≤ 3 words) are never judged, and headlines, form
    hints and captions (under 12 words, often without grammar words) are not judged by shape:
    that is what hidden interface (dialogs, tabs, teasers, widgets) is made of.
    """
    n = len(ws)
    if n < 4:
        return False
    if keyword_run(raw) >= 6:
        return True
    content = [w.lower() for w in ws if w.lower() not in FUNCTION_WORDS]
    if len(content) >= 6:
        top = Counter(content).most_common(1)[0][1]
        if top >= 3 and top / n >= 0.15:
            return True
    return n >= 12 and not is_prose(ws, raw)


def judge_block(block: HiddenBlock) -> int:
    """Suspicious words of one hidden block (0 = honest hiding). Same-site link text never counts.

    Paint hiding (colour = background, ≤ 1px text) counts every word: honest pages do not paint
    text invisibly. Box hiding counts the words of keyword-shaped text nodes, or the whole block
    when it is a link farm: ≥ 3 external links, not share buttons or links naming their site,
    holding at least half its words.
    """
    segs = [s for s in block.segments if s.link != "same"]
    sizes = [len(words(s.text)) for s in segs]
    total = sum(sizes)
    if not total:
        return 0
    if block.method in PAINT_METHODS:
        return total
    farm = [n for s, n in zip(segs, sizes) if s.link == "ext"]
    if len(farm) >= 3 and sum(farm) * 2 >= total:
        return total
    return sum(n for s, n in zip(segs, sizes) if n >= 4 and keyword_shaped(words(s.text), s.text))


def analyse(html: str | None, url: str | None = None) -> dict[str, Any]:
    """All signals of one page (see :class:`HiddenText` for their meaning)."""
    page = walk(html, url, ordered=_is_running)
    sig: dict[str, Any] = {"visible_words": 0, "hidden_words": 0, "hidden_spam_words": 0,
                           "hidden_fraction": 0.0, "hidden_methods": None, "hidden_sample": None,
                           "keyword_run": 0, "meta_repeats": 0, "top_term_share": 0.0, "top_term": None,
                           "unnamed_term_share": 0.0}
    # running text (nodes of >= 8 word units) is where term repetition is measured; UI labels
    # repeated once per item ("E-mail", "Add to cart", "Reply") are honest and sit in nodes of their own
    prose_parts, rest_parts = _running_text(page.visible)
    prose = _word_counts(" ".join(prose_parts).lower())
    n_prose = word_units(prose)
    n_visible = n_prose + _units_of(" ".join(rest_parts))
    sig["visible_words"] = n_visible
    hidden_total = spam_words = 0
    methods: set[str] = set()
    sample: list[str] = []
    for b in page.blocks:
        hidden_total += sum(len(words(s.text)) for s in b.segments)
        counted = judge_block(b)
        if counted:
            spam_words += counted
            methods.add(b.method)
            if sum(len(s) for s in sample) < 160:
                sample.append(_WS.sub(" ", " ".join(s.text for s in b.segments)).strip())
    sig["hidden_words"] = hidden_total
    sig["hidden_spam_words"] = spam_words
    sig["hidden_fraction"] = spam_words / (n_visible + spam_words) if spam_words else 0.0
    sig["hidden_methods"] = ",".join(sorted(methods)) or None
    sig["hidden_sample"] = " | ".join(sample)[:200] or None
    sig["keyword_run"] = max((stuffed_run(s) for s in {*page.visible, *page.alts, page.title} if _SEP_RUNS.search(s)),
                             default=0)
    sig["meta_repeats"] = max((repeated_items(page.metas.get(k, "")) for k in ("keywords", "description")),
                              default=0)
    if n_prose >= 100:
        named = {w.lower() for w in words(page.title)}
        for term, count in prose.most_common():
            if len(term) > 2 and term not in FUNCTION_WORDS and not term.isdigit() and not _has_unbroken(term):
                if sig["top_term"] is None:
                    sig["top_term_share"] = count / n_prose
                    sig["top_term"] = term
                if term not in named:
                    sig["unnamed_term_share"] = count / n_prose
                    break
    return sig


def _running_text(parts: list[str]) -> tuple[list[str], list[str]]:
    """(running text, the rest) of visible text nodes: running text is nodes of >= 8 word units
    (7 spaces, or unspaced scripts by :func:`_unbroken_units`), where term repetition is
    measured; UI labels repeated once per item ("E-mail", "Add to cart") sit in nodes of their own."""
    prose, rest = [], []
    for part in parts:
        (prose if _is_running(part) else rest).append(part)
    return prose, rest


def _is_running(part: str) -> bool:
    """A visible text node of running text (see :func:`_running_text`). Word order matters in
    running text (it breaks ties between top terms), so the walk keeps its page order exact."""
    return part.count(" ") >= 7 or bool(not part.isascii() and _UNBROKEN_RE.search(part)
                                        and sum(map(_unbroken_units, part.split())) >= 8)


def _units_of(text: str) -> int:
    """``word_units(Counter(words(text)))`` without the table when no word needs counting apart."""
    if _UNBROKEN_RE.search(text) is None:
        return len(words(text))
    return word_units(_word_counts(text.lower()))


def word_units(counts: Counter[str]) -> int:
    """Script-aware number of words of a word → count table (:func:`corpusclean.text.words`, with
    tokens of unspaced scripts counted by :func:`_unbroken_units`)."""
    return sum(counts.values()) + sum(c * (_unbroken_units(w) - 1) for w, c in counts.items()
                                      if not w.isascii() and _UNBROKEN_RE.search(w))


def _word_counts(text: str) -> Counter[str]:
    """``Counter(words(text))`` (:func:`corpusclean.text.words`), in the same order, faster.

    ASCII text goes through ``words`` in one call (C loops). Otherwise the whitespace split and
    the counting run in C and each distinct token is stripped once, remembered across pages
    (:data:`_WORD_OF`, bounded).
    """
    if text.isascii():
        return Counter(words(text))
    counts = Counter(text.split())
    tokens = list(counts)
    ws = list(map(_WORD_OF.get, tokens))
    if None in ws:
        if len(_WORD_OF) >= 200_000:
            _WORD_OF.clear()
        for i, w in enumerate(ws):
            if w is None:
                found = words(tokens[i])
                ws[i] = _WORD_OF[tokens[i]] = found[0] if found else ""
    out = Counter(chain.from_iterable(map(repeat, ws, counts.values())))
    out.pop("", None)
    return out


#: Token → its word ("" for none): the same tokens recur from page to page.
_WORD_OF: dict[str, str] = {}


@register("hidden_text")
class HiddenText(FilterStage):
    """Rejects pages with hidden keywords or keyword stuffing; stores the signals as columns.

    Columns: ``visible_words``; ``hidden_words`` (all text hidden from readers, any shape);
    ``hidden_spam_words`` (the part judged suspicious by amount and shape, see module doc);
    ``hidden_fraction`` (= spam / (visible + spam)); ``hidden_methods`` (how it was hidden);
    ``hidden_sample`` (the first ~200 characters of it, to audit); ``keyword_run`` (longest run
    of short separated items in visible text, title, alt, in lists that repeat their keywords:
    :func:`stuffed_run`); ``meta_repeats`` (items of meta
    keywords/description repeating an earlier item); ``top_term_share`` and ``top_term`` (the
    most frequent content word's share of the word units of running text, i.e. visible text
    nodes of ≥ 8 units, pages with ≥ 100 such units only; :func:`word_units`);
    ``unnamed_term_share`` (the same for the most frequent content word the ``<title>`` does not
    name: a page's own subject is in its title, a stuffed term usually is not).
    """

    requires = ("html", "url")
    retunable = True
    columns = {
        "visible_words": pa.int32(), "hidden_words": pa.int32(), "hidden_spam_words": pa.int32(),
        "hidden_fraction": pa.float32(), "hidden_methods": pa.string(), "hidden_sample": pa.string(),
        "keyword_run": pa.int32(), "meta_repeats": pa.int32(), "top_term_share": pa.float32(), "top_term": pa.string(),
        "unnamed_term_share": pa.float32(),
    }

    thresholds = {"hidden_spam_words": ("max_hidden_words", "max"),
                  "hidden_fraction": ("max_hidden_fraction", "max"),
                  "keyword_run": ("max_keyword_run", "max"),
                  "meta_repeats": ("max_meta_repeats", "max"),
                  "top_term_share": ("max_top_term_share", "max"),
                  "unnamed_term_share": ("max_unnamed_term_share", "max")}

    max_hidden_words: int = param(8, "Reject when this many suspicious hidden words or more (hidden_keywords)")
    max_hidden_fraction: float = param(
        0.03, "Reject when suspicious hidden words are this share of all words or more (hidden_fraction)")
    min_hidden_words: int = param(4, "hidden_fraction applies only from this many suspicious hidden words")
    max_keyword_run: int = param(
        25, "Reject when a run of this many short comma/pipe-separated items or more appears (keyword_stuffing)")
    max_meta_repeats: int = param(
        8, "Reject when meta keywords/description repeat an earlier item this often or more (keyword_stuffing)")
    max_top_term_share: float = param(
        0.12, "Reject when one content word is this share of running-text words or more (term_repetition); "
              "focused articles name their subject at 5-8 %, stuffed pages at 15 % and more")
    max_unnamed_term_share: float = param(
        0.08, "Reject when one content word the <title> does not name is this share of running-text words "
              "or more (term_repetition): a page's own subject is named in its title")

    def __post_init__(self) -> None:
        for name in ("max_hidden_fraction", "max_top_term_share", "max_unnamed_term_share"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1]")

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
        repeats = signals.get("meta_repeats") or 0
        if repeats >= self.max_meta_repeats:
            return "keyword_stuffing", f"meta_repeats={repeats}"
        share = signals.get("top_term_share") or 0.0
        if share >= self.max_top_term_share:
            return "term_repetition", f"{signals.get('top_term')!r} is {share:.3f} of words"
        unnamed = signals.get("unnamed_term_share") or 0.0
        if unnamed >= self.max_unnamed_term_share:
            return "term_repetition", f"a term the title does not name is {unnamed:.3f} of words"
        return None
