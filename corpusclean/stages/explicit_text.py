"""``explicit_text``: "dirty word" density, after extraction (C4, Raffel et al. 2020 §2.2; Llama 3,
Dubey et al. 2024 §3.1.1, "dirty word counting" against adult sites block-lists miss).

Signal: ``explicit_fraction`` = (words covered by explicit-list matches) / (words in the document),
with *word* as :func:`corpusclean.text.words` defines it. C4 dropped a page on a single listed word;
that removes medical, LGBTQ+ and dialect pages (Dodge et al. 2021, "Documenting large webtext
corpora", §5), so we threshold a density instead, as BigScience ROOTS' "flagged words" filter
does (Laurençon et al. 2022). The default threshold is justified in ``docs/safety.md`` from
measurements on clean and explicit text.

Matching: every entry of the document's language list, case-insensitive, on word boundaries (the
characters around a match are not letters or digits), multi-word entries included (any run of
whitespace in the text matches the entry's space), one Aho-Corasick pass over the text (never a
Python loop over the list). Overlapping matches count once (leftmost-longest).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.document import with_columns
from corpusclean.stages.base import FilterStage, StageOutput, Verdict, param, register
from corpusclean.text import words
from corpusclean.wordlists import DATA_DIR, read_word_list

#: Explicit-word lists shipped with the project, by language (``@default`` in ``word_lists``).
BUILTIN_LISTS: dict[str, Path] = {"en": DATA_DIR / "explicit_en.txt"}


def language_code(value: Any) -> str | None:
    """``en``, ``EN``, ``en-US``, ``en_GB``, ``__label__en`` → ``en``; None for missing values."""
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().lower()
    if code.startswith("__label__"):
        code = code[len("__label__"):]
    return code.replace("-", "_").split("_", 1)[0] or None


class ExplicitMatcher:
    """One language's list, compiled twice: an RE2 pattern (one alternation, word-bounded) that
    Arrow runs over a whole batch to find the few documents with any match, and an Aho-Corasick
    automaton that counts and names the matches in those documents only."""

    def __init__(self, entries: list[str]):
        self.auto: Any = ahocorasick.Automaton()
        self.size = 0
        kept: list[str] = []
        for e in entries:
            norm = " ".join(e.lower().split())
            n_words = len(words(norm))
            if norm and n_words and norm not in self.auto:
                self.auto.add_word(norm, (norm, len(norm), n_words))
                kept.append(norm)
                self.size += 1
        self.pattern: str | None = None
        if self.size:
            self.auto.make_automaton()
            # longest first, so an alternation never stops at a shorter entry's prefix
            alts = "|".join(r"[\s\p{Z}]+".join(re.escape(w) for w in e.split(" "))
                            for e in sorted(kept, key=lambda e: (-len(e), e)))
            self.pattern = r"(?:^|[^\pL\pN])(?:" + alts + r")(?:[^\pL\pN]|$)"

    def matches(self, text: str) -> Counter[str]:
        """Entry → number of words it covers in ``text`` (non-overlapping, word-bounded)."""
        if not self.size:
            return Counter()
        norm = " ".join(text.lower().split())
        last = len(norm) - 1
        found = []
        for end, (entry, length, n_words) in self.auto.iter(norm):
            start = end - length + 1
            if start > 0 and norm[start - 1].isalnum():
                continue
            if end < last and norm[end + 1].isalnum():
                continue
            found.append((start, -length, end, entry, n_words))
        out: Counter[str] = Counter()
        if not found:
            return out
        found.sort()
        covered_to = -1
        for start, _neg, end, entry, n_words in found:
            if start > covered_to:
                out[entry] += n_words
                covered_to = end
        return out


def summarize(counts: Counter[str], limit: int = 10) -> str:
    """``entry:words,...``, most frequent first (the ``explicit_words`` column)."""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return ",".join(f"{k}:{v}" for k, v in top)


@register("explicit_text")
class ExplicitText(FilterStage):
    """Rejects documents whose fraction of explicit words exceeds ``max_explicit_fraction``."""

    retunable = True
    columns = {"explicit_fraction": pa.float64(), "explicit_words": pa.string()}
    thresholds = {"explicit_fraction": ("max_explicit_fraction", "max")}

    word_lists: dict[str, str] = param({"en": "@default"}, "Explicit-word list per language: a file "
                                       "path (one entry per line, '#' comments, multi-word entries "
                                       "allowed) or '@default' (shipped: en, from better-profanity)")
    max_explicit_fraction: float = param(0.02, "Reject when more than this fraction of the words are "
                                         "explicit (measured in docs/safety.md)")
    default_language: str | None = param("en", "List used when a document has no 'language' value "
                                         "(null: such documents are not scored)")

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_explicit_fraction <= 1.0:
            raise ValueError(f"max_explicit_fraction must be within [0, 1], got {self.max_explicit_fraction}")
        for lang, ref in self.word_lists.items():
            code = language_code(lang)
            if code is None:
                raise ValueError(f"word_lists: invalid language {lang!r}")
            if ref == "@default" and code not in BUILTIN_LISTS:
                raise ValueError(f"word_lists.{lang}: no shipped list for {lang!r} (shipped: "
                                 f"{', '.join(BUILTIN_LISTS)}); give a file path")
            if ref != "@default" and not Path(ref).expanduser().exists():
                raise ValueError(f"word_lists.{lang}: file not found: {ref}")
        self._matchers: dict[str, ExplicitMatcher] | None = None

    def setup(self) -> None:
        if self._matchers is not None:
            return
        matchers = {}
        for lang, ref in self.word_lists.items():
            code = language_code(lang)
            assert code is not None
            builtins = {"@default": BUILTIN_LISTS[code]} if code in BUILTIN_LISTS else {}
            matchers[code] = ExplicitMatcher(read_word_list(ref, builtins))
        self._matchers = matchers

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        if self._matchers is None:
            self.setup()
        assert self._matchers is not None
        lang = language_code(doc.get("language")) if doc.get("language") is not None else None
        if lang is None:
            lang = language_code(self.default_language)
        matcher = self._matchers.get(lang) if lang else None
        text = doc.get("text")
        if matcher is None or not isinstance(text, str):
            return {"explicit_fraction": None, "explicit_words": None}
        counts = matcher.matches(text)
        if not counts:
            return {"explicit_fraction": 0.0, "explicit_words": None}
        n = len(words(text))
        frac = min(1.0, sum(counts.values()) / n) if n else 0.0
        return {"explicit_fraction": frac, "explicit_words": summarize(counts)}

    def decide(self, signals: dict[str, Any], doc: dict[str, Any] | None = None) -> Verdict:
        frac = signals.get("explicit_fraction")
        if frac is None or frac <= self.max_explicit_fraction:
            return None
        return ("explicit_fraction",
                f"{frac:.4f} > {self.max_explicit_fraction} ({signals.get('explicit_words')})")

    def process(self, table: pa.Table) -> StageOutput:
        """Vectorised pre-filter: one RE2 pass per language list over the lower-cased batch marks
        the documents with any match; only those are counted in Python (most text has none, so
        its fraction is 0.0 without tokenising it)."""
        self.check_input(table)
        self.setup()
        assert self._matchers is not None
        n = table.num_rows
        text_col = table.column("text").combine_chunks()
        texts = text_col.to_pylist()
        raw_langs = (table.column("language").to_pylist() if "language" in table.column_names
                     else [None] * n)
        default = language_code(self.default_language)
        langs = [language_code(v) if v is not None else default for v in raw_langs]
        langs = [lang if lang is not None else default for lang in langs]
        fracs: list[float | None] = [None] * n
        found: list[str | None] = [None] * n
        lower = pc.utf8_lower(text_col) if n else text_col
        for code, matcher in self._matchers.items():
            mine = np.array([lang == code and t is not None for lang, t in zip(langs, texts)], bool)
            if not mine.any():
                continue
            for i in np.flatnonzero(mine).tolist():
                fracs[i] = 0.0
            if matcher.pattern is None:
                continue
            hit = pc.fill_null(pc.match_substring_regex(lower, matcher.pattern), False)
            rows = np.flatnonzero(hit.to_numpy(zero_copy_only=False) & mine).tolist()
            for i in rows:
                counts = matcher.matches(texts[i])
                if counts:
                    n_words = len(words(texts[i]))
                    fracs[i] = min(1.0, sum(counts.values()) / n_words) if n_words else 0.0
                    found[i] = summarize(counts)
        verdicts: list[Verdict] = []
        rejected_words: Counter[str] = Counter()
        for frac, fw in zip(fracs, found):
            v = self.decide({"explicit_fraction": frac, "explicit_words": fw})
            verdicts.append(v)
            if v is not None and fw:
                for item in fw.split(","):
                    entry, _, count = item.rpartition(":")
                    rejected_words[entry] += int(count)
        unscored = sum(f is None for f in fracs)
        table = with_columns(table, {"explicit_fraction": fracs, "explicit_words": found}, self.columns)
        counters: dict[str, dict[str, int]] = {}
        if rejected_words:
            counters["explicit_word"] = dict(rejected_words)
        if unscored:
            counters["explicit_status"] = {"unscored": unscored}
        return self.split(table, verdicts, counters)
