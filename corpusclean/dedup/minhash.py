"""MinHash signatures for ``minhash_dedup``, vectorised over whole batches (step 1 of 4).

The fuzzy-dedup steps, one module each, composed by :mod:`corpusclean.stages.dedup`:

1. :mod:`corpusclean.dedup.minhash` — shingles and signatures (this module);
2. :mod:`corpusclean.dedup.lsh` — band keys, the LSH parameter rule, candidate pairs per band;
3. :mod:`corpusclean.dedup.verify` — accept or refuse each candidate pair;
4. :mod:`corpusclean.dedup.components` — clusters (connected components) and their survivors.

Everything works on whole batches with numpy array arithmetic; nothing loops in Python per
shingle. The pieces, in the order a document meets them:

1. **Normalisation** — the GPT-3 n-gram tokens of :func:`corpusclean.ngrams.ngram_bytes`
   (NFKC, lowercase, punctuation to spaces) as UTF-8 with spaces between tokens, with the
   optional digit rule; computed for a whole group of documents at once (:func:`_normalise_group`:
   each distinct non-ASCII character mapped once by :func:`corpusclean.ngrams.char_bytes`, one
   byte table over the group), exactly the same tokens (``tests/dedup/test_minhash_batch_text.py``).
2. **Unit hashes** — a 64-bit hash per word (or per character for character shingles), computed
   for the whole batch at once from the byte buffer (:func:`word_hashes`):
   ``fmix64(sum_j fmix64(((j << 8) | byte_j) + K))`` over the word's bytes.
3. **Shingle hashes** (:func:`shingle_hashes`) — ``fmix64(sum_k unit_{i+k} * M_k) >> 32`` over the
   n units of each window (``M_k`` fixed odd constants). A document with fewer than n units gets
   one shingle made of all its units, so short duplicates are still found.
4. **Signatures** (:func:`signatures`) — datasketch 2.x's ``"affine32"`` MinHash: the 32-bit
   shingle hash is pre-mixed with the 32-bit MurmurHash3 finalizer, then each permutation is
   ``a_k * h + b_k mod 2**32`` with ``(a, b)`` drawn exactly as ``datasketch.MinHash`` draws them
   from ``numpy.random.RandomState(seed)``. A test shows our signatures equal
   ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash_reference, scheme="affine32")``.
   The permutation step runs over cache-sized chunks laid out permutations x shingles (a chunk of
   128 x 8,192 uint32 stays in L2), which is what makes it fast.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

from corpusclean.ngrams import PER_CHAR_TABLES, Digits, char_bytes, ngram_bytes

U64 = np.uint64
U32 = np.uint32
MASK64 = (1 << 64) - 1
MAX32 = np.uint32(0xFFFFFFFF)
#: Bumped whenever any hash below changes (stored in signature indexes, checked on reuse).
HASH_VERSION = "corpusclean-minhash-1"


# ------------------------------------------------------------------------------- mixers
def splitmix64(n: int, seed: int) -> list[int]:
    """n deterministic 64-bit constants (SplitMix64), forced odd so they are invertible mod 2**64."""
    out = []
    x = seed & MASK64
    for _ in range(n):
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append((z ^ (z >> 31)) | 1)
    return out


_K_BYTE = 0x2545F4914F6CDD1D  # offset mixed into every (position, byte) pair of a word
_K_CHAR = 0x9E3779B97F4A7C15  # offset mixed into every code point (character shingles)
#: Multipliers of the k-th unit of a shingle / the k-th row of a band (256 is plenty: n <= 256).
_M = splitmix64(256, 0xC0FFEE)
_M_NP = np.array(_M, dtype=U64)


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (a bijection with full avalanche) on a uint64 array."""
    x = x ^ (x >> U64(33))
    x = x * U64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> U64(33))
    x = x * U64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> U64(33))


_TABLE_SIZE = 64 << 8


def fmix32(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer on a uint32 array (what datasketch's affine32 pre-mix is)."""
    x = x ^ (x >> U32(16))
    x = x * U32(0x85EBCA6B)
    x = x ^ (x >> U32(13))
    x = x * U32(0xC2B2AE35)
    return x ^ (x >> U32(16))


def _fmix64_int(x: int) -> int:
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & MASK64
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & MASK64
    return x ^ (x >> 33)


#: fmix64(((pos << 8) | byte) + K) for every word position < 64 and byte: the per-byte values
#: of :func:`word_hashes`, looked up instead of recomputed.
_PAIR_TABLE = fmix64(np.arange(_TABLE_SIZE, dtype=U64) + U64(_K_BYTE))


# ------------------------------------------------------------------------------ units
def word_hashes(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hash every word (maximal run of non-space bytes) of a uint8 buffer.

    Returns ``(hashes uint64, start byte offsets int64)``, in buffer order. A word's hash is
    ``fmix64(sum_j fmix64(((j << 8) | byte_j) + K))``: position-aware, so anagrams differ. The
    inner values for positions below 64 come from a precomputed table (same values, one gather).
    """
    nz = np.flatnonzero(buf != 32)
    if nz.size == 0:
        return np.empty(0, U64), np.empty(0, np.int64)
    brk = np.empty(nz.size, bool)
    brk[0] = True
    np.not_equal(nz[1:] - nz[:-1], 1, out=brk[1:])
    starts = np.flatnonzero(brk)
    lens = np.diff(starts, append=nz.size)
    key = np.arange(nz.size, dtype=np.int64) - np.repeat(starts, lens)
    key <<= 8
    key |= buf[nz]
    if key.max() < _TABLE_SIZE:
        vals = _PAIR_TABLE[key]
    else:
        vals = np.empty(key.size, U64)
        small = key < _TABLE_SIZE
        vals[small] = _PAIR_TABLE[key[small]]
        vals[~small] = fmix64(key[~small].astype(U64) + U64(_K_BYTE))
    return fmix64(np.add.reduceat(vals, starts)), nz[starts]


def word_hash_reference(token: bytes) -> int:
    """Pure-Python word hash (the definition :func:`word_hashes` vectorises)."""
    s = 0
    for j, c in enumerate(token):
        s = (s + _fmix64_int((((j << 8) | c) + _K_BYTE) & MASK64)) & MASK64
    return _fmix64_int(s)


def char_hashes(codepoints: np.ndarray) -> np.ndarray:
    """One 64-bit hash per character (code point)."""
    return fmix64(codepoints.astype(U64) + U64(_K_CHAR))


def char_hash_reference(ch: str) -> int:
    return _fmix64_int((ord(ch) + _K_CHAR) & MASK64)


# ---------------------------------------------------------------------------- shingles
def shingle_hashes(units: np.ndarray, counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of the n-unit windows of each document.

    ``units`` are the unit hashes of all documents back to back, ``counts`` how many each
    document has. Returns ``(hashes uint32, document index int64)`` sorted by document. A
    document with ``0 < count < n`` units gets one shingle of all its units; one with none, none.
    """
    total = units.size
    ndocs = counts.size
    doc_start = np.zeros(ndocs, np.int64)
    if ndocs:
        np.cumsum(counts[:-1], out=doc_start[1:])
    doc_end = doc_start + counts
    acc = units * _M_NP[0]
    for k in range(1, n):
        if k >= total:
            break
        acc[: total - k] += units[k:] * _M_NP[k]
    doc_of = np.repeat(np.arange(ndocs, dtype=np.int64), counts)
    valid = np.arange(total, dtype=np.int64) + n <= doc_end[doc_of]
    hashes = acc[valid]
    docs = doc_of[valid]
    short = np.flatnonzero((counts > 0) & (counts < n))
    if short.size:
        s_acc = np.zeros(short.size, U64)
        s_start = doc_start[short]
        s_cnt = counts[short]
        for k in range(int(s_cnt.max())):
            m = s_cnt > k
            s_acc[m] += units[s_start[m] + k] * _M_NP[k]
        hashes = np.concatenate([hashes, s_acc])
        docs = np.concatenate([docs, short])
        order = np.argsort(docs, kind="stable")
        hashes, docs = hashes[order], docs[order]
    return (fmix64(hashes) >> U64(32)).astype(U32), docs


def shingle_hash_reference(unit_hashes: tuple[int, ...] | list[int]) -> int:
    """Pure-Python 32-bit hash of one shingle given its unit hashes (the datasketch ``hashfunc``)."""
    s = 0
    for k, u in enumerate(unit_hashes):
        s = (s + u * _M[k]) & MASK64
    return _fmix64_int(s) >> 32


_BUF_BYTES = 1 << 18
_SIGMA = "\u03a3"


def _prepare(text: str | None, digits: Digits) -> tuple[bytes, bool]:
    """``(bytes, per_char)`` of one text for :func:`_normalise_group`: ASCII text as it is;
    non-ASCII text in NFKC as UTF-8 with ``per_char`` True (its non-ASCII characters still to be
    mapped); text with a capital sigma as :func:`ngram_bytes` gives it (context-dependent lower case)."""
    if not text:
        return b"", False
    if text.isascii():
        return text.encode("ascii"), False
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _SIGMA in text:
        return ngram_bytes(text, digits), False
    return text.encode("utf-8", "surrogatepass"), True


def _normalise_group(parts: list[bytes], per_char: list[bool], digits: Digits) -> tuple[bytes, np.ndarray]:
    """The :func:`~corpusclean.ngrams.ngram_bytes` tokens of a group of prepared texts (:func:`_prepare`),
    joined by spaces and ending in one: ``(buffer, end offset of each text's separator + 1)``.

    Each distinct non-ASCII character of the ``per_char`` texts is mapped once
    (:func:`~corpusclean.ngrams.char_bytes`): one that becomes only spaces is blanked in place
    (as many spaces as its bytes; runs of spaces separate tokens like one space), any other change
    is a ``bytes.replace`` in the texts holding it. Then one ASCII table over the whole buffer
    (the identity on texts :func:`ngram_bytes` already gave).
    """
    lens = np.fromiter((len(p) + 1 for p in parts), np.int64, len(parts))
    joined = b" ".join(parts) + b" "
    if any(per_char):
        buf = np.frombuffer(joined + b"\0\0\0", np.uint8)
        lead = np.flatnonzero(buf >= 0xC0)  # first byte of each non-ASCII character
        ends = np.cumsum(lens)
        doc = np.searchsorted(ends, lead, side="right")
        mine = np.asarray(per_char, bool)[doc]
        lead, doc = lead[mine], doc[mine]
        first = buf[lead]
        seq = (first.astype(U32) << U32(24)) | (buf[lead + 1].astype(U32) << U32(16))
        three = first >= 0xE0
        seq[three] |= buf[lead[three] + 2].astype(U32) << U32(8)
        four = first >= 0xF0
        seq[four] |= buf[lead[four] + 3].astype(U32)
        distinct, which = np.unique(seq, return_inverse=True)
        kind = np.zeros(distinct.size, np.int8)  # 0 unchanged, 1 blank, 2 changed
        changed: dict[int, tuple[bytes, bytes]] = {}
        for j, code in enumerate(distinct.tolist()):
            src = code.to_bytes(4, "big").rstrip(b"\0")  # a UTF-8 sequence never ends in a zero byte
            dst = char_bytes(src.decode("utf-8", "surrogatepass"), digits)
            if not dst.strip(b" "):
                kind[j] = 1
            elif dst != src:
                kind[j] = 2
                changed[j] = (src, dst)
        k = kind[which]
        if (k == 1).any():
            arr = buf[: len(joined)].copy()
            at = lead[k == 1]
            width = 2 + (buf[at] >= 0xE0) + (buf[at] >= 0xF0)
            for b in range(4):
                arr[at[width > b] + b] = 32
            joined = arr.tobytes()
        if changed:
            starts = ends - lens
            out = [joined[a:e - 1] for a, e in zip(starts.tolist(), ends.tolist())]
            for d in np.unique(doc[k == 2]).tolist():
                for j in np.unique(which[(doc == d) & (k == 2)]).tolist():
                    out[d] = out[d].replace(*changed[j])
            lens = np.fromiter((len(p) + 1 for p in out), np.int64, len(out))
            joined = b" ".join(out) + b" "
    return joined.translate(PER_CHAR_TABLES[digits]), np.cumsum(lens)


def batch_shingles(texts: list[str | None], n: int, unit: str = "word",
                   digits: Digits = "keep") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalise, split and shingle a batch: ``(hashes uint32, doc index, shingles per doc)``.

    Documents are processed in groups of about 256 KiB of text so every array stays in cache
    (one shard-sized buffer is several times slower per byte); word shingles normalise a whole
    group at once (:func:`_normalise_group`), character shingles document by document. A text
    with no token at all but some non-space characters (only punctuation, say) gets one
    shingle: the hash of its stripped UTF-8 bytes as a single word. An empty text gets none.
    """
    ndocs = len(texts)
    if unit == "word":
        prepared = [_prepare(t, digits) for t in texts]
        norm = [p for p, _ in prepared]
    else:
        norm = [ngram_bytes(t, digits) for t in texts]
    hash_parts: list[np.ndarray] = []
    doc_parts: list[np.ndarray] = []
    lo = 0
    while lo < ndocs:
        hi, size = lo, 0
        while hi < ndocs and (size == 0 or size + len(norm[hi]) <= _BUF_BYTES):
            size += len(norm[hi]) + 1
            hi += 1
        group = norm[lo:hi]
        if unit == "word":
            joined, ends = _normalise_group(group, [p for _, p in prepared[lo:hi]], digits)
            units, starts = word_hashes(np.frombuffer(joined, dtype=np.uint8))
            counts = np.bincount(np.searchsorted(ends, starts, side="right"), minlength=hi - lo)
        else:
            strs = [" ".join(g.decode("utf-8").split()) for g in group]
            counts = np.fromiter((len(x) for x in strs), np.int64, hi - lo)
            units = char_hashes(np.frombuffer("".join(strs).encode("utf-32-le"), dtype=np.uint32))
        h, d = shingle_hashes(units, counts.astype(np.int64), n)
        extra = [(int(i), (texts[lo + i] or "").strip()) for i in np.flatnonzero(counts == 0)]
        extra = [(i, raw) for i, raw in extra if raw]
        if extra:  # no token, but not empty: one shingle of the raw text
            h = np.concatenate([h, np.array([shingle_hash_reference(
                [word_hash_reference(raw.encode("utf-8", "surrogatepass"))]) for _, raw in extra], U32)])
            d = np.concatenate([d, np.array([i for i, _ in extra], np.int64)])
            order = np.argsort(d, kind="stable")
            h, d = h[order], d[order]
        hash_parts.append(h)
        doc_parts.append(d + lo)
        lo = hi
    if not hash_parts:
        return np.empty(0, U32), np.empty(0, np.int64), np.zeros(ndocs, np.int64)
    hashes = np.concatenate(hash_parts)
    docs = np.concatenate(doc_parts)
    per_doc = np.bincount(docs, minlength=ndocs).astype(np.int64)
    return hashes, docs, per_doc


# -------------------------------------------------------------------------- signatures
@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` uint32 arrays drawn exactly as ``datasketch.MinHash(scheme="affine32")`` draws them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_CHUNK = 8192  # shingles per permutation block: 128 x 8192 x 4 B = 4 MiB, cache-friendly


def signatures(hashes: np.ndarray, docs: np.ndarray, ndocs: int, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures ``(ndocs, num_perm) uint32`` of shingle ``hashes`` grouped by ``docs``.

    A document without shingles keeps the all-``0xFFFFFFFF`` signature (datasketch's empty value).
    """
    a, b = permutations(num_perm, seed)
    a_col = a[:, None]
    b_col = b[:, None]
    res = np.full((num_perm, ndocs), MAX32, dtype=U32)
    hv = fmix32(hashes.astype(U32, copy=False))
    buf = np.empty((num_perm, _CHUNK), U32)
    for s in range(0, hv.size, _CHUNK):
        e = min(s + _CHUNK, hv.size)
        blk = buf[:, : e - s]
        np.multiply(a_col, hv[None, s:e], out=blk)
        blk += b_col
        d = docs[s:e]
        seg = np.flatnonzero(np.concatenate(([True], d[1:] != d[:-1])))
        mins = np.minimum.reduceat(blk, seg, axis=1)
        cols = d[seg]
        res[:, cols] = np.minimum(res[:, cols], mins)
    return np.ascontiguousarray(res.T)
