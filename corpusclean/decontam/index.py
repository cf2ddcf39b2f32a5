"""The decontamination index: every test set's grams in ONE sorted hash array behind a Bloom
bitmap, built once and cached on disk.

* **Lookup.** All test sets share one index: the sorted array of gram hashes (with the item each
  came from), behind the anchor bitmap of :mod:`corpusclean.decontam.bloom`. Cost per document
  position: one bitmap probe, whatever the number of test sets or items.
* **Cache.** The index is cached under a key made of the test files' content hashes, the
  test-set options, n, min_ngram and :data:`INDEX_VERSION` (bump it when the normalisation or
  the hashing changes). It is written file by file atomically (:mod:`corpusclean.io.files`) into
  a temporary folder, which is then renamed into place, so parallel workers never read a
  half-written index; workers memory-map the arrays, so N workers share one copy in the page
  cache.

Tokens and hashes: :mod:`corpusclean.decontam.tokens`; test sets: :mod:`corpusclean.decontam.testsets`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from corpusclean.decontam.bloom import BLOOM_PROBES, bit_is_set, bloom_hash, set_bits, sorted_unique
from corpusclean.decontam.testsets import TestSetSpec, item_texts, resolve_path, test_set_files
from corpusclean.decontam.tokens import tokenize
from corpusclean.io.files import atomic_output, atomic_write_text

__all__ = ["INDEX_VERSION", "DecontamIndex", "build_index", "cache_key", "default_cache_dir", "load_or_build"]

log = logging.getLogger("corpusclean.decontaminate")

#: Bump when tokenisation, hashing or the on-disk layout changes (it is part of the cache key).
INDEX_VERSION = "decontam-v2"
_U64 = np.uint64


@dataclass
class DecontamIndex:
    """One merged index over every test set (sorted gram hashes + anchor bitmap)."""

    keys: np.ndarray  # uint64, sorted
    key_item: np.ndarray  # uint32: the item each key entry came from
    bitmap: np.ndarray  # uint8: anchor-hash bitmap
    bitmap_bits: int  # log2 of the number of bits
    lengths: list[int]  # distinct gram lengths indexed (n and the short items' lengths)
    item_set: np.ndarray  # uint16: test-set number of each item
    item_ids: list[str]
    set_names: list[str]
    meta: dict[str, Any]

    @property
    def anchor(self) -> int:
        """Length of the gram prefix hashed into the bitmap (every indexed gram is at least this long)."""
        return int(self.meta["anchor"])

    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.key_item.nbytes + self.bitmap.nbytes + self.item_set.nbytes)

    def probe(self, hashes: np.ndarray) -> np.ndarray:
        """Positions whose anchor hash may be indexed (Bloom filter; false positives possible).

        The first probe runs over every position; the others only over the few that passed it.
        """
        if len(self.keys) == 0 or len(hashes) == 0:
            return np.empty(0, dtype=np.int64)
        pos = np.flatnonzero(bit_is_set(self.bitmap, self.bitmap_bits, hashes))
        for j in range(1, BLOOM_PROBES):
            if not len(pos):
                break
            pos = pos[bit_is_set(self.bitmap, self.bitmap_bits, bloom_hash(hashes[pos], j))]
        return pos

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each hash, (found?, first key position)."""
        pos = np.searchsorted(self.keys, hashes)
        safe = np.minimum(pos, max(len(self.keys) - 1, 0))
        found = (pos < len(self.keys)) & (self.keys[safe] == hashes) if len(self.keys) else np.zeros(len(hashes), bool)
        return found, pos

    def items_at(self, key_pos: int) -> list[int]:
        """Every item whose gram has the hash stored at ``key_pos``."""
        h = self.keys[key_pos]
        hi = int(np.searchsorted(self.keys, h, side="right"))
        return [int(i) for i in self.key_item[key_pos:hi]]


def _file_digest(path: Path) -> str:
    h = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def cache_key(specs: Sequence[TestSetSpec], n: int, min_ngram: int) -> str:
    """Content-addressed key: file hashes + test-set options + n + min_ngram + INDEX_VERSION."""
    parts: list[Any] = [INDEX_VERSION, n, min_ngram]
    for spec in specs:
        root = resolve_path(spec.path)
        files = test_set_files(spec)
        parts.append({
            "name": spec.name, "fields": spec.fields, "id_field": spec.id_field, "format": spec.format,
            "text_unit": spec.text_unit, "header": spec.header, "join_fields": spec.join_fields,
            "files": [[p.relative_to(root).as_posix() if p != root else p.name, _file_digest(p)] for p in files],
        })
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def default_cache_dir() -> Path:
    """``$CORPUSCLEAN_CACHE/decontam``, else ``$XDG_CACHE_HOME/corpusclean/decontam``, else ``~/.cache/...``."""
    env = os.environ.get("CORPUSCLEAN_CACHE")
    if env:
        return Path(env).expanduser() / "decontam"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "corpusclean" / "decontam"


def build_index(specs: Sequence[TestSetSpec], n: int, min_ngram: int) -> DecontamIndex:
    """Read every test set and build the merged index in memory."""
    t0 = time.perf_counter()
    item_ids: list[str] = []
    item_set: list[int] = []
    piece_texts: list[str] = []
    piece_item: list[int] = []
    for s, spec in enumerate(specs):
        for item_id, texts in item_texts(spec):
            item_no = len(item_ids)
            item_ids.append(item_id)
            item_set.append(s)
            for t in texts:
                piece_texts.append(t)
                piece_item.append(item_no)
    if len(item_ids) >= 2**32 or len(specs) >= 2**16:
        raise ValueError("decontaminate: too many test items (at most 2^32) or test sets (2^16)")
    piece_item_arr = np.asarray(piece_item, dtype=np.int64)
    keys_parts: list[np.ndarray] = []
    item_parts: list[np.ndarray] = []
    anchor_parts: list[np.ndarray] = []
    lengths: set[int] = set()
    skipped_short = 0
    pieces_whole = 0
    anchor_len = min(min_ngram, n)
    # Pass over the tokenised pieces; grams never cross pieces.
    for chunk in tokenize(piece_texts):
        ntok = np.diff(chunk.doc_tokens)
        first = chunk.doc_tokens[:-1]
        pieces = np.arange(chunk.d0, chunk.d1)
        # long pieces: every n-gram
        long_mask = ntok >= n
        if long_mask.any():
            counts = ntok[long_mask] - n + 1
            starts = np.repeat(first[long_mask], counts) + _ranges(counts)
            keys_parts.append(chunk.gram_hashes(starts, n))
            item_parts.append(np.repeat(piece_item_arr[pieces[long_mask]], counts))
            anchor_parts.append(chunk.gram_hashes(starts, anchor_len))
            lengths.add(n)
        # short pieces: indexed whole
        short_mask = (ntok >= min_ngram) & (ntok < n)
        pieces_whole += int(short_mask.sum())
        skipped_short += int(((ntok > 0) & (ntok < min_ngram)).sum())
        for k in np.unique(ntok[short_mask]).tolist():
            sel = short_mask & (ntok == k)
            starts = first[sel]
            keys_parts.append(chunk.gram_hashes(starts, k))
            item_parts.append(piece_item_arr[pieces[sel]])
            anchor_parts.append(chunk.gram_hashes(starts, anchor_len))
            lengths.add(k)
    keys = np.concatenate(keys_parts) if keys_parts else np.empty(0, _U64)
    key_item = np.concatenate(item_parts).astype(np.uint32) if item_parts else np.empty(0, np.uint32)
    anchors = np.concatenate(anchor_parts) if anchor_parts else np.empty(0, _U64)
    order = np.lexsort((key_item, keys))
    keys, key_item = keys[order], key_item[order]
    if len(keys):
        keep = np.ones(len(keys), dtype=bool)
        keep[1:] = (keys[1:] != keys[:-1]) | (key_item[1:] != key_item[:-1])
        keys, key_item = keys[keep], key_item[keep]
    bits = int(np.clip(np.ceil(np.log2(max(len(anchors), 1) * 16)), 16, 32))  # at most 512 MiB
    bitmap = np.zeros(1 << (bits - 3), dtype=np.uint8)
    for j in range(BLOOM_PROBES):
        set_bits(bitmap, bits, bloom_hash(anchors, j))
    per_set_items = [0] * len(specs)
    for s in item_set:
        per_set_items[s] += 1
    meta = {
        "version": INDEX_VERSION, "n": n, "min_ngram": min_ngram,
        "sets": [spec.name for spec in specs], "items_per_set": per_set_items,
        "items": len(item_ids), "texts": len(piece_texts), "texts_indexed_whole": pieces_whole,
        "texts_too_short": skipped_short, "ngrams": int(len(keys)), "distinct_ngrams": int(len(sorted_unique(keys)[0])),
        "lengths": sorted(lengths), "anchor": anchor_len, "bitmap_bits": bits, "bloom_probes": BLOOM_PROBES, "build_seconds": round(time.perf_counter() - t0, 3),
    }
    return DecontamIndex(keys, key_item, bitmap, bits, sorted(lengths), np.asarray(item_set, np.uint16),
                         item_ids, [spec.name for spec in specs], meta)


def _ranges(counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(c)`` for each c in counts."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(counts)
    out = np.arange(total, dtype=np.int64)
    return out - np.repeat(ends - counts, counts)


def _save(index: DecontamIndex, folder: Path) -> None:
    """Write the index's files into ``folder``, each atomically, ``meta.json`` last."""
    for name, arr in (("keys", index.keys), ("key_item", index.key_item), ("bitmap", index.bitmap),
                      ("item_set", index.item_set)):
        with atomic_output(folder / f"{name}.npy") as f:
            np.save(f, arr)
    with atomic_output(folder / "items.parquet") as f:
        pq.write_table(pa.table({"item_id": pa.array(index.item_ids, pa.string())}), f)
    atomic_write_text(folder / "meta.json", json.dumps(index.meta, indent=1))


def _load(folder: Path) -> DecontamIndex:
    meta = json.loads((folder / "meta.json").read_text())
    item_ids = pq.read_table(folder / "items.parquet").column("item_id").to_pylist()
    return DecontamIndex(
        np.load(folder / "keys.npy", mmap_mode="r"), np.load(folder / "key_item.npy", mmap_mode="r"),
        np.load(folder / "bitmap.npy", mmap_mode="r"), int(meta["bitmap_bits"]), list(meta["lengths"]),
        np.load(folder / "item_set.npy"), item_ids, list(meta["sets"]), meta,
    )


def load_or_build(specs: Sequence[TestSetSpec], n: int, min_ngram: int,
                  cache_dir: Path | None) -> tuple[DecontamIndex, bool]:
    """The index from the cache (memory-mapped) or freshly built and cached; (index, from_cache).

    Building takes a per-key file lock where the platform has one, so parallel workers starting
    together build once; the folder appears by an atomic rename, so no reader sees a half index.
    A cache that cannot be written (read-only home) only costs a rebuild per process.
    """
    if cache_dir is None:
        return build_index(specs, n, min_ngram), False
    key = cache_key(specs, n, min_ngram)
    final = cache_dir / key
    if (final / "meta.json").exists():
        return _load(final), True
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        lock = open(cache_dir / f"{key}.lock", "a+")  # noqa: SIM115
    except OSError as e:
        log.warning("decontaminate: cache %s not writable (%s); building in memory", cache_dir, e)
        return build_index(specs, n, min_ngram), False
    try:
        try:
            import fcntl

            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass
        if (final / "meta.json").exists():  # another worker built it while we waited
            return _load(final), True
        index = build_index(specs, n, min_ngram)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=cache_dir))
        try:
            _save(index, tmp)
            os.rename(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (final / "meta.json").exists():
                log.warning("decontaminate: could not write the index cache under %s", cache_dir)
                return index, False
        return _load(final), False
    finally:
        lock.close()
