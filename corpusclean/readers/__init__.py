"""INPUT: read what users have into batches of documents, one reader module per format.

Formats (:data:`FORMATS`, chosen from the extension by :func:`~corpusclean.readers.expand.detect_format`
or set with ``input.format``):

========  =====================================================  =================================
format    files                                                  module
========  =====================================================  =================================
warc      ``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``           :mod:`~corpusclean.readers.warc`
wet       ``.wet``, ``.wet.gz`` (Common Crawl text extracts)       :mod:`~corpusclean.readers.warc`
jsonl     ``.jsonl``/``.json``/``.ndjson`` (+ .gz/.zst/.bz2/.xz),  :mod:`~corpusclean.readers.jsonl`
          JSON array files
parquet   ``.parquet``, ``.pq`` (local or object store)            :mod:`~corpusclean.readers.parquet`
arrow     ``.arrow``, Hugging Face ``save_to_disk`` folders        :mod:`~corpusclean.readers.hf`
========  =====================================================  =================================

A new format is one module with a ``read_<format>(path, options, stats)`` generator (see
:mod:`corpusclean.readers.base` for its contract) and one entry in :data:`FORMATS`.

:func:`read_chunks` turns one file into shard-sized :class:`Chunk` tables, gives each row its
run-unique ``id`` (:mod:`corpusclean.readers.identity`) and makes a row whose strings cannot be
stored (a lone surrogate from a JSON ``\\ud800`` escape) a ``read.invalid_unicode`` rejection with
the value repaired (U+FFFD), so one bad record never stops a run. Each chunk is conformed to the
run's input schema (:mod:`corpusclean.readers.schema`): a record whose field does not fit is a
``read.schema_conflict`` rejection. Documents in = documents kept +
rejected holds from here on: every record the reader sees is a document, a rejection or a
skipped non-document counted by kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from corpusclean.document import DOC_SCHEMA, rejected_schema
from corpusclean.errors import InputError
from corpusclean.readers.base import EXTRA, ReadOptions, ReadStats, has_surrogate, repaired
from corpusclean.readers.charset import decode_html
from corpusclean.readers.expand import SAMPLE_INPUT, detect_format, expand_inputs, expand_root, sample_path
from corpusclean.readers.hf import read_arrow
from corpusclean.readers.identity import IdAssigner, several_inputs
from corpusclean.readers.jsonl import read_jsonl
from corpusclean.readers.parquet import read_parquet
from corpusclean.readers.schema import CONFLICT, WHOLE_FILE, conform_rows, document_schema, probe_schema
from corpusclean.readers.warc import read_warc

Reader = Callable[[str, ReadOptions, ReadStats], Iterator[dict[str, Any]]]


def _read_wet(path: str, opts: ReadOptions, stats: ReadStats) -> Iterator[dict[str, Any]]:
    return read_warc(path, opts, stats, wet=True)


#: format name -> reader
FORMATS: dict[str, Reader] = {
    "warc": read_warc,
    "wet": _read_wet,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "arrow": read_arrow,
}

#: format name -> the content columns its reader fills (besides ``id``, ``url``, ``source``, ``date``,
#: ``source_id`` and the input's typed extra columns): WARC/ARC responses carry HTML (``text`` is null until ``extract`` fills it); WET,
#: JSONL, Parquet and Arrow records carry text. Validation decides from this, not from batches
#: (:mod:`corpusclean.runner.columns`).
FORMAT_COLUMNS: dict[str, tuple[str, ...]] = {
    "warc": ("html",),
    "wet": ("text",),
    "jsonl": ("text",),
    "parquet": ("text",),
    "arrow": ("text",),
}

__all__ = ["FORMATS", "FORMAT_COLUMNS", "SAMPLE_INPUT", "Chunk", "DOC_SCHEMA", "InputError", "ReadOptions", "ReadStats",
           "as_options", "decode_html", "detect_format", "expand_inputs", "read_chunks", "read_file",
           "read_options", "sample_path"]


def read_options(paths: list[str], **fields: Any) -> ReadOptions:
    """Options for a run over the input ``paths`` as the user gave them (``--input``).

    ``fields`` are :class:`ReadOptions` fields (``id_field``, ``max_record_bytes``, …); the id
    rule's inputs (``qualify_ids``, ``roots``) come from ``paths``.
    """
    roots = [expand_root(p) for p in paths]
    return ReadOptions(**fields, qualify_ids=several_inputs(roots), roots=tuple(roots))


def as_options(obj: Any) -> ReadOptions:
    """``obj`` itself, or options from an object with the same attribute names and ``paths``
    (the config's ``input`` section)."""
    if isinstance(obj, ReadOptions):
        return obj
    return read_options(list(getattr(obj, "paths", []) or []), id_field=obj.id_field, text_field=obj.text_field,
                        url_field=obj.url_field, max_record_bytes=obj.max_record_bytes)


def read_file(path: str, fmt: str, options: Any, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Rows (documents, and rejections carrying ``reason``) of one file, without ``id``.

    Raises :class:`InputError` for an unknown format.
    """
    reader = FORMATS.get(fmt)
    if reader is None:
        raise InputError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return reader(path, as_options(options), stats)


def _repair_unicode(row: dict[str, Any]) -> str | None:
    """Replace lone surrogates in ``row``'s strings (its extra fields' too) by U+FFFD; the first
    field that had one."""
    bad = None
    for key, value in row.items():
        fields = value if key == EXTRA else row
        for k in (value if key == EXTRA else (key,)):
            if has_surrogate(fields[k]):
                fields[k] = repaired(fields[k])
                bad = bad or k
    return bad


@dataclass
class Chunk:
    """One shard's worth of input: documents, read-time rejections and what the reader saw."""

    index: int
    docs: pa.Table
    rejected: pa.Table
    stats: ReadStats


def _split(rows: list[dict[str, Any]], schema: pa.Schema, whole_file: bool,
           stats: ReadStats) -> tuple[pa.Table, pa.Table]:
    """Conform ``rows`` (in read order) to the run's ``schema``; (documents, rejections) tables."""
    problems, extras = conform_rows(rows, schema, whole_file)
    keep, drop = [], []
    for i, (row, problem) in enumerate(zip(rows, problems)):
        if "reason" not in row and problem is not None:
            row["reason"], row["detail"] = CONFLICT, problem
        if "reason" in row:
            row["stage"] = "read"
            stats.rejected[row["reason"]] += 1
            drop.append(i)
        else:
            stats.documents += 1
            keep.append(i)
    full = rejected_schema(schema)
    table = pa.table({f.name: extras[f.name] if f.name in extras else pa.array([r.get(f.name) for r in rows], f.type)
                      for f in full}, schema=full)
    return (table.take(pa.array(keep, pa.int64())).select(schema.names),
            table.take(pa.array(drop, pa.int64())))


def read_chunks(path: str, fmt: str, options: Any, shard_size: int, strict: bool,
                columns: pa.Schema | None = None) -> Iterator[Chunk]:
    """Split one file into chunks of ``shard_size`` rows (documents + rejections), in order.

    ``options`` is a :class:`ReadOptions` (or an object with its attribute names, such as the
    config's input section). ``columns``: the run's extra columns
    (:func:`~corpusclean.readers.schema.probe_schema`, decided once per run; None: probed from
    this file alone); every chunk has :data:`DOC_SCHEMA` followed by them, and a record whose
    field does not fit is rejected ``read.schema_conflict``. Chunk boundaries depend only on the
    file and ``shard_size``, so shards are the same whatever the number of workers. A file with
    no records gives one empty chunk (so it is accounted for). With ``strict``, damage raises
    :class:`InputError`.
    """
    opts = as_options(options)
    if columns is None:
        columns = probe_schema([(path, fmt)], opts)
    schema = document_schema(columns)
    whole_file = fmt in WHOLE_FILE
    ids = IdAssigner(path, opts.qualify_ids, list(opts.roots))
    stats = ReadStats()
    rows: list[dict[str, Any]] = []
    index = 0
    for rec in read_file(path, fmt, opts, stats):
        rec["id"] = ids(rec.get("source_id"))
        bad = _repair_unicode(rec)
        if bad is not None and "reason" not in rec:
            rec["reason"] = "read.invalid_unicode"
            rec["detail"] = f"field {bad!r} holds a lone surrogate (shown as U+FFFD)"
        rows.append(rec)
        if len(rows) >= shard_size:
            docs, rejected = _split(rows, schema, whole_file, stats)
            yield Chunk(index, docs, rejected, stats.take())
            index += 1
            rows = []
    if strict and stats.errors:
        err = stats.errors[0]
        what = str(err["error"]).split("; resumed at byte ")[0]  # nothing resumes: the run stops
        raise InputError(f"{err['file']}: damaged at byte {err['offset']}: {what}; "
                         "the run stopped because of --strict (without it the damage is counted and reading resumes)")
    if rows or index == 0 or stats.errors or stats.skipped:
        docs, rejected = _split(rows, schema, whole_file, stats)
        yield Chunk(index, docs, rejected, stats.take())
