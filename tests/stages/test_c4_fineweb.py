"""Hand-worked examples for the c4_quality (line removal) and fineweb_quality rules."""

from __future__ import annotations

import pytest

from corpusclean.document import from_dicts
from corpusclean.pipeline import apply
from corpusclean.stages.base import get_stage_class
from corpusclean.stages.c4_fineweb import count_sentences

C4 = get_stage_class("c4_quality")
FineWeb = get_stage_class("fineweb_quality")

GOOD = [
    "This first line has a full sentence.",
    "The second line asks a question?",
    "A third line exclaims loudly!",
    'She said "this line ends in a quote."',
    "The fifth line is also a sentence.",
]


def run_c4(stage, text: str):
    return stage.process(from_dicts([{"text": text}]))


def test_c4_line_rules_and_what_was_removed() -> None:
    noisy = [
        "Home",                                              # no terminal punctuation
        GOOD[0] + "[1]",                                     # citation cut, then kept
        "Too short.",                                        # 2 words
        "Please enable JavaScript to view this site.",       # javascript
        "This site uses cookies to improve things.",         # policy
        "Loading the rest of the page...",                   # ends with an ellipsis
        "x" * 1001 + " is a very long token.",               # token longer than 1000
    ] + GOOD[1:]
    text = "\n".join(noisy)
    out = run_c4(C4(), text)
    assert out.rejected.num_rows == 0
    doc = out.kept.to_pylist()[0]
    assert doc["text"] == "\n".join(GOOD)
    assert doc["c4_lines_removed"] == 6
    assert doc["c4_chars_removed"] == len(text) - len("\n".join(GOOD))
    assert doc["c4_sentences"] == 5
    assert out.counters["lines_removed"] == {"no_terminal_punct": 2, "too_few_words": 1, "javascript": 1,
                                             "policy": 1, "too_long_word": 1}
    assert out.counters["chars"]["removed"] == doc["c4_chars_removed"]


def test_c4_document_rules() -> None:
    out = run_c4(C4(), "\n".join(GOOD + ["Lorem ipsum dolor sit amet."]))
    assert out.rejected.to_pylist()[0]["reason"] == "c4_quality.lorem_ipsum"
    out = run_c4(C4(), "\n".join(GOOD + ["function f() { return 1; }."]))
    rej = out.rejected.to_pylist()[0]
    assert rej["reason"] == "c4_quality.curly_bracket"
    assert rej["text"].startswith(GOOD[0])  # rejected documents keep their original text
    out = run_c4(C4(), "\n".join(GOOD[:4]))
    assert out.rejected.to_pylist()[0]["reason"] == "c4_quality.too_few_sentences"
    assert out.rejected.to_pylist()[0]["detail"] == "4 < 5"
    # a curly bracket on a line already removed (no terminal punctuation) does not count, as in C4
    assert run_c4(C4(), "\n".join(GOOD + ["var x = {a: 1}"])).kept.num_rows == 1
    assert run_c4(C4(min_sentences=None), "").rejected.to_pylist()[0]["reason"] == "c4_quality.no_lines"


def test_c4_switches() -> None:
    text = "\n".join(GOOD + ["A line without an end mark", "Please enable JavaScript now."])
    kept = run_c4(C4(filter_no_terminal_punct=False, filter_javascript=False), text).kept.to_pylist()[0]
    assert kept["text"] == text and kept["c4_lines_removed"] == 0
    assert run_c4(C4(filter_curly_bracket=False), "\n".join(GOOD + ["a { b c."])).kept.num_rows == 1
    with pytest.raises(ValueError):
        C4(end_marks=[])


def test_count_sentences() -> None:
    assert count_sentences("One. Two! Three? Four") == 3
    assert count_sentences("No end mark") == 1
    assert count_sentences('He said "stop." Then left.') == 2
    assert count_sentences("Version 3.5 is out.") == 1


def test_fineweb_hand_worked() -> None:
    # 4 lines: 2 end in punctuation (0.5); 2 shorter than 30 chars (0.5); the repeated line holds
    # 10 of 10+10+35+41 = 96 line characters
    lines = ["Subscribe.", "Subscribe.", "This line is long and has no stop x", "This line is long enough and ends in a dot"]
    res = apply(FineWeb(), [{"text": "\n".join(lines[:3] + [lines[3] + "."])}])
    doc = (res.kept_docs + res.rejected_docs)[0]
    assert doc["fw_line_punct_frac"] == pytest.approx(0.75)
    assert doc["fw_short_line_frac"] == pytest.approx(0.5)
    assert doc["fw_dup_line_char_frac"] == pytest.approx(10 / (10 + 10 + 35 + 43))
    assert doc["reason"] == "fineweb_quality.dup_line_char_frac"


def test_fineweb_rules_and_boundaries() -> None:
    long_line = "this is a long enough line of text without an end"
    # 1 of 8 lines ends in punctuation: 0.125 > 0.12 kept; 1 of 9: 0.111 <= 0.12 removed
    ok = [long_line + f" {i}" for i in range(7)] + [long_line + " end."]
    assert apply(FineWeb(), [{"text": "\n".join(ok)}]).kept.num_rows == 1
    bad = apply(FineWeb(), [{"text": "\n".join([long_line + f" {i}" for i in range(8)] + [long_line + "."])}])
    assert bad.rejected_docs[0]["reason"] == "fineweb_quality.line_punct"
    # 2 of 3 short lines = 0.667 < 0.67 kept; 3 of 4 removed
    assert apply(FineWeb(), [{"text": "Short one.\nShort two.\n" + long_line + "."}]).kept.num_rows == 1
    short = apply(FineWeb(), [{"text": "Short one.\nShort two.\nShort three.\n" + long_line + "."}])
    assert short.rejected_docs[0]["reason"] == "fineweb_quality.short_lines"
    # the optional newline rule (datatrove's list ratio)
    listy = "\n".join(f"Item number {i} of this rather long list." for i in range(10))
    assert apply(FineWeb(), [{"text": listy}]).kept.num_rows == 1
    assert apply(FineWeb(max_newline_word_ratio=0.1), [{"text": listy}]).rejected_docs[0]["reason"] == \
        "fineweb_quality.newline_ratio"
    assert FineWeb.retunable
    assert FineWeb(min_line_punct_frac=None).decide({"fw_line_punct_frac": 0.0, "fw_short_line_frac": 0.0,
                                                     "fw_dup_line_char_frac": 0.0,
                                                     "fw_newline_word_ratio": 0.0}) is None
