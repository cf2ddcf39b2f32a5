"""Counting repetition in one document: duplicate items and the characters repeated n-grams cover.

The numeric kernels behind the *Duplicate*, *Characters* and *Top n-gram* definitions written
in :mod:`corpusclean.text` (Rae et al. 2021, Gopher, appendix A.1.1 / Table A1): what counts is
defined there, how it is counted fast is here. Inputs are a document's items (lines,
paragraphs) or its word ids (``int64`` arrays, one per word, equal words equal ids) with word
lengths in characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def duplicate_stats(items: Sequence[str], lengths: Sequence[int] | None = None) -> tuple[int, int]:
    """(number of duplicate items, characters in duplicate items); a duplicate repeats an earlier item.

    ``lengths`` gives each item's character count (default ``len(item)``); equal items must have
    equal lengths (they do for every caller: lengths are functions of the item).
    """
    distinct = set(items)
    dup = len(items) - len(distinct)
    if not dup:
        return 0, 0
    if lengths is None:
        return dup, sum(map(len, items)) - sum(map(len, distinct))
    first: dict[str, int] = dict(zip(reversed(items), reversed(lengths)))  # any occurrence: equal lengths
    return dup, sum(lengths) - sum(first.values())


def duplicate_counts(off: np.ndarray, ids: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`duplicate_stats` of ``k`` documents at once: (duplicate items, characters in them) per document.

    ``off`` (``k + 1``): document ``i`` holds items ``ids[off[i]:off[i + 1]]``; equal items have
    equal ids (across documents too); ``length[id]`` is an item's characters. An item is a
    duplicate when its document holds it earlier: per document, items minus distinct items, and
    characters minus the distinct items' characters. ``int64`` arrays of length ``k``.
    """
    k = len(off) - 1
    sizes = off[1:] - off[:-1]
    if not len(ids):
        return np.zeros(k, np.int64), np.zeros(k, np.int64)
    doc = np.repeat(np.arange(k, dtype=np.int64), sizes)
    vb = max(int(ids.max()), 1).bit_length()
    if vb + max(k, 1).bit_length() <= 63:
        key = np.sort((doc << vb) | ids)
        distinct = key[np.concatenate(([True], key[1:] != key[:-1]))]
        ddoc, did = distinct >> vb, distinct & ((1 << vb) - 1)
    else:
        pairs = np.unique(np.stack([doc, ids], axis=1), axis=0)
        ddoc, did = pairs[:, 0], pairs[:, 1]
    n_distinct = np.bincount(ddoc, minlength=k)
    cum = np.concatenate(([0], np.cumsum(length[did])))
    dstart = np.concatenate(([0], np.cumsum(n_distinct)))
    cum_all = np.concatenate(([0], np.cumsum(length[ids])))
    total = cum_all[off[1:]] - cum_all[off[:-1]]
    return sizes - n_distinct, total - (cum[dstart[1:]] - cum[dstart[:-1]])


def ngram_char_counts(ids: np.ndarray, lengths: np.ndarray, top_ns: Iterable[int],
                      dup_ns: Iterable[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Characters in the top n-gram (for each n in ``top_ns``) and in duplicate n-grams (``dup_ns``).

    ``ids``: the words as integers (equal words, equal ids); ``lengths``: their character counts.
    Exact (no hashing). Only repeated n-grams count, and one can repeat only if both its
    (n-1)-grams do, so level n looks only at positions whose (n-1)-grams at i and i+1 repeat:
    the pair (group of the (n-1)-gram at i, id of word i+n-1) sorted with the position puts equal
    n-grams together, earliest first. Once no n-gram of a length repeats, no longer one can.
    Definitions (first occurrences excluded, overlaps counted once, ties): module docstring.
    """
    ids = np.asarray(ids, np.int64)
    top, dup = ngram_char_counts_flat(ids, np.asarray(lengths, np.int64), np.array([0, len(ids)]), top_ns, dup_ns)
    return {n: int(v[0]) for n, v in top.items()}, {n: int(v[0]) for n, v in dup.items()}


def duplicate_ngram_chars_reference(tokens: Sequence[str], n: int) -> int:
    """Slow, obviously-correct reference of the duplicate n-gram character count (for tests).

    Marks every word of every n-gram occurrence that repeats an earlier occurrence, then sums
    the characters of the marked words: overlapping duplicates count their shared words once.
    """
    seen: set[tuple[str, ...]] = set()
    covered = [False] * len(tokens)
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i:i + n])
        if gram in seen:
            for j in range(i, i + n):
                covered[j] = True
        else:
            seen.add(gram)
    return sum(len(t) for t, c in zip(tokens, covered) if c)


def ngram_char_counts_batch(docs: Sequence[tuple[np.ndarray, np.ndarray]], top_ns: Iterable[int],
                            dup_ns: Iterable[int]) -> list[tuple[dict[int, int], dict[int, int]]]:
    """:func:`ngram_char_counts` of many documents at once (``docs``: (word ids, word lengths) each)."""
    docs = list(docs)
    sizes = np.fromiter((len(d[0]) for d in docs), np.int64, len(docs))
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    ids = np.concatenate([np.asarray(d[0], np.int64) for d in docs] + [np.empty(0, np.int64)])
    lens = np.concatenate([np.asarray(d[1], np.int64) for d in docs] + [np.empty(0, np.int64)])
    top, dup = ngram_char_counts_flat(ids, lens, offsets, top_ns, dup_ns)
    return [({n: int(v[i]) for n, v in top.items()}, {n: int(v[i]) for n, v in dup.items()}) for i in range(len(docs))]


def _bits(x: int) -> int:
    return max(int(x), 1).bit_length()


def ngram_char_counts_flat(ids: np.ndarray, lengths: np.ndarray, offsets: np.ndarray, top_ns: Iterable[int],
                           dup_ns: Iterable[int]) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """:func:`ngram_char_counts` of ``k`` documents stored one after another; one sort per n-gram
    length (and one to restore position order) for the whole batch.

    ``ids`` (``int64``, all documents' words concatenated): equal words *of one document* have
    equal ids; ids may be shared between documents (a batch-wide vocabulary) or not.
    ``lengths``: each word's characters. ``offsets`` (``k + 1``): document ``i`` is
    ``ids[offsets[i]:offsets[i + 1]]``. Returns ``({n: top chars per document}, {n: duplicate
    chars per document})``, ``int64`` arrays of length ``k``; same values as one call per document.

    Each document is followed by a separator word that occurs once, so no repeated n-gram crosses
    a boundary and covered characters never run into the next document. At n = 2 a group of
    equal keys is also cut where the document changes (ids may be shared); from n = 3 on the key
    holds the (n-1)-gram's group, which already belongs to one document. Sort keys pack the
    value and the position into one ``int64`` (shifts, no division) when they fit, else a stable
    argsort gives the same order.
    """
    top_set, dup_set = set(top_ns), set(dup_ns)
    offsets = np.asarray(offsets, np.int64)
    k = len(offsets) - 1
    tops = {n: np.zeros(k, np.int64) for n in top_set}
    dups = {n: np.zeros(k, np.int64) for n in dup_set}
    nmax = max(top_set | dup_set, default=0)
    if k <= 0 or nmax < 2 or len(ids) < 2:
        return tops, dups
    ids = np.asarray(ids, np.int64)
    sizes = offsets[1:] - offsets[:-1]
    base = int(ids.max()) + 1
    w = len(ids) + k
    sep = offsets[1:] + np.arange(k)  # where each document's separator goes
    is_word = np.ones(w, bool)
    is_word[sep] = False
    all_ids = np.empty(w, np.int64)
    all_ids[sep] = base + np.arange(k)
    all_ids[is_word] = ids
    all_len = np.zeros(w, np.int64)
    all_len[is_word] = lengths
    vocab = base + k
    doc_of = np.repeat(np.arange(k, dtype=np.uint16 if k < 1 << 16 else np.int64), sizes + 1)  # small: gathered at random
    cum = np.concatenate(([0], np.cumsum(all_len)))
    rpos = np.flatnonzero(np.bincount(all_ids, minlength=vocab)[all_ids] >= 2)  # a superset of in-document repeats
    rgid = all_ids[rpos]
    groups = vocab  # rgid < groups
    pb = _bits(w)

    def covered(starts_: np.ndarray, n: int) -> np.ndarray:
        # starts sorted; n-grams of one document never reach its separator, so the first n-gram of
        # the next document starts past the previous one's end and adds its own characters
        ends = starts_ + n
        add = cum[ends] - cum[starts_]
        if len(starts_) > 1:
            lo = np.maximum(starts_[1:], ends[:-1])
            add[1:] = cum[ends[1:]] - cum[lo]
        return np.bincount(doc_of[starts_], weights=add, minlength=k).astype(np.int64)  # exact below 2**53

    for n in range(2, nmax + 1):
        if len(rpos) < 2:
            break
        follows = rpos[1:] - rpos[:-1] == 1
        cand = rpos[:-1][follows]
        if not len(cand):
            break
        key = rgid[:-1][follows] * vocab + all_ids[cand + (n - 1)]
        if _bits(groups * vocab) + pb <= 63:
            sk = np.sort((key << pb) | cand)
            skey = sk >> pb
            pos = sk & ((1 << pb) - 1)
        else:
            order = np.argsort(key, kind="stable")
            skey, pos = key[order], cand[order]
        c = len(cand)
        is_first = np.empty(c, dtype=bool)
        is_first[0] = True
        np.not_equal(skey[1:], skey[:-1], out=is_first[1:])
        if n == 2:  # word ids may be shared by documents: a group never spans two
            dpos = doc_of[pos]
            is_first[1:] |= dpos[1:] != dpos[:-1]
        if is_first.all():
            break
        group_start = np.flatnonzero(is_first)
        counts = np.empty(len(group_start), dtype=np.int64)
        counts[:-1] = group_start[1:] - group_start[:-1]
        counts[-1] = c - group_start[-1]
        group_sorted = np.cumsum(is_first) - 1
        repeated = counts[group_sorted] >= 2
        rep_pos, rep_gid = pos[repeated], group_sorted[repeated]
        groups = len(group_start)
        gb = _bits(groups)
        if pb + gb <= 63:
            back = np.sort((rep_pos << gb) | rep_gid)
            rpos = back >> gb
            rgid = back & ((1 << gb) - 1)
        else:
            order_pos = np.argsort(rep_pos)
            rpos, rgid = rep_pos[order_pos], rep_gid[order_pos]
        if n in top_set:
            multi = np.flatnonzero(counts >= 2)  # only a repeated n-gram can be a document's top one
            firsts = pos[group_start[multi]]
            cnt = counts[multi]
            gdoc = doc_of[firsts]
            most = np.zeros(k, np.int64)
            np.maximum.at(most, gdoc, cnt)
            best = np.flatnonzero(cnt == most[gdoc])  # per document: most occurrences, then
            bf = firsts[best]
            chars = cum[bf + n] - cum[bf]
            order = np.lexsort((bf, -chars, gdoc[best]))  # most characters, then earliest
            ordered_doc = gdoc[best][order]
            head = np.ones(len(order), bool)
            np.not_equal(ordered_doc[1:], ordered_doc[:-1], out=head[1:])
            chosen = np.zeros(groups, bool)
            chosen[multi[best[order[head]]]] = True
            tops[n] = covered(np.sort(pos[chosen[group_sorted]]), n)
        if n in dup_set:
            dups[n] = covered(np.sort(pos[~is_first]), n)
    return tops, dups
