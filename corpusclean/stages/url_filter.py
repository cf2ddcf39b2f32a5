"""``url_filter``: block pages by their URL, before extraction (the Gopher order puts the safety
filter first; Gopher used Google SafeSearch, which nobody outside Google has, so we use the open
substitutes RefinedWeb and FineWeb use).

Rules, in the order they are checked (the first that fires is the reason):

1. **allow-list** — a host (or any parent domain of it) or exact URL on an allow-list is kept,
   whatever the other rules say (e.g. ``sussex.ac.uk``, which contains the banned sub-word
   ``sex``).
2. ``url_filter.domain`` — the host or any parent of it (``a.b.example.com`` → ``b.example.com``,
   ``example.com``, ``com``) is on a domain block-list. Checking every parent covers the
   "registered domain" rule of datatrove without a public-suffix list.
3. ``url_filter.url`` — the normalised URL (no scheme, host normalised, no fragment, no trailing
   ``/``, lower case) is on an exact-URL list.
4. ``url_filter.banned_word`` — a hard-banned word is one of the URL's tokens (split on
   non-alphanumerics, lower case), as RefinedWeb §G.1 / FineWeb (datatrove ``URLFilter``).
5. ``url_filter.soft_banned_words`` — at least ``soft_word_threshold`` distinct soft-banned words
   are among the tokens (datatrove's default threshold is 2).
6. ``url_filter.banned_subword`` — a banned sub-word is a substring of the URL with every
   non-alphanumeric removed (Aho-Corasick, one pass).

The ``detail`` column names the list entry and the list it came from.

**Big lists.** The UT1 adult list has ~4.6 M domains. Holding them as a Python ``set`` of strings
costs ~400 MB per worker, so a domain list is held as a sorted array of 64-bit xxh3 hashes
(36 MB for UT1) with a bucket index on the top hash bits: a lookup reads one bucket of ~2 hashes
(expected O(1)) and a whole batch is looked up with a few vectorised numpy operations. A false
positive needs a 64-bit hash collision: ~n / 2^64 ≈ 2.5e-13 per lookup for UT1. Lists are read
straight out of ``.tar.gz`` archives or the datatrove wheel, streaming in 16 MB blocks.

Libraries: hosts and URL keys are :mod:`corpusclean.urls` (the one host definition, shared with
``domain_cap``); list references, archive reading and the hash set are :mod:`corpusclean.wordlists`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import ahocorasick
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from corpusclean.stages.base import Stage, StageOutput, Verdict, param, register
from corpusclean.urls import FAST_URL_RE2, host_and_parents, is_ipv4, parse_url, url_key
from corpusclean.wordlists import (
    DATA_DIR,
    HashSet,
    entries,
    line_blocks,
    open_list_members,
    read_word_list,
    resolve_list,
)

#: ``@name`` list references accepted by the list parameters.
BUILTIN_DOMAIN_LISTS = {"@default": DATA_DIR / "adult_domains.txt"}
BUILTIN_WORD_LISTS = {
    "banned_words": DATA_DIR / "banned_words.txt",
    "banned_subwords": DATA_DIR / "banned_subwords.txt",
    "soft_banned_words": DATA_DIR / "soft_banned_words.txt",
}

_hash = xxhash.xxh3_64_intdigest
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ALLOWED_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789.-_\n"


# ------------------------------------------------------------------------------ the index
def load_domain_index(refs: Iterable[str], extra: Iterable[str] = ()
                      ) -> tuple[HashSet, list[str], dict[str, str]]:
    """Build the domain index from list references; return it, the list names (by ``src``), and
    the exact-URL keys found in archives' ``urls`` members (key → list name)."""
    chunks: list[np.ndarray] = []
    srcs: list[int] = []
    names: list[str] = []
    url_keys: dict[str, str] = {}

    def add(hashes: np.ndarray, name: str) -> None:
        if name not in names:
            names.append(name)
        if len(names) > 255:
            raise ValueError("at most 255 domain lists")
        chunks.append(hashes)
        srcs.append(names.index(name))

    for ref in refs:
        path = resolve_list(ref, BUILTIN_DOMAIN_LISTS)
        for kind, name, f in open_list_members(path):
            label = ref if ref.startswith("@") and kind == "lines" else name
            if kind == "urls":
                for e in entries(f):
                    k = url_key(e)
                    if k:
                        url_keys.setdefault(k, name)
                continue
            for block in line_blocks(f, 1 << 22):
                add(_hash_block(block), label)
    extra = list(extra)
    if extra:
        add(_hash_entries(extra), "block_domains")
    return HashSet(chunks, srcs), names, url_keys


def _hash_block(block: bytes) -> np.ndarray:
    """Hashes of the entries in a block of lines. Clean blocks (UT1 is all lower-case ASCII host
    names, one per line) are hashed as they are; any block with something to normalise (case,
    ``www.``, comments, ports, IDN, blank lines, URLs) goes entry by entry."""
    block = block.lower()
    if (block.isascii() and not block.translate(None, _ALLOWED_BYTES)
            and not block.startswith((b"www.", b".", b"\n")) and not block.endswith((b".", b"\n"))
            and b"\nwww." not in block and b"\n." not in block and b".\n" not in block
            and b"\n\n" not in block):
        lines = block.split(b"\n")
        return np.fromiter(map(_hash, lines), np.uint64, len(lines))
    items = [s for s in (raw.strip() for raw in block.decode("utf-8", "replace").split("\n"))
             if s and not s.startswith("#")]
    return _hash_entries(items)


def _hash_entries(items: Iterable[str]) -> np.ndarray:
    """xxh3-64 hashes (uint64) of the hosts of list entries (``#`` comments and hostless entries skipped)."""
    out = []
    for e in items:
        e = e.split("#", 1)[0].strip()
        if not e:
            continue
        host = parse_url(e).host
        if host:
            out.append(_hash(host.encode()))
    return np.array(out, np.uint64)


# ------------------------------------------------------------------------------ the stage
def _word_set(refs: list[str], name: str) -> dict[str, str]:
    """Normalised word (lower case, alphanumerics only, as datatrove) → the entry as written."""
    out: dict[str, str] = {}
    for ref in refs:
        path_ref = f"@{name}" if ref == "@default" else ref
        for e in read_word_list(path_ref, {f"@{k}": v for k, v in BUILTIN_WORD_LISTS.items()}):
            norm = _NON_ALNUM.sub("", e.lower())
            if norm:
                out.setdefault(norm, e)
    return out


def _token_alternation(words: Iterable[str]) -> str | None:
    """An RE2 pattern matching any of ``words`` as a whole [a-z0-9] token."""
    words = sorted(words)
    if not words:
        return None
    return "(?:^|[^a-z0-9])(?:" + "|".join(words) + ")(?:[^a-z0-9]|$)"


@register("url_filter")
class URLFilter(Stage):
    """Rejects pages whose URL is on a domain or URL block-list or contains banned words
    (RefinedWeb / FineWeb URL filtering). Runs before extraction: needs only ``url``."""

    requires = ("url",)

    domain_lists: list[str] = param(["@default"], "Domain block-lists: '@default' (80 well-known adult "
                                    "domains, shipped), '@datatrove' (UT1 from an installed datatrove), "
                                    "or paths: text files (one domain per line), UT1 .tar.gz archives, "
                                    "or the datatrove wheel (.whl). Archives' 'urls' members are "
                                    "exact-URL lists.")
    url_lists: list[str] = param([], "Exact-URL block-lists (text files, one URL per line)")
    block_domains: list[str] = param([], "Extra blocked domains given inline")
    allow_lists: list[str] = param([], "Allow-list files: domains (with their subdomains) or URLs "
                                   "(entries with '/') that this stage never rejects")
    allow_domains: list[str] = param([], "Allowed domains or URLs given inline")
    banned_words: list[str] = param(["@default"], "Hard-banned URL word lists ('@default': FineWeb's)")
    banned_subwords: list[str] = param(["@default"], "Banned URL sub-word lists ('@default': FineWeb's)")
    soft_banned_words: list[str] = param(["@default"], "Soft-banned URL word lists ('@default': FineWeb's)")
    soft_word_threshold: int = param(2, "Reject when at least this many distinct soft-banned words "
                                     "are URL tokens (datatrove/FineWeb default 2)")
    reject_malformed: bool = param(False, "Reject URLs with no parsable host (else only word rules apply)")

    def __post_init__(self) -> None:
        if self.soft_word_threshold < 1:
            raise ValueError(f"soft_word_threshold must be >= 1, got {self.soft_word_threshold}")
        for ref in self.domain_lists:
            resolve_list(ref, BUILTIN_DOMAIN_LISTS)
        for ref in [*self.url_lists, *self.allow_lists]:
            resolve_list(ref, {})
        words = {f"@{k}": v for k, v in BUILTIN_WORD_LISTS.items()}
        for name in ("banned_words", "banned_subwords", "soft_banned_words"):
            for ref in getattr(self, name):
                resolve_list(f"@{name}" if ref == "@default" else ref, words)
        self._ready = False

    # -------------------------------------------------------------------------- setup
    def setup(self) -> None:
        if self._ready:
            return
        self._domains, self._domain_list_names, archive_urls = load_domain_index(
            self.domain_lists, self.block_domains)
        self._urls: dict[str, str] = archive_urls
        for ref in self.url_lists:
            name = resolve_list(ref, {}).name
            for e in read_word_list(ref, {}):
                k = url_key(e)
                if k:
                    self._urls.setdefault(k, name)
        self._allow_hosts: set[str] = set()
        self._allow_urls: set[str] = set()
        allow = list(self.allow_domains)
        for ref in self.allow_lists:
            allow.extend(read_word_list(ref, {}))
        for e in allow:
            p = parse_url(e)
            if p.host is None:
                continue
            if p.key and p.key != p.host:
                self._allow_urls.add(p.key)
            else:
                self._allow_hosts.add(p.host)
        self._banned = _word_set(self.banned_words, "banned_words")
        self._soft = _word_set(self.soft_banned_words, "soft_banned_words")
        subwords = _word_set(self.banned_subwords, "banned_subwords")
        self._banned_set = frozenset(self._banned)
        self._soft_set = frozenset(self._soft)
        # Entries are alphanumeric after normalisation, so they need no escaping. A token is a
        # maximal [a-z0-9] run; a sub-word may span separators ("2-girls-1-cup").
        self._banned_re = _token_alternation(self._banned_set)
        self._soft_re = _token_alternation(self._soft_set)
        self._subword_re = ("|".join("[^a-z0-9]*".join(w) for w in sorted(subwords))
                            if subwords else None)
        self._auto: Any = None
        if subwords:
            self._auto = ahocorasick.Automaton()
            for norm, entry in subwords.items():
                self._auto.add_word(norm, entry)
            self._auto.make_automaton()
        self._ready = True

    @property
    def domain_count(self) -> int:
        return len(self._domains)

    # ------------------------------------------------------------------------ process
    def process(self, table: pa.Table) -> StageOutput:
        """Vectorised over the batch: Arrow (RE2) kernels find the host of plain URLs and run the
        word rules on every URL at once; Python touches each URL only to hash its host and
        parents (one numpy lookup for the whole batch) and to explain the rows that fired."""
        self.check_input(table)
        if not self._ready:
            self.setup()
        col = table.column("url").combine_chunks()
        if col.type != pa.string():
            col = col.cast(pa.string())
        n = len(col)
        lower = pc.utf8_lower(col)
        fast = pc.extract_regex(lower, FAST_URL_RE2)
        fast_host = pc.replace_substring_regex(pc.struct_field(fast, "host"), r"^www\.(.+\..+)$", r"\1").to_pylist()
        fast_rest = pc.struct_field(fast, "rest").to_pylist()
        urls = col.to_pylist()
        lowers = lower.to_pylist()

        verdicts: list[Verdict] = [None] * n
        live = [False] * n  # has a URL and is not allowed: the rules apply
        hosts: list[str | None] = [None] * n
        keys: list[str | None] = [None] * n
        status: Counter[str] = Counter()
        cand_hashes: list[int] = []
        cand_row: list[int] = []
        cand_name: list[str] = []
        check_allow = bool(self._allow_hosts or self._allow_urls)
        for i in range(n):
            url = urls[i]
            if url is None or not url.strip():
                status["missing_url"] += 1
                continue
            host = fast_host[i]
            if host is not None:
                is_ip = host[-1].isdigit() and is_ipv4(host)  # TLDs are never numeric
                rest = fast_rest[i]
                key = host + rest.split("#", 1)[0].rstrip("/") if rest else host
            else:
                p = parse_url(url)
                host, key, is_ip = p.host, p.key, p.is_ip
                if host is None:
                    status["malformed_url"] += 1
                    if self.reject_malformed:
                        verdicts[i] = ("malformed_url", url[:200])
                        continue
            if check_allow and self._allowed(host, key, is_ip):
                status["allowed"] += 1
                continue
            live[i] = True
            hosts[i] = host
            keys[i] = key
            if host is not None:
                parents = host_and_parents(host, is_ip)
                cand_hashes.extend([_hash(h.encode()) for h in parents])
                cand_row.extend([i] * len(parents))
                cand_name.extend(parents)
        # 1. domains: one vectorised lookup; the first hit of a row (most specific name) wins
        if cand_hashes:
            found = self._domains.lookup(np.array(cand_hashes, np.uint64))
            for j in np.flatnonzero(found >= 0).tolist():
                i = cand_row[j]
                if verdicts[i] is None:
                    src = self._domain_list_names[self._domains.source(int(found[j]))]
                    verdicts[i] = ("domain", f"{cand_name[j]} ({src})")
        # 2. exact URLs
        if self._urls:
            for i in range(n):
                k = keys[i]
                if k is not None and verdicts[i] is None and k in self._urls:
                    verdicts[i] = ("url", f"{k} ({self._urls[k]})")
        # 3-5. word rules, vectorised; only flagged rows are explained in Python
        flagged = self._word_flags(lower, n)
        for i in flagged:
            if live[i] and verdicts[i] is None:
                verdicts[i] = self._word_rules(lowers[i])

        blocked: dict[str, Counter[str]] = {k: Counter() for k in (
            "blocked_domain", "blocked_url", "banned_word", "soft_banned_words", "banned_subword")}
        for v in verdicts:
            if v is None:
                continue
            rule, detail = v  # type: ignore[misc]
            entry = detail.rsplit(" (", 1)[0]
            key = {"domain": "blocked_domain", "url": "blocked_url"}.get(rule, rule)
            if rule == "soft_banned_words":
                blocked[key].update(entry.split(","))
            elif key in blocked:
                blocked[key][entry] += 1
        counters = {k: dict(v) for k, v in blocked.items() if v}
        if status:
            counters["url_status"] = dict(status)
        return self.split(table, verdicts, counters)

    def _word_flags(self, lower: pa.Array, n: int) -> list[int]:
        """Rows where a word rule may fire: one RE2 pass per rule over the whole batch (RE2
        compiles an alternation of entries into one automaton). A superset for the soft rule
        (any soft word); :meth:`_word_rules` then decides and explains each flagged row."""
        hit = np.zeros(n, bool)
        for pattern in (self._banned_re, self._soft_re, self._subword_re):
            if pattern is not None:
                m = pc.fill_null(pc.match_substring_regex(lower, pattern), False)
                hit |= m.to_numpy(zero_copy_only=False)
        return np.flatnonzero(hit).tolist()

    def _allowed(self, host: str | None, key: str | None, is_ip: bool) -> bool:
        if key is not None and key in self._allow_urls:
            return True
        if self._allow_hosts and host is not None:
            return any(h in self._allow_hosts for h in host_and_parents(host, is_ip))
        return False

    def _word_rules(self, lower: str) -> Verdict:
        """Which word rule fires on one lower-cased URL, with the entries that fired."""
        tokens = set(_NON_ALNUM.split(lower))
        hard = tokens & self._banned_set
        if hard:
            w = min(hard)
            return ("banned_word", f"{self._banned[w]} (banned_words)")
        soft = tokens & self._soft_set
        if len(soft) >= self.soft_word_threshold:
            return ("soft_banned_words", ",".join(sorted(self._soft[w] for w in soft)) + " (soft_banned_words)")
        if self._auto is not None:
            for _end, entry in self._auto.iter(_NON_ALNUM.sub("", lower)):
                return ("banned_subword", f"{entry} (banned_subwords)")
        return None

    def reason_for_url(self, url: str | None) -> str | None:
        """The full reason (``url_filter.<rule>``) this stage would give ``url``, or None (a
        convenience for notebooks and ``corpusclean inspect``)."""
        out = self.process(pa.table({"id": ["0"], "url": pa.array([url], pa.string())}))
        return out.rejected.column("reason")[0].as_py() if out.rejected.num_rows else None
