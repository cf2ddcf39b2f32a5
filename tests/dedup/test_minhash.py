"""MinHash dedup libraries: signatures equal datasketch's, LSH parameters, union-find."""

from __future__ import annotations

import numpy as np
import pytest

from corpusclean.dedup import lsh
from corpusclean.dedup import minhash as mh
from corpusclean.dedup.components import connected_components
from corpusclean.ngrams import ngram_tokens
from corpusclean.testing import synth


def test_word_hashes_match_reference():
    text = b"hello  world x " + "naïve".encode() + b" " + b"a" * 150 + b" end"
    hashes, starts = mh.word_hashes(np.frombuffer(text + b" ", np.uint8))
    toks = text.split()
    assert [int(h) for h in hashes] == [mh.word_hash_reference(t) for t in toks]
    assert len(set(mh.word_hash_reference(t) for t in [b"ab", b"ba", b"abc", b"a"])) == 4


@pytest.mark.parametrize("n,unit", [(13, "word"), (5, "word"), (4, "char")])
def test_signatures_equal_datasketch(n, unit):
    datasketch = pytest.importorskip("datasketch")
    texts = synth.documents(6, seed=4, size=800) + ["short text", "", "--- !!! ---", "Ünïcödé “text” here"]
    hashes, docs, _ = mh.batch_shingles(texts, n, unit)
    sigs = mh.signatures(hashes, docs, len(texts), 64, 7)
    for i, text in enumerate(texts):
        if unit == "word":
            units = [mh.word_hash_reference(t) for t in ngram_tokens(text)]
        else:
            norm = " ".join(b.decode() for b in ngram_tokens(text))
            units = [mh.char_hash_reference(c) for c in norm]
        if len(units) >= n:
            shingles = [tuple(units[j:j + n]) for j in range(len(units) - n + 1)]
        elif units:
            shingles = [tuple(units)]
        else:
            raw = text.strip()
            shingles = [(mh.word_hash_reference(raw.encode()),)] if raw else []
        ref = datasketch.MinHash(num_perm=64, seed=7, hashfunc=mh.shingle_hash_reference, scheme="affine32")
        if shingles:
            ref.update_batch(shingles)
        np.testing.assert_array_equal(sigs[i], ref.hashvalues, err_msg=f"doc {i}: {text[:30]!r}")


def test_optimal_param_equals_datasketch():
    ds_lsh = pytest.importorskip("datasketch.lsh")
    for t, p in [(0.8, 128), (0.6, 128), (0.5, 64), (0.9, 32)]:
        assert lsh.optimal_param(t, p) == ds_lsh._optimal_param(t, p, 0.5, 0.5)


def test_connected_components_roots_are_smallest_nodes():
    a = np.array([5, 3, 9, 7])
    b = np.array([3, 1, 8, 8])
    root = connected_components(a, b, 10)
    assert root.tolist() == [0, 1, 2, 1, 4, 1, 6, 7, 7, 7]


