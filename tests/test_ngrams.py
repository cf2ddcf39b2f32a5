"""corpusclean.ngrams: every fast path gives exactly text.normalize_for_ngrams's tokens."""

from __future__ import annotations

import random
import string

import pytest

from corpusclean.ngrams import TOKEN_BYTE, ngram_bytes, ngram_tokens, normalize_non_ascii
from corpusclean.text import normalize_for_ngrams

UNICODE = list("abcXYZ09 _-.,'\n\t\x1c") + ["é", "É", "ß", "ﬁ", "İ", "Σ", "’", "—", "\u00a0", "½", "²",
                                            "क", "ि", "中", "\u0301", "🙂", "Ⅻ", "K", "\u2028", "٣", "Ａ"]


def test_ascii_fast_path_equals_normalize_for_ngrams() -> None:
    rng = random.Random(0)
    alphabet = string.printable + "\x00\x01\x1c\x1d\x1e\x1f\x7f_"
    samples = ["Don't stop_me now!!", "a\x1cb\x1fc", "  ", "3.14 is pi; 42 apples", "e-mail x_y"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(300)]
    for s in samples:
        assert ngram_tokens(s) == [t.encode() for t in normalize_for_ngrams(s)], repr(s)


def test_unicode_path_equals_normalize_for_ngrams_on_random_text() -> None:
    rng = random.Random(1)
    for _ in range(1500):
        s = "".join(rng.choice(UNICODE) for _ in range(rng.randint(0, 50)))
        assert ngram_tokens(s) == [t.encode() for t in normalize_for_ngrams(s)], repr(s)
        # the byte rule over normalize_non_ascii (the decontamination tokeniser's) agrees too
        raw = normalize_non_ascii(s).encode("utf-8")
        toks, cur = [], bytearray()
        for b in raw:
            if TOKEN_BYTE[b]:
                cur.append(b)
            elif cur:
                toks.append(bytes(cur).lower())
                cur = bytearray()
        if cur:
            toks.append(bytes(cur).lower())
        assert toks == [t.encode() for t in normalize_for_ngrams(s)], repr(s)


def test_digit_options() -> None:
    s = "Ünïcödé ﬁne “quotes” – 2024 ＡＢＣ４２"
    assert ngram_tokens(s) == [t.encode() for t in normalize_for_ngrams(s)]
    assert ngram_tokens("In 2024 and 1999", "zero") == [b"in", b"0000", b"and", b"0000"]
    assert ngram_tokens("In 2024 and x9y", "drop") == [b"in", b"and", b"x", b"y"]
    assert ngram_tokens("Год 2024", "zero") == ["год".encode(), b"0000"]
    assert ngram_tokens("Год ٢٠٢٤ x", "drop") == ["год".encode(), b"x"]


@pytest.mark.parametrize("text", [None, "", "   ", "!!! ---"])
def test_no_tokens(text: str | None) -> None:
    assert ngram_tokens(text) == []
    assert ngram_bytes(text).strip() == b""


def test_lone_surrogates_do_not_raise() -> None:
    assert ngram_tokens("caf\udce9 ok") == [t.encode("utf-8", "surrogatepass") for t in normalize_for_ngrams("caf\udce9 ok")]
