"""The quality filters' signals and decisions equal the old one-document-at-a-time code, exactly.

The oracle is ``tests/quality_reference.py`` (a frozen copy of the code before the faster
implementation). The default suite compares them over a real-ish corpus built here (this
project's own documentation, generated prose, and texts mixing every kind of Unicode
punctuation, symbol, digit and whitespace with bullets, ellipses and repeated blocks); the network
test compares them over the Debian documentation corpus of ``scripts/bench.py --only quality``
(fetched with ``apt-get download``).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pyarrow as pa
import pytest
import quality_reference as R

from corpusclean.document import from_dicts
from corpusclean.stages.base import get_stage_class
from corpusclean.testing import synth

ROOT = Path(__file__).resolve().parents[2]
STAGES = {"gopher_quality": R.gopher_quality_signals, "gopher_repetition": R.gopher_repetition_signals,
          "fineweb_quality": R.fineweb_signals}

_PIECES = ["- ", "* ", "• ", "1. ", "12) ", "١. ", "１. ", "...", "…", "[…]", "(...)", "#", "##", " — ", "«", "»",
           "¿", "¡", "\u00a0", "\u2003", "\u3000", "\x1c", "\r\n", "\n", "\n\n", "\n \n", "the ", "of ", "The ",
           "WITH ", "naïve ", "café,", "don't ", "e-mail ", "3.5 ", "½ ", "² ", "x²", "😀 ", "𝔘𝔫𝔦 ", "你好。", "ا٣ ",
           "'quoted' ", '"q." ', "end. ", "why? ", "wow! ", "a", "b ", " ", "\t", "İstanbul ", "ß ", "ǅ "]


def _mixed(rng: random.Random) -> str:
    parts = [rng.choice(_PIECES) for _ in range(rng.randint(0, 400))]
    text = "".join(parts)
    if text and rng.random() < 0.4:  # repeated blocks: lines, paragraphs and n-grams repeat
        cut = rng.randint(0, len(text))
        text = text + "\n\n" + text[:cut] + "\n" + text
    return text


def realish_corpus() -> list[str]:
    """This project's docs (split into sections), generated prose, and mixed-Unicode texts."""
    texts: list[str] = []
    for path in sorted([ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]):
        if path.exists():
            doc = path.read_text("utf-8")
            texts.append(doc)
            texts += [s for s in doc.split("\n## ") if s.strip()]
    texts += synth.documents(40, seed=5, size=3000)
    rng = random.Random(13)
    texts += [_mixed(rng) for _ in range(400)]
    texts += ["", " ", "\n\n", "…", "-\n-\n-", "1.\n2.\n3.", "x " * 5000, ("a b c " * 300 + "\n") * 3]
    return texts


def _check(texts: list[str]) -> None:
    table = from_dicts([{"id": str(i), "text": t} for i, t in enumerate(texts)])
    for name, oracle in STAGES.items():
        stage = get_stage_class(name)()
        out = stage.process(table)
        rows = {r["id"]: r for r in out.kept.to_pylist() + out.rejected.to_pylist()}
        assert len(rows) == len(texts)
        for i, text in enumerate(texts):
            row = rows[str(i)]
            expected = oracle(text)
            got = {c: row[c] for c in expected}
            assert got == expected, (name, i, text[:200], {c: (got[c], expected[c]) for c in expected
                                                          if got[c] != expected[c]})
            verdict = stage.decide(expected)
            reason = None if verdict is None else stage.reason(verdict if isinstance(verdict, str) else verdict[0])
            assert row.get("reason") == reason, (name, i)


def test_signals_equal_the_reference_on_a_realish_corpus() -> None:
    _check(realish_corpus())


def test_word_pattern_classifies_every_code_point() -> None:
    """A one-character token is a word iff the character is neither whitespace nor P*/S*."""
    import unicodedata

    from corpusclean import text as T

    bmp, full = T._word_res()
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        want = not c.isspace() and unicodedata.category(c)[0] not in "PS"
        assert (full.fullmatch(c) is not None) is want, hex(cp)
        if cp <= 0xFFFF:
            assert (bmp.fullmatch(c) is not None) is want, hex(cp)


@pytest.mark.network
def test_signals_equal_the_reference_on_debian_documentation() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from benches import _realtext

    table: pa.Table = _realtext.build()
    _check(table.column("text").to_pylist())
