"""The batched n-gram kernel gives each document exactly what the frozen one-document kernel
(``tests/quality_reference.py``) gives it.

``ngram_char_counts_batch`` concatenates documents with separators and private id ranges; these
tests pin the boundary cases: the same words and n-grams in several documents (must not count as
repetition across documents), empty and one-word documents, a document whose repeats end at its
last word, ties for the top n-gram, and batches of random documents against the slow reference.
"""

from __future__ import annotations

import random

import numpy as np
import quality_reference as R

from corpusclean.repetition import duplicate_ngram_chars_reference, ngram_char_counts, ngram_char_counts_batch
from corpusclean.text import DocView

TOP, DUP = (2, 3, 4), (5, 6, 7, 8, 9, 10)


def _arrays(text: str) -> tuple[np.ndarray, np.ndarray]:
    view = DocView(text)
    return view.word_ids, view.word_lengths


def test_documents_do_not_repeat_each_other() -> None:
    one = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    got = ngram_char_counts_batch([_arrays(one), _arrays(one), _arrays(one)], TOP, DUP)
    assert all(t == dict.fromkeys(TOP, 0) and d == dict.fromkeys(DUP, 0) for t, d in got)


def test_boundaries_and_ties_match_one_document_at_a_time() -> None:
    texts = ["", "word", "a a", "x y x y", "one two three four five one two three four five",
             "ab cd ab cd ef gh ef gh", "the cat the dog the cat the dog and the cat", "tail end tail end"]
    arrays = [_arrays(t) for t in texts]
    assert ngram_char_counts_batch(arrays, TOP, DUP) == [R.ngram_char_counts(i, n, TOP, DUP) for i, n in arrays]
    assert ngram_char_counts_batch(arrays, TOP, DUP)[3][0][2] == 4  # "x y" twice: 4 characters, no more


def test_random_batches_against_the_reference() -> None:
    rng = random.Random(7)
    vocab = ["a", "bb", "ccc", "dd", "e", "fff", "gggg"]
    texts = [" ".join(rng.choice(vocab[:rng.randint(1, 7)]) for _ in range(rng.randint(0, 120))) for _ in range(60)]
    got = ngram_char_counts_batch([_arrays(t) for t in texts], TOP, DUP)
    for text, (top, dup) in zip(texts, got):
        tokens = text.split()
        assert dup == {n: duplicate_ngram_chars_reference(tokens, n) for n in DUP}
        assert (top, dup) == R.ngram_char_counts(*_arrays(text), TOP, DUP) == ngram_char_counts(*_arrays(text), TOP, DUP)
