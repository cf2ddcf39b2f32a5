"""Hand-worked examples for every gopher_quality and gopher_repetition rule."""

from __future__ import annotations

import pytest

from corpusclean.pipeline import Pipeline, apply
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth

Quality = get_stage_class("gopher_quality")
Repetition = get_stage_class("gopher_repetition")


def prose(n_words: int) -> str:
    """n words alternating "the"/"garden": mean length 4.5, all alphabetic, n/2 stop words."""
    return " ".join(["the", "garden"] * (n_words // 2) + ["the"] * (n_words % 2))


def verdict(stage, text: str) -> tuple[str | None, str | None, dict]:
    res = apply(stage, [{"text": text}])
    if res.kept.num_rows:
        return None, None, res.kept_docs[0]
    doc = res.rejected_docs[0]
    return doc["reason"], doc["detail"], doc


# ------------------------------------------------------------------------------ gopher_quality
def test_word_count_bounds() -> None:
    assert verdict(Quality(), prose(49))[:2] == ("gopher_quality.word_count", "49 < 50")
    assert verdict(Quality(), prose(50))[0] is None
    assert verdict(Quality(max_doc_words=60), prose(61))[:2] == ("gopher_quality.word_count", "61 > 60")
    # punctuation-only tokens are not words: 49 words plus "-" and "..." are still 49
    assert verdict(Quality(), prose(49) + " - ...")[0] == "gopher_quality.word_count"


def test_mean_word_length() -> None:
    short = " ".join(["the", "be", "to", "of"] * 13)  # (3+2+2+2)/4 = 2.25
    reason, detail, _ = verdict(Quality(), short)
    assert (reason, detail) == ("gopher_quality.mean_word_length", "2.25 < 3.0")
    long = " ".join(["the", "incomprehensibilities"] * 25)  # (3+21)/2 = 12
    assert verdict(Quality(), long)[:2] == ("gopher_quality.mean_word_length", "12 > 10.0")
    assert verdict(Quality(max_mean_word_length=None), long)[0] is None


def test_hash_ratio() -> None:
    # 6 '#' over 50 words = 0.12 > 0.1; 5 = 0.1 is not above the threshold
    assert verdict(Quality(), prose(50) + " #" * 6)[:2] == ("gopher_quality.symbol_ratio_hash", "0.12 > 0.1")
    assert verdict(Quality(), prose(50) + " #" * 5)[0] is None
    # '#' inside words counts too (it is a character count): #tag#tag -> 2
    _, _, doc = verdict(Quality(), prose(50) + " x#y#z")
    assert doc["gq_hash_word_ratio"] == pytest.approx(2 / 51)


def test_ellipsis_ratio() -> None:
    text = prose(50).replace("garden the", "garden ... the", 6)
    reason, detail, _ = verdict(Quality(), text)
    assert (reason, detail) == ("gopher_quality.symbol_ratio_ellipsis", "0.12 > 0.1")
    # "…" counts, and a run of dots is one ellipsis
    _, _, doc = verdict(Quality(), prose(50) + " end… and...... more")
    assert doc["gq_ellipsis_word_ratio"] == pytest.approx(2 / 53)


def test_bullet_lines() -> None:
    item = "- the garden the garden the garden the garden the garden"
    plain = "the garden the garden the garden the garden the garden"
    assert verdict(Quality(), "\n".join([item] * 10))[:2] == ("gopher_quality.bullet_lines", "1 > 0.9")
    assert verdict(Quality(), "\n".join([item] * 9 + [plain]))[0] is None  # 0.9 is not above 0.9
    # blank lines are not lines
    assert verdict(Quality(), "\n\n".join([item] * 9 + [plain]))[0] is None


def test_ellipsis_lines() -> None:
    line = "the garden the garden the garden"
    cut = line + "..."
    assert verdict(Quality(), "\n".join([cut] * 4 + [line] * 6))[:2] == ("gopher_quality.ellipsis_lines", "0.4 > 0.3")
    assert verdict(Quality(), "\n".join([cut] * 3 + [line] * 7))[0] is None
    # "[…]" ends a line with an ellipsis too
    _, _, doc = verdict(Quality(), "\n".join([line + " […]"] * 2 + [line] * 8))
    assert doc["gq_ellipsis_line_frac"] == pytest.approx(0.2)


def test_alpha_words() -> None:
    # 50 alphabetic words and 13 numbers: 50/63 = 0.794 < 0.8; with 12: 50/62 = 0.806
    assert verdict(Quality(), prose(50) + " 123" * 13)[:2] == ("gopher_quality.alpha_words", "0.7937 < 0.8")
    assert verdict(Quality(), prose(50) + " 123" * 12)[0] is None
    _, _, doc = verdict(Quality(), prose(50) + " a1 2b 3.5 x-1")
    assert doc["gq_alpha_word_frac"] == pytest.approx(53 / 54)


def test_stop_words_case_insensitive_occurrences() -> None:
    body = " ".join(["garden"] * 49)
    assert verdict(Quality(), body + " The")[:2] == ("gopher_quality.stop_words", "1 < 2")
    assert verdict(Quality(), body + " THE with")[0] is None
    assert verdict(Quality(), body + " the, the.")[0] is None  # occurrences, punctuation stripped
    assert verdict(Quality(min_stop_words=None), body + " garden")[0] is None
    assert verdict(Quality(stop_words=["garden"]), body + " garden")[0] is None


def test_signals_stored_and_decide_uses_only_signals() -> None:
    stage = Quality()
    res = apply(stage, [{"text": prose(40)}, {"text": prose(60)}])
    rejected = res.rejected_docs[0]
    assert rejected["gq_word_count"] == 40 and res.kept_docs[0]["gq_word_count"] == 60
    signals = {c: rejected[c] for c in Quality.columns}
    assert Quality.retunable
    assert Quality(min_doc_words=30).decide(signals) is None
    assert stage.decide(signals) == ("word_count", "40 < 50")


def test_bad_parameters_and_odd_documents() -> None:
    with pytest.raises(ValueError):
        Quality(min_doc_words=100, max_doc_words=50)
    odd = ["", "你好世界。" * 200, "สวัสดีครับ " * 100, "\n\n\n", "#" * 500, "…" * 100]
    res = Pipeline([Quality(), Repetition()]).apply([{"text": t} for t in odd] + [{"text": None}])
    assert res.kept.num_rows + res.rejected.num_rows == len(odd) + 1
    assert res.kept.num_rows == 0


# --------------------------------------------------------------------------- gopher_repetition
def test_duplicate_lines_hand_worked() -> None:
    # lines aa bbbb aa cc aa: 2 of 5 repeat an earlier line; they hold 4 of 12 characters
    _, _, doc = verdict(Repetition(max_dup_line_frac=None, max_dup_line_char_frac=None), "aa\nbbbb\naa\ncc\naa")
    assert doc["gr_dup_line_frac"] == pytest.approx(0.4)
    assert doc["gr_dup_line_char_frac"] == pytest.approx(4 / 12)
    assert verdict(Repetition(), "aa\nbbbb\naa\ncc\naa")[:2] == ("gopher_repetition.dup_line_frac", "0.4 > 0.3")
    # blank lines are not duplicate lines
    _, _, doc = verdict(Repetition(), "one line here\n\n\n\nanother line here\n\n")
    assert doc["gr_dup_line_frac"] == 0.0


def test_duplicate_paragraphs_hand_worked() -> None:
    # paragraphs "aa\nbb", "cc", "aa\nbb": 1 of 3 repeats; 4 of 10 characters (newlines not counted)
    text = "aa\nbb\n\ncc\n\naa\nbb"
    stage = Repetition(max_dup_line_frac=None, max_dup_line_char_frac=None)
    reason, detail, doc = verdict(stage, text)
    assert doc["gr_dup_para_frac"] == pytest.approx(1 / 3)
    assert doc["gr_dup_para_char_frac"] == pytest.approx(0.4)
    assert doc["gr_dup_line_frac"] == pytest.approx(0.4)  # aa bb cc aa bb
    assert (reason, detail) == ("gopher_repetition.dup_para_frac", "0.3333 > 0.3")
    loose = Repetition(max_dup_line_frac=None, max_dup_line_char_frac=None, max_dup_para_frac=None)
    assert verdict(loose, text)[:2] == ("gopher_repetition.dup_para_char_frac", "0.4 > 0.2")


def test_ngram_signals_hand_worked() -> None:
    text = "one two three four five one two three four five"
    _, _, doc = verdict(Repetition(max_top_2gram_char_frac=None, max_top_3gram_char_frac=None,
                                   max_top_4gram_char_frac=None, max_dup_5gram_char_frac=None), text)
    assert doc["gr_top_2gram_char_frac"] == pytest.approx(18 / 38)  # "three four" twice
    assert doc["gr_top_3gram_char_frac"] == pytest.approx(26 / 38)  # "three four five" twice
    assert doc["gr_top_4gram_char_frac"] == pytest.approx(32 / 38)
    assert doc["gr_dup_5gram_char_frac"] == pytest.approx(0.5)
    assert doc["gr_dup_6gram_char_frac"] == 0.0
    assert verdict(Repetition(), text)[:2] == ("gopher_repetition.top_2gram", "0.4737 > 0.2")
    only_dup = {f"max_top_{n}gram_char_frac": None for n in (2, 3, 4)}
    assert verdict(Repetition(**only_dup), text)[:2] == ("gopher_repetition.dup_5gram", "0.5 > 0.15")


def test_overlapping_duplicates_counted_once() -> None:
    text = "x x x x x x x"  # duplicate 5-grams at 1 and 2 cover 6 of 7 characters
    _, _, doc = verdict(Repetition(**{f"max_top_{n}gram_char_frac": None for n in (2, 3, 4)},
                                   max_dup_5gram_char_frac=None), text)
    assert doc["gr_dup_5gram_char_frac"] == pytest.approx(6 / 7)
    assert doc["gr_dup_6gram_char_frac"] == pytest.approx(6 / 7)
    assert doc["gr_dup_7gram_char_frac"] == 0.0
    assert doc["gr_top_2gram_char_frac"] == pytest.approx(1.0)
    assert doc["reason"] == "gopher_repetition.dup_6gram"


def test_punctuation_does_not_hide_repetition() -> None:
    _, _, doc = verdict(Repetition(max_top_2gram_char_frac=None), "Hello, world. Hello world!")
    assert doc["gr_top_2gram_char_frac"] == pytest.approx(1.0)


def test_synthetic_prose_passes_and_doubled_documents_fail() -> None:
    docs = synth.documents(20, seed=3)
    res = Pipeline([Quality(), Repetition()]).apply([{"text": d} for d in docs])
    assert res.kept.num_rows == 20, res.rejected.column("reason").to_pylist()
    doubled = apply(Repetition(), [{"text": d + "\n\n" + d} for d in docs[:5]])
    assert doubled.kept.num_rows == 0
    # synthetic paragraphs are one line each, so the first rule of Table A1 fires
    assert set(doubled.rejected.column("reason").to_pylist()) == {"gopher_repetition.dup_line_frac"}
    signals = {c: doubled.rejected_docs[0][c] for c in Repetition.columns}
    assert signals["gr_dup_para_frac"] == pytest.approx(0.5)
    assert signals["gr_dup_10gram_char_frac"] == pytest.approx(0.5, abs=0.01)
    assert Repetition(**{f.name: None for f in Repetition.params()}).decide(signals) is None
