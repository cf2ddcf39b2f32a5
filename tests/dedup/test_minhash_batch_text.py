"""minhash.batch_shingles normalises whole groups at once: the shingles must be exactly those of
each document's ``ngram_bytes`` tokens, whatever the Unicode (NFKC changes, capital sigma,
combining marks, upper-case letters, non-ASCII digits, lone surrogates, many distinct characters)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from corpusclean.dedup import minhash as mh
from corpusclean.ngrams import ngram_tokens

PIECES = ["The", "quick", "brown", "fox", "42", "x_y", "—", "’", "“", "”", "…", "\u00a0", "ﬁne", "Ａｂｃ", "²",
          "½", "İstanbul", "ΟΔΟΣ", "Σ", "σ", "ς", "e\u0301", "\u0301", "Год", "МОСКВА", "٣٤", "१२", "中文", "🙂",
          "Ⅻ", "K", "ß", "ẞ", "caf\udce9", "\u2028", "\t", "\n", "!!", "Ⓐ", "ǅ", "ﬀ", "№", "™", "𝐀𝐁"]


def _reference(text: str | None, n: int, digits: str) -> list[int]:
    """Shingle hashes of one document from its ngram_tokens (the definition), sorted."""
    toks = ngram_tokens(text, digits)  # type: ignore[arg-type]
    if not toks:
        raw = (text or "").strip()
        return [mh.shingle_hash_reference([mh.word_hash_reference(raw.encode("utf-8", "surrogatepass"))])] if raw else []
    units = [mh.word_hash_reference(t) for t in toks]
    if len(units) < n:
        return [mh.shingle_hash_reference(units)]
    return sorted(mh.shingle_hash_reference(units[i:i + n]) for i in range(len(units) - n + 1))


def _random_texts(seed: int, count: int) -> list[str | None]:
    rng = random.Random(seed)
    texts: list[str | None] = [None, "", "   ", "!!! —", "\udce9 !!", "\ud800"]  # no token: one raw shingle
    for _ in range(count):
        k = rng.randint(0, 40)
        texts.append("".join(rng.choice(PIECES) + rng.choice([" ", "", " ", "\n", "-"]) for _ in range(k)))
    texts.append(" ".join(chr(c) for c in range(0x400, 0x4FF)))  # many distinct characters in one text
    return texts


@pytest.mark.parametrize("digits", ["keep", "zero", "drop"])
@pytest.mark.parametrize("n", [1, 3, 5])
def test_batch_shingles_equal_per_document_definition(n: int, digits: str) -> None:
    texts = _random_texts(n * 7 + len(digits), 300)
    hashes, docs, per_doc = mh.batch_shingles(texts, n, "word", digits)  # type: ignore[arg-type]
    for i, text in enumerate(texts):
        got = sorted(hashes[docs == i].tolist())
        assert got == _reference(text, n, digits), repr(text)
    assert per_doc.sum() == hashes.size


def test_groups_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _random_texts(11, 200)
    whole = mh.batch_shingles(texts, 5, "word", "zero")
    monkeypatch.setattr(mh, "_BUF_BYTES", 64)  # one or two documents per group
    small = mh.batch_shingles(texts, 5, "word", "zero")
    for a, b in zip(whole, small):
        assert np.array_equal(a, b)
