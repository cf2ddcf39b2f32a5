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
    return ngram_char_counts_batch([(np.asarray(ids, np.int64), np.asarray(lengths, np.int64))], top_ns, dup_ns)[0]


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
    """:func:`ngram_char_counts` of many documents at once: one sort per n-gram length per batch.

    ``docs``: (word ids, word lengths) per document. The documents are concatenated, each with
    its ids shifted into a range of its own (equal words of different documents differ) and
    followed by a separator word that occurs once (so no repeated n-gram crosses a boundary and
    the covered characters of one document never run into the next); per-document results are
    then read back by segment. Same values as calling :func:`ngram_char_counts` per document.
    """
    top_set, dup_set = set(top_ns), set(dup_ns)
    k = len(docs)
    top_out = [dict.fromkeys(top_set, 0) for _ in range(k)]
    dup_out = [dict.fromkeys(dup_set, 0) for _ in range(k)]
    nmax = max(top_set | dup_set, default=0)
    if not k or nmax < 2:
        return list(zip(top_out, dup_out))
    sizes = np.fromiter((len(d[0]) for d in docs), np.int64, k)
    vocabs = np.fromiter((int(d[0].max()) + 1 if len(d[0]) else 0 for d in docs), np.int64, k)
    id_off = np.concatenate(([0], np.cumsum(vocabs)))
    ids = np.concatenate([np.asarray(d[0], np.int64) + id_off[i] for i, d in enumerate(docs)] +
                         [np.empty(0, np.int64)])
    lens = np.concatenate([np.asarray(d[1], np.int64) for d in docs] + [np.empty(0, np.int64)])
    starts = np.concatenate(([0], np.cumsum(sizes + 1)))[:-1]  # each document then its separator
    w = int(sizes.sum()) + k
    all_ids = np.empty(w, np.int64)
    all_len = np.zeros(w, np.int64)
    sep = np.zeros(w, bool)
    sep[starts + sizes] = True
    all_ids[sep] = id_off[-1] + np.arange(k)  # one distinct separator word per document
    all_ids[~sep] = ids
    all_len[~sep] = lens
    doc_of = np.repeat(np.arange(k), sizes + 1)
    vocab = int(id_off[-1]) + k
    rpos = np.flatnonzero(np.bincount(all_ids, minlength=vocab)[all_ids] >= 2)
    rgid = all_ids[rpos]
    cum = np.concatenate(([0], np.cumsum(all_len)))
    composite = w * w * w < 2**62
    tops = {n: np.zeros(k, np.int64) for n in top_set}
    dups = {n: np.zeros(k, np.int64) for n in dup_set}

    def covered(starts_: np.ndarray, n: int) -> np.ndarray:
        # per document: n-grams of one document never reach its separator, so the first n-gram of
        # the next document starts past the previous one's end and adds its own characters
        ends = starts_ + n
        add = cum[ends] - cum[starts_]
        if len(starts_) > 1:
            lo = np.maximum(starts_[1:], ends[:-1])
            add[1:] = cum[ends[1:]] - cum[lo]
        return np.bincount(doc_of[starts_], weights=add, minlength=k).astype(np.int64)

    for n in range(2, nmax + 1):
        if len(rpos) < 2:
            break
        follows = rpos[1:] - rpos[:-1] == 1
        cand = rpos[:-1][follows]
        if not len(cand):
            break
        key = rgid[:-1][follows] * vocab + all_ids[cand + (n - 1)]
        if composite:
            sk = np.sort(key * w + cand)
            skey = sk // w
            pos = sk - skey * w
        else:
            order = np.argsort(key, kind="stable")
            skey, pos = key[order], cand[order]
        c = len(cand)
        is_first = np.empty(c, dtype=bool)
        is_first[0] = True
        np.not_equal(skey[1:], skey[:-1], out=is_first[1:])
        if is_first.all():
            break
        group_start = np.flatnonzero(is_first)
        counts = np.empty(len(group_start), dtype=np.int64)
        counts[:-1] = group_start[1:] - group_start[:-1]
        counts[-1] = c - group_start[-1]
        group_sorted = np.cumsum(is_first) - 1
        repeated = counts[group_sorted] >= 2
        if composite:
            back = np.sort(pos[repeated] * c + group_sorted[repeated])
            rpos = back // c
            rgid = back - rpos * c
        else:
            order_pos = np.argsort(pos[repeated])
            rpos, rgid = pos[repeated][order_pos], group_sorted[repeated][order_pos]
        if n in top_set:
            multi = np.flatnonzero(counts >= 2)  # only a repeated n-gram can be a document's top one
            firsts = pos[group_start[multi]]
            chars = cum[firsts + n] - cum[firsts]
            gdoc = doc_of[firsts]
            order = np.lexsort((firsts, -chars, -counts[multi], gdoc))  # per document: most, longest, earliest
            ordered_doc = gdoc[order]
            head = np.ones(len(order), bool)
            np.not_equal(ordered_doc[1:], ordered_doc[:-1], out=head[1:])
            best = multi[order[head]]
            chosen = np.zeros(len(group_start), bool)
            chosen[best] = True
            tops[n] = covered(np.sort(pos[chosen[group_sorted]]), n)
        if n in dup_set:
            dups[n] = covered(np.sort(pos[~is_first]), n)
    for i in range(k):
        for n in top_set:
            top_out[i][n] = int(tops[n][i])
        for n in dup_set:
            dup_out[i][n] = int(dups[n][i])
    return list(zip(top_out, dup_out))
