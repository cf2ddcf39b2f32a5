"""Word and domain lists: where a list reference points, how its entries are read, and the
compact hash set big domain lists are held in.

* :func:`resolve_list` — ``@name`` (a list shipped in ``corpusclean/data/safety``, or
  ``@datatrove``: the UT1 archive inside an installed datatrove) or a file path.
* :func:`open_list_members` — the entry streams of a list file: a plain text file (optionally
  gzip/zstd/bzip2/xz compressed: recognised by magic bytes through
  :func:`corpusclean.io.files.open_decompressed`), a tar archive in UT1 layout (its ``domains``
  and ``urls`` members; any compression), or a ``.whl``/``.zip`` holding such an archive.
* :func:`read_word_list` — the entries of a small list: stripped, non-empty, ``#`` comments
  skipped.
* :class:`HashSet` — a static set of 64-bit hashes (sorted array + bucket index): the UT1 adult
  list's ~4.6 M domains in ~36 MB instead of ~400 MB of Python strings.

Errors: :class:`ValueError` with the reference for an unknown ``@name`` or a missing file (the
config layer turns it into a key-path error).
"""

from __future__ import annotations

import importlib.util
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import numpy as np

from corpusclean.io.files import open_decompressed

#: Lists shipped with the package (safety word and domain lists, explicit-word lists).
DATA_DIR = Path(__file__).resolve().parent / "data" / "safety"
#: The UT1 archive's name inside the datatrove wheel (``@datatrove``).
DATATROVE_ARCHIVE = "url_filterblacklistsv0_3_0.tar.gz"
_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz", ".tar.zst", ".tzst")


def resolve_list(ref: str, builtins: dict[str, Path]) -> Path:
    """A list reference: ``@name`` (shipped or from an installed package) or a file path.

    Raises ValueError naming the reference when it cannot be resolved.
    """
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


def line_blocks(f: IO[bytes], block_size: int = 1 << 24) -> Iterator[bytes]:
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
    """Yield ``(kind, name, binary stream)`` for a list file: kind is ``domains``, ``urls`` or
    ``lines`` (a plain file: its entries' kind is up to the caller).

    Archives (``.tar.gz``/``.tgz``/``.tar``/``.tar.zst``…) contribute their members named
    ``domains`` and ``urls`` (UT1 layout, e.g. ``adult/domains``); a ``.whl``/``.zip`` (the
    datatrove wheel) contributes the UT1 archive inside it. Compression is recognised by magic
    bytes (:func:`~corpusclean.io.files.open_decompressed`), so a ``.txt.gz`` list works too.
    """
    name = path.name.lower()
    with ExitStack() as stack:
        if name.endswith((".whl", ".zip")):
            zf = stack.enter_context(zipfile.ZipFile(path))
            inner = [n for n in zf.namelist() if n.endswith((".tar.gz", ".tgz"))]
            preferred = [n for n in inner if n.endswith(DATATROVE_ARCHIVE)] or inner
            if not preferred:
                raise ValueError(f"{path}: no .tar.gz block-list archive inside")
            for member in preferred:
                with zf.open(member) as raw:
                    yield from _tar_members(raw, path.name)
            return
        raw = stack.enter_context(open(path, "rb"))
        if name.endswith(_TAR_SUFFIXES):
            yield from _tar_members(raw, path.name)
            return
        stream = open_decompressed(raw)
        stack.callback(stream.close)
        yield "lines", path.name, stream


def _tar_members(raw: IO[bytes], label: str) -> Iterator[tuple[str, str, IO[bytes]]]:
    with tarfile.open(fileobj=open_decompressed(raw), mode="r|") as tf:
        for member in tf:
            base = member.name.rsplit("/", 1)[-1]
            if member.isfile() and base in ("domains", "urls"):
                f = tf.extractfile(member)
                if f is not None:
                    yield base, f"{label}/{member.name}", f


def entries(f: IO[bytes]) -> Iterator[str]:
    """Entries of a list stream: stripped, non-empty, not ``#`` comments (UTF-8, bad bytes replaced)."""
    for block in line_blocks(f):
        for raw in block.decode("utf-8", "replace").split("\n"):
            s = raw.strip()
            if s and not s.startswith("#"):
                yield s


def read_word_list(ref: str, builtins: dict[str, Path]) -> list[str]:
    """Entries of a small word list (``#`` comments, blank lines skipped; compressed files work)."""
    out: list[str] = []
    for _kind, _name, f in open_list_members(resolve_list(ref, builtins)):
        out.extend(entries(f))
    return out


class HashSet:
    """A static set of 64-bit hashes: sorted array + bucket index (expected O(1) lookups).

    Buckets are the top ``bits`` bits of a hash (~2 hashes per bucket); ``starts[b]`` is where
    bucket ``b`` begins in the sorted array, so a lookup reads ``starts[b]`` and compares ~2
    hashes. Memory: 8 bytes per entry + 2 bytes per entry of index (+1 byte per entry when
    several lists are loaded, to name the list).

    ``chunks`` are uint64 hash arrays and ``chunk_src`` the list number of each (< 256).
    ``source(i)`` is the list that ``hashes[i]`` came from; when an entry is on several lists,
    the smallest list is named (a user's own short list says more than UT1).
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
        """Memory held by the arrays, in bytes."""
        src = self.src.nbytes if isinstance(self.src, np.ndarray) else 0
        return self.hashes.nbytes + src + self.starts.nbytes

    def source(self, idx: int) -> int:
        """The list number of ``hashes[idx]``."""
        return int(self.src[idx]) if isinstance(self.src, np.ndarray) else self.src

    def lookup(self, queries: np.ndarray) -> np.ndarray:
        """Index into ``hashes`` of each uint64 query, or -1 when absent (vectorised, int64)."""
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
