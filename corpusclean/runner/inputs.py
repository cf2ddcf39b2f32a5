"""What a run read: the identity of its input files, and where they may not be.

*Identity.* The manifest records, for every input file, what identifies its content, so a
resumed run can tell "the same files, spelled another way" (``crawl/`` vs ``crawl/*.warc.gz``,
``./crawl`` vs ``crawl``, the bundled sample before and after ``pip install -e``) from "a file
changed between a kill and the resume" (which would mix shards of two versions). A local file
is identified by its resolved path, size, ``mtime_ns``, ``ctime_ns`` (which no one can set back)
and inode, and by a digest of its content
(:func:`content_digest`: xxh3-128 of the size, the first and the last MiB — the whole file up
to 2 MiB). A remote object is identified by its URI, size and modification time.

:func:`input_changes` compares two listings file by file, in input order (the order fixes the
shard keys), and says what changed. Two files are the same when

* their resolved path, size, ``mtime_ns``, ``ctime_ns`` and inode are equal (nothing was touched), or
* their sizes and digests are equal and the digest covers the whole file (≤ 2 MiB), or
* they are at different paths (the folder was moved or the package reinstalled) with equal
  size, ``mtime_ns`` and digest (``mv``, ``cp -p`` and ``rsync -a`` keep the mtime).

A file rewritten in place (new mtime) is a change, even with the same size.

*Which columns they carry.* :func:`input_schema` probes the input files once, before pass 1, for
the run's extra columns (:mod:`corpusclean.readers.schema`); the manifest records them and a
resumed run refuses to go on when a new probe differs.

*Where inputs may not be.* :func:`check_overlap` refuses an input file inside the output folder
and an output folder inside an input folder or under an input glob that would match the run's
own files, before anything is written or deleted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import xxhash

from corpusclean.errors import RunError
from corpusclean.io.storage import as_path, is_remote
from corpusclean.readers.expand import glob_matches
from corpusclean.readers.schema import probe_schema, signal_columns

#: Bytes read from each end of a file for :func:`content_digest`.
DIGEST_EDGE = 1 << 20

#: Paths a run writes inside its output folder (relative), to test input globs against.
_RUN_FILES = ("manifest.json", "stats.json", "report.html", "final/part-00000-00000.parquet",
              "01_stage/part-00000-00000.parquet", "01_stage/rejected/part-00000-00000.parquet",
              "00_read/rejected/part-00000-00000.parquet", "_state/seg00/00000-00000.json",
              "01_stage/_global/_SUCCESS.json", "01_stage/_scan/part-00000-00000.parquet")


def content_digest(path: str) -> str:
    """xxh3-128 (hex) of ``path``'s size, first and last :data:`DIGEST_EDGE` bytes.

    The whole file when it is at most ``2 * DIGEST_EDGE`` bytes. Raises ``OSError``.
    """
    h = xxhash.xxh3_128()
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        h.update(str(size).encode())
        h.update(f.read(DIGEST_EDGE))
        if size > DIGEST_EDGE:
            f.seek(max(DIGEST_EDGE, size - DIGEST_EDGE))
            h.update(f.read(DIGEST_EDGE))
    return h.hexdigest()


def describe_file(path: str, fmt: str, digest: bool = True) -> dict[str, Any]:
    """One manifest entry: ``{"path", "format", "size", …identity}`` of input file ``path``.

    Local: ``real`` (resolved path), ``mtime_ns``, ``ctime_ns``, ``inode`` and (with ``digest``) ``digest``.
    Remote: ``mtime_ns`` when the store reports one. Raises :class:`RunError` if it cannot be read.
    """
    if is_remote(path):
        info = as_path(path)._info()  # type: ignore[union-attr]
        entry: dict[str, Any] = {"path": path, "format": fmt, "size": info.size}
        if info.mtime_ns is not None:
            entry["mtime_ns"] = info.mtime_ns
        return entry
    try:
        st = os.stat(path)
        entry = {"path": path, "format": fmt, "size": st.st_size, "real": os.path.realpath(path),
                 "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}
        if digest:
            entry["digest"] = content_digest(path)
    except OSError as e:
        raise RunError(f"{path}: cannot read input file ({e.strerror or e})") from None
    return entry


def describe_inputs(files: list[tuple[str, str]], digest: bool = True) -> list[dict[str, Any]]:
    """:func:`describe_file` of every ``(path, format)``, in order (``digest``: with digests;
    :func:`input_changes` computes the ones it needs)."""
    return [describe_file(p, f, digest) for p, f in files]


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    if old.get("size") != new.get("size"):
        return False
    if "real" not in new:  # remote
        return old.get("path") == new.get("path") and old.get("mtime_ns") == new.get("mtime_ns")
    old_real = old.get("real") or os.path.realpath(old.get("path", ""))
    if old_real == new["real"] and all(old.get(k) == new.get(k) for k in ("mtime_ns", "ctime_ns", "inode")):
        return True
    if "digest" not in old or old["digest"] != new.get("digest"):
        return False
    if new["size"] <= 2 * DIGEST_EDGE:
        return True  # the digest covers every byte
    return old_real != new["real"] and old.get("mtime_ns") == new.get("mtime_ns")


def _what_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    name = new["path"]
    if (old.get("real") or old.get("path")) != new.get("real", new["path"]):
        name = f"{old.get('path')} -> {new['path']}"
    if old.get("size") != new.get("size"):
        return f"{name} (size {old.get('size')} -> {new.get('size')} bytes)"
    if old.get("digest") and new.get("digest") and old["digest"] != new["digest"]:
        return f"{name} (content differs)"
    if old.get("mtime_ns") != new.get("mtime_ns") or old.get("ctime_ns") != new.get("ctime_ns"):
        return f"{name} (modified since the run started: its mtime or ctime changed)"
    return f"{name} (replaced by another file: inode changed)"


def input_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """What differs between two input listings (empty: the same files with the same content).

    ``new`` entries without a ``digest`` get one computed here when it is needed.
    """
    if len(old) != len(new):
        old_real = {o.get("real") or o.get("path") for o in old}
        new_real = {n.get("real") or n.get("path") for n in new}
        added = sorted(new_real - old_real)
        removed = sorted(old_real - new_real)
        parts = [f"input files: {len(old)} -> {len(new)}"]
        if added:
            parts.append("added " + ", ".join(added[:3]) + (" …" if len(added) > 3 else ""))
        if removed:
            parts.append("removed " + ", ".join(removed[:3]) + (" …" if len(removed) > 3 else ""))
        return ["; ".join(parts)]
    changes = []
    for o, n in zip(old, new):
        if "real" in n and "digest" not in n and not _same(o, n):
            n["digest"] = content_digest(n["path"])
        if o.get("format") != n.get("format"):
            changes.append(f"{n['path']} (format {o.get('format')} -> {n.get('format')})")
        elif not _same(o, n):
            changes.append("input file " + _what_changed(o, n))
    return changes


def input_schema(config: Any, files: list[tuple[str, str]] | Any) -> pa.Schema:
    """The extra columns of a run of ``config`` over ``files`` ((path, format) pairs): the input
    fields that are not document columns, typed (:func:`~corpusclean.readers.schema.probe_schema`).

    Raises :class:`~corpusclean.errors.SchemaError` (exit code 2) for Parquet/Arrow files whose
    types conflict and for a field named like a column corpusclean or one of the config's stages fills.
    """
    return probe_schema(list(files), config.input, signal_columns(s.name for s in config.stages))


# --------------------------------------------------------------------------------- overlap
def _inside(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def _real_parts(pattern: str) -> tuple[str, list[str]]:
    """A glob's fixed leading folder (resolved) and its remaining parts."""
    parts = Path(os.path.abspath(pattern)).parts
    cut = next(i for i, p in enumerate(parts) if any(c in p for c in "*?["))
    return os.path.realpath(os.path.join(*parts[:cut])), list(parts[cut:])


def check_overlap(raw_inputs: list[str], files: list[tuple[str, str]], output: str) -> None:
    """Refuse inputs inside ``output`` and an ``output`` an input folder or glob would read back.

    ``raw_inputs`` are the paths as written (files, folders, globs), ``files`` their expansion.
    Raises :class:`RunError` naming both; remote paths are compared as URIs.
    """
    if is_remote(output):
        out = str(output).rstrip("/")
        for path, _ in files:
            if is_remote(path) and _inside(str(path), out):
                raise RunError(f"input {path} is inside the output folder {output}: choose another output")
        return
    out = os.path.realpath(os.path.expanduser(output))
    for path, _ in files:
        if not is_remote(path) and _inside(os.path.realpath(path), out):
            raise RunError(f"input {path} is inside the output folder {output}: the run would delete "
                           "or overwrite what it reads; choose another output folder")
    for raw in raw_inputs:
        p = os.path.expanduser(raw)
        if is_remote(p) or raw.startswith("@"):
            continue
        if any(c in p for c in "*?["):
            base, pattern = _real_parts(p)
            if not _inside(out, base):
                continue
            rel = [] if out == base else list(Path(os.path.relpath(out, base)).parts)
            if any(glob_matches(pattern, rel + f.split("/")) for f in _RUN_FILES):
                raise RunError(f"output folder {output} is where input pattern {raw} matches: the next run "
                               "would read this run's own files as input; choose an output outside it")
        elif os.path.isdir(p) and _inside(out, os.path.realpath(p)):
            raise RunError(f"output folder {output} is inside input folder {raw}: the next run would read "
                           "this run's own files as input; choose an output outside it")


__all__ = ["DIGEST_EDGE", "check_overlap", "content_digest", "describe_file", "describe_inputs",
           "input_changes", "input_schema"]
