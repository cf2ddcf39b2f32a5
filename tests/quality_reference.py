"""The quality filters' signals as they were computed before the batch implementation (oracle).

A frozen copy of ``corpusclean/text.py`` (words, lines, paragraphs, bullets, ellipses, duplicate
and n-gram counting, one document at a time) and of the signal code of ``gopher_quality``,
``gopher_repetition`` and ``fineweb_quality``. The equivalence tests compare the product's
signals against :func:`gopher_quality_signals`, :func:`gopher_repetition_signals` and
:func:`fineweb_signals`, exactly (same floats). Do not "fix" this file: it is the old behaviour.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import filterfalse, repeat
from typing import Any

import numpy as np

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
_ELLIPSIS_RE = re.compile(r"(?:\.{3,}|…)")
_ELLIPSIS_END_RE = re.compile(r"(?:\.{3,}|…)[)\]]?\s*$")
_PARA_SPLIT_RE = re.compile(r"\n[ \t\r\f\v]*\n")
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
    if "..." not in text and "…" not in text:
        return 0
    return len(_ELLIPSIS_RE.findall(text))


def lines(text: str) -> list[str]:
    """Non-blank lines, stripped (split on ``\\n`` only)."""
    return [s for s in (raw.strip() for raw in text.split("\n")) if s]


def paragraphs(text: str) -> list[str]:
    """Runs of non-blank lines separated by blank lines; each is its stripped lines joined by ``\\n``."""
    out = []
    for block in _PARA_SPLIT_RE.split(text):
        ls = lines(block)
        if ls:
            out.append("\n".join(ls))
    return out


def _is_punct_or_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _strip_punct(token: str) -> str:
    if token.isascii():
        return token.strip(_ASCII_PS)
    start, end = 0, len(token)
    while start < end and _is_punct_or_symbol(token[start]):
        start += 1
    while end > start and _is_punct_or_symbol(token[end - 1]):
        end -= 1
    return token[start:end]


def words(text: str) -> list[str]:
    """Words (see module docstring): whitespace tokens with edge punctuation stripped, non-empty."""
    if text.isascii():
        return list(filter(None, map(str.strip, text.split(), repeat(_ASCII_PS))))
    return list(filter(None, map(_strip_punct, text.split())))


def has_alpha(word: str) -> bool:
    """True if ``word`` contains at least one alphabetic character (``str.isalpha``)."""
    return word.isalpha() or any(c.isalpha() for c in word)


def count_alpha_words(ws: Iterable[str]) -> int:
    """How many of ``ws`` contain an alphabetic character (fast path: all-letter words)."""
    ws = list(ws)
    rest = list(filterfalse(str.isalpha, ws))
    return len(ws) - len(rest) + sum(map(has_alpha, rest))


# ------------------------------------------------------------------------ duplicate counting
def duplicate_stats(items: Sequence[str], lengths: Sequence[int] | None = None) -> tuple[int, int]:
    """(number of duplicate items, characters in duplicate items); a duplicate repeats an earlier item.

    ``lengths`` gives each item's character count (default ``len(item)``).
    """
    seen: set[str] = set()
    dup = 0
    dup_chars = 0
    for i, item in enumerate(items):
        if item in seen:
            dup += 1
            dup_chars += len(item) if lengths is None else lengths[i]
        else:
            seen.add(item)
    return dup, dup_chars


def _covered_chars(starts: np.ndarray, n: int, lengths: np.ndarray) -> int:
    """Characters of the words covered by n-grams starting at ``starts``, each word counted once."""
    w = len(lengths)
    delta = np.bincount(starts, minlength=w + 1)[: w + 1] - np.bincount(starts + n, minlength=w + 1)[: w + 1]
    covered = np.cumsum(delta[:w]) > 0
    return int(lengths[covered].sum())


def ngram_char_counts(ids: np.ndarray, lengths: np.ndarray, top_ns: Iterable[int],
                      dup_ns: Iterable[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Characters in the top n-gram (for each n in ``top_ns``) and in duplicate n-grams (``dup_ns``).

    ``ids`` are the document's words as integers (equal words, equal ids), ``lengths`` their
    character counts. Exact (no hashing): n-grams are identified by ranking pairs
    ``(id of the (n-1)-gram at i, id of word i+n-1)``, so two n-grams get one id iff their words
    are equal. Once no n-gram of some length repeats, no longer one can, and the rest are 0.
    See the module docstring for the definitions (duplicates exclude first occurrences, a
    character covered by several counted n-grams counts once).
    """
    top_set, dup_set = set(top_ns), set(dup_ns)
    top: dict[int, int] = dict.fromkeys(top_set, 0)
    dup: dict[int, int] = dict.fromkeys(dup_set, 0)
    nmax = max(top_set | dup_set, default=0)
    w = len(ids)
    if w < 2 or nmax < 2:
        return top, dup
    ids = np.asarray(ids, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    vocab = int(ids.max()) + 1
    rank = ids  # ids of the (n-1)-grams starting at each position; 1-grams are the words
    for n in range(2, min(nmax, w) + 1):
        m = w - n + 1
        key = rank[:m] * vocab + ids[n - 1:]  # < w * vocab: exact, no hashing
        order = np.argsort(key, kind="stable")
        skey = key[order]
        is_first = np.empty(m, dtype=bool)  # first of its group in sorted (= earliest) order
        is_first[0] = True
        np.not_equal(skey[1:], skey[:-1], out=is_first[1:])
        if is_first.all():
            break  # no n-gram of this length repeats, so no longer one does either
        group_sorted = np.cumsum(is_first) - 1
        rank = np.empty(m, dtype=np.int64)
        rank[order] = group_sorted
        if n in top_set:
            group_start = np.flatnonzero(is_first)
            counts = np.diff(np.append(group_start, m))
            best = counts.max()
            cands = np.flatnonzero(counts == best)
            if len(cands) > 1:  # most characters, then earliest first occurrence
                firsts = order[group_start[cands]]
                cum = np.concatenate(([0], np.cumsum(lengths)))
                chars = cum[firsts + n] - cum[firsts]
                cand = cands[np.lexsort((firsts, -chars))[0]]
            else:
                cand = cands[0]
            starts = order[group_start[cand]:group_start[cand] + best]
            top[n] = _covered_chars(starts, n, lengths)
        if n in dup_set:
            dup[n] = _covered_chars(order[~is_first], n, lengths)
    return top, dup


def duplicate_ngram_chars_reference(tokens: Sequence[str], n: int) -> int:
    """Slow, obviously-correct reference of the duplicate n-gram character count (for tests).

    Marks every word of every n-gram occurrence that repeats an earlier occurrence, then sums
    the characters of the marked words: overlapping duplicates count their shared words once.
    """
    seen: set[tuple[str, ...]] = set()
    covered = [False] * len(tokens)
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i:i + n])
        if gram in seen:
            for j in range(i, i + n):
                covered[j] = True
        else:
            seen.add(gram)
    return sum(len(t) for t, c in zip(tokens, covered) if c)


# ----------------------------------------------------------------------------- document view
class DocView:
    """One document tokenised once: lines, paragraphs and words, computed lazily and kept.

    Filters read everything they need from a view (built by :func:`analyze`), so one document
    is split into lines and words at most once however many signals are computed.
    """

    __slots__ = ("text", "_lines", "_paragraphs", "_words", "_ids", "_lengths")

    def __init__(self, text: str | None):
        self.text: str = text or ""
        self._lines: list[str] | None = None
        self._paragraphs: list[str] | None = None
        self._words: list[str] | None = None
        self._ids: np.ndarray | None = None
        self._lengths: np.ndarray | None = None

    def _split_lines(self) -> None:
        ls: list[str] = []
        paras: list[str] = []
        cur: list[str] = []
        for raw in self.text.split("\n"):
            s = raw.strip()
            if s:
                ls.append(s)
                cur.append(s)
            elif cur:
                paras.append("\n".join(cur))
                cur = []
        if cur:
            paras.append("\n".join(cur))
        self._lines, self._paragraphs = ls, paras

    @property
    def lines(self) -> list[str]:
        """Non-blank stripped lines (:func:`lines`)."""
        if self._lines is None:
            self._split_lines()
        return self._lines  # type: ignore[return-value]

    @property
    def paragraphs(self) -> list[str]:
        """Paragraphs (:func:`paragraphs`)."""
        if self._paragraphs is None:
            self._split_lines()
        return self._paragraphs  # type: ignore[return-value]

    @property
    def words(self) -> list[str]:
        """Words (:func:`words`)."""
        if self._words is None:
            self._words = words(self.text)
        return self._words

    def _encode(self) -> None:
        ws = self.words
        vocab = {w: i for i, w in enumerate(dict.fromkeys(ws))}  # first-seen order
        self._ids = np.fromiter(map(vocab.__getitem__, ws), np.int64, len(ws))
        self._lengths = np.fromiter(map(len, ws), np.int64, len(ws))

    @property
    def word_ids(self) -> np.ndarray:
        """Words as integers, equal words equal ids (first word 0, next new word 1, ...)."""
        if self._ids is None:
            self._encode()
        return self._ids  # type: ignore[return-value]

    @property
    def word_lengths(self) -> np.ndarray:
        """Character count of each word."""
        if self._lengths is None:
            self._encode()
        return self._lengths  # type: ignore[return-value]


# ----------------------------------------------------------------- the filters' old signal code
GOPHER_STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
TOP_NS = (2, 3, 4)
DUP_NS = (5, 6, 7, 8, 9, 10)


def gopher_quality_signals(text: str | None, stop_words: Iterable[str] = GOPHER_STOP_WORDS) -> dict[str, Any]:
    """``GopherQuality.signals`` before the batch implementation."""
    stop = frozenset(w.lower() for w in stop_words)
    view = DocView(text)
    ws = view.words
    n_words = len(ws)
    text = view.text
    ls = view.lines
    n_lines = len(ls)
    per_word = max(n_words, 1)
    total_len = sum(map(len, ws))
    return {
        "gq_word_count": n_words,
        "gq_mean_word_length": total_len / n_words if n_words else 0.0,
        "gq_hash_word_ratio": text.count("#") / per_word,
        "gq_ellipsis_word_ratio": count_ellipses(text) / per_word,
        "gq_bullet_line_frac": sum(map(is_bullet_line, ls)) / n_lines if n_lines else 0.0,
        "gq_ellipsis_line_frac": sum(map(ends_with_ellipsis, ls)) / n_lines if n_lines else 0.0,
        "gq_alpha_word_frac": count_alpha_words(ws) / n_words if n_words else 0.0,
        "gq_stop_word_count": sum(map(stop.__contains__, map(str.lower, ws))),
    }


def gopher_repetition_signals(text: str | None) -> dict[str, float]:
    """``GopherRepetition.signals`` before the batch implementation."""
    view = DocView(text)
    out: dict[str, float] = {}
    for kind, items in (("line", view.lines), ("para", view.paragraphs)):
        if kind == "line":
            lengths = list(map(len, items))
        else:
            lengths = [len(p) - p.count("\n") for p in items]
        dup, dup_chars = duplicate_stats(items, lengths)
        total = sum(lengths)
        out[f"gr_dup_{kind}_frac"] = dup / len(items) if items else 0.0
        out[f"gr_dup_{kind}_char_frac"] = dup_chars / total if total else 0.0
    lengths_arr = view.word_lengths
    total_chars = int(lengths_arr.sum())
    top, dup = ngram_char_counts(view.word_ids, lengths_arr, TOP_NS, DUP_NS)
    for n in TOP_NS:
        out[f"gr_top_{n}gram_char_frac"] = top[n] / total_chars if total_chars else 0.0
    for n in DUP_NS:
        out[f"gr_dup_{n}gram_char_frac"] = dup[n] / total_chars if total_chars else 0.0
    return out


def fineweb_signals(text: str | None, end_marks: Sequence[str] = (".", "'", '"', "!", "?"),
                    short_line_length: int = 30) -> dict[str, float]:
    """``FineWebQuality.compute`` before the batch implementation."""
    marks = tuple(end_marks)
    view = DocView(text)
    ls = view.lines
    n = len(ls)
    lengths = list(map(len, ls))
    total = sum(lengths)
    _, dup_chars = duplicate_stats(ls, lengths)
    return {
        "fw_line_punct_frac": sum(1 for s in ls if s.endswith(marks)) / n if n else 0.0,
        "fw_short_line_frac": sum(1 for k in lengths if k < short_line_length) / n if n else 0.0,
        "fw_dup_line_char_frac": dup_chars / total if total else 0.0,
        "fw_newline_word_ratio": view.text.count("\n") / max(len(view.words), 1),
    }
