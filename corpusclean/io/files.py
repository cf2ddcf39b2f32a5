"""The two file helpers every layer shares: atomic writes and bounded decompression.

*Atomic writes.* A file appears under its final name only when it is complete. Local files are
written to a temporary name unique to this process and call (``.<name>.<pid>.<random>.tmp``, in
the same folder) and then renamed (``os.replace`` is atomic on POSIX); on an object store
(:class:`~corpusclean.io.storage.RemotePath`) the file is one PUT or multipart upload, which is
atomic too. A crash or SIGKILL never leaves a half file that looks whole; two writers never share
a temporary name.

*Decompression.* :func:`open_decompressed` recognises gzip, zstd, bzip2 and xz by their magic
bytes (not the file name) and, given ``limit``, stops with :class:`DecompressionLimit` after
``limit`` decompressed bytes, so a small "bomb" can never inflate to gigabytes in memory.
Every decompressor in corpusclean goes through here.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from corpusclean.io.storage import AnyPath, RemotePath

#: Fault injection (tests only; see ``tests/reliability/test_fault_sweep.py``): with
#: ``CORPUSCLEAN_KILL_AT_WRITE=k`` this process SIGKILLs itself just before its k-th atomic write
#: is renamed into place (1-based); with ``CORPUSCLEAN_WRITE_LOG=FILE`` every atomic write appends
#: its path to FILE. Unset (always, outside tests), they cost one dictionary lookup per file.
KILL_AT_WRITE = "CORPUSCLEAN_KILL_AT_WRITE"
WRITE_LOG = "CORPUSCLEAN_WRITE_LOG"
_writes = 0


def _fault_point(path: Path) -> None:
    global _writes
    if KILL_AT_WRITE not in os.environ and WRITE_LOG not in os.environ:
        return
    _writes += 1
    log = os.environ.get(WRITE_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {path}\n")
    if os.environ.get(KILL_AT_WRITE) == str(_writes):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def temp_name(path: Path) -> Path:
    """A temporary sibling of ``path`` unique to this process and call (hidden, ends in ``.tmp``)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_output(path: AnyPath) -> Iterator[IO[bytes]]:
    """A binary stream whose content appears at ``path`` only if the ``with`` block succeeds.

    Parent folders are created. On an exception nothing is left behind and the error propagates.
    """
    if isinstance(path, RemotePath):
        with path.open_output() as sink:
            yield sink
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as f:
            yield f
        _fault_point(path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: AnyPath, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path) as f:
        f.write(data)


def atomic_write_text(path: AnyPath, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


class DecompressionLimit(Exception):
    """More than ``limit`` bytes came out of a compressed stream (a bomb, or a huge record)."""

    def __init__(self, limit: int):
        super().__init__(f"decompressed size exceeds {limit} bytes")
        self.limit = limit


class _Bounded:
    """A read-only binary stream that raises :class:`DecompressionLimit` past ``limit`` bytes."""

    def __init__(self, inner: IO[bytes], limit: int):
        self.inner, self.limit, self.count = inner, limit, 0

    def read(self, n: int = -1) -> bytes:
        want = self.limit + 1 - self.count if n is None or n < 0 else min(n, self.limit + 1 - self.count)
        data = self.inner.read(max(want, 1))
        self.count += len(data)
        if self.count > self.limit:
            raise DecompressionLimit(self.limit)
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.inner.close()

    @property
    def closed(self) -> bool:
        return bool(getattr(self.inner, "closed", False))


def compression_of(head: bytes) -> str | None:
    """``"gzip"``, ``"zstd"``, ``"bz2"``, ``"xz"`` or None, from a stream's first bytes (≥ 6)."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:3] == b"BZh":
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    return None


def open_decompressed(f: IO[bytes], limit: int | None = None) -> IO[bytes]:
    """``f`` decompressed if its magic bytes say gzip/zstd/bzip2/xz, else ``f`` itself.

    ``f`` must be seekable (it is rewound after sniffing). With ``limit``, reading more than
    ``limit`` decompressed bytes raises :class:`DecompressionLimit` (plain streams are not bounded:
    their size is known up front). zstd uses pyarrow's codec (no extra package).
    """
    head = f.read(6)
    f.seek(0)
    kind = compression_of(head)
    if kind is None:
        return f
    if kind == "gzip":
        import gzip

        out: Any = gzip.GzipFile(fileobj=f)
    elif kind == "zstd":
        import pyarrow as pa

        out = pa.CompressedInputStream(pa.PythonFile(f, mode="r"), "zstd")
    elif kind == "bz2":
        import bz2

        out = bz2.BZ2File(f)
    else:
        import lzma

        out = lzma.LZMAFile(f)
    return _Bounded(out, limit) if limit is not None else out  # type: ignore[return-value]


# ------------------------------------------------------------------------- gzip members
#: Decompressed bytes of one gzip member held until its CRC is checked; a longer member is
#: checked first by inflating the rest once more (discarding the output) before it is read.
GZIP_HOLD = 8 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"


def gzip_starts(f: IO[bytes], start: int, scan: int = 1 << 20) -> Iterator[int]:
    """Positions ≥ ``start`` of a seekable stream where a gzip member may begin (its magic
    bytes ``1f 8b 08``), in order; read ``scan`` bytes at a time. Moves ``f``'s position."""
    pos = start
    while True:
        f.seek(pos)
        buf = f.read(scan + 2)
        if not buf:
            return
        i = buf.find(_GZIP_MAGIC)
        while 0 <= i < scan:
            yield pos + i
            i = buf.find(_GZIP_MAGIC, i + 1)
        if len(buf) <= scan:
            return
        pos += scan


def next_gzip_member(f: IO[bytes], after: int, accept: Any = None) -> tuple[int | None, int | None]:
    """(first gzip magic position > ``after``, first position > ``after`` where a gzip member
    inflates without error — and, given ``accept(first_decompressed_bytes) -> bool``, passes it).

    How every reader of multi-member gzip (WARC, JSON Lines) resynchronises after damage.
    """
    import zlib

    first = None
    for cand in gzip_starts(f, after + 1):
        if first is None:
            first = cand
        f.seek(cand)
        try:
            head = zlib.decompressobj(31).decompress(f.read(8192), 128)
        except zlib.error:
            continue
        if accept is None or accept(head):
            return first, cand
    return first, None


class _Inflate:
    """Decompressed chunks of the gzip member at ``f``'s position, through ``d``; afterwards
    ``status`` is ``ok`` (CRC and length checked), ``corrupt`` (``message``) or ``truncated``,
    and ``end`` the input position after the member (ok) or where inflating stopped."""

    def __init__(self, f: IO[bytes], d: Any, chunk: int):
        self.f, self.d, self.chunk = f, d, chunk
        self.status, self.message, self.end = "", "", 0

    def __iter__(self) -> Iterator[bytes]:
        import zlib

        f, d = self.f, self.d
        while True:
            data = d.unconsumed_tail or f.read(self.chunk)
            if not data:
                self.status, self.message, self.end = "truncated", "input ends inside this gzip member", f.tell()
                return
            try:
                out = d.decompress(data, self.chunk)
            except zlib.error as e:
                self.status, self.message, self.end = "corrupt", str(e), f.tell()
                return
            if out:
                yield out
            if d.eof:
                self.status, self.end = "ok", f.tell() - len(d.unused_data)
                return


class GzipMember:
    """One member of a gzip file: ``offset`` (compressed byte where it starts), ``status``
    (``ok``, ``corrupt`` — a CRC, length or deflate error: none of its bytes can be trusted —
    or ``truncated``: the file ends inside it; what came out is a correct prefix), ``message``,
    ``end`` (the input position where inflating stopped: after the member, at the error, or the
    end of the file), ``resume`` (where the next member starts; None: nothing readable follows), ``data``
    (its decompressed chunks; consume them before asking for the next member)."""

    def __init__(self, offset: int, status: str, message: str, end: int, resume: int | None,
                 data: Iterator[bytes]):
        self.offset, self.status, self.message, self.end = offset, status, message, end
        self.resume, self.data = resume, data


def gzip_members(f: IO[bytes], chunk: int = 1 << 16, hold: int = GZIP_HOLD) -> Iterator[GzipMember]:
    """The members of a seekable gzip stream, each checked (CRC-32 and length) *before* its data
    is handed out, with resynchronisation after a damaged member at the next gzip magic that
    inflates (:func:`next_gzip_member`). Memory: at most ``hold`` decompressed bytes; a longer
    member is inflated twice (once to check it, once to read it). NUL padding between or after
    members (as some writers add) is skipped. Never raises for damaged input."""
    import zlib

    size = f.seek(0, 2)
    pos: int | None = 0
    while pos is not None and pos < size:
        f.seek(pos)
        pad = f.read(512)
        skip = len(pad) - len(pad.lstrip(b"\x00"))
        if skip:
            pos += skip
            if skip == len(pad):
                continue
        f.seek(pos)
        d = zlib.decompressobj(31)
        inf = _Inflate(f, d, chunk)
        it = iter(inf)
        held: list[bytes] = []
        n = 0
        for out in it:
            held.append(out)
            n += len(out)
            if n > hold:
                break
        result = inf
        if not inf.status:  # long member: check the rest with a copy of the inflater, then read on
            here = f.tell()
            result = _Inflate(f, d.copy(), chunk)
            for _ in result:
                pass
            f.seek(here)
            data: Iterator[bytes] = itertools.chain(held, it)
        else:
            data = iter(held)
        start = pos
        if result.status == "ok":
            pos = result.end
        elif result.status == "corrupt":
            pos = next_gzip_member(f, start)[1]
            if not inf.status:
                f.seek(here)  # ``data`` reads on from there
        else:
            pos = None
        yield GzipMember(start, result.status, result.message, result.end, pos, data)
