"""``decontaminate``: remove benchmark test data from the training corpus (n-gram overlap).

Two modes (``mode``):

* ``document`` (Gopher, Rae et al. 2021; FineWeb): a document with at least ``min_matches``
  distinct matching n-grams is rejected (``decontaminate.contaminated``).
* ``span`` (GPT-3, Brown et al. 2020, appendix C): each matching n-gram is cut out together with
  ``window_chars`` (200) characters on each side; the document falls into pieces, pieces shorter
  than ``min_piece_chars`` (200) are dropped, a document cut into more than ``max_pieces`` (10)
  pieces is rejected whole (``decontaminate.too_many_pieces``), and n-grams found in more than
  ``max_doc_frequency`` (10) corpus documents are ignored as common phrases / boilerplate.

A gram is the GPT-3 gram (:func:`corpusclean.text.normalize_for_ngrams`: NFKC, lowercase,
punctuation removed, whitespace-split), ``n`` = 13 by default. A test text shorter than ``n``
words but at least ``min_ngram`` (8) words is indexed whole (GPT-3's and NeMo Curator's rule for
short items); shorter ones are not indexed (a 3-word answer would match everywhere).

The stage is a :class:`GlobalStage` in both modes (one class, one YAML key): counting in how many
documents each n-gram occurs needs a pass over the whole corpus. ``scan`` emits only the hashes
of n-grams that hit the test index (a handful per contaminated document, nothing for clean ones),
``reduce`` writes the set of too-common n-grams, ``process`` cuts or rejects. In document mode the
count is off by default (``ignore_common_in_document_mode: false``): ``scan`` then returns an
empty table without tokenising anything, and ``process`` alone does the work, so the stage also
works when called directly on a batch without the global passes.

The index (see :mod:`corpusclean.decontam`) merges every test set into one sorted
hash array behind a bitmap, so scanning costs the same with 1 or 20 benchmarks loaded; it is
built once, cached on disk by content hash and memory-mapped by every worker.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa

from corpusclean.decontam.bloom import sorted_unique
from corpusclean.decontam.index import DecontamIndex, default_cache_dir, load_or_build
from corpusclean.decontam.testsets import TestSetSpec, test_set_files
from corpusclean.decontam.tokens import tokenize
from corpusclean.document import with_columns
from corpusclean.io.files import atomic_output
from corpusclean.ngrams import normalize_non_ascii
from corpusclean.output.writer import read_parquet
from corpusclean.stages.base import GlobalStage, StageOutput, Verdict, param, register

__all__ = ["Decontaminate", "TestSetSpec"]

log = logging.getLogger("corpusclean.decontaminate")

#: How many matched items the ``decontam_items`` column and the detail list at most.
MAX_ITEMS_REPORTED = 20
_COMMON_FILE = "common_ngrams.npy"


@dataclass
class _Hit:
    pos: int  # token position in the document
    k: int  # gram length
    h: int  # gram hash
    key_pos: int  # position of the hash in the index
    b0: int  # byte offsets of the gram in the document's normalised bytes
    b1: int


@dataclass
class _DocHits:
    hits: list[_Hit]
    ngram: str = ""  # text of the first hit (normalised tokens)


@register("decontaminate")
class Decontaminate(GlobalStage):
    """Removes documents (or spans) that overlap benchmark test sets by n-grams.

    Rejected rows carry ``decontaminate.contaminated`` (document mode),
    ``decontaminate.too_many_pieces`` or ``decontaminate.nothing_left`` (span mode), with a detail
    naming the test set, the item and the n-gram. Every row gets ``decontam_matches``
    (distinct matching n-grams), ``decontam_items`` (``<set>:<item id>``, at most 20),
    ``decontam_ngram`` (the first match) and ``decontam_chars_removed`` (span mode).
    """

    requires = ("text",)
    remote_scan_files: ClassVar[bool] = True
    columns: ClassVar[dict[str, pa.DataType]] = {
        "decontam_matches": pa.int32(),
        "decontam_items": pa.list_(pa.string()),
        "decontam_ngram": pa.string(),
        "decontam_chars_removed": pa.int64(),
    }
    counter_titles: ClassVar[dict[str, str]] = {"documents_hit": "hits per benchmark"}

    test_sets: list[TestSetSpec] = param([], "Benchmarks to remove: {name, path, fields, id_field, format, "
                                              "text_unit, header, join_fields} each (see docs/decontamination.md)")
    mode: Literal["document", "span"] = param("document", "document: reject the whole document (Gopher); "
                                                          "span: cut matches out (GPT-3)")
    n: int = param(13, "Gram length in normalised words (GPT-3, Gopher: 13)")
    min_ngram: int = param(8, "Test texts shorter than n but at least this many words are indexed whole; "
                              "shorter ones are ignored (GPT-3 / NeMo: 8)")
    min_matches: int = param(1, "Document mode: distinct matching n-grams that condemn a document")
    window_chars: int = param(200, "Span mode: characters removed on each side of a match (GPT-3: 200)")
    min_piece_chars: int = param(200, "Span mode: pieces shorter than this are dropped (GPT-3: 200)")
    max_pieces: int = param(10, "Span mode: a document cut into more pieces is removed whole (GPT-3: 10)")
    max_doc_frequency: int | None = param(10, "Ignore n-grams found in more than this many corpus documents "
                                              "(GPT-3: 10); null = never ignore")
    ignore_common_in_document_mode: bool = param(False, "Also apply max_doc_frequency in document mode "
                                                        "(costs a scan pass)")
    cache_dir: str | None = param(None, "Index cache folder; null = $CORPUSCLEAN_CACHE/decontam or "
                                        "~/.cache/corpusclean/decontam; '' = no cache")

    def __post_init__(self) -> None:
        specs = []
        for i, spec in enumerate(self.test_sets):
            if isinstance(spec, dict):
                try:
                    spec = TestSetSpec(**spec)
                except TypeError as e:
                    raise ValueError(f"test_sets[{i}]: {e}") from None
            specs.append(spec)
        self.test_sets = specs
        if not specs:
            raise ValueError("test_sets: give at least one test set ({name, path, fields})")
        for i, spec in enumerate(specs):
            if not spec.name or ":" in spec.name:
                raise ValueError(f"test_sets[{i}].name {spec.name!r} must be non-empty and contain no ':'")
        names = [s.name for s in specs]
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            raise ValueError(f"test_sets: duplicate test set name(s) {dup}")
        for i, spec in enumerate(specs):
            try:
                test_set_files(spec)
            except ValueError as e:
                raise ValueError(f"test_sets[{i}]: {e}") from None
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if not 1 <= self.min_ngram <= self.n:
            raise ValueError(f"min_ngram must be between 1 and n ({self.n}), got {self.min_ngram}")
        if self.min_matches < 1:
            raise ValueError(f"min_matches must be at least 1, got {self.min_matches}")
        for name in ("window_chars", "min_piece_chars"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.max_pieces < 1:
            raise ValueError(f"max_pieces must be at least 1, got {self.max_pieces}")
        if self.max_doc_frequency is not None and self.max_doc_frequency < 1:
            raise ValueError(f"max_doc_frequency must be at least 1 or null, got {self.max_doc_frequency}")
        self._index: DecontamIndex | None = None
        self._common: np.ndarray = np.empty(0, dtype=np.uint64)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_index"] = None  # memory-mapped; reloaded from the cache in the new process
        return state

    # ------------------------------------------------------------------------------ the index
    def _cache_path(self) -> Path | None:
        if self.cache_dir == "":
            return None
        return Path(os.path.expanduser(self.cache_dir)) if self.cache_dir else default_cache_dir()

    def setup(self) -> None:
        """Load the index from the disk cache, or build and cache it (once per process)."""
        if self._index is None:
            self._index, cached = load_or_build(self.test_sets, self.n, self.min_ngram, self._cache_path())
            meta = self._index.meta
            log.info("decontaminate: index %s: %d items, %d n-grams, %.1f MiB (%s)", ",".join(meta["sets"]),
                     meta["items"], meta["ngrams"], self._index.nbytes() / 2**20,
                     "from cache" if cached else f"built in {meta['build_seconds']} s")

    @property
    def index(self) -> DecontamIndex:
        self.setup()
        assert self._index is not None
        return self._index

    # ------------------------------------------------------------------------------ matching
    def _find(self, texts: pa.ChunkedArray | pa.Array, *, ignore_common: bool,
              with_text: bool = True) -> dict[int, _DocHits]:
        """Every index hit per row (rows without hits are absent)."""
        idx = self.index
        out: dict[int, _DocHits] = {}
        if len(idx.keys) == 0:
            return out
        common = self._common if ignore_common and len(self._common) else None
        for ch in tokenize(texts):
            cand = idx.probe(ch.all_gram_hashes(idx.anchor))
            if not len(cand):
                continue
            doc = ch.doc_of(cand)
            end = ch.doc_tokens[doc + 1]
            parts = []
            for k in idx.lengths:
                sel = np.flatnonzero(cand + k <= end)
                if not len(sel):
                    continue
                c = cand[sel]
                h = ch.gram_hashes(c, k)
                found, kpos = idx.lookup(h)
                if common is not None:
                    found &= ~np.isin(h, common)
                f = np.flatnonzero(found)
                if len(f):
                    parts.append((doc[sel[f]], c[f], np.full(len(f), k), h[f], kpos[f]))
            if not parts:
                continue
            d, c, k, h, kp = (np.concatenate(x) for x in zip(*parts))
            order = np.lexsort((-k, c, d))
            for j in order.tolist():
                dj, cj, kj = int(d[j]), int(c[j]), int(k[j])
                row = ch.d0 + dj
                b0 = int(ch.starts[cj] - ch.doc_bytes[dj])
                b1 = int(ch.ends[cj + kj - 1] - ch.doc_bytes[dj])
                hit = _Hit(cj - int(ch.doc_tokens[dj]), kj, int(h[j]), int(kp[j]), b0, b1)
                if row not in out:
                    out[row] = _DocHits([hit], ch.gram_text(cj, kj) if with_text else "")
                else:
                    out[row].hits.append(hit)
        return out

    def _label(self, item: int) -> str:
        idx = self.index
        return f"{idx.set_names[int(idx.item_set[item])]}:{idx.item_ids[item]}"

    # ------------------------------------------------------------------------------ global passes
    def replay(self, rows: pa.Table, rejected: np.ndarray, absent: np.ndarray) -> np.ndarray:
        """Without too-common n-gram pruning each document is decided alone: decisions stand."""
        if self._counts_common():
            return super().replay(rows, rejected, absent)
        return np.zeros(len(absent), bool)

    def _counts_common(self) -> bool:
        return self.max_doc_frequency is not None and (self.mode == "span" or self.ignore_common_in_document_mode)

    def scan(self, table: pa.Table) -> pa.Table:
        """Per shard: the distinct index-hitting n-gram hashes of each document (one row each)."""
        if not self._counts_common() or table.num_rows == 0:
            return pa.table({"ngram": pa.array([], pa.uint64())})
        self.check_input(table)
        hashes: list[int] = []
        for dh in self._find(table.column("text"), ignore_common=False, with_text=False).values():
            hashes.extend(sorted({hit.h for hit in dh.hits}))
        return pa.table({"ngram": pa.array(hashes, pa.uint64())})

    def reduce(self, scan_files: list[Path], state_dir: Path, *, pmap: Any = map) -> dict[str, Any]:
        """Count documents per n-gram; write the n-grams found in more than max_doc_frequency docs."""
        arrays = [read_parquet(p, columns=["ngram"]).column("ngram").to_numpy() for p in scan_files]
        allh = np.concatenate(arrays).astype(np.uint64) if arrays else np.empty(0, np.uint64)
        uniq, counts = sorted_unique(allh)
        limit = self.max_doc_frequency
        common = uniq[counts > limit] if (limit is not None and self._counts_common()) else np.empty(0, np.uint64)
        with atomic_output(state_dir / _COMMON_FILE) as f:
            np.save(f, common.astype(np.uint64))
        return {"ngrams_matched": int(len(uniq)), "ngrams_common": int(len(common))}

    def load_state(self, state_dir: Path, shard: str | None = None) -> None:
        """The too-common n-grams: one small array for every shard (bounded by the test sets'
        n-grams, not by the corpus), so it is not split by shard."""
        path = state_dir / _COMMON_FILE
        self._common = np.load(path) if path.exists() else np.empty(0, np.uint64)

    # ------------------------------------------------------------------------------ process
    def process(self, table: pa.Table) -> StageOutput:
        self.check_input(table)
        n = table.num_rows
        found = self._find(table.column("text"), ignore_common=True) if n else {}
        matches = [0] * n
        items_col: list[list[str] | None] = [None] * n
        ngram_col: list[str | None] = [None] * n
        removed = [0] * n
        verdicts: list[Verdict] = [None] * n
        new_text: dict[int, str] = {}
        docs_hit: Counter[str] = Counter()
        docs_removed: Counter[str] = Counter()
        items_found: dict[str, Counter[str]] = {}
        span = Counter({"documents_cut": 0, "chars_removed": 0, "pieces_dropped_short": 0})
        texts = table.column("text")
        idx = self.index
        for row in sorted(found):
            dh = found[row]
            first_item: dict[int, int] = {}  # gram hash -> key position (first occurrence)
            for hit in dh.hits:
                first_item.setdefault(hit.h, hit.key_pos)
            item_nos = sorted({i for kp in first_item.values() for i in idx.items_at(kp)})
            labels = [self._label(i) for i in item_nos]
            sets = sorted({idx.set_names[int(idx.item_set[i])] for i in item_nos})
            matches[row] = len(first_item)
            items_col[row] = labels[:MAX_ITEMS_REPORTED]
            ngram_col[row] = dh.ngram
            for s in sets:
                docs_hit[s] += 1
            for i in item_nos:
                s = idx.set_names[int(idx.item_set[i])]
                items_found.setdefault(s, Counter())[idx.item_ids[i]] += 1
            first = self._label(idx.items_at(dh.hits[0].key_pos)[0])
            more = f" (+{len(labels) - 5} more)" if len(labels) > 5 else ""
            detail = (f"{first} matched \"{dh.ngram}\"; {len(first_item)} n-gram(s) from "
                      f"{len(labels)} item(s): {', '.join(labels[:5])}{more}")
            if self.mode == "document":
                if len(first_item) >= self.min_matches:
                    verdicts[row] = ("contaminated", detail)
            else:
                text = texts[row].as_py() or ""
                verdict, kept_text, dropped = self._cut(text, dh)
                if verdict is not None:
                    verdicts[row] = (verdict, detail)
                else:
                    new_text[row] = kept_text
                    removed[row] = len(text) - len(kept_text)
                    span["documents_cut"] += 1
                    span["chars_removed"] += removed[row]
                    span["pieces_dropped_short"] += dropped
            if verdicts[row] is not None:
                for s in sets:
                    docs_removed[s] += 1
        if new_text:
            text_list = texts.to_pylist()
            for row, t in new_text.items():
                text_list[row] = t
            table = with_columns(table, {"text": pa.array(text_list, table.schema.field("text").type)})
        table = with_columns(table, {"decontam_matches": matches, "decontam_items": items_col,
                                     "decontam_ngram": ngram_col, "decontam_chars_removed": removed},
                             self.columns)
        counters: dict[str, dict[str, int]] = {"documents_hit": dict(docs_hit),
                                               "documents_removed": dict(docs_removed)}
        for s, cnt in items_found.items():
            counters[f"items_found.{s}"] = dict(cnt)
        if self.mode == "span":
            counters["span"] = dict(span)
        return self.split(table, verdicts, counters)

    # ------------------------------------------------------------------------------ span cutting
    def _char_spans(self, text: str, dh: _DocHits) -> list[tuple[int, int]]:
        """Character ranges of the hits in the original ``text``."""
        if text.isascii():  # normalised bytes are the original characters
            return [(h.b0, h.b1) for h in dh.hits]
        norm = normalize_non_ascii(text)
        raw = norm.encode("utf-8")

        def nchar(b: int) -> int:
            return len(raw[:b].decode("utf-8", "ignore"))

        spans = [(nchar(h.b0), nchar(h.b1)) for h in dh.hits]
        if len(norm) == len(text):
            return spans
        # Normalisation changed the length (ligatures, compatibility forms): map back through the
        # per-character expansion. Composition can shift this by a character or two, far inside
        # the window removed around each match.
        cum = np.cumsum([len(normalize_non_ascii(ch)) for ch in text])
        return [(int(np.searchsorted(cum, a, side="right")),
                 min(len(text), int(np.searchsorted(cum, max(b - 1, 0), side="right")) + 1)) for a, b in spans]

    def _cut(self, text: str, dh: _DocHits) -> tuple[str | None, str, int]:
        """(rule or None, the text that stays, pieces dropped as too short) — GPT-3 appendix C."""
        w = self.window_chars
        size = len(text)
        cuts = sorted((max(0, a - w), min(size, b + w)) for a, b in self._char_spans(text, dh))
        merged: list[list[int]] = []
        for a, b in cuts:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        pieces: list[str] = []
        pos = 0
        for a, b in merged:
            pieces.append(text[pos:a])
            pos = b
        pieces.append(text[pos:])
        pieces = [p.strip() for p in pieces if p.strip()]
        if len(pieces) > self.max_pieces:
            return "too_many_pieces", "", 0
        kept = [p for p in pieces if len(p) >= self.min_piece_chars]
        if not kept:
            return "nothing_left", "", len(pieces)
        return None, "\n\n".join(kept), len(pieces) - len(kept)
