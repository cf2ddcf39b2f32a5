"""Input expansion: the paths a user gives (files, folders, globs, URIs) -> the files to read.

* A folder is searched recursively for files whose format its extension names (hidden files and
  folders are skipped; directory symlinks are not followed, so a link loop cannot repeat files).
  A Hugging Face ``save_to_disk`` folder found there contributes its Arrow files, never its
  metadata JSON (:mod:`corpusclean.readers.hf`).
* A glob (``*``, ``?``, ``[``; ``**`` recursive) lists matching files (directory symlinks are
  not followed; an unreadable folder is an error, as for folders).
* A file named directly must have a recognised extension unless the format is set.
* Files are de-duplicated by their real path (symlinks and ``a/../a`` resolved), so one file is
  read once; the listing is sorted by path.

Every problem (a missing path, a folder with no input files, an unreadable sub-folder, an
unknown extension, a FIFO, socket or device given or found in a folder — never opened, since
opening a FIFO blocks and a run reads each file more than once) is an
:class:`~corpusclean.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from pathlib import Path

from corpusclean.errors import InputError
from corpusclean.io.storage import RemotePath, as_path, is_remote
from corpusclean.readers import hf

#: The ``--input`` value naming the bundled sample crawl.
SAMPLE_INPUT = "@sample"
_GLOB = "*?["


def sample_path() -> Path:
    """The bundled sample crawl (``corpusclean/data/sample.warc.gz``)."""
    return Path(__file__).resolve().parent.parent / "data" / "sample.warc.gz"


def expand_root(raw: str) -> str:
    """An input path as the run reads it: ``@sample`` its file, ``~`` expanded."""
    return str(sample_path()) if raw == SAMPLE_INPUT else os.path.expanduser(raw)


_SPECIAL = ((stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISSOCK, "socket"),
            (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


def special_kind(path: str) -> str | None:
    """What a local path is when it is neither a regular file nor a folder (``FIFO (named pipe)``,
    ``socket``, a device), from ``os.stat`` alone: it is never opened (opening a FIFO blocks)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return next((name for test, name in _SPECIAL if test(mode)), None)


def detect_format(path: str) -> str | None:
    """The format an input file's name says (``warc``, ``wet``, ``jsonl``, ``parquet``, ``arrow``)."""
    name = os.path.basename(path).lower()
    for suffix in (".gz", ".zst", ".zstd", ".bz2", ".xz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith(".wet") or ".wet." in name:
        return "wet"
    if name.endswith((".warc", ".arc")):
        return "warc"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".arrow"):
        return "arrow"
    return None


def _walk(folder: str, raw: str, fmt: str) -> list[str]:
    def fail(err: OSError) -> None:
        raise InputError(f"{raw}: cannot read {err.filename}: {err.strerror}")

    if hf.is_dataset_folder(folder):
        return hf.dataset_files(folder)
    found: list[str] = []
    for root, dirs, files in os.walk(folder, onerror=fail):
        dirs.sort()
        keep = []
        for d in dirs:
            sub = os.path.join(root, d)
            if d.startswith("."):
                continue
            if hf.is_dataset_folder(sub):
                found.extend(hf.dataset_files(sub))
            else:
                keep.append(d)
        dirs[:] = keep
        found.extend(os.path.join(root, f) for f in sorted(files)
                     if not f.startswith(".") and (fmt != "auto" or detect_format(f)))
    if not found:
        raise InputError(f"{raw}: folder holds no WARC, ARC, WET, JSONL, Parquet or Arrow files")
    return found


def glob_matches(pattern: list[str], path: list[str]) -> bool:
    """Does a glob split in parts (``**`` = any number of folders) match ``path`` (parts)?"""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(glob_matches(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and glob_matches(rest, path[1:])


def _glob(pattern: str, raw: str) -> list[str]:
    """Files matching a local glob, walking from its fixed leading folder without following
    directory symlinks (a link loop cannot repeat or hang); hidden names only when the pattern
    part starts with a dot, as :func:`glob.glob`. An unreadable folder is an :class:`InputError`."""
    parts = Path(pattern).parts
    cut = next(i for i, part in enumerate(parts) if any(c in part for c in _GLOB))
    base, pat = os.path.join(*parts[:cut]) if cut else ".", list(parts[cut:])

    def fail(err: OSError) -> None:
        raise InputError(f"{raw}: cannot read {err.filename}: {err.strerror}")

    hidden = any(q.startswith(".") for q in pat)  # as glob.glob: hidden names only when asked for
    found = []
    for root, dirs, files in os.walk(base, onerror=fail):
        rel = [] if root == base else list(Path(os.path.relpath(root, base)).parts)
        dirs[:] = sorted(d for d in dirs if hidden or not d.startswith("."))
        found.extend(os.path.join(root, f) for f in files
                     if (hidden or not f.startswith(".")) and glob_matches(pat, rel + [f]))
    if not found:
        raise InputError(f"{raw}: no file matches this pattern")
    return sorted(found)


def expand_inputs(paths: list[str], fmt: str = "auto") -> list[tuple[str, str]]:
    """Files, folders and globs -> sorted (path, format) pairs, each real file once.

    Raises :class:`InputError` (see the module docstring).
    """
    if not paths:
        raise InputError("no input: give --input PATH or 'input:' in the config")
    out: dict[str, tuple[str, str]] = {}
    for raw in paths:
        p = expand_root(raw)
        if is_remote(p):
            found = _expand_remote(raw, p, fmt)
        elif os.path.isdir(p):
            found = _walk(p, raw, fmt)
        elif any(ch in p for ch in _GLOB):
            found = _glob(p, raw)
            if not found:
                raise InputError(f"{raw}: no file matches this pattern")
        elif os.path.isfile(p):
            found = [p]
        elif special_kind(p):
            found = [p]  # refused below, with what it is
        elif os.path.islink(p):
            raise InputError(f"{raw}: broken symbolic link (to {os.readlink(p)})")
        else:
            raise InputError(f"{raw}: no such file or folder")
        for f in found:
            kind_of_file = None if is_remote(f) else special_kind(f)
            if kind_of_file is not None:
                raise InputError(f"{f}: not a regular file: {kind_of_file}; a run reads each input more than "
                                 "once (schema probe, resume): copy the stream to a file first")
            kind = fmt if fmt != "auto" else detect_format(f)
            if kind is None:
                raise InputError(f"{f}: cannot tell the format from the extension; "
                                 f"set input.format to one of warc, wet, jsonl, parquet, arrow")
            if not is_remote(f) and not os.access(f, os.R_OK):
                raise InputError(f"{f}: input file is not readable")
            real = f if is_remote(f) else os.path.realpath(f)
            out.setdefault(real, (f, kind))
    return sorted(out.values())


def _expand_remote(raw: str, uri: str, fmt: str) -> list[str]:
    """A URI: an object, a folder (prefix, searched recursively) or a glob on the last parts."""
    if any(ch in uri for ch in _GLOB):
        cut = min(uri.index(c) for c in _GLOB if c in uri)
        base_uri, pattern = uri[:cut].rsplit("/", 1)
        base = as_path(base_uri)
        pattern += uri[cut:]
        assert isinstance(base, RemotePath)
        found = [str(f) for f in base.glob(pattern) if f.is_file()]
        if not found:
            raise InputError(f"{raw}: no file matches this pattern")
        return sorted(found)
    p = as_path(uri)
    assert isinstance(p, RemotePath)
    if p.is_file():
        return [str(p)]
    if p.is_dir():
        found = [str(f) for f in p.walk_files()
                 if (fmt != "auto" or detect_format(f.name)) and not f.name.startswith(".")]
        if not found:
            raise InputError(f"{raw}: folder holds no WARC, ARC, WET, JSONL, Parquet or Arrow files")
        return found
    raise InputError(f"{raw}: no such object or folder")
