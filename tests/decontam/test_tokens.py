"""decontam.tokens: the vectorised byte tokeniser gives exactly the GPT-3 gram tokens."""

from __future__ import annotations

import random

from corpusclean.decontam.tokens import tokenize
from corpusclean.text import normalize_for_ngrams


def test_tokens_equal_normalize_for_ngrams_on_random_unicode() -> None:
    """The vectorised byte tokenizer is exactly text.normalize_for_ngrams (the GPT-3 gram)."""
    rng = random.Random(0)
    alphabet = list("abcXYZ09 _-.,'\n\t\x1c") + ["é", "É", "ß", "ﬁ", "İ", "Σ", "’", "—", "\u00a0", "½", "²",
                                                "क", "ि", "中", "\u0301", "🙂", "Ⅻ", "K", "\u2028", "٣", "Ａ"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50))) for _ in range(1500)]
    texts += [None, "", "   ", "Hello, World!"]
    seen = 0
    for ch in tokenize(texts, chunk_bytes=300):  # small chunks: documents never cross a chunk
        for d in range(ch.d0, ch.d1):
            j = d - ch.d0
            got = [ch.token_text(i) for i in range(ch.doc_tokens[j], ch.doc_tokens[j + 1])]
            assert got == normalize_for_ngrams(texts[d] or ""), repr(texts[d])
            seen += 1
    assert seen == len(texts)
