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
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import tarfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ahocorasick
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from corpusclean.stages.base import Stage, StageOutput, Verdict, param, register

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "safety"

#: ``@name`` list references accepted by the list parameters.
BUILTIN_DOMAIN_LISTS = {"@default": DATA_DIR / "adult_domains.txt"}
BUILTIN_WORD_LISTS = {
    "banned_words": DATA_DIR / "banned_words.txt",
    "banned_subwords": DATA_DIR / "banned_subwords.txt",
    "soft_banned_words": DATA_DIR / "soft_banned_words.txt",
}
DATATROVE_ARCHIVE = "url_filterblacklistsv0_3_0.tar.gz"

_hash = xxhash.xxh3_64_intdigest
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# A scheme: ``xxx://`` or one of the schemes written without ``//`` (so ``localhost:8080`` is not
# read as scheme ``localhost``).
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:)?//|^(?:mailto|javascript|data|tel|about|news|urn):")
# Fast path: a plain http(s) URL with an ASCII host (the overwhelming majority of crawl URLs).
_FAST_URL = re.compile(r"^(?:https?://)?([a-z0-9\-_]+(?:\.[a-z0-9\-_]+)+)\.?(?::\d{0,5})?(?=[/?#]|$)")
# The same pattern for Arrow's RE2 kernels (named groups; ``rest`` = path, query, fragment).
_FAST_URL_RE2 = (r"^(?:https?://)?(?P<host>[a-z0-9\-_]+(?:\.[a-z0-9\-_]+)+)\.?(?::\d{0,5})?"
                 r"(?P<rest>(?s:[/?#].*)|)$")
_HOST_OK = re.compile(r"^[a-z0-9\-_]+(?:\.[a-z0-9\-_]+)*$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


# ------------------------------------------------------------------------- URL normalisation
def normalize_host(host: str) -> str | None:
    """A host as list entries and lookups compare it: lower case, IDNA (punycode) ASCII, no
    trailing dot, no leading ``www.``, IPv6 literals compressed. None if it is not a host name.
    """
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if host.startswith("[") and host.endswith("]"):
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError:
            return None
    if not host.isascii():
        host = _to_idna(host)
        if host is None:
            return None
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    if not _HOST_OK.match(host):
        return None
    return host


def _to_idna(host: str) -> str | None:
    """Punycode a non-ASCII host (IDNA 2003 via the standard library, so no extra dependency);
    labels the codec refuses are punycoded one by one. Used for list entries and URLs alike, so
    both sides always agree."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        pass
    labels = []
    for label in re.split(r"[.\u3002\uff0e\uff61]", host):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except (UnicodeError, ValueError):
            return None
    return ".".join(labels).lower()


@dataclass(frozen=True)
class ParsedURL:
    """What the rules need from one URL."""

    host: str | None  # normalised host (None: no usable host)
    lower: str  # the whole URL, lower case (word rules)
    key: str | None  # exact-URL key: host + path/query, no scheme/fragment/trailing slash
    is_ip: bool


def parse_url(url: str) -> ParsedURL:
    """Split a URL (with or without scheme, any case, port, userinfo, IDN, IP) for the rules.

    Never raises: a URL with no usable host gives ``host=None`` (word rules still apply).
    """
    lower = url.strip().lower()
    m = _FAST_URL.match(lower)
    if m is not None:
        host = m.group(1)
        rest = lower[m.end():]
        if host.startswith("www.") and "." in host[4:]:
            host = host[4:]
        is_ip = _IPV4.match(host) is not None
    else:
        raw = url.strip()
        rest_raw = _SCHEME.sub("", raw.lower(), count=1)
        cut = len(rest_raw)
        for sep in "/?#\\":
            i = rest_raw.find(sep)
            if 0 <= i < cut:
                cut = i
        authority, rest = rest_raw[:cut], rest_raw[cut:]
        authority = authority.rsplit("@", 1)[-1]
        if authority.startswith("["):
            end = authority.find("]")
            hostpart = authority[: end + 1] if end > 0 else ""
        else:
            hostpart = authority
            colon = hostpart.rfind(":")
            if colon >= 0 and (hostpart[colon + 1:].isdigit() or colon == len(hostpart) - 1):
                hostpart = hostpart[:colon]
        host = normalize_host(hostpart) if hostpart else None
        is_ip = host is not None and (host.startswith("[") or _IPV4.match(host) is not None)
    key = None
    if host is not None:
        path = rest.split("#", 1)[0].rstrip("/")
        key = host + path
    return ParsedURL(host, lower, key, is_ip)


def host_and_parents(host: str, is_ip: bool = False) -> list[str]:
    """``a.b.example.com`` → itself, ``b.example.com``, ``example.com``, ``com`` (an IP: itself)."""
    if is_ip:
        return [host]
    out = [host]
    i = host.find(".")
    while i >= 0:
        out.append(host[i + 1:])
        i = host.find(".", i + 1)
    return out


def url_key(entry: str) -> str | None:
    """The exact-URL key of a list entry or a document URL (see :func:`parse_url`)."""
    return parse_url(entry).key


# ---------------------------------------------------------------------------- list reading
def resolve_list(ref: str, builtins: dict[str, Path]) -> Path:
    """A list reference: ``@name`` (shipped or from an installed package) or a file path."""
    if ref.startswith("@"):
        if ref == "@datatrove":
            spec = importlib.util.find_spec("datatrove")
            if spec is None or not spec.submodule_search_locations:
                raise ValueError("'@datatrove' needs the datatrove package installed; or pass the path "
                                 "of the downloaded datatrove wheel or its url_filter archive instead")
            return Path(list(spec.submodule_search_locations)[0]) / "assets" / DATATROVE_ARCHIVE
        if ref not in builtins:
            raise ValueError(f"unknown list {ref!r}; built-in lists: {', '.join(sorted(builtins))}"
                             + (", @datatrove" if "@default" in builtins else ""))
        return builtins[ref]
    path = Path(ref).expanduser()
    if not path.exists():
        raise ValueError(f"list file not found: {ref}")
    return path


def _line_blocks(f: IO[bytes], block_size: int = 1 << 24) -> Iterator[bytes]:
    """Blocks of whole lines (no trailing newline), read ``block_size`` bytes at a time."""
    rest = b""
    while True:
        block = f.read(block_size)
        if not block:
            if rest:
                yield rest
            return
        block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        yield block[:cut]
        rest = block[cut + 1:]


def open_list_members(path: Path) -> Iterator[tuple[str, str, IO[bytes]]]:
    """Yield ``(kind, name, binary file)`` for a list file: kind is ``domains``, ``urls`` or
    ``lines`` (a plain file: its entries' kind is up to the caller).

    Archives (``.tar.gz``/``.tgz``/``.tar``) contribute their members named ``domains`` and
    ``urls`` (UT1 layout, e.g. ``adult/domains``); a ``.whl``/``.zip`` (the datatrove wheel)
    contributes the UT1 archive inside it.
    """
    name = path.name.lower()
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as zf:
            inner = [n for n in zf.namelist() if n.endswith(".tar.gz") or n.endswith(".tgz")]
            preferred = [n for n in inner if n.endswith(DATATROVE_ARCHIVE)] or inner
            if not preferred:
                raise ValueError(f"{path}: no .tar.gz block-list archive inside")
            for member in preferred:
                with zf.open(member) as raw:
                    yield from _tar_members(tarfile.open(fileobj=raw, mode="r|*"), path.name)
        return
    if name.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")):
        with tarfile.open(path, mode="r|*") as tf:
            yield from _tar_members(tf, path.name)
        return
    with open(path, "rb") as f:
        yield "lines", path.name, f


def _tar_members(tf: tarfile.TarFile, label: str) -> Iterator[tuple[str, str, IO[bytes]]]:
    for member in tf:
        base = member.name.rsplit("/", 1)[-1]
        if member.isfile() and base in ("domains", "urls"):
            f = tf.extractfile(member)
            if f is not None:
                yield base, f"{label}/{member.name}", f


def _entries(f: IO[bytes]) -> Iterator[str]:
    """Entries of a small list file: stripped, non-empty, not ``#`` comments."""
    for block in _line_blocks(f):
        for raw in block.decode("utf-8", "replace").split("\n"):
            s = raw.strip()
            if s and not s.startswith("#"):
                yield s


def read_word_list(ref: str, builtins: dict[str, Path]) -> list[str]:
    """Entries of a small word list (``#`` comments, blank lines skipped)."""
    with open(resolve_list(ref, builtins), "rb") as f:
        return list(_entries(f))


# ------------------------------------------------------------------------------ the index
_ALLOWED_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789.-_\n"


class HashSet:
    """A static set of 64-bit hashes: sorted array + bucket index (expected O(1) lookups).

    Buckets are the top ``bits`` bits of a hash (~2 hashes per bucket); ``starts[b]`` is where
    bucket ``b`` begins in the sorted array, so a lookup reads ``starts[b]`` and compares ~2
    hashes. Memory: 8 bytes per entry + 2 bytes per entry of index (+1 byte per entry when
    several lists are loaded, to name the list).

    ``source(i)`` is the index of the list that ``hashes[i]`` came from; when an entry is on
    several lists, the smallest list is named (a user's own short list says more than UT1).
    """

    def __init__(self, chunks: list[np.ndarray], chunk_src: list[int]):
        sizes: dict[int, int] = {}
        for c, k in zip(chunks, chunk_src):
            sizes[k] = sizes.get(k, 0) + len(c)
        hashes = np.concatenate(chunks) if chunks else np.empty(0, np.uint64)
        hashes.sort()
        if len(hashes):
            keep = np.empty(len(hashes), bool)
            keep[0] = True
            np.not_equal(hashes[1:], hashes[:-1], out=keep[1:])
            if not keep.all():
                hashes = hashes[keep]
        self.hashes = hashes
        n = len(hashes)
        by_size = sorted(sizes, key=lambda k: (-sizes[k], k))
        self.src: np.ndarray | int = by_size[0] if by_size else 0
        if len(by_size) > 1:  # a per-entry list index, written from the largest list to the smallest
            src = np.full(n, by_size[0], np.uint8)
            for k in by_size[1:]:
                mine = np.concatenate([c for c, kk in zip(chunks, chunk_src) if kk == k])
                src[np.searchsorted(hashes, mine)] = k
            self.src = src
        self.bits = max(1, min(30, int(np.ceil(np.log2(max(n, 2)))) - 1))
        self.shift = np.uint64(64 - self.bits)
        counts = np.bincount((hashes >> self.shift).view(np.int64), minlength=1 << self.bits)
        self.starts = np.zeros((1 << self.bits) + 1, np.int64 if n >= 2**31 else np.int32)
        np.cumsum(counts, out=self.starts[1:])

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def nbytes(self) -> int:
        src = self.src.nbytes if isinstance(self.src, np.ndarray) else 0
        return self.hashes.nbytes + src + self.starts.nbytes

    def source(self, idx: int) -> int:
        return int(self.src[idx]) if isinstance(self.src, np.ndarray) else self.src

    def lookup(self, queries: np.ndarray) -> np.ndarray:
        """Index into ``hashes`` of each query, or -1 when absent (vectorised)."""
        out = np.full(len(queries), -1, np.int64)
        if not len(queries) or not len(self.hashes):
            return out
        b = (queries >> self.shift).astype(np.int64)
        pos = self.starts[b].astype(np.int64)
        end = self.starts[b + 1].astype(np.int64)
        active = pos < end
        last = len(self.hashes) - 1
        while active.any():
            idx = np.minimum(pos, last)
            hit = active & (self.hashes[idx] == queries)
            out[hit] = idx[hit]
            pos = pos + 1
            active = active & ~hit & (pos < end)
        return out


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
                for e in _entries(f):
                    k = url_key(e)
                    if k:
                        url_keys.setdefault(k, name)
                continue
            for block in _line_blocks(f, 1 << 22):
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
    entries = [s for s in (raw.strip() for raw in block.decode("utf-8", "replace").split("\n"))
               if s and not s.startswith("#")]
    return _hash_entries(entries)


def _hash_entries(entries: Iterable[str]) -> np.ndarray:
    out = []
    for e in entries:
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
            path = resolve_list(ref, {})
            with open(path, "rb") as f:
                for e in _entries(f):
                    k = url_key(e)
                    if k:
                        self._urls.setdefault(k, path.name)
        self._allow_hosts: set[str] = set()
        self._allow_urls: set[str] = set()
        allow = list(self.allow_domains)
        for ref in self.allow_lists:
            with open(resolve_list(ref, {}), "rb") as f:
                allow.extend(_entries(f))
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
        fast = pc.extract_regex(lower, _FAST_URL_RE2)
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
                is_ip = host[-1].isdigit() and _IPV4.match(host) is not None  # TLDs are never numeric
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
