"""Local paths and object-store URIs behind one small path API.

A plain path (``out/``, ``/data/crawl``) stays a :class:`pathlib.Path`: the fast path, untouched.
A URI (``s3://bucket/out``, ``gs://…``, ``hdfs://…``, ``file:///abs/path``, or any fsspec
protocol such as ``memory://``) becomes a :class:`RemotePath` with the subset of the ``Path``
API the runner uses (``/``, ``name``, ``exists``, ``glob``, ``read_text``…), backed by a
``pyarrow.fs.FileSystem``: pyarrow's own S3 / GCS / HDFS / local filesystems when it knows the
scheme (no extra dependency), else fsspec's implementation wrapped in ``PyFileSystem``.

``file://`` URIs deliberately take the remote code path (over the local disk): that is how the
tests exercise everything an object store needs without a network.

Atomicity: on an object store a single PUT (or the completion of a multipart upload, which is
what pyarrow's S3 output stream does on ``close``) is atomic: readers see the old object or the
whole new one, never a part. So remote files are written in one stream, under their final name.
On a local filesystem (plain path or ``file://``) we write a temporary name and rename.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Union

import pyarrow.fs as pafs
from pyarrow.lib import ArrowNotImplementedError

from corpusclean.errors import RunError


def is_remote(path: str | os.PathLike[str] | RemotePath) -> bool:
    """True for URIs (``scheme://…``); plain paths are local."""
    if isinstance(path, RemotePath):
        return True
    if isinstance(path, Path):
        return False
    s = str(path)
    return "://" in s and s.split("://", 1)[0].isidentifier()


def _pyarrow_filesystem(uri: str) -> pafs.FileSystem:
    """pyarrow's own filesystem for ``uri`` (raises ``ArrowNotImplementedError`` when pyarrow was
    built without it, ``OSError`` and others when it cannot be built)."""
    return pafs.FileSystem.from_uri(uri)[0]


def _first_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


@functools.lru_cache(maxsize=32)
def _filesystem(scheme: str, netloc: str) -> pafs.FileSystem:
    """One filesystem object per (scheme, bucket) and process (S3 clients are costly to build).

    Raises :class:`~corpusclean.errors.RunError` with one line: pyarrow's own error when its
    filesystem for the scheme exists but cannot be built (no network, no credentials, a bucket
    that does not resolve); "install …" only when the package implementing the scheme is missing.
    """
    uri = f"{scheme}://{netloc}/"
    if scheme == "file":
        return pafs.LocalFileSystem()
    if scheme in ("s3", "gs", "gcs", "hdfs", "viewfs", "abfs", "abfss"):
        try:
            return _pyarrow_filesystem(uri)
        except ArrowNotImplementedError:  # pyarrow built without this filesystem: try fsspec
            pass
        except Exception as e:  # the filesystem exists but cannot be built: say why, not "install"
            raise RunError(f"{uri}: cannot open the {scheme} filesystem: {_first_line(e)}") from None
    try:
        import fsspec
    except ImportError:
        raise RunError(f"{uri}: no filesystem for {scheme!r} (pip install fsspec and its "
                       f"{scheme} implementation)") from None
    try:
        fs = fsspec.filesystem(scheme)
    except ImportError as e:  # fsspec knows the scheme, its implementation is not installed
        raise RunError(f"{uri}: no filesystem for {scheme!r}: {_first_line(e)}") from None
    except Exception as e:  # an unknown protocol, or an implementation that fails to start
        raise RunError(f"{uri}: cannot open the {scheme} filesystem: {_first_line(e)}") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs))


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → (``s3``, ``bucket/a/b``); ``file:///x`` → (``file``, ``/x``)."""
    scheme, rest = uri.split("://", 1)
    scheme = scheme.lower()
    rest = rest.split("?", 1)[0]
    if scheme in ("file", "memory") and not rest.startswith("/"):
        rest = "/" + rest
    return scheme, rest.rstrip("/") or "/"


AnyPath = Union[Path, "RemotePath"]


def as_path(path: str | os.PathLike[str] | RemotePath) -> AnyPath:
    """A :class:`Path` for local paths, a :class:`RemotePath` for URIs."""
    if isinstance(path, (Path, RemotePath)):
        return path
    s = str(path)
    if not is_remote(s):
        return Path(s)
    scheme, rest = split_uri(s)
    netloc = "" if scheme in ("file", "memory") else rest.split("/", 1)[0]
    return RemotePath(scheme, rest, _filesystem(scheme, netloc))


class RemotePath:
    """A path on a ``pyarrow.fs`` filesystem, with the bits of the ``Path`` API the runner needs."""

    __slots__ = ("scheme", "path", "fs")

    def __init__(self, scheme: str, path: str, fs: pafs.FileSystem):
        self.scheme = scheme
        self.path = path
        self.fs = fs

    # ------------------------------------------------------------------ pure path operations
    def __str__(self) -> str:
        return f"{self.scheme}://{self.path}"

    def __repr__(self) -> str:
        return f"RemotePath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePath) and (self.scheme, self.path) == (other.scheme, other.path)

    def __hash__(self) -> int:
        return hash((self.scheme, self.path))

    def __lt__(self, other: RemotePath) -> bool:
        return self.path < other.path

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt from the URI in the receiving process
        return as_path, (str(self),)

    def __truediv__(self, part: str | os.PathLike[str]) -> RemotePath:
        part = str(part).strip("/")
        return RemotePath(self.scheme, f"{self.path.rstrip('/')}/{part}", self.fs)

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        name = self.name
        return name.rsplit(".", 1)[0] if "." in name[1:] else name

    @property
    def parent(self) -> RemotePath:
        head = self.path.rstrip("/").rsplit("/", 1)[0]
        return RemotePath(self.scheme, head or "/", self.fs)

    def relative_to(self, other: RemotePath) -> str:
        prefix = other.path.rstrip("/") + "/"
        if not self.path.startswith(prefix):
            raise ValueError(f"{self} is not under {other}")
        return self.path[len(prefix):]

    # -------------------------------------------------------------------------- queries
    def _info(self) -> pafs.FileInfo:
        return self.fs.get_file_info(self.path)

    def exists(self) -> bool:
        return self._info().type != pafs.FileType.NotFound

    def is_dir(self) -> bool:
        return self._info().type == pafs.FileType.Directory

    def is_file(self) -> bool:
        return self._info().type == pafs.FileType.File

    def is_symlink(self) -> bool:
        return False

    def size(self) -> int:
        return int(self._info().size or 0)

    def _list(self, recursive: bool = False) -> list[pafs.FileInfo]:
        sel = pafs.FileSelector(self.path, allow_not_found=True, recursive=recursive)
        try:
            return self.fs.get_file_info(sel)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def iterdir(self) -> Iterator[RemotePath]:
        for info in sorted(self._list(), key=lambda i: i.path):
            yield RemotePath(self.scheme, info.path.rstrip("/"), self.fs)

    def glob(self, pattern: str) -> Iterator[RemotePath]:
        """Shell-style matching of names in this folder (``*`` never crosses ``/``; ``**`` does)."""
        recursive = "/" in pattern
        base = self.path.rstrip("/") + "/"
        for info in sorted(self._list(recursive), key=lambda i: i.path):
            rel = info.path[len(base):] if info.path.startswith(base) else info.path.rsplit("/", 1)[-1]
            if _match(rel, pattern):
                yield RemotePath(self.scheme, info.path.rstrip("/"), self.fs)

    def walk_files(self) -> list[RemotePath]:
        """Every file under this folder, sorted."""
        infos = [i for i in self._list(recursive=True) if i.type == pafs.FileType.File]
        return [RemotePath(self.scheme, i.path, self.fs) for i in sorted(infos, key=lambda i: i.path)]

    # ---------------------------------------------------------------------------- I/O
    def open_input(self) -> IO[bytes]:
        """A seekable binary file (ranged GETs on object stores)."""
        return self.fs.open_input_file(self.path)  # type: ignore[return-value]

    def read_bytes(self) -> bytes:
        with self.fs.open_input_stream(self.path) as f:
            return f.read()

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes) -> None:
        """Write atomically: temp + rename on a local disk, one PUT on an object store."""
        with self.open_output() as f:
            f.write(data)

    def write_text(self, text: str, encoding: str = "utf-8") -> None:
        self.write_bytes(text.encode(encoding))

    def open_output(self) -> _AtomicOutput:
        return _AtomicOutput(self)

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self.fs.create_dir(self.path, recursive=parents)

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.fs.delete_file(self.path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def symlink_to(self, target: str, target_is_directory: bool = False) -> None:
        raise OSError("object stores have no symbolic links")


def _match(rel: str, pattern: str) -> bool:
    if "**" in pattern:
        return fnmatch.fnmatchcase(rel, pattern.replace("**/", "*"))
    parts, pats = rel.split("/"), pattern.split("/")
    return len(parts) == len(pats) and all(fnmatch.fnmatchcase(a, p) for a, p in zip(parts, pats))


def _is_local_fs(fs: pafs.FileSystem) -> bool:
    return isinstance(fs, pafs.LocalFileSystem)


class _AtomicOutput:
    """A binary output stream whose file appears only when closed without error."""

    def __init__(self, path: RemotePath):
        self.path = path
        self.target = path.path
        if _is_local_fs(path.fs):
            path.fs.create_dir(path.parent.path, recursive=True)
            self.target = f"{path.parent.path}/.{path.name}.{os.getpid()}.tmp"
        self.stream = path.fs.open_output_stream(self.target)

    def write(self, data: bytes) -> int:
        return self.stream.write(data)

    def __enter__(self) -> Any:
        return self.stream

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.stream.close()
            if self.target != self.path.path:
                self.path.fs.delete_file(self.target)
            return
        self.stream.close()
        if self.target != self.path.path:
            self.path.fs.move(self.target, self.path.path)


# --------------------------------------------------------------------------- tree operations
def rmtree(path: AnyPath) -> None:
    if isinstance(path, RemotePath):
        path.fs.delete_dir(path.path)
    else:
        shutil.rmtree(path)


def getsize(path: str | AnyPath) -> int:
    p = as_path(path)
    return p.size() if isinstance(p, RemotePath) else os.path.getsize(p)


#: Input files open in this process, by the path they were opened with (for :func:`input_position`).
_OPEN_INPUTS: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def open_input(path: str | AnyPath) -> IO[bytes]:
    """A seekable binary file for a local path or a URI."""
    p = as_path(path)
    f = p.open_input() if isinstance(p, RemotePath) else open(p, "rb")
    with contextlib.suppress(TypeError):
        _OPEN_INPUTS[os.fspath(path) if not isinstance(path, RemotePath) else str(path)] = f
    return f


def input_position(path: str) -> int | None:
    """How many bytes of ``path`` (as given to :func:`open_input`) this process has read so far, or
    None if it is not open here (progress: input bytes read of the input size)."""
    f = _OPEN_INPUTS.get(path)
    if f is None or f.closed:
        return None
    try:
        return int(f.tell())
    except (OSError, ValueError):
        return None


def copy_tree(src: AnyPath, dst: AnyPath) -> None:
    """Copy every file under ``src`` to ``dst`` (server-side copies within one object store)."""
    if isinstance(src, Path) and isinstance(dst, Path):
        shutil.copytree(src, dst)
        return
    src_fs, src_p = (src.fs, src.path) if isinstance(src, RemotePath) else (pafs.LocalFileSystem(), str(src))
    dst_fs, dst_p = (dst.fs, dst.path) if isinstance(dst, RemotePath) else (pafs.LocalFileSystem(), str(dst))
    if src_fs is dst_fs or (_is_local_fs(src_fs) and _is_local_fs(dst_fs)):
        infos = src_fs.get_file_info(pafs.FileSelector(src_p, recursive=True))
        for info in sorted(infos, key=lambda i: i.path):
            rel = info.path[len(src_p.rstrip("/")) + 1:]
            if info.type == pafs.FileType.Directory:
                dst_fs.create_dir(f"{dst_p}/{rel}", recursive=True)
            elif info.type == pafs.FileType.File:
                dst_fs.create_dir(f"{dst_p}/{rel}".rsplit("/", 1)[0], recursive=True)
                src_fs.copy_file(info.path, f"{dst_p}/{rel}")
        return
    if _is_local_fs(dst_fs):
        os.makedirs(dst_p, exist_ok=True)
    pafs.copy_files(src_p, dst_p, source_filesystem=src_fs, destination_filesystem=dst_fs)


def local_scratch(prefix: str = "corpusclean-") -> Path:
    """A fresh local temporary folder (for global state staged from an object store)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


__all__ = ["AnyPath", "RemotePath", "as_path", "copy_tree", "getsize", "is_remote", "local_scratch",
           "open_input", "rmtree", "split_uri"]
