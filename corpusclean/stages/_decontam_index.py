"""The n-gram index behind the ``decontaminate`` stage: tokens, hashes, test-set loading, disk cache.

Why this module is numpy over bytes rather than Python over words: the stage must scan about
5,000 documents (3 KB each) per second per core. Turning 500 words per document into Python
strings costs ~70 µs per document on its own (``re.findall`` and Arrow's regex split alike), so
the hot path never creates a word string. It works on the UTF-8 bytes of a whole batch at once:

* **Tokens.** A token is exactly a token of :func:`corpusclean.text.normalize_for_ngrams` (NFKC,
  lowercase, maximal runs of ``str.isalnum()`` characters — the GPT-3 gram). ASCII documents
  (NFKC is the identity on ASCII) are read as raw bytes and a 256-entry table lowercases them and
  marks ``[a-z0-9]`` as token bytes. A non-ASCII document is first NFKC-normalised and lowercased
  in Python, and each non-ASCII character that is not alphanumeric becomes one space (so every
  remaining byte >= 0x80 belongs to an alphanumeric character and is a token byte). The two
  paths give the same tokens as ``normalize_for_ngrams``; ``tests/test_decontaminate.py`` checks
  that on random Unicode text.
* **Token hash.** A polynomial hash of the token's bytes modulo 2^64 (prefix sums over the batch,
  so one numpy pass per operation), finished with the splitmix64 mixer.
* **Gram hash.** A polynomial hash of the k token hashes, again from prefix sums, mixed with k;
  computed for every start position in one pass per length.
* **Lookup.** All test sets share ONE index: the sorted array of gram hashes (with the item each
  came from). A bitmap over the hash of each indexed gram's first ``A`` tokens (``A`` = the
  shortest indexed length, 16 bits per entry: ~6% of positions pass by chance) is probed for
  every document position; only positions that pass are checked exactly with ``searchsorted``
  for each indexed length. Cost per document position: one bitmap probe, whatever the number of
  test sets or items.

The index is built once and cached on disk under a key made of the test files' content hashes,
the test-set options, n, min_ngram and :data:`INDEX_VERSION` (bump it when the normalisation or
the hashing changes). It is written to a temporary folder and renamed into place, so parallel
workers never read a half-written index; workers memory-map the arrays, so N workers share one
copy in the page cache.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import importlib.util
import io
import json
import logging
import lzma
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

log = logging.getLogger("corpusclean.decontaminate")

#: Bump when tokenisation, hashing or the on-disk layout changes (it is part of the cache key).
INDEX_VERSION = "decontam-v2"

_U64 = np.uint64
_MASK = (1 << 64) - 1
_BYTE_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2^64
_TOKEN_BASE = 0xC2B2AE3D27D4EB4F  # odd
_LEN_SALT = 0xD6E8FEB86659FD93
_K_SALT = 0x632BE59BD9B4E019

#: Bytes processed together (bounds the uint64 temporaries to ~8x this).
CHUNK_BYTES = 1 << 21

# ------------------------------------------------------------------------------ tokenisation
_WORD_BYTE = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
    _WORD_BYTE[_c] = True
_WORD_BYTE[0x80:] = True  # only alphanumeric characters keep non-ASCII bytes (see module doc)
_LOWER_BYTE = np.arange(256, dtype=np.uint8)
_LOWER_BYTE[ord("A"):ord("Z") + 1] += 32

_NONWORD_NONASCII = re.compile(r"[^\x00-\x7f\w]")


def normalize_non_ascii(text: str) -> str:
    """NFKC + lowercase, each non-ASCII non-alphanumeric character replaced by one space.

    Tokenising the result with the byte rule (``[a-z0-9]`` and bytes >= 0x80 are token bytes)
    gives exactly ``normalize_for_ngrams(text)``.
    """
    return _NONWORD_NONASCII.sub(" ", unicodedata.normalize("NFKC", text).lower())


class _Powers:
    """Powers of a base and of its inverse modulo 2^64, grown on demand (same values always)."""

    def __init__(self, base: int):
        self.base = base
        self.inv = pow(base, -1, 1 << 64)
        self.pow = np.ones(1, dtype=_U64)
        self.ipow = np.ones(1, dtype=_U64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.pow) < n:
            size = max(n, 2 * len(self.pow), 1 << 16)
            with np.errstate(over="ignore"):
                p = np.full(size, self.base, dtype=_U64)
                p[0] = 1
                q = np.full(size, self.inv, dtype=_U64)
                q[0] = 1
                self.pow = np.cumprod(p, dtype=_U64)
                self.ipow = np.cumprod(q, dtype=_U64)
        return self.pow[:n], self.ipow[:n]


_BYTE_POW = _Powers(_BYTE_BASE)
_TOKEN_POW = _Powers(_TOKEN_BASE)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every output bit depends on every input bit."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> _U64(30))
        x = x * _U64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> _U64(27))
        x = x * _U64(0x94D049BB133111EB)
        return x ^ (x >> _U64(31))


def _k_salt(k: int) -> np.uint64:
    return _U64((k * _K_SALT) & _MASK)


@dataclass
class TokenChunk:
    """Tokens of documents ``d0 .. d1-1`` of a batch (positions are relative to this chunk)."""

    d0: int
    d1: int
    buf: np.ndarray  # uint8: the chunk's (normalised) bytes
    doc_bytes: np.ndarray  # int64, len d1-d0+1: byte offset of each document in ``buf``
    starts: np.ndarray  # int64: byte offset of each token
    ends: np.ndarray  # int64: byte offset after each token
    hashes: np.ndarray  # uint64: token hashes
    doc_tokens: np.ndarray  # int64, len d1-d0+1: index of each document's first token
    prefix: np.ndarray  # uint64, len T+1: prefix sums for gram hashes

    def gram_hashes(self, pos: np.ndarray, k: int) -> np.ndarray:
        """Hashes of the k-grams starting at token positions ``pos`` (caller checks bounds)."""
        _, ipow = _TOKEN_POW.get(len(self.prefix))
        with np.errstate(over="ignore"):
            return mix64(((self.prefix[pos + k] - self.prefix[pos]) * ipow[pos]) ^ _k_salt(k))

    def all_gram_hashes(self, k: int) -> np.ndarray:
        """Hashes of the k-grams at every position 0 .. T-k (windows may cross documents)."""
        t = len(self.hashes)
        if t < k:
            return np.empty(0, dtype=_U64)
        _, ipow = _TOKEN_POW.get(t + 1)
        with np.errstate(over="ignore"):
            return mix64(((self.prefix[k:] - self.prefix[:t - k + 1]) * ipow[:t - k + 1]) ^ _k_salt(k))

    def doc_of(self, pos: np.ndarray) -> np.ndarray:
        """Chunk-relative document number of each token position."""
        return np.searchsorted(self.doc_tokens, pos, side="right") - 1

    def token_text(self, i: int) -> str:
        return _LOWER_BYTE[self.buf[self.starts[i]:self.ends[i]]].tobytes().decode("utf-8", "replace")

    def gram_text(self, pos: int, k: int) -> str:
        return " ".join(self.token_text(j) for j in range(pos, pos + k))


def _as_large_string(texts: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), pa.large_string())
    if texts.type != pa.large_string():
        texts = texts.cast(pa.large_string())
    return pc.fill_null(texts, "")


def prepare_texts(texts: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> tuple[pa.Array, np.ndarray]:
    """The batch as one large_string array of normalised text, and which rows were ASCII.

    ASCII rows are passed through untouched (lowercasing happens in the byte table); non-ASCII
    rows are replaced by :func:`normalize_non_ascii` of themselves.
    """
    arr = _as_large_string(texts)
    is_ascii = pc.string_is_ascii(arr).to_numpy(zero_copy_only=False).astype(bool)
    non = np.flatnonzero(~is_ascii)
    if len(non):
        repl: list[str] = [""] * len(arr)
        for j, value in zip(non.tolist(), arr.take(pa.array(non)).to_pylist()):
            repl[j] = normalize_non_ascii(value)
        arr = pc.if_else(pa.array(is_ascii), arr, pa.array(repl, pa.large_string()))
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
    return arr, is_ascii


def tokenize(texts: pa.Array | pa.ChunkedArray | Sequence[str | None],
             chunk_bytes: int = CHUNK_BYTES) -> Iterator[TokenChunk]:
    """Tokenise and hash a batch, yielding :class:`TokenChunk` s of whole documents."""
    arr, _ = prepare_texts(texts)
    n = len(arr)
    if n == 0:
        return
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.empty(0, np.uint8)
    d0 = 0
    while d0 < n:
        d1 = int(np.searchsorted(offsets, offsets[d0] + chunk_bytes, side="right")) - 1
        d1 = min(max(d1, d0 + 1), n)
        yield _tokenize_chunk(d0, d1, data, offsets)
        d0 = d1


def _tokenize_chunk(d0: int, d1: int, data: np.ndarray, offsets: np.ndarray) -> TokenChunk:
    b0 = int(offsets[d0])
    buf = data[b0:int(offsets[d1])]
    doc_bytes = (offsets[d0:d1 + 1] - b0).astype(np.int64)
    size = len(buf)
    if size == 0:
        empty = np.empty(0, dtype=np.int64)
        return TokenChunk(d0, d1, buf, doc_bytes, empty, empty, np.empty(0, _U64),
                          np.zeros(d1 - d0 + 1, dtype=np.int64), np.zeros(1, _U64))
    word = _WORD_BYTE[buf]
    prev = np.empty(size, dtype=bool)
    prev[0] = False
    prev[1:] = word[:-1]
    inner = doc_bytes[1:-1]
    prev[inner[inner < size]] = False  # a token never runs across two documents
    nxt = np.empty(size, dtype=bool)
    nxt[-1] = False
    nxt[:-1] = word[1:]
    last = doc_bytes[1:] - 1
    nxt[last[last >= 0]] = False
    starts = np.flatnonzero(word & ~prev)
    ends = np.flatnonzero(word & ~nxt) + 1
    bpow, bipow = _BYTE_POW.get(size + 1)
    with np.errstate(over="ignore"):
        s = np.empty(size + 1, dtype=_U64)
        s[0] = 0
        np.cumsum(_LOWER_BYTE[buf].astype(_U64) * bpow[:size], out=s[1:])
        raw = (s[ends] - s[starts]) * bipow[starts]
        hashes = mix64(raw ^ ((ends - starts).astype(_U64) * _U64(_LEN_SALT)))
        t = len(hashes)
        tpow, _ = _TOKEN_POW.get(t + 1)
        prefix = np.empty(t + 1, dtype=_U64)
        prefix[0] = 0
        np.cumsum(hashes * tpow[:t], out=prefix[1:])
    doc_tokens = np.searchsorted(starts, doc_bytes).astype(np.int64)
    return TokenChunk(d0, d1, buf, doc_bytes, starts, ends, hashes, doc_tokens, prefix)


# ------------------------------------------------------------------------------ test sets
@dataclass
class TestSetSpec:
    """One benchmark test set: where it is and which fields of each record to index."""

    __test__ = False  # not a pytest test class

    #: Short name used in reasons, columns and stats (no ':' — it separates set and item).
    name: str
    #: A file, a folder (every supported file in it, recursively, in name order), or
    #: ``pkg:<package>/<path inside it>`` for a file shipped inside an installed package.
    path: str
    #: Record fields to index (dotted paths reach into nested objects; lists are indexed element
    #: by element). Empty: every string / list-of-strings field except the id.
    fields: list[str] = field(default_factory=list)
    #: Field holding the item id. None: the first of task_id, id, question_id, qid, uid, idx
    #: that the record has, else the record's row number.
    id_field: str | None = None
    #: auto: from the file extension (.jsonl/.json/.parquet/.csv/.tsv/.txt, optionally .gz/.bz2/.xz/.zst).
    format: Literal["auto", "jsonl", "json", "parquet", "csv", "tsv", "text"] = "auto"
    #: Plain-text files: one item per line, per blank-line-separated paragraph, or per file.
    text_unit: Literal["line", "paragraph", "file"] = "line"
    #: CSV/TSV: whether the first row names the columns (else columns are named "0", "1", ...).
    header: bool = True
    #: Index a record's fields joined into one text (grams may span fields) instead of separately.
    join_fields: bool = False


_ID_FIELDS = ("task_id", "id", "question_id", "qid", "uid", "idx")
_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet",
                   ".csv": "csv", ".tsv": "tsv", ".txt": "text", ".text": "text"}
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")


def resolve_path(path: str) -> Path:
    """A test-set path, with ``pkg:<package>/<relative path>`` resolved inside an installed package."""
    if path.startswith("pkg:"):
        pkg, _, rel = path[4:].partition("/")
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"test set path {path!r}: package {pkg!r} is not installed")
        return Path(list(spec.submodule_search_locations)[0]) / rel
    return Path(os.path.expanduser(path))


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for comp in _COMPRESSIONS:
        if name.endswith(comp):
            name = name[: -len(comp)]
    return _SUFFIX_FORMATS.get(Path(name).suffix)


def test_set_files(spec: TestSetSpec) -> list[Path]:
    """The files of a test set (raises ValueError with the path if there are none)."""
    root = resolve_path(spec.path)
    if root.is_file():
        return [root]
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(root).parts)
                       and (spec.format != "auto" or _format_of(p) is not None))
        if not files:
            raise ValueError(f"test set {spec.name!r}: folder {root} holds no .jsonl/.json/.parquet/.csv/.tsv/.txt file")
        return files
    raise ValueError(f"test set {spec.name!r}: {root} does not exist")


def _open_text(path: Path) -> io.TextIOBase:
    name = path.name.lower()
    if name.endswith(".gz"):
        raw: Any = gzip.open(path, "rb")
    elif name.endswith(".bz2"):
        raw = bz2.open(path, "rb")
    elif name.endswith(".xz"):
        raw = lzma.open(path, "rb")
    elif name.endswith(".zst"):
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"))  # noqa: SIM115
    else:
        raw = open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def _records(path: Path, spec: TestSetSpec) -> Iterator[dict[str, Any] | str]:
    fmt = spec.format if spec.format != "auto" else _format_of(path)
    if fmt is None:
        raise ValueError(f"test set {spec.name!r}: cannot tell the format of {path}; set 'format'")
    if fmt == "parquet":
        for batch in pq.ParquetFile(path).iter_batches():
            yield from batch.to_pylist()
        return
    with _open_text(path) as fh:
        if fmt == "jsonl":
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as e:
                        raise ValueError(f"test set {spec.name!r}: {path}:{lineno}: invalid JSON ({e.msg})") from None
        elif fmt == "json":
            try:
                data = json.load(fh)
            except json.JSONDecodeError as e:
                raise ValueError(f"test set {spec.name!r}: {path}: invalid JSON ({e.msg})") from None
            if isinstance(data, dict):  # {"data": [...]} or {"test": [...]}: the first list value
                data = next((v for v in data.values() if isinstance(v, list)), [data])
            yield from data
        elif fmt in ("csv", "tsv"):
            reader = csv.reader(fh, delimiter="\t" if fmt == "tsv" else ",")
            names: list[str] | None = None
            for row in reader:
                if names is None and spec.header:
                    names = row
                    continue
                keys = names or [str(i) for i in range(len(row))]
                yield dict(zip(keys, row))
        else:  # text
            content = fh.read()
            if spec.text_unit == "file":
                yield content
            elif spec.text_unit == "paragraph":
                yield from (p for p in re.split(r"\n\s*\n", content) if p.strip())
            else:
                yield from (line for line in content.splitlines() if line.strip())


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        yield str(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)


def _get(record: Any, dotted: str) -> list[Any]:
    """Values at a dotted path; lists met on the way are mapped over."""
    current = [record]
    for part in dotted.split("."):
        nxt: list[Any] = []
        for value in current:
            if isinstance(value, (list, tuple)):
                value_list = list(value)
            else:
                value_list = [value]
            for v in value_list:
                if isinstance(v, dict) and part in v:
                    nxt.append(v[part])
        current = nxt
    return current


def item_texts(spec: TestSetSpec) -> Iterator[tuple[str, list[str]]]:
    """(item id, texts to index) for every record of a test set, in file order."""
    files = test_set_files(spec)
    root = resolve_path(spec.path)
    for path in files:
        prefix = "" if len(files) == 1 else f"{path.relative_to(root).as_posix()}#"
        for row, rec in enumerate(_records(path, spec)):
            if isinstance(rec, str):
                yield f"{prefix}{row}", [rec]
                continue
            if not isinstance(rec, dict):
                yield f"{prefix}{row}", list(_leaves(rec))
                continue
            id_field = spec.id_field or next((f for f in _ID_FIELDS if f in rec), None)
            item_id = f"{prefix}{rec[id_field]}" if id_field and rec.get(id_field) is not None else f"{prefix}{row}"
            if spec.fields:
                texts = [t for f in spec.fields for v in _get(rec, f) for t in _leaves(v)]
            else:
                texts = [t for k, v in rec.items() if k != id_field for t in _leaves(v)
                         if not isinstance(v, (int, float))]
            if spec.join_fields and texts:
                texts = ["\n".join(texts)]
            yield item_id, texts


# ------------------------------------------------------------------------------ the index
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
        pos = np.flatnonzero(_bit_is_set(self.bitmap, self.bitmap_bits, hashes))
        for j in range(1, BLOOM_PROBES):
            if not len(pos):
                break
            pos = pos[_bit_is_set(self.bitmap, self.bitmap_bits, _bloom_hash(hashes[pos], j))]
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


#: Bits set per indexed anchor. With >= 16 bitmap bits per anchor, 3 probes let ~0.5% of clean
#: positions through to the exact check (one probe: ~6%), which is what dominates scan time.
BLOOM_PROBES = 3


def _bloom_hash(h: np.ndarray, j: int) -> np.ndarray:
    return h if j == 0 else mix64(h ^ _U64((j * 0xA0761D6478BD642F) & _MASK))


def _bit_is_set(bitmap: np.ndarray, bits: int, h: np.ndarray) -> np.ndarray:
    idx = h >> _U64(64 - bits)
    return ((bitmap[idx >> _U64(3)] >> (idx & _U64(7)).astype(np.uint8)) & np.uint8(1)).astype(bool)


def sorted_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, their counts) by sorting: numpy 2.3+'s hash-based ``np.unique``
    is ~15x slower than a sort on millions of uint64 hashes."""
    v = np.sort(values)
    if not len(v):
        return v, np.empty(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    return v[first], np.diff(np.r_[first, len(v)])


def _set_bits(bitmap: np.ndarray, bits: int, h: np.ndarray) -> None:
    u, _ = sorted_unique(h >> _U64(64 - bits))
    if not len(u):
        return
    byte = (u >> _U64(3)).astype(np.int64)
    val = np.left_shift(np.uint8(1), (u & _U64(7)).astype(np.uint8))
    first = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]])
    bitmap[byte[first]] |= np.bitwise_or.reduceat(val, first)


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
        _set_bits(bitmap, bits, _bloom_hash(anchors, j))
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
    np.save(folder / "keys.npy", index.keys)
    np.save(folder / "key_item.npy", index.key_item)
    np.save(folder / "bitmap.npy", index.bitmap)
    np.save(folder / "item_set.npy", index.item_set)
    pq.write_table(pa.table({"item_id": pa.array(index.item_ids, pa.string())}), folder / "items.parquet")
    (folder / "meta.json").write_text(json.dumps(index.meta, indent=1))


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
