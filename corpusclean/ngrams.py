"""The GPT-3 n-gram tokeniser, with the byte-level fast paths dedup and decontamination run on.

**The definition** is :func:`corpusclean.text.normalize_for_ngrams` (Brown et al. 2020,
appendix C): Unicode NFKC, lower case, every character that is not a letter or digit (``_`` and
all punctuation included) becomes a space, then split on whitespace. A *token* is therefore a
maximal run of ``str.isalnum()`` characters of the NFKC-lowercased text. Everything here gives
exactly those tokens (``tests/test_ngrams.py`` pins it on random ASCII and random Unicode text);
only the representation differs:

* :func:`ngram_bytes` — the tokens as UTF-8 bytes separated by runs of spaces (``minhash_dedup``
  hashes words out of that buffer), with an optional digit rule.
* :data:`TOKEN_BYTE` / :data:`LOWER_BYTE` — 256-entry tables for tokenisers that work on a whole
  batch's bytes in numpy (``decontaminate``): a byte belongs to a token iff ``TOKEN_BYTE`` says
  so, and ``LOWER_BYTE`` lower-cases the ASCII letters.

Both fast paths rest on one observation and ONE table (:data:`ASCII_TABLE`): NFKC and
``lower()`` are the identity / ASCII lower-casing on ASCII text, and every ASCII character that
is not a letter or digit is a separator. Non-ASCII text is first put through
:func:`normalize_non_ascii` (NFKC, lower case, every non-ASCII character that is not
alphanumeric replaced by a space); after that, every byte >= 0x80 belongs to an alphanumeric
character, so the same table (extended with "bytes >= 0x80 are token bytes") tokenises it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

import numpy as np

from corpusclean.text import normalize_for_ngrams

__all__ = ["normalize_for_ngrams", "normalize_non_ascii", "ngram_bytes", "ngram_tokens", "char_bytes",
           "ASCII_TABLE", "PER_CHAR_TABLES", "TOKEN_BYTE", "LOWER_BYTE", "Digits"]

#: How digits are treated after normalisation: kept, mapped to ``0``, or dropped (separators).
Digits = Literal["keep", "zero", "drop"]


def _ascii_table() -> bytes:
    table = bytearray(b" " * 256)
    for i in range(128):
        ch = chr(i)
        if ch.isalnum():  # ASCII letters and digits are exactly the ASCII \w minus "_"
            table[i] = ord(ch.lower())
    return bytes(table)


#: ASCII byte -> its lower case if it is a letter or digit, else a space (bytes >= 0x80: space).
ASCII_TABLE: bytes = _ascii_table()
_ASCII_NP = np.frombuffer(ASCII_TABLE, np.uint8)
_HIGH = np.arange(256) >= 0x80
#: uint8 byte -> True if it belongs to a token (ASCII letters/digits, and every byte >= 0x80 of
#: text that went through :func:`normalize_non_ascii`).
TOKEN_BYTE: np.ndarray = (_ASCII_NP != ord(" ")) | _HIGH
#: uint8 byte -> the byte lower-cased (ASCII letters; token bytes otherwise unchanged).
LOWER_BYTE: np.ndarray = np.where(_HIGH | (_ASCII_NP == ord(" ")), np.arange(256), _ASCII_NP).astype(np.uint8)


def _variant(digits: str, high: bytes) -> bytes:
    table = bytearray(ASCII_TABLE[:128] + high)
    if digits != "keep":
        for d in b"0123456789":
            table[d] = ord("0") if digits == "zero" else ord(" ")
    return bytes(table)


_IDENTITY_HIGH = bytes(range(128, 256))
#: (digits, text was ASCII) -> translate table for :func:`ngram_bytes`.
_TABLES = {(d, True): _variant(d, b" " * 128) for d in ("keep", "zero", "drop")}
_TABLES.update({(d, False): _variant("keep", _IDENTITY_HIGH) for d in ("keep", "zero", "drop")})
_DIGIT_RE = re.compile(r"\d")
_NONWORD_NONASCII = re.compile(r"[^\x00-\x7f\w]")


def normalize_non_ascii(text: str) -> str:
    """NFKC + lowercase, each non-ASCII non-alphanumeric character replaced by one space.

    Tokenising the result with the byte rule (:data:`TOKEN_BYTE`) gives exactly
    ``normalize_for_ngrams(text)``.
    """
    return _NONWORD_NONASCII.sub(" ", unicodedata.normalize("NFKC", text).lower())


def ngram_bytes(text: str | None, digits: Digits = "keep") -> bytes:
    """The n-gram tokens of ``text`` as UTF-8 bytes separated by spaces (runs of spaces allowed).

    Tokens are those of :func:`normalize_for_ngrams`; then ``digits``: ``keep`` leaves digits
    alone, ``zero`` maps every decimal digit (``\\d``, any script) to ``0`` (so "2023" and "2024"
    match: dates and counters in templated pages), ``drop`` treats digits like punctuation.
    """
    if not text:
        return b""
    if text.isascii():
        return text.encode("ascii").translate(_TABLES[digits, True])
    norm = normalize_non_ascii(text)
    if digits == "zero":
        norm = _DIGIT_RE.sub("0", norm)
    elif digits == "drop":
        norm = _DIGIT_RE.sub(" ", norm)
    return norm.encode("utf-8", "surrogatepass").translate(_TABLES[digits, False])


#: digits -> translate table that finishes :func:`char_bytes` output: ASCII as in ASCII text,
#: with the digit rule; bytes >= 0x80 unchanged (what is left of them belongs to alphanumerics).
PER_CHAR_TABLES = {d: _variant(d, _IDENTITY_HIGH) for d in ("keep", "zero", "drop")}


@lru_cache(maxsize=1 << 14)
def char_bytes(ch: str, digits: Digits = "keep") -> bytes:
    """One non-ASCII character of NFKC text as :func:`ngram_bytes` maps it: lower case, each
    resulting non-ASCII character that is not alphanumeric a space, then the digit rule (UTF-8).

    The per-character form of :func:`ngram_bytes`, exact for text that is already NFKC and has
    no capital sigma (``str.lower`` is then per character: final sigma is CPython's only
    context-dependent lower-casing): replace each non-ASCII character by this, then translate
    with :data:`PER_CHAR_TABLES` (``minhash`` does it for a whole batch at once).
    """
    out = _NONWORD_NONASCII.sub(" ", ch.lower())
    if digits != "keep":
        out = _DIGIT_RE.sub("0" if digits == "zero" else " ", out)
    return out.encode("utf-8", "surrogatepass")


def ngram_tokens(text: str | None, digits: Digits = "keep") -> list[bytes]:
    """The tokens themselves, as UTF-8 bytes (references and tests)."""
    return [t for t in ngram_bytes(text, digits).split(b" ") if t]
