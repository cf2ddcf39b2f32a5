"""The one place where words, lines, paragraphs, bullets, ellipses and n-grams are defined.

Every filter uses these definitions; they are documented here and in ``docs/filters.md`` (the
README includes that section) and pinned by golden tests (``tests/text/test_text.py``).
Implementations of the same paper disagree exactly on these points, so each choice is written
down once, with its reason.

* **Line** — the text split on ``\\n`` only, each piece stripped of surrounding whitespace
  (so ``\\r\\n`` files behave like ``\\n`` files). Blank lines are *not* lines: they separate
  paragraphs, and counting them would dilute every per-line ratio (and make every blank line a
  "duplicate line").
* **Paragraph** — a maximal run of lines (as above) between blank lines (lines empty once
  stripped, any Unicode whitespace). A paragraph's text is its lines joined by ``\\n``.
* **Word** — a whitespace-separated token (``str.split()``: any Unicode whitespace) with leading
  and trailing punctuation/symbols (Unicode categories ``P*`` and ``S*``) stripped; a token made
  only of punctuation/symbols (``-``, ``—``, ``#``, ``...``, ``|``) is not a word at all.
  Reason: the Gopher paper counts *words*, and a bare bullet glyph, an ellipsis token or a table
  rule is not one; stripping edges makes ``word,`` and ``word`` the same word for n-grams.
  Inner punctuation stays (``don't``, ``e-mail``, ``3.5``). Case is kept.
* **Bullet line** — a line whose first characters are one of :data:`BULLET_GLYPHS`, or an
  ordered-list marker ``<1-3 digits>.`` / ``<1-3 digits>)``, followed by whitespace or the end of
  the line. Digits are any Unicode decimal digits (``Nd``: ``1.``, ``١.``, ``１.``; not ``²``).
  The extractor writes exactly :data:`UNORDERED_BULLET` and :func:`ordered_bullet`, both of
  which this definition counts.
* **Alpha word** — a word holding at least one alphabetic character, any Unicode letter
  (``str.isalpha``).
* **Fractions over nothing** — every fraction is over its own unit and is 0 when there is none:
  a document with no lines scores 0 on line fractions, one with no words on word fractions; a
  document with no words but some lines keeps its line fractions (``-\\n-``: bullet lines 1).
* **Ellipsis** — a run of three or more dots (``...``, ``.....`` is *one* ellipsis) or the single
  character ``…``. A line *ends with an ellipsis* if its last characters are an ellipsis,
  optionally followed by one closing bracket (``[...]``, ``(…)`` are the web's truncation marks).
* **Duplicate** (lines, paragraphs, n-grams) — an occurrence counts as a duplicate when an
  identical item occurred *earlier* in the document; first occurrences never count. A document
  with no repetition scores 0 and ``k`` copies of the same block score ``(k-1)/k``: the share
  that could be deleted without losing anything.
* **Characters** — for line and paragraph fractions, the characters of the lines (stripped, no
  newlines); a paragraph's characters are its lines' characters. For n-gram fractions, the
  characters of the words (no spaces, no stripped punctuation): numerator and denominator count
  the same thing, so fractions lie in [0, 1] and do not depend on spacing. A character covered
  by several counted n-grams (overlapping occurrences) is counted **once** — the paper's
  "taking care not to count characters that occur in overlapping n-grams more than once".
* **Top n-gram** — the n-gram with the most occurrences; ties go to the one with more
  characters, then to the earliest. Its fraction is the characters its occurrences cover (each
  once). An n-gram that occurs only once is not repetition: a document whose n-grams are all
  distinct scores 0.

Scripts without spaces (CJK, Thai) give few, long "words"; nothing here fails on them.

This module defines each unit on one document (functions, and :class:`DocView` for a document
tokenised once). The quality filters compute the same units for a chunk of documents at once
with Arrow's string kernels and NumPy (:mod:`corpusclean.text_batch`: character classes built
from Python's tables, so the results are identical; ``tests/text/test_text_batch.py``). The
runner runs consecutive filters a chunk of documents at a time (``process_chain``), and
:func:`corpusclean.text_batch.analyze_batch` remembers the chunk's tokenisation, so the Gopher
quality and repetition filters (and FineWeb's) share it without keeping a shard's worth in memory.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import re
import string
import sys
import unicodedata
from collections.abc import Iterable
from itertools import compress, repeat

import numpy as np

from corpusclean.repetition import duplicate_ngram_chars_reference, duplicate_stats, ngram_char_counts  # noqa: F401  (re-exported)

#: Glyphs that start a bullet line (the extractor writes "-").
BULLET_GLYPHS: tuple[str, ...] = ("-", "*", "•", "·", "‣", "◦", "⁃", "▪", "▫", "●", "○", "■", "□",
                                  "➢", "➤", "►", "▶", "→", "–", "—", "✓", "✔")
#: What the extractor writes before an unordered list item.
UNORDERED_BULLET = "- "
#: Indent per list nesting level written by the extractor.
LIST_INDENT = "  "

_BULLET_RE = re.compile(
    r"^\s*(?:[" + re.escape("".join(BULLET_GLYPHS)) + r"]|\d{1,3}[.)])(?:\s|$)"
)
_BULLET_FIRST = frozenset(BULLET_GLYPHS)
#: A line's first character that may start a bullet (a glyph or a digit), for a one-scan pre-check.
_BULLET_FIRST_RE = re.compile(r"[" + re.escape("".join(BULLET_GLYPHS)) + r"\d]")
#: What a stripped line ending with an ellipsis ends with.
_ELLIPSIS_ENDINGS = tuple(e + b for e in ("...", "…") for b in ("", ")", "]"))
_DOTS_RE = re.compile(r"\.\.\.+")  # literal prefix: a fast scan
#: A character above the Basic Multilingual Plane.
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
_ELLIPSIS_END_RE = re.compile(r"(?:\.{3,}|…)[)\]]?\s*$")
#: ASCII punctuation and symbols (all of them are Unicode P* or S*).
_ASCII_PS = string.punctuation


def ordered_bullet(n: int) -> str:
    """What the extractor writes before the n-th item of an ordered list."""
    return f"{n}. "


def is_bullet_line(line: str) -> bool:
    """True if ``line`` starts with a bullet (see module docstring)."""
    first = line.lstrip()[:1]
    if not first or (first not in _BULLET_FIRST and not first.isdigit()):
        return False  # fast path: most lines start with a letter
    return _BULLET_RE.match(line) is not None


def ends_with_ellipsis(line: str) -> bool:
    """True if ``line`` ends with ``...`` (3+ dots) or ``…``, optionally then ``)`` or ``]``."""
    tail = line.rstrip()[-4:]
    if "..." not in tail and "…" not in tail:
        return False  # fast path
    return _ELLIPSIS_END_RE.search(line) is not None


def count_ellipses(text: str) -> int:
    """Number of ellipses: runs of 3+ dots (one each, whatever their length) and ``…`` characters."""
    if "..." not in text:
        return text.count("…")
    return len(_DOTS_RE.findall(text)) + text.count("…")  # runs of dots and "…" never overlap


def lines(text: str) -> list[str]:
    """Non-blank lines, stripped (split on ``\\n`` only)."""
    return list(filter(None, map(str.strip, text.split("\n"))))


_BLANK_RUN_RE = re.compile(r"\n\n+")


def _paragraphs_of(stripped: list[str]) -> list[str]:
    """Paragraphs from the stripped raw lines (blank ones as ``""``): joined by ``\\n``, a blank
    line becomes a run of 2+ newlines, which is where paragraphs split."""
    joined = "\n".join(stripped).strip("\n")
    return _BLANK_RUN_RE.split(joined) if joined else []


def paragraphs(text: str) -> list[str]:
    """Runs of non-blank lines separated by blank lines; each is its stripped lines joined by ``\\n``.

    A blank line is one that is empty once stripped of whitespace (any Unicode whitespace, as
    for :func:`lines`)."""
    return _paragraphs_of(list(map(str.strip, text.split("\n"))))


#: Unicode general categories of punctuation (P*) and symbols (S*): what :func:`words` strips.
PUNCT_SYMBOL_CATEGORIES = frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"})


@functools.cache
def every_code_point() -> str:
    """All code points ``U+0000``..``sys.maxunicode`` in order, one string (surrogates included),
    for per-code-point tables built with C-level ``map`` (~0.1 s) instead of a Python loop."""
    return "".join(map(chr, range(sys.maxunicode + 1)))


def compute_code_point_classes() -> dict[str, list[int]]:
    """The code-point classes the tokenisers need, from this Python's Unicode data (~0.5 s):
    ``ps`` (category P* or S*, :data:`PUNCT_SYMBOL_CATEGORIES`), ``alpha`` (``str.isalpha``),
    ``space`` (``str.isspace`` = ``re``'s ``\\s`` and ``str.split()``'s whitespace, never
    alphabetic) and ``digit`` (``str.isdecimal`` = ``re``'s ``\\d``, Unicode Nd), each ascending."""
    every = every_code_point()
    return {
        "ps": list(compress(itertools.count(), map(PUNCT_SYMBOL_CATEGORIES.__contains__,
                                                   map(unicodedata.category, every)))),
        "alpha": list(compress(itertools.count(), map(str.isalpha, every))),
        "space": [cp for cp in compress(itertools.count(), map(str.isspace, every)) if not chr(cp).isalpha()],
        "digit": [cp for cp in compress(itertools.count(), map(str.isdecimal, every))
                  if not chr(cp).isalpha() and not chr(cp).isspace()],
    }


def code_point_ranges(cps: Iterable[int]) -> list[list[int]]:
    """Ascending code points as ``[first, last]`` runs."""
    runs: list[list[int]] = []
    for cp in cps:
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return runs


#: :func:`compute_code_point_classes` as ranges for one Unicode version, shipped so that each
#: worker process does not spend ~0.5 s computing them (``tests/text/test_unicode_tables.py``
#: checks the file against the computation on the running Python).
SHIPPED_CLASSES = "data/unicode-classes-{version}.json"


@functools.cache
def code_point_classes() -> dict[str, tuple[int, ...]]:
    """:func:`compute_code_point_classes`, read from :data:`SHIPPED_CLASSES` when the package ships
    it for this Python's Unicode version (``unicodedata.unidata_version``), computed otherwise."""
    from importlib.resources import files

    shipped = files("corpusclean").joinpath(SHIPPED_CLASSES.format(version=unicodedata.unidata_version))
    try:
        data = json.loads(shipped.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {k: tuple(v) for k, v in compute_code_point_classes().items()}
    return {k: tuple(cp for a, b in runs for cp in range(a, b + 1)) for k, runs in data["classes"].items()}


def punct_symbol_code_points() -> tuple[int, ...]:
    """Code points whose category is P* or S* (:data:`PUNCT_SYMBOL_CATEGORIES`), ascending."""
    return code_point_classes()["ps"]


@functools.cache
def _word_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``[^\\s PS](?:\\S*[^\\s PS])?``: a token's span from its first to its last character that is
    not P*/S*, i.e. :func:`words` in one C scan (``\\s`` = ``str.split()``'s whitespace). One
    compilation for texts within the BMP (a bitmap lookup per character), one for all."""
    runs = code_point_ranges(punct_symbol_code_points())

    def compile_(rs: list[list[int]]) -> re.Pattern[str]:
        cls = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in rs)
        return re.compile(rf"[^\s{cls}](?:\S*[^\s{cls}])?")

    return compile_([[a, min(b, 0xFFFF)] for a, b in runs if a <= 0xFFFF]), compile_(runs)


def prepare() -> None:
    """Build the word pattern now (stages call this in ``setup``, once per worker) rather than
    on the first non-ASCII document."""
    _word_res()


def words(text: str) -> list[str]:
    """Words (see module docstring): whitespace tokens with edge punctuation stripped, non-empty."""
    if text.isascii():
        return list(filter(None, map(str.strip, text.split(), repeat(_ASCII_PS))))
    bmp, full = _word_res()
    return (bmp if _ASTRAL_RE.search(text) is None else full).findall(text)


def has_alpha(word: str) -> bool:
    """True if ``word`` contains at least one alphabetic character (``str.isalpha``)."""
    return word.isalpha() or any(map(str.isalpha, word))


_NGRAM_PUNCT_RE = re.compile(r"[^\w\s]+", re.UNICODE)


def normalize_for_ngrams(text: str) -> list[str]:
    """Tokens for n-gram matching (dedup shingles, decontamination grams).

    As GPT-3 defined a gram (Brown et al. 2020, appendix C): Unicode NFKC, lowercase,
    punctuation removed (replaced by a space, so ``don't`` -> ``don t``; ``_`` counts as
    punctuation too), then split on whitespace. (Not used by the quality filters, whose n-grams
    are over :func:`words`.)
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _NGRAM_PUNCT_RE.sub(" ", text).replace("_", " ")
    return text.split()


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    """Contiguous n-grams of ``tokens`` (none if fewer than n tokens)."""
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


# ----------------------------------------------------------------------------- document view
class DocView:
    """One document tokenised once: lines, paragraphs and words, computed lazily and kept.

    Filters read everything they need from a view (built by :func:`analyze`), so one document
    is split into lines and words at most once however many signals are computed. Counts over
    words are taken over the distinct words (``unique_words`` with ``word_counts``), which is
    where a long document's repetition makes them cheap.
    """

    __slots__ = ("text", "_stripped", "_lines", "_paragraphs", "_joined", "_words", "_unique", "_ids",
                 "_counts", "_lengths", "_ulengths")

    def __init__(self, text: str | None):
        self.text: str = text or ""
        self._stripped: list[str] | None = None
        self._lines: list[str] | None = None
        self._paragraphs: list[str] | None = None
        self._joined: str | None = None
        self._words: list[str] | None = None
        self._unique: list[str] | None = None
        self._ids: np.ndarray | None = None
        self._counts: np.ndarray | None = None
        self._lengths: np.ndarray | None = None
        self._ulengths: np.ndarray | None = None

    def _strip(self) -> list[str]:
        if self._stripped is None:
            self._stripped = list(map(str.strip, self.text.split("\n")))
        return self._stripped

    @property
    def lines(self) -> list[str]:
        """Non-blank stripped lines (:func:`lines`)."""
        if self._lines is None:
            self._lines = list(filter(None, self._strip()))
        return self._lines

    @property
    def joined_lines(self) -> str:
        """The lines joined by ``\\n`` (for counting per-line patterns in one regex scan)."""
        if self._joined is None:
            self._joined = "\n".join(self.lines)
        return self._joined

    @property
    def paragraphs(self) -> list[str]:
        """Paragraphs (:func:`paragraphs`)."""
        if self._paragraphs is None:
            self._paragraphs = _paragraphs_of(self._strip())
        return self._paragraphs

    @property
    def words(self) -> list[str]:
        """Words (:func:`words`); after the words became ids they are split again on request."""
        if self._words is None:
            self._words = words(self.text)
        return self._words

    def _encode(self) -> None:
        ws = self.words
        unique = list(dict.fromkeys(ws))  # first-seen order
        vocab = dict(zip(unique, range(len(unique))))
        self._unique = unique
        self._ids = np.fromiter(map(vocab.__getitem__, ws), np.int64, len(ws))
        self._ulengths = np.fromiter(map(len, unique), np.int64, len(unique))
        self._counts = np.bincount(self._ids, minlength=len(unique))
        self._lengths = self._ulengths[self._ids]
        self._words = None  # the ids say it all; a chunk of remembered views stays small

    @property
    def n_words(self) -> int:
        """Number of words (without re-tokenising once the words are ids)."""
        return len(self._ids) if self._ids is not None else len(self.words)

    @property
    def unique_words(self) -> list[str]:
        """The distinct words, in order of first occurrence (word id ``i`` is ``unique_words[i]``)."""
        if self._unique is None:
            self._encode()
        return self._unique  # type: ignore[return-value]

    @property
    def word_ids(self) -> np.ndarray:
        """Words as integers, equal words equal ids (first word 0, next new word 1, ...)."""
        if self._ids is None:
            self._encode()
        return self._ids  # type: ignore[return-value]

    @property
    def word_counts(self) -> np.ndarray:
        """Occurrences of each distinct word (indexed by word id)."""
        if self._counts is None:
            self._encode()
        return self._counts  # type: ignore[return-value]

    @property
    def word_lengths(self) -> np.ndarray:
        """Character count of each word."""
        if self._lengths is None:
            self._encode()
        return self._lengths  # type: ignore[return-value]

    def count_words(self, flags: Iterable[bool]) -> int:
        """How many word occurrences are flagged; ``flags`` has one entry per distinct word
        (in ``unique_words`` order), e.g. ``map(str.isalpha, view.unique_words)``."""
        unique = self.unique_words
        if not unique:
            return 0
        return int(self.word_counts[np.fromiter(flags, bool, len(unique))].sum())

    def count_alpha_words(self) -> int:
        """Word occurrences holding an alphabetic character (:func:`has_alpha`)."""
        unique = self.unique_words
        if not unique:
            return 0
        flags = np.fromiter(map(str.isalpha, unique), bool, len(unique))
        rest = np.flatnonzero(~flags)
        if len(rest):
            flags[rest] = [has_alpha(unique[i]) for i in rest.tolist()]
        return int(self.word_counts[flags].sum())

    def word_chars(self) -> int:
        """Characters in all words."""
        if self._ulengths is None:
            self._encode()
        return int(self._ulengths @ self.word_counts) if len(self._ulengths) else 0  # type: ignore[operator]

    def bullet_lines(self) -> int:
        """Lines that start with a bullet (:func:`is_bullet_line`)."""
        ls = self.lines
        if not ls:
            return 0
        firsts = "".join(map(operator.itemgetter(0), ls))  # each line's first character
        return sum(1 for m in _BULLET_FIRST_RE.finditer(firsts) if _BULLET_RE.match(ls[m.start()]))

    def ellipsis_lines(self) -> int:
        """Lines that end with an ellipsis (:func:`ends_with_ellipsis`)."""
        return sum(map(str.endswith, self.lines, repeat(_ELLIPSIS_ENDINGS)))


def analyze(text: str | None) -> DocView:
    """The :class:`DocView` of ``text`` (one document tokenised once; the filters use the chunk
    form, :func:`corpusclean.text_batch.analyze_batch`)."""
    return DocView(text or "")
