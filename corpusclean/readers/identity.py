"""Document identity: every row's ``id`` is unique within a run, guaranteed here, never assumed.

Stages that decide by id (``exact_dedup``, ``minhash_dedup``, ``domain_cap``, span
decontamination) apply one decision to every row sharing an id, so the reader must never emit
two rows with one id. The rule:

* ``source_id`` keeps the input's own id as it was written (JSONL/Parquet id field as a string,
  integers included; the ``WARC-Record-ID`` without brackets); null when the input has none.
* **One input file** (the run names exactly one path, and it is a file): ``id`` is the input's
  own id; a record without one, or whose id was already used earlier in the file, gets
  ``<name>#<ordinal>`` instead (and a generated id equal to an id already used gets ``~``
  appended until it is free).
* **Several input files** (more than one path, a folder or a glob): ``id`` is always
  ``<name>#<ordinal>``.

``<ordinal>`` is the 0-based position of the row among the rows the reader gives for that file
(documents and read-time rejections; skipped WARC records such as requests do not count).
``<name>`` is the file's path relative to the input path (``--input``) that listed it (its base
name when that path names the file itself), prefixed by ``<k>:`` — the position of that input
path in the run's list — when the run has more than one input path. So ``--input crawl/`` gives
``part-3.warc.gz#17``, and ``--input a.jsonl --input b.jsonl`` gives ``0:a.jsonl#1`` and
``1:b.jsonl#0``. Each file is read once (inputs are de-duplicated by real path) and belongs to
the first input path listing it, so no two files share a name and no two rows an id, even when
the same content is given twice under two names. Ids do not depend on where the input is stored
(a local folder and the same folder on an object store give the same ids), and are the same on
every run and resume.
"""

from __future__ import annotations

import os

_GLOB = "*?["


def several_inputs(paths: list[str]) -> bool:
    """True for more than one path, a folder or a glob; False for one file (or no paths given)."""
    unique = set(paths)
    if len(unique) != 1:
        return len(unique) > 1
    (p,) = unique
    if any(ch in p for ch in _GLOB):
        return True
    if "://" in p:  # an object or a prefix: an object's name says its format
        from corpusclean.readers.expand import detect_format

        return p.endswith("/") or detect_format(p) is None
    return os.path.isdir(os.path.expanduser(p))


def file_name(path: str, roots: list[str]) -> str:
    """``<name>`` of the module docstring: ``path`` relative to the first root listing it."""
    distinct = list(dict.fromkeys(roots))
    for k, root in enumerate(distinct):
        rel = _relative(path, root)
        if rel is not None:
            return f"{k}:{rel}" if len(distinct) > 1 else rel
    return path


def _relative(path: str, root: str) -> str | None:
    if "://" in path and "://" in root:  # memory://b/x and memory:///b/x name one object
        path, root = (u.split("://", 1)[1].lstrip("/") for u in (path, root))
    if path == root or ("://" not in root and os.path.isfile(root)
                        and os.path.realpath(root) == os.path.realpath(path)):
        return path.replace("\\", "/").rsplit("/", 1)[-1]
    if any(ch in root for ch in _GLOB):
        cut = min(root.index(c) for c in _GLOB if c in root)
        root = root[:cut].rsplit("/", 1)[0] if "/" in root[:cut] else "."
        if root == ".":
            return path[2:] if path.startswith("./") else path
    base = root.rstrip("/") + "/"
    if path.startswith(base):
        return path[len(base):]
    return None


class IdAssigner:
    """Gives the rows of one file their ids, in order (see the module docstring).

    ``roots`` are the run's input paths (as expanded: ``~`` resolved, ``@sample`` its file).
    """

    def __init__(self, path: str, qualify: bool, roots: list[str] | None = None):
        self.path = file_name(path, roots) if roots else path
        self.qualify = qualify
        self.ordinal = 0
        self.seen: set[str] | None = None if qualify else set()

    def __call__(self, source_id: str | None) -> str:
        n = self.ordinal
        self.ordinal += 1
        if self.seen is None:
            return f"{self.path}#{n}"
        cand = source_id if source_id and source_id not in self.seen else f"{self.path}#{n}"
        while cand in self.seen:
            cand += "~"
        self.seen.add(cand)
        return cand
