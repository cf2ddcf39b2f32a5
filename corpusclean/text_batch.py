"""Many documents tokenised at once: words, lines and paragraphs as flat arrays (Arrow + numpy).

The definitions are those of :mod:`corpusclean.text` (word, line, paragraph, bullet, ellipsis,
duplicate); this module computes them for a whole batch of documents with Arrow's string kernels
(C++) and numpy, instead of a Python loop per word. Every step is exact: each character class
handed to Arrow is built from Python's own Unicode tables (``str.isspace``, ``unicodedata``
categories, ``re``'s ``\\s`` and ``\\d``), and Arrow's built-in whitespace splitting is used only
after :func:`arrow_whitespace_is_python` has checked, on every code point, that it splits exactly
where ``str.split()`` does. ``tests/stages/test_quality_equivalence.py`` compares every signal
with the frozen one-document-at-a-time code.

Shapes: a batch of ``k`` documents; each unit (word, line, paragraph) is a :class:`Segments`:
``off`` (``k + 1`` offsets into ``ids``), ``ids`` (one ``int64`` per unit, in document order; equal
units of the batch have equal ids) and ``length`` (characters per id). Memory: the batch's text
once more as Arrow data, plus the split pieces while they are built (a few times the batch's text
bytes, freed once the ids exist), plus 8 bytes per word and per line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.text import BULLET_GLYPHS, code_point_classes, code_point_ranges, every_code_point


def _re2_class(cps: Sequence[int]) -> str:
    """An RE2 character class body (``a-z`` ranges as ``\\x{..}``) holding exactly ``cps`` (ascending)."""
    return "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in code_point_ranges(cps))


@functools.cache
def _tables() -> dict[str, str]:
    """Character sets from Python's Unicode data (:func:`corpusclean.text.code_point_classes`),
    as strings and RE2 classes, once per process."""
    classes = code_point_classes()
    alpha, space, digit = classes["alpha"], classes["space"], classes["digit"]
    glyphs = sorted(map(ord, BULLET_GLYPHS))
    return {
        "ps": "".join(map(chr, classes["ps"])),
        "alpha_class": _re2_class(alpha),
        "space": "".join(map(chr, space)),
        "space_class": _re2_class(space),
        # text._BULLET_RE on a stripped line: a glyph or 1-3 digits and ``.``/``)``, then whitespace or the end
        "bullet": rf"^(?:[{_re2_class(glyphs)}]|[{_re2_class(digit)}]{{1,3}}[.)])(?:[{_re2_class(space)}]|$)",
    }


@functools.cache
def arrow_whitespace_is_python() -> bool:
    """True if ``pc.utf8_split_whitespace`` splits exactly at ``str.isspace``'s characters, checked
    on every code point (two probes: every whitespace character must split, no other may). When
    False (another Arrow version), words are split with a regex of Python's whitespace instead."""
    space = _tables()["space"]
    every = every_code_point()
    others = re.sub(f"[{re.escape(space)}]", "", every[:0xD800] + every[0xE000:])  # UTF-8 has no surrogates
    # (pa.array of a str this long with astral characters takes 0.3 s; from its UTF-8 bytes, 0.02 s)
    probes = pa.array([s.encode("utf-8") for s in ("a" + "a".join(space) + "a", others)],
                      pa.large_binary()).cast(pa.large_string())
    n = pc.list_value_length(pc.utf8_split_whitespace(probes)).to_pylist()
    return n == [len(space) + 1, 1]


def prepare() -> None:
    """Build the character tables and run the whitespace check now (stages call it in ``setup``)."""
    _tables()
    arrow_whitespace_is_python()


@dataclass
class Segments:
    """Units of ``k`` documents: document ``i`` holds ``ids[off[i]:off[i + 1]]``; ``length[id]``
    is a unit's characters; ``vocab`` (when kept) is the unit's text by id."""

    off: np.ndarray
    ids: np.ndarray
    length: np.ndarray
    vocab: pa.Array | None = None

    @property
    def count(self) -> np.ndarray:
        """Units per document (``int64``, length ``k``)."""
        return self.off[1:] - self.off[:-1]

    def doc(self) -> np.ndarray:
        """Each unit's document index."""
        return np.repeat(np.arange(len(self.off) - 1, dtype=np.int64), self.count)

    def per_doc(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (one per unit, integers) over each document's units, exactly."""
        cum = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
        return cum[self.off[1:]] - cum[self.off[:-1]]

    def chars(self) -> np.ndarray:
        """Characters of each document's units."""
        return self.per_doc(self.length[self.ids])

    def take(self, idx: np.ndarray) -> Segments:
        """The units of documents ``idx`` (in that order); ids and vocabulary are kept."""
        starts, sizes = self.off[idx], self.count[idx]
        off = np.concatenate(([0], np.cumsum(sizes)))
        gather = np.arange(off[-1], dtype=np.int64) - np.repeat(off[:-1] - starts, sizes)
        return Segments(off, self.ids[gather], self.length, self.vocab)


def _encode(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(id of each value, distinct values): ids numbered by first occurrence."""
    enc = pc.dictionary_encode(values)
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary


def _offsets(lists: pa.Array) -> np.ndarray:
    off = lists.offsets.to_numpy().astype(np.int64)
    return off - off[0]


class TextBatch:
    """``k`` documents' text (``None`` counts as ``""``), split into words, lines and paragraphs
    on first use. Built by :func:`analyze_batch`."""

    def __init__(self, texts: pa.Array):
        self.text = texts
        self.k = len(texts)
        self._words: Segments | None = None
        self._lines: Segments | None = None
        self._paras: Segments | None = None

    @classmethod
    def of(cls, texts: Sequence[str | None]) -> TextBatch:
        arr = pa.array(texts, pa.large_string())
        if arr.null_count:
            arr = arr.fill_null("")
        return cls(arr)

    def take(self, idx: np.ndarray) -> TextBatch:
        """The documents ``idx`` of this batch, sharing what is already split."""
        out = TextBatch(self.text.take(pa.array(idx)))
        for name in ("_words", "_lines", "_paras"):
            seg = getattr(self, name)
            if seg is not None:
                setattr(out, name, seg.take(idx))
        return out

    @property
    def words(self) -> Segments:
        """Words (:func:`corpusclean.text.words`): whitespace tokens, punctuation/symbols trimmed
        from both ends, empty ones dropped. The trimming runs on the batch's distinct tokens."""
        if self._words is None:
            if arrow_whitespace_is_python():
                tokens = pc.utf8_split_whitespace(self.text)
            else:
                tokens = pc.split_pattern_regex(self.text, f"[{_tables()['space_class']}]+")
            raw_ids, raw_vocab = _encode(tokens.flatten())
            trimmed_ids, vocab = _encode(pc.utf8_trim(raw_vocab, _tables()["ps"]))
            length = pc.utf8_length(vocab).to_numpy(zero_copy_only=False).astype(np.int64)
            ids = trimmed_ids[raw_ids]
            keep = length[ids] > 0
            doc = np.repeat(np.arange(self.k, dtype=np.int64), np.diff(_offsets(tokens)))
            off = np.concatenate(([0], np.cumsum(np.bincount(doc[keep], minlength=self.k))))
            self._words = Segments(off, ids[keep], length, vocab)
        return self._words

    def alpha_words(self) -> np.ndarray:
        """Words holding an alphabetic character (``str.isalpha``) per document."""
        vocab = self.words.vocab
        return self.word_flags(pc.match_substring_regex(vocab, f"[{_tables()['alpha_class']}]")
                               .to_numpy(zero_copy_only=False))

    def stop_words(self, stop: frozenset[str]) -> np.ndarray:
        """Words whose ``str.lower()`` is in ``stop`` per document. ASCII words are lowered by
        Arrow (the same as Python's for ASCII), the others by ``str.lower``."""
        vocab = self.words.vocab
        flags = pc.is_in(pc.ascii_lower(vocab), value_set=pa.array(sorted(stop), pa.large_string()))
        flags = flags.to_numpy(zero_copy_only=False).copy()
        other = np.flatnonzero(~pc.string_is_ascii(vocab).to_numpy(zero_copy_only=False))
        if len(other):
            words = vocab.take(pa.array(other)).to_pylist()
            flags[other] = np.fromiter(map(stop.__contains__, map(str.lower, words)), bool, len(other))
        return self.word_flags(flags)

    def word_flags(self, flags: np.ndarray) -> np.ndarray:
        """Per document, how many words have a flag set (``flags``: one bool per vocabulary entry)."""
        w = self.words
        return w.per_doc(flags[w.ids])

    def _split_lines(self) -> None:
        raw = pc.split_pattern(self.text, "\n")
        raw_ids, vocab = _encode(pc.utf8_trim(raw.flatten(), _tables()["space"]))
        length = pc.utf8_length(vocab).to_numpy(zero_copy_only=False).astype(np.int64)
        roff = _offsets(raw)
        doc = np.repeat(np.arange(self.k, dtype=np.int64), np.diff(roff))
        keep = length[raw_ids] > 0
        ids = raw_ids[keep]
        off = np.concatenate(([0], np.cumsum(np.bincount(doc[keep], minlength=self.k))))
        self._lines = Segments(off, ids, length, vocab)
        # a paragraph starts at a kept line that opens its document or follows a blank line
        prev_blank = np.ones(len(raw_ids), bool)
        prev_blank[1:] = ~keep[:-1]
        prev_blank[roff[:-1][roff[:-1] < len(raw_ids)]] = True
        starts = np.flatnonzero((prev_blank & keep)[keep])  # in kept-line positions
        lines_per = np.diff(np.append(starts, len(ids)))
        para_doc = doc[keep][starts]
        # a paragraph is its sequence of line ids: fixed-width bytes, so equal bytes = equal paragraph
        data = pa.py_buffer(ids.astype("<u4").tobytes())
        boff = pa.py_buffer((np.append(starts, len(ids)) * 4).astype(np.int64).tobytes())
        keys = pa.Array.from_buffers(pa.large_binary(), len(starts), [None, boff, data])
        pids, _ = _encode(keys)
        plen = np.zeros(int(pids.max()) + 1 if len(pids) else 0, np.int64)
        cum = np.concatenate(([0], np.cumsum(length[ids])))
        plen[pids] = cum[starts + lines_per] - cum[starts]
        poff = np.concatenate(([0], np.cumsum(np.bincount(para_doc, minlength=self.k))))
        self._paras = Segments(poff, pids, plen)

    @property
    def lines(self) -> Segments:
        """Non-blank stripped lines (:func:`corpusclean.text.lines`); ``vocab`` = distinct stripped lines."""
        if self._lines is None:
            self._split_lines()
        return self._lines  # type: ignore[return-value]

    @property
    def paragraphs(self) -> Segments:
        """Paragraphs (:func:`corpusclean.text.paragraphs`); ``length`` = characters of the lines."""
        if self._paras is None:
            self._split_lines()
        return self._paras  # type: ignore[return-value]

    def line_flags(self, flags: np.ndarray) -> np.ndarray:
        """Per document, how many lines have a flag set (``flags``: one bool per distinct line)."""
        ls = self.lines
        return ls.per_doc(flags[ls.ids])

    def match_lines(self, pattern: str) -> np.ndarray:
        """One bool per distinct line: does the RE2 ``pattern`` match it."""
        return pc.match_substring_regex(self.lines.vocab, pattern).to_numpy(zero_copy_only=False)

    def bullet_lines(self) -> np.ndarray:
        """Lines starting with a bullet per document (:func:`corpusclean.text.is_bullet_line`)."""
        return self.line_flags(self.match_lines(_tables()["bullet"]))

    def ellipsis_lines(self) -> np.ndarray:
        """Lines ending with an ellipsis per document (:func:`corpusclean.text.ends_with_ellipsis`)."""
        return self.line_flags(self.match_lines(r"(?:\.\.\.|…)[)\]]?$"))

    def count(self, literal: str) -> np.ndarray:
        """Occurrences of ``literal`` in each document's text (``str.count``)."""
        return pc.count_substring(self.text, literal).to_numpy(zero_copy_only=False).astype(np.int64)

    def ellipses(self) -> np.ndarray:
        """Ellipses per document (:func:`corpusclean.text.count_ellipses`): runs of 3+ dots, and ``…``."""
        return pc.count_substring_regex(self.text, r"\.\.\.+|…").to_numpy(zero_copy_only=False).astype(np.int64)


_memo: tuple[dict[int, int], list[str | None], TextBatch] | None = None


def offer(texts: Sequence[str | None], arrow: pa.Array | pa.ChunkedArray) -> None:
    """Tell :func:`analyze_batch` that ``texts`` are the values of the Arrow strings ``arrow``
    (the runner's chunk of a text column), so a batch of them is built without converting the
    Python strings back to Arrow."""
    global _memo
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if len(arrow) != len(texts) or not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return
    if arrow.null_count:
        arrow = arrow.fill_null("")
    held = list(texts)
    _memo = ({id(t): i for i, t in enumerate(held)}, held, TextBatch(arrow))


def analyze_batch(texts: Sequence[str | None]) -> TextBatch:
    """The :class:`TextBatch` of ``texts``.

    The last batch built is remembered with its text *objects*: when every text asked for is one
    of them (by identity, e.g. the survivors of the previous filter in a fused chain), the answer
    is taken from it without splitting anything again.
    """
    global _memo
    if _memo is not None:
        pos, held, batch = _memo
        if len(texts) == len(held) and all(a is b for a, b in zip(texts, held)):
            return batch
        try:
            idx = np.fromiter((pos[id(t)] for t in texts), np.int64, len(texts))
        except KeyError:
            idx = None
        if idx is not None and all(held[i] is t for i, t in zip(idx.tolist(), texts)):
            return batch.take(idx)
    batch = TextBatch.of(texts)
    held = list(texts)
    _memo = ({id(t): i for i, t in enumerate(held)}, held, batch)
    return batch


def fraction(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` per document, 0.0 where ``den`` is 0 (the rule *fractions over nothing*);
    the same floats as Python's ``int / int``."""
    return np.where(den > 0, num / np.maximum(den, 1), 0.0)


class SignalsByBatch:
    """Mixin for a filter whose signals are computed for a chunk of documents at once.

    The class defines ``signals_batch(batch) -> {column: array or list, one value per document}``;
    ``prepare_batch`` (called by the runner with each chunk) computes them, and ``compute`` hands
    each document its row. A document ``compute`` was not prepared for is computed as a batch of one.
    """

    _pending: dict[int, tuple[dict[str, Any], dict[str, Any]]]

    def signals_batch(self, batch: TextBatch) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _rows(self, batch: TextBatch) -> list[dict[str, Any]]:
        cols = {c: (v.tolist() if isinstance(v, np.ndarray) else v) for c, v in self.signals_batch(batch).items()}
        names = list(cols)
        return [dict(zip(names, vals)) for vals in zip(*cols.values())]

    def prepare_batch(self, docs: list[dict[str, Any]]) -> None:
        rows = self._rows(analyze_batch([d.get("text") for d in docs]))
        self._pending = {id(d): (d, r) for d, r in zip(docs, rows)}

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        hit = getattr(self, "_pending", {}).pop(id(doc), None)
        if hit is not None and hit[0] is doc:
            return hit[1]
        return self._rows(TextBatch.of([doc.get("text")]))[0]
