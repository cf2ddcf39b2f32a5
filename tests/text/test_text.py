"""Golden tests pinning the shared text definitions (corpusclean.text)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from corpusclean import text as T


def test_lines_strip_and_skip_blank() -> None:
    assert T.lines("  a \n\n\tb\r\n   \nc") == ["a", "b", "c"]
    assert T.lines("") == []
    assert T.lines("\n \n") == []


def test_paragraphs_split_on_blank_lines() -> None:
    assert T.paragraphs("a\n  b\n\n\nc\n \t \nd\n") == ["a\nb", "c", "d"]
    assert T.paragraphs("one line") == ["one line"]
    view = T.DocView("a\n  b\n\n\nc\n \t \nd\n")
    assert view.paragraphs == ["a\nb", "c", "d"]
    assert view.lines == ["a", "b", "c", "d"]


def test_words_strip_edge_punctuation_and_drop_symbol_tokens() -> None:
    text = "Hello, world! -- don't ... #tag 3.5 — e-mail (x) | +++ $5"
    assert T.words(text) == ["Hello", "world", "don't", "tag", "3.5", "e-mail", "x", "5"]


def test_words_unicode() -> None:
    assert T.words("«Bonjour», dit-il… ¿Qué? naïve") == ["Bonjour", "dit-il", "Qué", "naïve"]
    # scripts without spaces give one long "word" per run; nothing fails
    assert T.words("你好世界。这是测试。 สวัสดีครับ") == ["你好世界。这是测试", "สวัสดีครับ"]


@pytest.mark.parametrize("line,expected", [
    ("- item", True), ("• item", True), ("* item", True), ("1. item", True), ("12) item", True),
    ("  - nested", True), ("-", True), (T.UNORDERED_BULLET + "x", True), (T.ordered_bullet(3) + "x", True),
    (T.LIST_INDENT + T.UNORDERED_BULLET + "x", True),
    ("-item", False), ("1.5 million people", False), ("1234. year", False), ("word - word", False),
])
def test_bullet_lines(line: str, expected: bool) -> None:
    assert T.is_bullet_line(line) is expected


def test_ellipses() -> None:
    # "..." one, "…" one, "......" one (a run is one ellipsis), ".." none
    assert T.count_ellipses("a... b… c...... d..") == 3
    assert T.count_ellipses("no dots here.") == 0
    for line in ("wait...", "wait…", "Read more […]", "more (...)", "so.....  "):
        assert T.ends_with_ellipsis(line), line
    for line in ("end.", "a..", "… at the start", "[...] then text"):
        assert not T.ends_with_ellipsis(line), line


def test_duplicate_stats_counts_repeats_not_first_occurrences() -> None:
    assert T.duplicate_stats(["aa", "bbbb", "aa", "cc", "aa"]) == (2, 4)
    assert T.duplicate_stats([]) == (0, 0)
    assert T.duplicate_stats(["x", "y"], [10, 20]) == (0, 0)
    assert T.duplicate_stats(["x", "x"], [10, 10]) == (1, 10)


def _counts(words: list[str], top=(2, 3, 4), dup=(5, 6, 7, 8, 9, 10)):
    view = T.DocView(" ".join(words))
    assert view.words == words
    return T.ngram_char_counts(view.word_ids, view.word_lengths, top, dup)


def test_duplicate_ngrams_hand_worked_no_overlap() -> None:
    # one two three four five one two three four five: the 5-gram at position 5 repeats the one
    # at 0; it covers words 5..9 = 3+3+5+4+4 = 19 of 38 characters. No 6-gram repeats.
    words = "one two three four five one two three four five".split()
    top, dup = _counts(words)
    assert dup == {5: 19, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0}
    # top n-grams: every 2-gram but "five one" occurs twice; the tie goes to the one with the
    # most characters, "three four" (9), whose two occurrences cover 5+4+5+4 = 18 characters.
    assert top[2] == 18
    assert top[3] == 2 * len("threefourfive")  # 26
    assert top[4] == 2 * len("twothreefourfive")  # 32


def test_duplicate_ngrams_overlap_counted_once() -> None:
    # x x x x x x x (7 one-character words): the 5-grams at 1 and 2 repeat the one at 0.
    # Together they cover words 1..6: 6 characters, not 2 * 5 = 10 (overlap counted once).
    top, dup = _counts(["x"] * 7)
    assert dup[5] == 6 and dup[6] == 6 and dup[7] == 0
    # the top 2-gram "x x" occurs 6 times and covers all 7 characters (once each)
    assert top[2] == 7
    assert T.duplicate_ngram_chars_reference(["x"] * 7, 5) == 6


def test_duplicate_ngrams_partial_overlap() -> None:
    # ab cd ab cd ab cd: duplicate 2-grams start at 2, 3, 4 and cover words 2..5 = 8 characters.
    words = "ab cd ab cd ab cd".split()
    top, dup = _counts(words, top=(2, 3, 4), dup=(2, 5))
    assert dup[2] == 8 and dup[5] == 0
    assert top[2] == 12  # "ab cd" at 0, 2, 4 covers everything
    assert top[3] == 10  # tie "ab cd ab" / "cd ab cd": earliest wins, covers words 0..4
    assert top[4] == 12  # "ab cd ab cd" at 0 and 2


def test_ngram_counts_match_reference_on_random_documents() -> None:
    rng = random.Random(7)
    for _ in range(300):
        vocab = ["".join(rng.choice("abcde") for _ in range(rng.randint(1, 5))) for _ in range(rng.choice([1, 2, 4, 30]))]
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 40))]
        if words and rng.random() < 0.4:
            words = words + words[: rng.randint(1, len(words))] + words
        _, dup = _counts(words, top=(), dup=range(2, 11))
        for n in range(2, 11):
            assert dup[n] == T.duplicate_ngram_chars_reference(words, n), (words, n)


def test_unique_ngrams_score_zero_and_tiny_inputs() -> None:
    assert _counts(["only"]) == ({2: 0, 3: 0, 4: 0}, dict.fromkeys(range(5, 11), 0))
    assert _counts([]) == ({2: 0, 3: 0, 4: 0}, dict.fromkeys(range(5, 11), 0))
    top, dup = _counts("a b c d e f g h".split())
    assert top == {2: 0, 3: 0, 4: 0} and not any(dup.values())


def test_docview_handles_non_latin_and_none() -> None:
    view = T.DocView("你好世界。你好世界。\n\nสวัสดีครับ สวัสดีครับ")
    assert view.lines == ["你好世界。你好世界。", "สวัสดีครับ สวัสดีครับ"]
    assert list(view.word_ids) == [0, 1, 1]
    assert T.DocView(None).words == [] and T.DocView(None).lines == []
    assert isinstance(T.DocView("a b").word_lengths, np.ndarray)


def test_analyze_is_the_view_of_the_text() -> None:
    assert T.analyze("a b\nc").words == ["a", "b", "c"] and T.analyze(None).words == []


def test_normalize_for_ngrams_unchanged() -> None:
    assert T.normalize_for_ngrams("Don't STOP_me!") == ["don", "t", "stop", "me"]
    assert T.ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]


# ------------------------------------------------ definitions decided in issue 16 (pinned here)
@pytest.mark.parametrize("line,expected", [
    ("١. بند", True), ("１. 項目", True), ("٣) item", True), ("۴. item", True),  # any Nd digits
    ("². item", False), ("½. item", False), ("Ⅻ. item", False),  # not decimal digits
])
def test_list_marker_digits_are_unicode_decimal_digits(line: str, expected: bool) -> None:
    assert T.is_bullet_line(line) is expected
    view = T.DocView(line + "\nplain line")
    assert view.bullet_lines() == int(expected)


def test_alpha_word_is_any_unicode_letter() -> None:
    view = T.DocView("naïve Qué 你好 a1 Ω 123 3.5 ½ ²")
    assert view.count_alpha_words() == 5
    assert [T.has_alpha(w) for w in view.words] == [True] * 5 + [False] * 4


def test_fractions_over_nothing() -> None:
    from corpusclean.pipeline import apply
    from corpusclean.stages.base import get_stage_class

    quality = get_stage_class("gopher_quality")(min_doc_words=None, min_stop_words=None)
    # no words, some lines: line fractions stand, word fractions are 0
    doc = (lambda r: (r.kept_docs + r.rejected_docs)[0])(apply(quality, [{"text": "-\n-\n…"}]))
    assert doc["gq_word_count"] == 0
    assert doc["gq_bullet_line_frac"] == pytest.approx(2 / 3)
    assert doc["gq_ellipsis_line_frac"] == pytest.approx(1 / 3)
    assert doc["gq_alpha_word_frac"] == 0.0 and doc["gq_mean_word_length"] == 0.0
    assert doc["reason"] == "gopher_quality.mean_word_length"  # 0 < 3: the first rule after word_count
    # no lines at all: every fraction 0
    empty = (lambda r: (r.kept_docs + r.rejected_docs)[0])(apply(quality, [{"text": " \n\t\n"}]))
    assert empty["gq_bullet_line_frac"] == 0.0 and empty["gq_ellipsis_line_frac"] == 0.0


def test_blank_line_is_any_unicode_whitespace_for_paragraphs() -> None:
    text = "a\n\u00a0\nb\n\u3000\u2003\nc"
    assert T.paragraphs(text) == ["a", "b", "c"]
    assert T.DocView(text).paragraphs == ["a", "b", "c"]
