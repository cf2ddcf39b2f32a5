"""The shortcuts in ``c4_quality``'s line loop decide exactly what the plain expressions decide.

(The file sits with the Gopher tests because the text-filter speed work owns it.) The long-token
rule skips lines no longer than the limit; the few-words rule stops counting at the minimum; the
policy phrases are one regex alternation. Each is compared with the plain expression on edge
cases and random lines mixing ASCII and Unicode punctuation, symbols and whitespace.
"""

from __future__ import annotations

import random

import pytest

from corpusclean.stages.base import get_stage_class
from corpusclean.stages.c4_fineweb import _at_least_words
from corpusclean.text import ends_with_ellipsis, words

PIECES = ["a", "bb", "-", "--", "...", "«", "»", "—", "#", "x,", "(y)", "é", "你好", "😀", "½", " ", "  ", "\t",
          "\u00a0", "\u3000", "\x1c", "don't", "3.5", "|", "+++"]


def _lines(n: int) -> list[str]:
    rng = random.Random(11)
    out = ["", " ", "- - -", "a", "a b", "a b c", "... a b", "« a » b", "a\u00a0b c", "😀 😀 😀", "a - b - c"]
    for _ in range(n):
        out.append("".join(rng.choice(PIECES) + rng.choice([" ", "", "\u2003"]) for _ in range(rng.randint(0, 12))))
    return out


@pytest.mark.parametrize("m", [-1, 0, 1, 2, 3, 5])
def test_at_least_words_is_len_words(m: int) -> None:
    for line in _lines(3000):
        assert _at_least_words(line, m) is (len(words(line)) >= m), (line, m)


def test_c4_line_rules_match_the_plain_expressions() -> None:
    from corpusclean.document import from_dicts

    stage = get_stage_class("c4_quality")(max_word_length=4, min_words_per_line=3,
                                          policy_substrings=["Use Cookies", "terms of use"])
    stage.setup()
    texts = ["\n".join(_lines(40)[i:i + 9]) + "\nOk this is fine. And so is this.\nWe use cookies here.\n"
             "Aaaaa bbbb cc.\nTerms of Use apply now.\nThree plain words.\nTwo words." for i in range(0, 40, 4)]
    out = stage.process(from_dicts([{"id": str(i), "text": t} for i, t in enumerate(texts)]))
    got = {r["id"]: r for r in out.kept.to_pylist() + out.rejected.to_pylist()}
    for i, text in enumerate(texts):
        removed = 0
        kept = []
        for line in (s.strip() for s in text.split("\n")):
            if not line:
                continue
            if any(len(t) > 4 for t in line.split()) or not line.endswith((".", "?", "!", '"')) or \
                    ends_with_ellipsis(line) or len(words(line)) < 3 or \
                    any(p in line.lower() for p in ("use cookies", "terms of use")):
                removed += 1
                continue
            kept.append(line)
        assert got[str(i)]["c4_lines_removed"] == removed, text
        if got[str(i)].get("reason") is None:
            assert got[str(i)]["text"] == "\n".join(kept)
