"""The C4 and FineWeb rule sets, which FineWeb users run together with the Gopher filters.

* ``c4_quality`` — C4's cleaning (Raffel et al. 2020, "Exploring the Limits of Transfer
  Learning with a Unified Text-to-Text Transformer", section 2.2), in the order of its reference
  implementation (TensorFlow Datasets ``c4_utils.clean_page``): lines are dropped (too long a
  word, no terminal punctuation, fewer than 3 words, "javascript", cookie/terms boilerplate),
  citation markers are cut, and a document is removed for "lorem ipsum", a curly bracket or
  fewer than 5 sentences in its remaining lines. It **rewrites** the text (kept lines joined by
  ``\\n``) and records what it removed: columns ``c4_lines_removed``, ``c4_chars_removed`` and
  ``StageOutput.counters``. Every rule is switchable (FineWeb turns off terminal punctuation).
* ``fineweb_quality`` — FineWeb's three rules (Penedo et al. 2024, "The FineWeb Datasets",
  section 3.5): remove a document when the fraction of lines ending in punctuation is at most
  0.12, the fraction of characters in duplicated lines is at least 0.1, or the fraction of lines
  shorter than 30 characters is at least 0.67. Signals are stored (``fw_*``) and retunable.

Lines, words, ellipses and duplicates are the definitions of :mod:`corpusclean.text`.
"""

from __future__ import annotations

import re
import string
from itertools import islice, repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean import text_batch
from corpusclean.document import with_columns
from corpusclean.repetition import duplicate_counts
from corpusclean.stages.base import Cut, FilterStage, Stage, StageOutput, Verdict, param, register
from corpusclean.text import ends_with_ellipsis, lines, prepare, words
from corpusclean.text_batch import SignalsByBatch, TextBatch, fraction

#: TFDS c4_utils ``_CITATION_REGEX``: Wikipedia-style markers ``[1]``, ``[]``, ``[edit]``, ``[citation needed]``.
CITATION_RE = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.IGNORECASE)
#: TFDS c4_utils ``_POLICY_SUBSTRINGS``.
C4_POLICY_SUBSTRINGS = ["terms of use", "privacy policy", "cookie policy", "uses cookies",
                        "use of cookies", "use cookies"]
#: TFDS c4_utils ``_END_MARKS``.
C4_END_MARKS = [".", "?", "!", '"']
#: A sentence end: terminal marks, optional closing quotes/brackets, then whitespace or the line end.
_SENTENCE_END_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")

def _at_least_words(line: str, m: int) -> bool:
    """``len(words(line)) >= m``, stopping at ``m`` words (a word is never more than a token)."""
    if m <= 0:
        return True
    tokens = line.split()
    if len(tokens) < m:
        return False
    if line.isascii():  # words() of ASCII text: tokens stripped of ASCII punctuation, non-empty
        return len(list(islice(filter(None, map(str.strip, tokens, repeat(string.punctuation))), m))) == m
    return len(words(line)) >= m


C4_LINE_RULES = ("too_long_word", "no_terminal_punct", "too_few_words", "javascript", "policy")


def count_sentences(line: str) -> int:
    """Sentences in one line: terminal-mark runs followed by a space or the line end (at least 1).

    C4 used NLTK's punkt tokenizer, which needs a model download; this regex splits the same
    way except after abbreviations ("e.g. this" counts two), which only ever helps a document
    reach the 5-sentence minimum.
    """
    return max(1, len(_SENTENCE_END_RE.findall(line)))


@register("c4_quality")
class C4Quality(Stage):
    """C4's line and document rules (Raffel et al. 2020, §2.2; TFDS ``c4_utils.clean_page``).

    Line rules, in this order (a removed line is not looked at further): a token longer than
    ``max_word_length``; citation markers cut; not ending in ``end_marks`` or ending with an
    ellipsis; fewer than ``min_words_per_line`` words; contains "javascript"; contains a
    ``policy_substrings`` phrase. Document rules, on the lines that survived the line rules
    before them (as the reference code does): ``lorem_ipsum``, ``curly_bracket``;
    then ``too_few_sentences`` over the kept lines; ``no_lines`` if nothing is left. Kept
    documents get the kept lines joined by ``\\n``; rejected ones keep their original text.
    """

    columns = {"c4_lines_removed": pa.int64(), "c4_chars_removed": pa.int64(), "c4_sentences": pa.int64()}

    filter_no_terminal_punct: bool = param(True, "Drop lines not ending in end_marks, or ending with an ellipsis (FineWeb: false)")
    end_marks: list[str] = param(C4_END_MARKS, "Terminal punctuation for the line rule (C4: . ? ! \")")
    min_words_per_line: int | None = param(3, "Drop lines with fewer words than this (C4: 3); none disables")
    max_word_length: int | None = param(1000, "Drop lines with a whitespace token longer than this (C4 code: 1000); none disables")
    remove_citations: bool = param(True, "Cut [1], [edit], [citation needed] markers from lines (C4 code)")
    filter_javascript: bool = param(True, "Drop lines containing 'javascript' (any case)")
    filter_policy: bool = param(True, "Drop lines containing a cookie/terms phrase (policy_substrings)")
    policy_substrings: list[str] = param(C4_POLICY_SUBSTRINGS, "Boilerplate phrases for the policy rule (lower case)")
    filter_lorem_ipsum: bool = param(True, "Remove documents containing 'lorem ipsum' (any case)")
    filter_curly_bracket: bool = param(True, "Remove documents containing '{'")
    min_sentences: int | None = param(5, "Remove documents with fewer sentences in their kept lines (C4: 5); none disables")

    def __post_init__(self) -> None:
        if not self.end_marks and self.filter_no_terminal_punct:
            raise ValueError("end_marks is empty while filter_no_terminal_punct is true (every line would go)")
        self._marks = tuple(self.end_marks)
        policy = dict.fromkeys(p.lower() for p in self.policy_substrings)  # any phrase inside the line: one scan
        self._policy_re = re.compile("|".join(map(re.escape, policy))) if self.filter_policy and policy else None

    def setup(self) -> None:
        prepare()

    def clean(self, text: str) -> tuple[str, dict[str, int], int, str | None]:
        """(cleaned text, lines removed per rule, sentences kept, document rule or None) for one text."""
        removed = dict.fromkeys(C4_LINE_RULES, 0)
        kept: list[str] = []
        sentences = 0
        for line in lines(text):
            if (self.max_word_length is not None and len(line) > self.max_word_length  # no token is longer than its line
                    and any(len(t) > self.max_word_length for t in line.split())):
                removed["too_long_word"] += 1
                continue
            if self.remove_citations and "[" in line:
                line = CITATION_RE.sub("", line)
            if self.filter_no_terminal_punct and (not line.endswith(self._marks) or ends_with_ellipsis(line)):
                removed["no_terminal_punct"] += 1
                continue
            if self.min_words_per_line is not None and not _at_least_words(line, self.min_words_per_line):
                removed["too_few_words"] += 1
                continue
            low = line.lower()
            if self.filter_lorem_ipsum and "lorem ipsum" in low:
                return text, removed, sentences, "lorem_ipsum"
            if self.filter_javascript and "javascript" in low:
                removed["javascript"] += 1
                continue
            if self.filter_curly_bracket and "{" in line:
                return text, removed, sentences, "curly_bracket"
            if self._policy_re is not None and self._policy_re.search(low):
                removed["policy"] += 1
                continue
            if not line.strip():
                removed["too_few_words"] += 1  # a line that was only citation markers
                continue
            sentences += count_sentences(line)
            kept.append(line)
        if self.min_sentences is not None and sentences < self.min_sentences:
            return text, removed, sentences, "too_few_sentences"
        if not kept:
            return text, removed, sentences, "no_lines"
        return "\n".join(kept), removed, sentences, None

    def process(self, table: pa.Table) -> StageOutput:
        self.check_input(table)
        texts = table.column("text").to_pylist()
        new_texts: list[str | None] = []
        n_removed: list[int] = []
        n_chars: list[int] = []
        n_sent: list[int] = []
        verdicts: list[Verdict] = []
        lines_removed = dict.fromkeys(C4_LINE_RULES, 0)
        chars = {"in": 0, "out": 0, "removed": 0}
        for text in texts:
            original = text or ""
            cleaned, removed, sentences, rule = self.clean(original)
            dropped = sum(removed.values())
            n_removed.append(dropped)
            n_sent.append(sentences)
            if rule is None:
                verdicts.append(None)
                new_texts.append(cleaned)
                n_chars.append(len(original) - len(cleaned))
                for k, v in removed.items():
                    lines_removed[k] += v
                chars["in"] += len(original)
                chars["out"] += len(cleaned)
            else:
                verdicts.append((rule, f"{sentences} < {self.min_sentences}") if rule == "too_few_sentences" else rule)
                new_texts.append(text)  # a rejected document keeps its original text
                n_chars.append(0)
        chars["removed"] = chars["in"] - chars["out"]
        table = with_columns(table, {"text": pa.array(new_texts, pa.string()), "c4_lines_removed": n_removed,
                                     "c4_chars_removed": n_chars, "c4_sentences": n_sent}, self.columns)
        counters = {"lines_removed": {k: v for k, v in lines_removed.items() if v}, "chars": chars}
        return self.split(table, verdicts, counters)


#: FineWeb's "ends in punctuation" marks (datatrove FineWebQualityFilter ``stop_chars``).
FINEWEB_END_MARKS = [".", "'", '"', "!", "?"]


@register("fineweb_quality")
class FineWebQuality(SignalsByBatch, FilterStage):
    """FineWeb's quality rules (Penedo et al. 2024, §3.5), paper thresholds.

    Rules, checked in this order: ``line_punct`` (fraction of lines ending in ``end_marks`` at
    most ``min_line_punct_frac``), ``short_lines`` (fraction of lines shorter than
    ``short_line_length`` characters at least ``max_short_line_frac``), ``dup_line_char_frac``
    (fraction of line characters in lines that repeat an earlier line at least
    ``max_dup_line_char_frac``), and, off by default, ``newline_ratio`` (newlines per word above
    ``max_newline_word_ratio``, datatrove's extra "list" rule).
    """

    retunable = True
    cuts = (Cut("fw_line_punct_frac", "min_line_punct_frac", "min", "line_punct", inclusive=True),
            Cut("fw_short_line_frac", "max_short_line_frac", "max", "short_lines", inclusive=True),
            Cut("fw_dup_line_char_frac", "max_dup_line_char_frac", "max", "dup_line_char_frac", inclusive=True),
            Cut("fw_newline_word_ratio", "max_newline_word_ratio", "max", "newline_ratio"))
    columns = {
        "fw_line_punct_frac": pa.float64(),
        "fw_short_line_frac": pa.float64(),
        "fw_dup_line_char_frac": pa.float64(),
        "fw_newline_word_ratio": pa.float64(),
    }

    min_line_punct_frac: float | None = param(
        0.12, "Remove when the fraction of lines ending in end_marks is at most this (paper: 0.12)")
    end_marks: list[str] = param(FINEWEB_END_MARKS, "What counts as a line ending in punctuation (FineWeb: . ' \" ! ?)")
    max_short_line_frac: float | None = param(
        0.67, "Remove when the fraction of short lines is at least this (paper: 0.67)")
    short_line_length: int = param(30, "A line is short when it has fewer characters than this (paper: 30)")
    max_dup_line_char_frac: float | None = param(
        0.1, "Remove when the fraction of characters in duplicated lines is at least this (paper: 0.1; FineWeb's code: 0.01)")
    max_newline_word_ratio: float | None = param(
        None, "Remove when newlines per word exceed this (datatrove's list rule, 0.3; not in the paper); none disables")

    def setup(self) -> None:
        text_batch.prepare()

    def signals_batch(self, batch: TextBatch) -> dict[str, Any]:
        """Every FineWeb signal of each document of ``batch`` (arrays, one value per document)."""
        ls = batch.lines
        n = ls.count
        ends = np.zeros(len(ls.length), bool)  # per distinct line: ends with one of end_marks
        for mark in dict.fromkeys(self.end_marks):
            ends |= pc.ends_with(ls.vocab, mark).to_numpy(zero_copy_only=False)
        _, dup_chars = duplicate_counts(ls.off, ls.ids, ls.length)
        short = ls.length < self.short_line_length
        return {
            "fw_line_punct_frac": fraction(batch.line_flags(ends), n),
            "fw_short_line_frac": fraction(batch.line_flags(short), n),
            "fw_dup_line_char_frac": fraction(dup_chars, ls.chars()),
            "fw_newline_word_ratio": batch.count("\n") / np.maximum(batch.words.count, 1),
        }
