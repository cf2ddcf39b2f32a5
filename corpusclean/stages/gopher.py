"""Gopher quality and repetition filters (Rae et al. 2021, "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", appendix A.1.1 "MassiveWeb", Table A1).

Both stages store every signal they compute as a column (``gq_*`` and ``gr_*``) and decide from
those signals alone (``retunable = True``), so thresholds can be re-applied to stored output
without recomputing. Words, lines, paragraphs, ellipses, bullets, duplicates and n-gram
character counting are the shared definitions of :mod:`corpusclean.text` (see its docstring and
``docs/filters.md``); both stages compute their signals for a chunk of documents at once from
one :class:`~corpusclean.text_batch.TextBatch` (Arrow string kernels + NumPy; the chunk's
tokenisation is shared by consecutive filters).

Every threshold is a parameter, declared once as a :class:`~corpusclean.stages.base.Cut` (the
comparison, the report's lines and ``whatif``'s knowledge derive from it); ``None`` switches the
rule off (its signal is still stored).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from corpusclean import text, text_batch
from corpusclean.repetition import duplicate_counts, ngram_char_counts_flat
from corpusclean.stages.base import Cut, FilterStage, param, register
from corpusclean.text_batch import SignalsByBatch, TextBatch, fraction

#: The paper's stop words ("the, be, to, of, and, that, have, with").
GOPHER_STOP_WORDS: list[str] = ["the", "be", "to", "of", "and", "that", "have", "with"]


@register("gopher_quality")
class GopherQuality(SignalsByBatch, FilterStage):
    """Gopher's quality rules with the paper's defaults (MassiveWeb, appendix A.1.1).

    Removes a document that: does not have 50–100,000 words; has a mean word length outside
    3–10 characters; has more than 0.1 hash symbols or ellipses per word; has more than 90% of
    lines starting with a bullet or more than 30% ending with an ellipsis; has fewer than 80% of
    words containing an alphabetic character; has fewer than 2 stop-word occurrences.
    Rules (checked in this order, the first failing one is the reason): ``word_count``,
    ``mean_word_length``, ``symbol_ratio_hash``, ``symbol_ratio_ellipsis``, ``bullet_lines``,
    ``ellipsis_lines``, ``alpha_words``, ``stop_words``.
    """

    retunable = True
    cuts = (Cut("gq_word_count", "min_doc_words", "min", "word_count"),
            Cut("gq_word_count", "max_doc_words", "max", "word_count"),
            Cut("gq_mean_word_length", "min_mean_word_length", "min", "mean_word_length"),
            Cut("gq_mean_word_length", "max_mean_word_length", "max", "mean_word_length"),
            Cut("gq_hash_word_ratio", "max_hash_word_ratio", "max", "symbol_ratio_hash"),
            Cut("gq_ellipsis_word_ratio", "max_ellipsis_word_ratio", "max", "symbol_ratio_ellipsis"),
            Cut("gq_bullet_line_frac", "max_bullet_line_frac", "max", "bullet_lines"),
            Cut("gq_ellipsis_line_frac", "max_ellipsis_line_frac", "max", "ellipsis_lines"),
            Cut("gq_alpha_word_frac", "min_alpha_word_frac", "min", "alpha_words"),
            Cut("gq_stop_word_count", "min_stop_words", "min", "stop_words"))
    columns = {
        "gq_word_count": pa.int64(),
        "gq_mean_word_length": pa.float64(),
        "gq_hash_word_ratio": pa.float64(),
        "gq_ellipsis_word_ratio": pa.float64(),
        "gq_bullet_line_frac": pa.float64(),
        "gq_ellipsis_line_frac": pa.float64(),
        "gq_alpha_word_frac": pa.float64(),
        "gq_stop_word_count": pa.int64(),
    }

    min_doc_words: int | None = param(50, "Fewest words a document may have (paper: 50)")
    max_doc_words: int | None = param(100_000, "Most words a document may have (paper: 100,000)")
    min_mean_word_length: float | None = param(3.0, "Lowest mean word length in characters (paper: 3)")
    max_mean_word_length: float | None = param(10.0, "Highest mean word length in characters (paper: 10)")
    max_hash_word_ratio: float | None = param(0.1, "Most '#' characters per word (paper: 0.1)")
    max_ellipsis_word_ratio: float | None = param(0.1, "Most ellipses ('...' or '…') per word (paper: 0.1)")
    max_bullet_line_frac: float | None = param(0.9, "Highest fraction of lines starting with a bullet (paper: 0.9)")
    max_ellipsis_line_frac: float | None = param(0.3, "Highest fraction of lines ending with an ellipsis (paper: 0.3)")
    min_alpha_word_frac: float | None = param(
        0.8, "Lowest fraction of words containing an alphabetic character (paper: 0.8)")
    min_stop_words: int | None = param(2, "Fewest stop-word occurrences (paper: 2)")
    stop_words: list[str] = param(GOPHER_STOP_WORDS, "Stop words, matched case-insensitively (paper: the be to of and that have with)")

    def __post_init__(self) -> None:
        for lo, hi in (("min_doc_words", "max_doc_words"), ("min_mean_word_length", "max_mean_word_length")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{lo} ({a}) is larger than {hi} ({b})")
        self._stop = frozenset(w.lower() for w in self.stop_words)

    def setup(self) -> None:
        text.prepare()
        text_batch.prepare()

    def signals_batch(self, batch: TextBatch) -> dict[str, Any]:
        """Every quality signal of each document of ``batch`` (arrays, one value per document).
        Per-word predicates run once per distinct word of the batch."""
        n_words = batch.words.count
        n_lines = batch.lines.count
        per_word = np.maximum(n_words, 1)
        return {
            "gq_word_count": n_words,
            "gq_mean_word_length": fraction(batch.words.chars(), n_words),
            "gq_hash_word_ratio": batch.count("#") / per_word,
            "gq_ellipsis_word_ratio": batch.ellipses() / per_word,
            "gq_bullet_line_frac": fraction(batch.bullet_lines(), n_lines),
            "gq_ellipsis_line_frac": fraction(batch.ellipsis_lines(), n_lines),
            "gq_alpha_word_frac": fraction(batch.alpha_words(), n_words),
            "gq_stop_word_count": batch.stop_words(self._stop),
        }


#: Table A1's n-gram lengths.
TOP_NS = (2, 3, 4)
DUP_NS = (5, 6, 7, 8, 9, 10)


@register("gopher_repetition")
class GopherRepetition(SignalsByBatch, FilterStage):
    """Gopher's repetition rules, Table A1 thresholds (MassiveWeb, appendix A.1.1).

    For lines and for paragraphs: the fraction of them that are duplicates (max 0.30) and the
    fraction of characters in duplicates (max 0.20). For n = 2, 3, 4: the fraction of characters
    in the most frequent n-gram (max 0.20, 0.18, 0.16). For n = 5..10: the fraction of characters
    in duplicate n-grams, each character counted once however many overlapping duplicate
    n-grams cover it (max 0.15 .. 0.10). Rules: ``dup_line_frac``, ``dup_para_frac``,
    ``dup_line_char_frac``, ``dup_para_char_frac``, ``top_<n>gram``, ``dup_<n>gram``.
    """

    retunable = True
    cuts = (Cut("gr_dup_line_frac", "max_dup_line_frac", "max", "dup_line_frac"),
            Cut("gr_dup_para_frac", "max_dup_para_frac", "max", "dup_para_frac"),
            Cut("gr_dup_line_char_frac", "max_dup_line_char_frac", "max", "dup_line_char_frac"),
            Cut("gr_dup_para_char_frac", "max_dup_para_char_frac", "max", "dup_para_char_frac"),
            *(Cut(f"gr_top_{n}gram_char_frac", f"max_top_{n}gram_char_frac", "max", f"top_{n}gram") for n in TOP_NS),
            *(Cut(f"gr_dup_{n}gram_char_frac", f"max_dup_{n}gram_char_frac", "max", f"dup_{n}gram") for n in DUP_NS))
    columns = {
        "gr_dup_line_frac": pa.float64(),
        "gr_dup_para_frac": pa.float64(),
        "gr_dup_line_char_frac": pa.float64(),
        "gr_dup_para_char_frac": pa.float64(),
        **{f"gr_top_{n}gram_char_frac": pa.float64() for n in TOP_NS},
        **{f"gr_dup_{n}gram_char_frac": pa.float64() for n in DUP_NS},
    }

    max_dup_line_frac: float | None = param(0.30, "Highest fraction of lines that repeat an earlier line (Table A1: 0.30)")
    max_dup_para_frac: float | None = param(0.30, "Highest fraction of paragraphs that repeat an earlier one (Table A1: 0.30)")
    max_dup_line_char_frac: float | None = param(0.20, "Highest fraction of line characters in duplicate lines (Table A1: 0.20)")
    max_dup_para_char_frac: float | None = param(
        0.20, "Highest fraction of paragraph characters in duplicate paragraphs (Table A1: 0.20)")
    max_top_2gram_char_frac: float | None = param(0.20, "Highest fraction of word characters in the top 2-gram (Table A1: 0.20)")
    max_top_3gram_char_frac: float | None = param(0.18, "Highest fraction of word characters in the top 3-gram (Table A1: 0.18)")
    max_top_4gram_char_frac: float | None = param(0.16, "Highest fraction of word characters in the top 4-gram (Table A1: 0.16)")
    max_dup_5gram_char_frac: float | None = param(0.15, "Highest fraction of word characters in duplicate 5-grams (Table A1: 0.15)")
    max_dup_6gram_char_frac: float | None = param(0.14, "Highest fraction of word characters in duplicate 6-grams (Table A1: 0.14)")
    max_dup_7gram_char_frac: float | None = param(0.13, "Highest fraction of word characters in duplicate 7-grams (Table A1: 0.13)")
    max_dup_8gram_char_frac: float | None = param(0.12, "Highest fraction of word characters in duplicate 8-grams (Table A1: 0.12)")
    max_dup_9gram_char_frac: float | None = param(0.11, "Highest fraction of word characters in duplicate 9-grams (Table A1: 0.11)")
    max_dup_10gram_char_frac: float | None = param(0.10, "Highest fraction of word characters in duplicate 10-grams (Table A1: 0.10)")

    #: Most words per call of the n-gram kernel (bounds its memory: ~100 bytes per word).
    batch_words: ClassVar[int] = 1 << 18

    def setup(self) -> None:
        text.prepare()
        text_batch.prepare()

    def signals_batch(self, batch: TextBatch) -> dict[str, Any]:
        """Every repetition signal of each document of ``batch`` (arrays, one value per document)."""
        out: dict[str, Any] = {}
        for kind, seg in (("line", batch.lines), ("para", batch.paragraphs)):
            # a paragraph's characters are its lines' characters (no newlines)
            dup, dup_chars = duplicate_counts(seg.off, seg.ids, seg.length)
            out[f"gr_dup_{kind}_frac"] = fraction(dup, seg.count)
            out[f"gr_dup_{kind}_char_frac"] = fraction(dup_chars, seg.chars())
        w = batch.words
        total_chars = w.chars()
        top = {n: np.zeros(batch.k, np.int64) for n in TOP_NS}
        dup = {n: np.zeros(batch.k, np.int64) for n in DUP_NS}
        ends = w.off[1:]
        start = 0
        while start < batch.k:  # documents in runs of at most batch_words words (at least one document)
            stop = max(start + 1, int(np.searchsorted(ends, w.off[start] + self.batch_words, "right")))
            lo, hi = w.off[start], w.off[stop]
            ids = w.ids[lo:hi]
            t, d = ngram_char_counts_flat(ids, w.length[ids], w.off[start:stop + 1] - lo, TOP_NS, DUP_NS)
            for n in TOP_NS:
                top[n][start:stop] = t[n]
            for n in DUP_NS:
                dup[n][start:stop] = d[n]
            start = stop
        for n in TOP_NS:
            out[f"gr_top_{n}gram_char_frac"] = fraction(top[n], total_chars)
        for n in DUP_NS:
            out[f"gr_dup_{n}gram_char_frac"] = fraction(dup[n], total_chars)
        return out
