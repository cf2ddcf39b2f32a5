"""Document identity: every row's ``id`` is unique within a run, guaranteed here, never assumed.

Stages that decide by id (``exact_dedup``, ``minhash_dedup``, ``domain_cap``, span
decontamination) apply one decision to every row sharing an id, so the reader must never emit
two rows with one id. The rule:

* ``source_id`` keeps the input's own id as it was written (JSONL/Parquet id field as a string,
  integers included; the ``WARC-Record-ID`` without brackets); null when the input has none.
* **Several input files** (more than one path, a folder or a glob): ``id`` is
  ``<file>#<ordinal>``, where ``<file>`` is the input file's path as listed by the run and
  ``<ordinal>`` the 0-based position of the row among the rows the reader gives for that file
  (documents and read-time rejections; skipped WARC records such as requests do not count).
  Input files are distinct, so these ids are distinct, even for the same content given twice.
* **One input file**: ``id`` is the input's own id; a record without one, or whose id was
  already used earlier in the file, gets ``<file>#<ordinal>`` instead (and a generated id that
  happens to equal an id already used gets ``~`` appended until it is free).

Either way ids are deterministic (the same input gives the same ids on every run and resume).
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
    if "://" in p:
        return p.endswith("/")
    return os.path.isdir(os.path.expanduser(p))


class IdAssigner:
    """Gives the rows of one file their ids, in order (see the module docstring)."""

    def __init__(self, path: str, qualify: bool):
        self.path = path
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
