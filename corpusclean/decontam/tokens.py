"""The decontamination tokeniser and hashes: GPT-3 n-grams of a whole batch, over bytes in numpy.

Why numpy over bytes rather than Python over words: the stage must scan about 5,000 documents
(3 KB each) per second per core. Turning 500 words per document into Python strings costs
~70 µs per document on its own (``re.findall`` and Arrow's regex split alike), so the hot path
never creates a word string. It works on the UTF-8 bytes of a whole batch at once:

* **Tokens.** A token is exactly a token of :func:`corpusclean.text.normalize_for_ngrams` (the
  GPT-3 gram), through the byte fast path of :mod:`corpusclean.ngrams`: ASCII documents are read
  as raw bytes, :data:`~corpusclean.ngrams.TOKEN_BYTE` marks token bytes and
  :data:`~corpusclean.ngrams.LOWER_BYTE` lower-cases them; a non-ASCII document is first put
  through :func:`~corpusclean.ngrams.normalize_non_ascii`. ``tests/decontam/test_tokens.py``
  checks the tokens against ``normalize_for_ngrams`` on random Unicode text.
* **Token hash.** A polynomial hash of the token's bytes modulo 2^64 (prefix sums over the batch,
  so one numpy pass per operation), finished with the splitmix64 mixer.
* **Gram hash.** A polynomial hash of the k token hashes, again from prefix sums, mixed with k;
  computed for every start position in one pass per length.

Bump :data:`corpusclean.decontam.index.INDEX_VERSION` when anything here changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusclean.ngrams import LOWER_BYTE, TOKEN_BYTE, normalize_non_ascii

__all__ = ["TokenChunk", "tokenize", "prepare_texts", "mix64", "CHUNK_BYTES"]

_U64 = np.uint64

_MASK = (1 << 64) - 1
_BYTE_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2^64
_TOKEN_BASE = 0xC2B2AE3D27D4EB4F  # odd
_LEN_SALT = 0xD6E8FEB86659FD93
_K_SALT = 0x632BE59BD9B4E019

#: Bytes processed together (bounds the uint64 temporaries to ~8x this).
CHUNK_BYTES = 1 << 21

_WORD_BYTE = TOKEN_BYTE
_LOWER_BYTE = LOWER_BYTE


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
