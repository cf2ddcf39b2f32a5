"""Gopher quality and repetition filters (Rae et al. 2021, "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", appendix A.1.1 "MassiveWeb", Table A1).

Both stages store every signal they compute as a column (``gq_*`` and ``gr_*``) and decide from
those signals alone (``retunable = True``), so thresholds can be re-applied to stored output
without recomputing. Words, lines, paragraphs, ellipses, bullets, duplicates and n-gram
character counting are the shared definitions of :mod:`corpusclean.text` (see its docstring and
``docs/filters.md``); both stages read one tokenised :class:`~corpusclean.text.DocView`.

Every threshold is a parameter, declared once as a :class:`~corpusclean.stages.base.Cut` (the
comparison, the report's lines and ``whatif``'s knowledge derive from it); ``None`` switches the
rule off (its signal is still stored).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from corpusclean.repetition import ngram_char_counts_batch
from corpusclean.stages.base import Cut, FilterStage, param, register
from corpusclean.text import (
    DocView,
    analyze,
    count_ellipses,
    duplicate_stats,
    ngram_char_counts,
    prepare,
)

#: The paper's stop words ("the, be, to, of, and, that, have, with").
GOPHER_STOP_WORDS: list[str] = ["the", "be", "to", "of", "and", "that", "have", "with"]


@register("gopher_quality")
class GopherQuality(FilterStage):
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
        prepare()

    def signals(self, view: DocView) -> dict[str, Any]:
        """Every quality signal of one tokenised document."""
        n_words = view.n_words
        text = view.text
        n_lines = len(view.lines)
        per_word = max(n_words, 1)
        # over the distinct words, weighted by their counts (the word ids are shared with
        # gopher_repetition, which needs them anyway)
        unique, counts = view.unique_words, view.word_counts
        stop = (int(counts[np.fromiter(map(self._stop.__contains__, map(str.lower, unique)), bool, len(unique))].sum())
                if n_words else 0)
        return {
            "gq_word_count": n_words,
            "gq_mean_word_length": view.word_chars() / n_words if n_words else 0.0,
            "gq_hash_word_ratio": text.count("#") / per_word,
            "gq_ellipsis_word_ratio": count_ellipses(text) / per_word,
            "gq_bullet_line_frac": view.bullet_lines() / n_lines if n_lines else 0.0,
            "gq_ellipsis_line_frac": view.ellipsis_lines() / n_lines if n_lines else 0.0,
            "gq_alpha_word_frac": view.count_alpha_words() / n_words if n_words else 0.0,
            "gq_stop_word_count": stop,
        }

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self.signals(analyze(doc.get("text")))


#: Table A1's n-gram lengths.
TOP_NS = (2, 3, 4)
DUP_NS = (5, 6, 7, 8, 9, 10)


@register("gopher_repetition")
class GopherRepetition(FilterStage):
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

    #: Most words per batch of the n-gram kernel (its exact int64 sort keys need words**3 < 2**62).
    batch_words: ClassVar[int] = 1 << 20

    def setup(self) -> None:
        prepare()

    def prepare_batch(self, docs: list[dict[str, Any]]) -> None:
        """Count the n-gram characters of a chunk of documents in batches (one sort per n-gram
        length per batch, :func:`~corpusclean.repetition.ngram_char_counts_batch`) for :meth:`compute`."""
        views = [analyze(doc.get("text")) for doc in docs]
        self._ngrams: dict[int, tuple[DocView, Any]] = {}
        start, words = 0, 0
        for i, view in enumerate([*views, None]):
            size = len(view.word_ids) if view is not None else self.batch_words
            if i > start and words + size > self.batch_words:
                part = views[start:i]
                counts = ngram_char_counts_batch([(v.word_ids, v.word_lengths) for v in part], TOP_NS, DUP_NS)
                self._ngrams.update((id(v), (v, c)) for v, c in zip(part, counts))
                start, words = i, 0
            words += size

    def signals(self, view: DocView) -> dict[str, float]:
        """Every repetition signal of one tokenised document."""
        out: dict[str, float] = {}
        for kind, items in (("line", view.lines), ("para", view.paragraphs)):
            if kind == "line":
                lengths = list(map(len, items))
            else:  # a paragraph's characters are its lines' characters (no newlines)
                lengths = [len(p) - p.count("\n") for p in items]
            dup, dup_chars = duplicate_stats(items, lengths)
            total = sum(lengths)
            out[f"gr_dup_{kind}_frac"] = dup / len(items) if items else 0.0
            out[f"gr_dup_{kind}_char_frac"] = dup_chars / total if total else 0.0
        total_chars = view.word_chars()
        hit = getattr(self, "_ngrams", {}).pop(id(view), None)
        if hit is not None and hit[0] is view:
            top, dup = hit[1]
        else:
            top, dup = ngram_char_counts(view.word_ids, view.word_lengths, TOP_NS, DUP_NS)
        for n in TOP_NS:
            out[f"gr_top_{n}gram_char_frac"] = top[n] / total_chars if total_chars else 0.0
        for n in DUP_NS:
            out[f"gr_dup_{n}gram_char_frac"] = dup[n] / total_chars if total_chars else 0.0
        return out

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self.signals(analyze(doc.get("text")))
