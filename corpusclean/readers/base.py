"""What every reader shares: its options, its counts, and how a record becomes a row.

A reader is a function ``(path, options, stats) -> Iterator[dict]`` registered in
:data:`corpusclean.readers.FORMATS`. Each dict is a document (the columns of
:data:`corpusclean.document.DOC_SCHEMA`) or, when it carries ``reason`` (and ``detail``), a record
that is a document but cannot be read (too large, invalid JSON, undecodable body): it is counted
and written to ``00_read/rejected``, never dropped. Records that are not documents at all (WARC
requests, revisits, metadata, non-HTML, non-2xx) are counted by kind in ``stats.skipped``.
Damage (a corrupt or truncated file) is recorded with :meth:`ReadStats.damaged`; readers never
raise for damaged input.

Readers set ``source_id`` (the input's own id, if it has one); :func:`corpusclean.readers.read_chunks`
gives every row its run-unique ``id`` (see :mod:`corpusclean.readers.identity`).
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("corpusclean.readers")


@dataclass
class ReadOptions:
    """How to read input files (the ``input:`` section of a config, without the paths)."""

    #: field names in JSONL / Parquet / Hugging Face records
    id_field: str = "id"
    text_field: str = "text"
    url_field: str = "url"
    #: records larger than this many bytes (after decompression) are rejected ``read.too_large``
    max_record_bytes: int = 10_000_000
    #: True: ``id`` is always ``<file>#<ordinal>`` (runs over several files, a folder or a glob);
    #: False: ``id`` is the input's own id when it has one not seen before in the file
    qualify_ids: bool = False
    #: the run's input paths (``--input``), to name files in ids relative to them
    roots: tuple[str, ...] = ()
    #: a record with ``html`` and no text is a page for ``extract`` (the runner sets False when a
    #: stage needs text before any stage makes it: the record is then ``read.missing_text``)
    pages: bool = True


@dataclass
class ReadStats:
    """What a reader saw: documents, rejections, skipped records by kind, damage, bytes read."""

    documents: int = 0
    rejected: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    bytes: int = 0

    def take(self) -> ReadStats:
        """A copy of the counts so far, resetting them (the reader keeps counting into ``self``)."""
        copy = ReadStats(self.documents, self.rejected.copy(), self.skipped.copy(), list(self.errors), self.bytes)
        self.documents, self.bytes = 0, 0
        self.rejected.clear()
        self.skipped.clear()
        self.errors.clear()
        return copy

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "rejected": dict(self.rejected),
                "skipped": dict(self.skipped), "errors": list(self.errors), "bytes": self.bytes}

    def damaged(self, path: str, offset: int, message: str) -> None:
        """Record damage at byte ``offset`` of ``path`` (logged as a warning)."""
        self.errors.append({"file": path, "offset": offset, "error": message})
        log.warning("%s: damaged at byte %d: %s", path, offset, message)


def has_surrogate(value: Any) -> bool:
    """True when a string in ``value`` (nested ones too) holds a lone surrogate (ASCII: fast no)."""
    if type(value) is str:
        if value.isascii():
            return False
        try:
            value.encode("utf-8")
            return False
        except UnicodeEncodeError:
            return True
    if type(value) is dict:
        return any(has_surrogate(v) for v in value.values())
    if type(value) is list:
        return any(has_surrogate(v) for v in value)
    return False


def repaired(value: Any) -> Any:
    """``value`` with lone surrogates in its strings (nested ones too) replaced by U+FFFD."""
    if isinstance(value, str):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    if isinstance(value, dict):
        return {k: repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repaired(v) for v in value]
    return value


def rejection(path: str, reason: str, detail: str, **columns: Any) -> dict[str, Any]:
    """A read-time rejection row (``stage`` is filled in by ``read_chunks``)."""
    return {"source": path, **columns, "reason": reason, "detail": detail}


#: A record's field that lands in the ``date`` column, as a WARC record's ``WARC-Date`` does.
DATE_FIELD = "date"
#: A record's field read as the ``html`` column (a string).
HTML_FIELD = "html"
#: Key of a reader row holding the record's other fields (a dict), typed into extra columns by
#: :func:`corpusclean.readers.schema.conform_rows`; never a column name.
EXTRA = "__extra__"


_JSON_NAMES = {int: "number", float: "number", bool: "boolean", list: "array", dict: "object"}


def _date(value: Any) -> str | None:
    """A record's date as the ``date`` column's string (:data:`corpusclean.document.DOC_SCHEMA`
    declares it ``string``, as a WARC record's ``WARC-Date``): ISO 8601 for date/datetime values
    (Parquet ``date32``/``timestamp``); a time-zone-aware timestamp in UTC with ``Z``, as WARC-Date
    is written (``2021-05-06T07:08:09Z``); the string as given otherwise (JSON has no date type)."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def doc_from_record(record: Any, opts: ReadOptions, path: str) -> dict[str, Any]:
    """A JSONL/Parquet/Arrow record (a mapping) as a document row or a rejection.

    The id field (any JSON scalar; integers too) becomes ``source_id`` as a string; a ``date``
    field becomes the ``date`` column (like a WARC record's ``WARC-Date``); an ``html`` field the
    ``html`` column (a string; another type is ``read.schema_conflict``), and a record with an
    ``html`` string but no (or a null) text field is a page whose ``text`` is null, as a WARC
    response record's is until ``extract`` runs; every other field is
    kept under :data:`EXTRA` and becomes a typed column of its own
    (:mod:`corpusclean.readers.schema`).
    """
    if not isinstance(record, dict):
        return rejection(path, "read.not_an_object", f"record is a JSON {type(record).__name__}")
    raw_id = record.get(opts.id_field)
    url = record.get(opts.url_field)
    text = record.get(opts.text_field)
    own = {opts.id_field, opts.text_field, opts.url_field}
    used = own | {DATE_FIELD, HTML_FIELD}
    base = {"source_id": str(raw_id) if raw_id not in (None, "") else None,
            "url": str(url) if url is not None else None, "source": path,
            "date": _date(record.get(DATE_FIELD)) if DATE_FIELD not in own else None,
            EXTRA: {k: v for k, v in record.items() if k not in used}}
    html = record.get(HTML_FIELD) if HTML_FIELD not in own else None
    if html is not None and not isinstance(html, str):
        return {**base, "reason": "read.schema_conflict",
                "detail": f"field 'html' is string in the run's input schema but {type(html).__name__} here"}
    if html is not None:
        base["html"] = html
        if text is None and opts.pages:  # a page, as a WARC response record is: `extract` makes its text
            if len(html) > opts.max_record_bytes:
                return {**base, "reason": "read.too_large",
                        "detail": f"{len(html)} characters of html > max_record_bytes={opts.max_record_bytes}"}
            return {**base, "text": None}
    if not isinstance(text, str):
        what = ("absent" if opts.text_field not in record else "null" if text is None
                else f"a JSON {_JSON_NAMES.get(type(text), type(text).__name__)}, not a string")
        hint = ("; the record has html, but no stage before the first that needs text makes it (add 'extract')"
                if html is not None else "")
        return {**base, "reason": "read.missing_text", "detail": f"field {opts.text_field!r} is {what}{hint}"}
    if len(text) > opts.max_record_bytes:
        return {**base, "reason": "read.too_large",
                "detail": f"{len(text)} characters > max_record_bytes={opts.max_record_bytes}"}
    return {**base, "text": text}
