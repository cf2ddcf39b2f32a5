"""The one place where words, lines, paragraphs, bullets, ellipses and n-grams are defined.

Every filter uses these definitions; they are documented here and in the README and pinned by
golden tests (``tests/test_text.py``). Implementations of the same paper disagree exactly on
these points, so each choice is written down with its reason.

* **Line** — the text split on ``\\n``, each stripped of surrounding whitespace. Blank lines are
  *not* lines: they separate paragraphs and would otherwise dilute every line ratio.
* **Paragraph** — a maximal run of non-blank lines; paragraphs are separated by one or more blank
  lines (what extraction writes between blocks).
* **Word** — a whitespace-separated token with leading/trailing punctuation stripped; a token made
  only of punctuation/symbols (``-``, ``—``, ``#``, ``...``) is not a word. Reason: the Gopher paper
  counts *words*; a bare bullet glyph or an ellipsis token is not one.
* **Bullet line** — a line whose first non-space characters are one of :data:`BULLET_GLYPHS`
  followed by whitespace, or an ordered-list marker ``<1-3 digits>.`` / ``<1-3 digits>)`` followed
  by whitespace. The extractor writes exactly :data:`UNORDERED_BULLET` and :func:`ordered_bullet`,
  both of which this definition counts.
* **Ellipsis** — ``...`` (three or more dots) or the single character ``…``.

Scripts without spaces (CJK, Thai) give few long "words"; nothing here fails on them.
"""

from __future__ import annotations

import re
import unicodedata

#: Glyphs that start a bullet line (the extractor writes "-").
BULLET_GLYPHS: tuple[str, ...] = ("-", "*", "•", "·", "‣", "◦", "⁃", "▪", "▫", "●", "○", "■", "□",
                                  "➢", "➤", "►", "▶", "→", "–", "—", "✓", "✔")
#: What the extractor writes before an unordered list item.
UNORDERED_BULLET = "- "
#: Indent per list nesting level written by the extractor.
LIST_INDENT = "  "

_BULLET_RE = re.compile(
    r"^\s*(?:[" + re.escape("".join(BULLET_GLYPHS)) + r"]|\d{1,3}[.)])\s"
)
_ELLIPSIS_RE = re.compile(r"(?:\.{3,}|…)")
_ELLIPSIS_END_RE = re.compile(r"(?:\.{3,}|…)\s*$")


def ordered_bullet(n: int) -> str:
    """What the extractor writes before the n-th item of an ordered list."""
    return f"{n}. "


def is_bullet_line(line: str) -> bool:
    """True if ``line`` starts with a bullet (see module docstring)."""
    return _BULLET_RE.match(line) is not None


def ends_with_ellipsis(line: str) -> bool:
    return _ELLIPSIS_END_RE.search(line) is not None


def count_ellipses(text: str) -> int:
    return len(_ELLIPSIS_RE.findall(text))


def lines(text: str) -> list[str]:
    """Non-blank lines, stripped."""
    return [s for s in (raw.strip() for raw in text.split("\n")) if s]


def paragraphs(text: str) -> list[str]:
    """Runs of non-blank lines separated by blank lines, each stripped."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if block:
            out.append(block)
    return out


def _is_punct_or_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _strip_punct(token: str) -> str:
    start, end = 0, len(token)
    while start < end and _is_punct_or_symbol(token[start]):
        start += 1
    while end > start and _is_punct_or_symbol(token[end - 1]):
        end -= 1
    return token[start:end]


def words(text: str) -> list[str]:
    """Words (see module docstring): whitespace tokens with edge punctuation stripped, non-empty."""
    out = []
    for tok in text.split():
        w = _strip_punct(tok)
        if w:
            out.append(w)
    return out


_NGRAM_PUNCT_RE = re.compile(r"[^\w\s]+", re.UNICODE)


def normalize_for_ngrams(text: str) -> list[str]:
    """Tokens for n-gram matching (dedup shingles, decontamination grams).

    As GPT-3 defined a gram (Brown et al. 2020, appendix C): Unicode NFKC, lowercase,
    punctuation removed (replaced by a space, so ``don't`` -> ``don t``; ``_`` counts as
    punctuation too), then split on whitespace.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _NGRAM_PUNCT_RE.sub(" ", text).replace("_", " ")
    return text.split()


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    """Contiguous n-grams of ``tokens`` (none if fewer than n tokens)."""
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
