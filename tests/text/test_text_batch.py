"""The batch tokeniser (corpusclean.text_batch) gives exactly the definitions of corpusclean.text.

Every character class handed to Arrow is checked here on every code point against the Python
definition it stands for; units (words, lines, paragraphs) and their duplicate counts are
compared with the one-document :class:`~corpusclean.text.DocView` on edge cases and random texts.
"""

from __future__ import annotations

import random
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from corpusclean import text as T
from corpusclean import text_batch as B
from corpusclean.repetition import duplicate_counts

ALL = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def _units(seg: B.Segments, i: int) -> list[str]:
    return seg.vocab.take(seg.ids[seg.off[i]:seg.off[i + 1]]).to_pylist()  # type: ignore[union-attr]


def _matches(pattern: str) -> set[str]:
    """The code points that RE2 ``pattern`` matches on their own (one Arrow call)."""
    got = pc.match_substring_regex(pa.array(ALL, pa.large_string()), pattern).to_numpy(zero_copy_only=False)
    return {c for c, g in zip(ALL, got) if g}


def test_character_classes_equal_pythons_on_every_code_point() -> None:
    """Trim set = Unicode P*/S*; whitespace = ``re``'s ``\\s`` = ``str.isspace``; digits = ``re``'s
    ``\\d`` = ``str.isdecimal``; letters = ``str.isalpha``."""
    import re
    import unicodedata

    tables = B._tables()
    trimmed = pc.utf8_trim(pa.array(ALL, pa.large_string()), tables["ps"]).to_pylist()
    assert {c for c, t in zip(ALL, trimmed) if not t} == {c for c in ALL if unicodedata.category(c)[0] in "PS"}
    space = {c for c in ALL if re.match(r"\s", c)}
    assert set(tables["space"]) == space == {c for c in ALL if c.isspace()}
    assert _matches(f"^[{tables['space_class']}]$") == space
    digits = B._tables()["bullet"].split("|[", 1)[1].split("]{1,3}", 1)[0]
    assert _matches(f"^[{digits}]$") == {c for c in ALL if re.match(r"\d", c)}
    assert _matches(f"^[{tables['alpha_class']}]$") == {c for c in ALL if c.isalpha()}


def test_words_on_sampled_code_points() -> None:
    """Code points alone and at both edges of a letter: kept, trimmed or split exactly as ``words``."""
    sample = ALL[:0x3000] + ALL[0x3000::37] + ["\U0001F600", "\U0001D518", "\U000E0001"]
    texts = [" ".join(sample), " ".join(c + "a" + c for c in sample), "".join(sample)]
    batch = B.TextBatch.of(texts)
    for i, text in enumerate(texts):
        assert _units(batch.words, i) == T.words(text)


def test_whitespace_fallback_splits_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [" ".join(c + "a" + c for c in ALL[:0x3100]), "a\x1cb\x85c\u3000d\u180ee\u200bf"]
    fast = B.TextBatch.of(texts)
    monkeypatch.setattr(B, "arrow_whitespace_is_python", lambda: False)
    slow = B.TextBatch.of(texts)
    for i, text in enumerate(texts):
        assert _units(slow.words, i) == _units(fast.words, i) == T.words(text)


def test_arrow_whitespace_check_passes_here() -> None:
    # the fast split is used on this pyarrow (the check itself runs on every code point)
    assert B.arrow_whitespace_is_python()


def test_bullet_lines_like_is_bullet_line() -> None:
    sample = ALL[:0x3000] + ALL[0x3000::101] + ["١", "１", "۴", "²", "½", "Ⅻ"]
    lines = [c + " item" for c in sample] + [c + ". item" for c in sample] + ["1" + c + "x" for c in sample]
    lines += ["1234. x", "-", "1.", "１２３) x", "٣٣٣٣. x", "12) x", "12 x"]
    batch = B.TextBatch.of(["\n".join(lines)])
    got = batch.match_lines(B._tables()["bullet"])
    vocab = batch.lines.vocab.to_pylist()  # type: ignore[union-attr]
    assert [bool(g) for g in got] == [T.is_bullet_line(v) if v else False for v in vocab]
    assert batch.bullet_lines()[0] == sum(map(T.is_bullet_line, T.lines("\n".join(lines))))


def test_alpha_words() -> None:
    text = "naïve Qué 你好 a1 Ω 123 3.5 ½ ² 1ǅ2 𝔘 ١٢"
    batch = B.TextBatch.of([text])
    assert batch.alpha_words()[0] == sum(map(T.has_alpha, T.words(text))) == 7


def test_stop_words_lower_like_python() -> None:
    words = ["The", "THE", "tHe", "İ", "i̇", "ǅ", "ǆ", "Straße", "STRASSE", "ΣΑΣ", "σας", "the.", "«the»", "be"]
    batch = B.TextBatch.of([" ".join(words)])
    stop = frozenset({"the", "i̇", "ǆ", "σας", "strasse"})
    assert batch.stop_words(stop)[0] == sum(w.lower() in stop for w in T.words(" ".join(words)))


def test_ellipses_and_hashes() -> None:
    texts = ["a... b… c...... d..", "wait...\nwait…\nRead more […]\nmore (...)\nso.....  \nend.\n… x", "", None, "##"]
    batch = B.TextBatch.of(texts)
    assert batch.ellipses().tolist() == [T.count_ellipses(t or "") for t in texts]
    assert batch.count("#").tolist() == [(t or "").count("#") for t in texts]
    assert batch.ellipsis_lines().tolist() == [sum(map(T.ends_with_ellipsis, T.lines(t or ""))) for t in texts]


EDGE = ["", None, "\n", " \n\t\n", "a", "a\n\nb", "a\n \nb\n\n\n", "\n\na\nb\n\na\nb\n\n", "  x  \r\n  x\n\n x",
        "a\n\u00a0\nb\n\u3000\u2003\nc", "one\ntwo\n\none\ntwo\n\none\n\ntwo", "p\nq\n\np\n q \n\np\nq\nr",
        "x\x1cy\n\x85\nz", "- a\n- a\n\n- a\n- a"]


def _random_text(rng: random.Random) -> str:
    pieces = ["a", "b c", "d, e", "- f", "", " ", "\t", "\u00a0", "x y z", "1. g"]
    lines = [rng.choice(pieces) for _ in range(rng.randint(0, 30))]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(3))
def test_units_and_duplicates_match_docview(seed: int) -> None:
    rng = random.Random(seed)
    texts = EDGE + [_random_text(rng) for _ in range(200)]
    batch = B.TextBatch.of(texts)
    for name in ("lines", "paragraphs"):
        seg = getattr(batch, name)
        dup, dup_chars = duplicate_counts(seg.off, seg.ids, seg.length)
        for i, t in enumerate(texts):
            items = getattr(T.DocView(t), name)
            lengths = [len(p) - p.count("\n") for p in items]
            assert seg.count[i] == len(items), (name, t)
            assert seg.chars()[i] == sum(lengths), (name, t)
            assert (dup[i], dup_chars[i]) == T.duplicate_stats(items, lengths), (name, t)
    for i, t in enumerate(texts):
        assert _units(batch.lines, i) == T.lines(t or "")
        assert _units(batch.words, i) == T.words(t or "")


def test_duplicate_counts_random_against_duplicate_stats() -> None:
    rng = random.Random(3)
    docs = [[rng.choice("abcdefg"[: rng.randint(1, 7)]) * rng.randint(1, 3) for _ in range(rng.randint(0, 25))]
            for _ in range(100)]
    vocab = {s: i for i, s in enumerate(sorted({s for d in docs for s in d}))}
    off = np.concatenate(([0], np.cumsum([len(d) for d in docs])))
    ids = np.array([vocab[s] for d in docs for s in d], np.int64)
    length = np.array([len(s) for s in sorted(vocab, key=vocab.__getitem__)], np.int64)
    dup, chars = duplicate_counts(off, ids, length)
    assert list(zip(dup.tolist(), chars.tolist())) == [T.duplicate_stats(d) for d in docs]


def test_memo_gives_survivors_without_splitting_again() -> None:
    texts = ["alpha beta\n\ngamma", "delta " * 5, None, "alpha beta\n\ngamma"]
    first = B.analyze_batch(texts)
    assert B.analyze_batch(texts) is first
    first.words, first.lines  # noqa: B018  (split now, so the subset is taken, not split)
    sub = B.analyze_batch([texts[3], texts[1]])
    fresh = B.TextBatch.of([texts[3], texts[1]])
    for name in ("words", "lines", "paragraphs"):
        a, b = getattr(sub, name), getattr(fresh, name)
        assert a.count.tolist() == b.count.tolist() and a.chars().tolist() == b.chars().tolist()
    assert [_units(sub.words, i) for i in range(2)] == [_units(fresh.words, i) for i in range(2)]
    other = "".join(["delta ", "delta"])  # equal text, another object: not taken from the memo
    assert B.analyze_batch([other]) is not first


def test_offer_uses_the_arrow_text() -> None:
    texts = ["a b", None, "c"]
    B.offer(texts, pa.chunked_array([pa.array(texts[:2]), pa.array(texts[2:])]))
    batch = B.analyze_batch(texts)
    assert batch.words.count.tolist() == [2, 0, 1]
