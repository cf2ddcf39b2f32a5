"""Benchmark test sets for ``decontaminate``: where they are and which texts of each item to index.

Formats (``TestSetSpec.format``, ``auto`` = from the file name): JSON Lines, JSON (a list, or
an object whose first list value holds the records), Parquet, CSV/TSV (optionally with a header
row), plain text (one item per line, paragraph or file). Text files may be compressed (gzip,
zstd, bzip2, xz): recognised by their magic bytes through
:func:`corpusclean.io.files.open_decompressed`; a ``.gz``/``.bz2``/``.xz``/``.zst`` suffix is
ignored when telling the format from the name.

Errors are :class:`ValueError` naming the test set and the file (and line, for JSON Lines).
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from corpusclean.io.files import open_decompressed

__all__ = ["TestSetSpec", "resolve_path", "test_set_files", "item_texts"]


@dataclass
class TestSetSpec:
    """One benchmark test set: where it is and which fields of each record to index."""

    __test__ = False  # not a pytest test class

    #: Short name used in reasons, columns and stats (no ':' — it separates set and item).
    name: str
    #: A file, a folder (every supported file in it, recursively, in name order), or
    #: ``pkg:<package>/<path inside it>`` for a file shipped inside an installed package.
    path: str
    #: Record fields to index (dotted paths reach into nested objects; lists are indexed element
    #: by element). Empty: every string / list-of-strings field except the id.
    fields: list[str] = field(default_factory=list)
    #: Field holding the item id. None: the first of task_id, id, question_id, qid, uid, idx
    #: that the record has, else the record's row number.
    id_field: str | None = None
    #: auto: from the file extension (.jsonl/.json/.parquet/.csv/.tsv/.txt, optionally .gz/.bz2/.xz/.zst).
    format: Literal["auto", "jsonl", "json", "parquet", "csv", "tsv", "text"] = "auto"
    #: Plain-text files: one item per line, per blank-line-separated paragraph, or per file.
    text_unit: Literal["line", "paragraph", "file"] = "line"
    #: CSV/TSV: whether the first row names the columns (else columns are named "0", "1", ...).
    header: bool = True
    #: Index a record's fields joined into one text (grams may span fields) instead of separately.
    join_fields: bool = False


_ID_FIELDS = ("task_id", "id", "question_id", "qid", "uid", "idx")
_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet",
                   ".csv": "csv", ".tsv": "tsv", ".txt": "text", ".text": "text"}
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")


def resolve_path(path: str) -> Path:
    """A test-set path, with ``pkg:<package>/<relative path>`` resolved inside an installed package."""
    if path.startswith("pkg:"):
        pkg, _, rel = path[4:].partition("/")
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"test set path {path!r}: package {pkg!r} is not installed")
        return Path(list(spec.submodule_search_locations)[0]) / rel
    return Path(os.path.expanduser(path))


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for comp in _COMPRESSIONS:
        if name.endswith(comp):
            name = name[: -len(comp)]
    return _SUFFIX_FORMATS.get(Path(name).suffix)


def test_set_files(spec: TestSetSpec) -> list[Path]:
    """The files of a test set (raises ValueError with the path if there are none)."""
    root = resolve_path(spec.path)
    if root.is_file():
        return [root]
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(root).parts)
                       and (spec.format != "auto" or _format_of(p) is not None))
        if not files:
            raise ValueError(f"test set {spec.name!r}: folder {root} holds no .jsonl/.json/.parquet/.csv/.tsv/.txt file")
        return files
    raise ValueError(f"test set {spec.name!r}: {root} does not exist")

@contextlib.contextmanager
def _open_text(path: Path) -> Iterator[io.TextIOBase]:
    """A text stream (UTF-8, bad bytes replaced) over ``path``, decompressed if compressed."""
    with open(path, "rb") as raw:
        stream = open_decompressed(raw)
        try:
            yield io.TextIOWrapper(io.BufferedReader(stream) if stream is not raw else raw,  # type: ignore[arg-type]
                                   encoding="utf-8", errors="replace", newline="")
        finally:
            stream.close()


def _records(path: Path, spec: TestSetSpec) -> Iterator[dict[str, Any] | str]:
    fmt = spec.format if spec.format != "auto" else _format_of(path)
    if fmt is None:
        raise ValueError(f"test set {spec.name!r}: cannot tell the format of {path}; set 'format'")
    if fmt == "parquet":
        for batch in pq.ParquetFile(path).iter_batches():
            yield from batch.to_pylist()
        return
    with _open_text(path) as fh:
        if fmt == "jsonl":
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as e:
                        raise ValueError(f"test set {spec.name!r}: {path}:{lineno}: invalid JSON ({e.msg})") from None
        elif fmt == "json":
            try:
                data = json.load(fh)
            except json.JSONDecodeError as e:
                raise ValueError(f"test set {spec.name!r}: {path}: invalid JSON ({e.msg})") from None
            if isinstance(data, dict):  # {"data": [...]} or {"test": [...]}: the first list value
                data = next((v for v in data.values() if isinstance(v, list)), [data])
            yield from data
        elif fmt in ("csv", "tsv"):
            reader = csv.reader(fh, delimiter="\t" if fmt == "tsv" else ",")
            names: list[str] | None = None
            for row in reader:
                if names is None and spec.header:
                    names = row
                    continue
                keys = names or [str(i) for i in range(len(row))]
                yield dict(zip(keys, row))
        else:  # text
            content = fh.read()
            if spec.text_unit == "file":
                yield content
            elif spec.text_unit == "paragraph":
                yield from (p for p in re.split(r"\n\s*\n", content) if p.strip())
            else:
                yield from (line for line in content.splitlines() if line.strip())


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        yield str(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)


def _get(record: Any, dotted: str) -> list[Any]:
    """Values at a dotted path; lists met on the way are mapped over."""
    current = [record]
    for part in dotted.split("."):
        nxt: list[Any] = []
        for value in current:
            if isinstance(value, (list, tuple)):
                value_list = list(value)
            else:
                value_list = [value]
            for v in value_list:
                if isinstance(v, dict) and part in v:
                    nxt.append(v[part])
        current = nxt
    return current


def item_texts(spec: TestSetSpec) -> Iterator[tuple[str, list[str]]]:
    """(item id, texts to index) for every record of a test set, in file order."""
    files = test_set_files(spec)
    root = resolve_path(spec.path)
    for path in files:
        prefix = "" if len(files) == 1 else f"{path.relative_to(root).as_posix()}#"
        for row, rec in enumerate(_records(path, spec)):
            if isinstance(rec, str):
                yield f"{prefix}{row}", [rec]
                continue
            if not isinstance(rec, dict):
                yield f"{prefix}{row}", list(_leaves(rec))
                continue
            id_field = spec.id_field or next((f for f in _ID_FIELDS if f in rec), None)
            item_id = f"{prefix}{rec[id_field]}" if id_field and rec.get(id_field) is not None else f"{prefix}{row}"
            if spec.fields:
                texts = [t for f in spec.fields for v in _get(rec, f) for t in _leaves(v)]
            else:
                texts = [t for k, v in rec.items() if k != id_field for t in _leaves(v)
                         if not isinstance(v, (int, float))]
            if spec.join_fields and texts:
                texts = ["\n".join(texts)]
            yield item_id, texts
