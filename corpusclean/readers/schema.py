"""The run's input schema: the input's own fields as typed columns, decided once per run.

A JSONL/Parquet/Arrow record's fields that are not document columns (``id``/``text``/``url``
fields, ``date``, ``html``) become *extra columns* with their own Arrow types, after the document
columns of :data:`~corpusclean.document.DOC_SCHEMA`, and flow through every stage to ``final/``.
One schema per run, decided by the driver before pass 1 (:func:`probe_schema`) and recorded in the
manifest (:func:`schema_to_json`), so every worker, executor and resumed run conforms its chunks to
the same columns in the same order:

* **Parquet and Arrow** files: the schema in the file's footer (or stream header), no rows read.
  Files whose types differ are merged by pyarrow's *permissive* promotion (``int32`` + ``int64``
  -> ``int64``, ``int64`` + ``double`` -> ``double``, structs by field union); types that cannot be
  merged (``int64`` vs ``string``) are a :class:`~corpusclean.errors.SchemaError` naming both
  files, the field and both types (exit code 2, before anything is read).
* **JSON Lines**: the first :data:`SAMPLE_LINES` records or :data:`SAMPLE_BYTES` bytes of each
  file (whichever comes first) are read with the JSONL reader and each field's values typed by
  ``pyarrow.array`` (ints + floats -> ``double``, objects -> ``struct`` with the union of their
  keys, arrays -> ``list``; ISO dates stay strings). A field whose sampled values disagree (``1``
  and ``"a"``) keeps the type seen first. The rest of the file is then scanned (streaming, one
  record at a time): a field the sample never had is added, typed by its first non-null value,
  and a field whose type the sample could not determine (:func:`undetermined`: ``null``,
  ``list<null>`` from ``[]``, a struct with a null field) is widened by later values until it is
  determined (``null`` + ``5`` -> ``int64``, ``list<null>`` + ``[1, 2]`` -> ``list<int64>``). So a
  field that is null, empty or missing in the sample is never a conflict; only values that
  contradict a *determined* type are. A record all of whose fields are known and determined costs
  one set comparison, but every line is still decompressed and JSON-parsed once more than pass 1
  does (measured in docs/readers.md). Files are merged as above; a JSONL type that cannot merge
  with a Parquet file's keeps the Parquet type. A field that is null (or ``{}``) in every line
  of every file has type ``null``. An empty object ``{}`` is stored as null (Parquet cannot store
  a struct without fields).

At read time (:func:`conform_rows`) each record's fields are checked against the run's schema. A
value that fits (an int where the schema says ``double``, a struct lacking some keys) is stored
with the run's type; one that does not (a string where the schema says ``int64``, a float where it
says ``int64``, a struct with a key the schema lacks, a non-null value in a ``null`` field, a field
no probed line had) rejects that document ``read.schema_conflict``, its detail naming the
field, the run's type and the record's type. Nothing is dropped or converted silently.

Names: an input field named like a column corpusclean fills itself (``source``, ``source_id``,
``stage``, ``reason``, ``detail``; ``id``/``text``/``url`` when another field is configured as
the id/text/url field) or like a signal column of a stage in the pipeline is a
:class:`~corpusclean.errors.SchemaError` at validation (rename it in the input). An ``html`` field
is read as the ``html`` column (a string; another type is a conflict).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from corpusclean.document import DOC_SCHEMA
from corpusclean.errors import SchemaError
from corpusclean.readers.base import (
    DATE_FIELD,
    EXTRA,
    HTML_FIELD,
    ReadOptions,
    ReadStats,
    has_surrogate,
    repaired,
)

#: Records sampled from the start of each JSON Lines file to type its fields.
SAMPLE_LINES = 1000
#: Bytes (decompressed) after which the sample of one JSON Lines file stops, even short of SAMPLE_LINES.
SAMPLE_BYTES = 8 << 20
#: The reason of a document whose field does not fit the run's schema.
CONFLICT = "read.schema_conflict"
#: Formats whose files carry their schema (footer or stream header).
WHOLE_FILE = ("parquet", "arrow")


def reserved_columns(opts: ReadOptions) -> dict[str, str]:
    """Input field names that would collide with a column corpusclean fills -> what that column is."""
    out = {"source": "the input file a document came from", "source_id": "the input's own id as written",
           "stage": "the stage that rejected a document", "reason": "the rejection reason",
           "detail": "the rejection detail"}
    for name, opt in (("id", opts.id_field), ("text", opts.text_field), ("url", opts.url_field)):
        if opt != name:
            out[name] = f"the document {name} (input.{name}_field is {opt!r})"
    return out


def _mapped(opts: ReadOptions) -> set[str]:
    """Input fields read into document columns (not extra columns)."""
    return {opts.id_field, opts.text_field, opts.url_field, DATE_FIELD, HTML_FIELD}


def _clean_type(t: pa.DataType) -> pa.DataType:
    """``t`` with empty structs (``{}``, which Parquet cannot store) read as null."""
    if pa.types.is_struct(t):
        if t.num_fields == 0:
            return pa.null()
        return pa.struct([t.field(i).with_type(_clean_type(t.field(i).type)) for i in range(t.num_fields)])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _clean_type(t.value_type)
        return pa.list_(inner) if pa.types.is_list(t) else pa.large_list(inner)
    return t


def value_type(value: Any) -> pa.DataType | None:
    """The Arrow type pyarrow gives one JSON value, or None when it has none (a list mixing types,
    an integer beyond 64 bits)."""
    try:
        return _clean_type(pa.array([value]).type)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return None


def merge_type(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """pyarrow's permissive promotion of ``a`` and ``b`` (None: they cannot be merged)."""
    if a == b:
        return a
    try:
        merged = pa.unify_schemas([pa.schema([("x", a)]), pa.schema([("x", b)])], promote_options="permissive")
    except (pa.ArrowException, TypeError):
        return None
    return merged.field("x").type


def fits(value: pa.DataType, run: pa.DataType) -> bool:
    """True when values of type ``value`` can be stored in a ``run``-typed column without loss."""
    return value == run or value == pa.null() or merge_type(run, value) == run


# ------------------------------------------------------------------------------- probing
def undetermined(t: pa.DataType) -> bool:
    """True when ``t`` is ``null`` or holds ``null`` (``list<null>``, a struct with a null field):
    the values seen so far could not tell the field's type."""
    if pa.types.is_null(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return undetermined(t.value_type)
    if pa.types.is_struct(t):
        return any(undetermined(t.field(i).type) for i in range(t.num_fields))
    return False


def _typed(v: Any) -> pa.DataType | None:
    return value_type(repaired(v) if has_surrogate(v) else v)


def _sample_jsonl(path: str, opts: ReadOptions) -> dict[str, pa.DataType]:
    """Field -> type of one JSON Lines file: the sample typed whole, then the rest scanned (see
    the module docstring): new fields are typed by their first non-null value, undetermined ones
    widened by later values until determined. Memory: the sample's values, then one record."""
    from corpusclean.readers.jsonl import read_jsonl

    stats = ReadStats()
    types: dict[str, pa.DataType] = {}
    values: dict[str, list[Any]] = {}
    rows = read_jsonl(path, opts, stats)
    try:
        for row in itertools.islice(rows, SAMPLE_LINES):
            for k, v in (row.get(EXTRA) or {}).items():
                values.setdefault(k, []).append(repaired(v) if has_surrogate(v) else v)
            if stats.bytes >= SAMPLE_BYTES:
                break
        for k, vals in values.items():
            try:
                t = _clean_type(pa.array(vals).type)
            except (pa.ArrowException, OverflowError, TypeError, ValueError):
                t = None
                for v in vals:  # mixed: the first type seen, widened by later values that merge with it
                    vt = value_type(v)
                    if vt is None:
                        continue
                    t = vt if t is None else (merge_type(t, vt) or t)
            types[k] = t if t is not None else pa.null()
        values.clear()
        _scan_rest(rows, types)
    finally:
        rows.close()
    return types


def _scan_rest(rows: Iterator[dict[str, Any]], types: dict[str, pa.DataType]) -> None:
    """The rest of a JSON Lines file after the sample: a record whose fields are all known and
    determined costs one set comparison; a new field is added (typed by its first non-null value)
    and an undetermined one widened by a value whose type merges with it."""
    settled = {k for k, t in types.items() if not undetermined(t)}
    for row in rows:
        extra = row.get(EXTRA)
        if not extra or extra.keys() <= settled:
            continue
        for k, v in extra.items():
            if k in settled:
                continue
            known = types.get(k)
            vt = _typed(v) if v is not None else None
            if known is None:
                types[k] = vt or pa.null()
            elif vt is not None:
                types[k] = merge_type(known, vt) or known
            if not undetermined(types[k]):
                settled.add(k)


def _file_schema(path: str, fmt: str) -> pa.Schema:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        from corpusclean.io.storage import open_input

        with open_input(path) as f:
            return pq.read_schema(f)
    with pa.memory_map(path) as source:
        try:
            return pa.ipc.open_stream(source).schema
        except pa.ArrowInvalid:
            source.seek(0)
            return pa.ipc.open_file(source).schema


def probe_file(path: str, fmt: str, opts: ReadOptions) -> dict[str, pa.DataType] | None:
    """Field -> type of one input file's records (every field; None: the file cannot be probed,
    damaged or unreadable: its reader records that; WARC/WET have no fields of their own)."""
    try:
        if fmt in WHOLE_FILE:
            return {f.name: _clean_type(f.type) for f in _file_schema(path, fmt)}
        if fmt == "jsonl":
            return _sample_jsonl(path, opts)
    except (OSError, pa.ArrowException, ValueError):
        return None
    return {}


def probe_schema(files: Sequence[tuple[str, str]], options: Any,
                 signals: Mapping[str, str] | None = None) -> pa.Schema:
    """The extra columns of a run over ``files`` ((path, format) pairs, in input order).

    ``signals``: the pipeline's signal columns -> the stage adding each (an input field of that
    name is an error). Returns a schema of the extra fields, in order of first appearance
    (Parquet/Arrow files first, then JSON Lines). Raises :class:`SchemaError` (one line) for a
    field named like a corpusclean column and for Parquet/Arrow files whose types cannot merge.
    """
    from corpusclean.readers import as_options

    opts = as_options(options)
    reserved = reserved_columns(opts)
    mapped = _mapped(opts)
    signals = dict(signals or {})
    types: dict[str, pa.DataType] = {}
    origin: dict[str, tuple[str, pa.DataType]] = {}
    ordered = [f for f in files if f[1] in WHOLE_FILE] + [f for f in files if f[1] == "jsonl"]
    for path, fmt in ordered:
        fields = probe_file(path, fmt, opts)
        for name, t in (fields or {}).items():
            if name in reserved:
                raise SchemaError(f"{path}: input field {name!r} collides with the column corpusclean fills "
                                  f"with {reserved[name]}; rename or drop it in the input")
            if name in signals:
                raise SchemaError(f"{path}: input field {name!r} collides with the signal column {name!r} "
                                  f"of stage {signals[name]!r}; rename or drop it in the input")
            if name == HTML_FIELD and fmt in WHOLE_FILE and not (pa.types.is_null(t) or pa.types.is_string(t)
                                                                  or pa.types.is_large_string(t)):
                raise SchemaError(f"{path}: field 'html' is {t}; the document column html is a string")
            if name in mapped:
                continue
            if name not in types:
                types[name], origin[name] = t, (path, t)
                continue
            merged = merge_type(types[name], t)
            if merged is None:
                first, first_type = origin[name]
                if fmt in WHOLE_FILE:
                    raise SchemaError(f"input schemas conflict: field {name!r} is {first_type} in {first} "
                                      f"but {t} in {path}")
                continue  # a JSONL sample never overrides: its lines of the other type are rejected
            types[name] = merged
    return pa.schema([pa.field(n, t) for n, t in types.items()])


def signal_columns(stage_names: Iterable[str]) -> dict[str, str]:
    """Signal column -> registry name of the first stage adding it, for the named stages."""
    from corpusclean.stages.base import load_stages

    registry = load_stages()
    out: dict[str, str] = {}
    for name in stage_names:
        cls = registry.get(name)
        for col in getattr(cls, "columns", {}) or {}:
            out.setdefault(col, name)
    return out


def document_schema(extras: pa.Schema | None) -> pa.Schema:
    """The schema of a run's read documents: :data:`DOC_SCHEMA` then the extra columns."""
    schema = DOC_SCHEMA
    for f in extras or []:
        schema = schema.append(f)
    return schema


# ------------------------------------------------------------------------------ manifest
def schema_to_json(extras: pa.Schema) -> dict[str, Any]:
    """The manifest's record of the extra columns: readable ``fields`` and the exact Arrow schema."""
    return {"fields": [f"{f.name}: {f.type}" for f in extras],
            "arrow": base64.b64encode(extras.serialize().to_pybytes()).decode("ascii")}


def schema_from_json(entry: Mapping[str, Any] | None) -> pa.Schema | None:
    """Inverse of :func:`schema_to_json` (None for None)."""
    if entry is None:
        return None
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(entry["arrow"])))


def schema_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """What differs between two manifest schema entries, one phrase per field."""
    if old is None:
        return ["input schema: not recorded by the run in this folder (written by an older corpusclean)"]
    was = dict(f.split(": ", 1) for f in old.get("fields", []))
    now = dict(f.split(": ", 1) for f in new.get("fields", []))
    out = [f"input column {k!r} added ({now[k]})" for k in now if k not in was]
    out += [f"input column {k!r} removed (was {was[k]})" for k in was if k not in now]
    out += [f"input column {k!r}: {was[k]} -> {now[k]}" for k in now if k in was and was[k] != now[k]]
    if not out and list(was) != list(now):
        out.append("input columns reordered: " + ", ".join(now))
    return out


# ----------------------------------------------------------------------------- read time
def _column(values: list[Any], t: pa.DataType, whole_file: bool) -> tuple[pa.Array | None, dict[int, str]]:
    """``values`` as a ``t`` column, or None and {row: the type that does not fit}."""
    if not whole_file:
        try:
            inferred = _clean_type(pa.array(values).type)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            inferred = None
        if inferred is not None and not fits(inferred, t):
            inferred = None
        if inferred is None:
            bad = {}
            for i, v in enumerate(values):
                vt = value_type(v)
                if v is not None and (vt is None or not fits(vt, t)):
                    bad[i] = str(vt) if vt is not None else f"an untypable {type(v).__name__}"
            if bad:
                return None, bad
    try:
        return pa.array(values, t), {}
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        bad = {}
        for i, v in enumerate(values):
            try:
                pa.array([v], t)
            except (pa.ArrowException, OverflowError, TypeError, ValueError):
                bad[i] = str(value_type(v) or type(v).__name__)
        return None, bad


def _no_empty_objects(value: Any) -> Any:
    """``value`` with ``{}`` (at any depth) as None: Parquet cannot store a struct without fields."""
    if isinstance(value, dict):
        return {k: _no_empty_objects(v) for k, v in value.items()} if value else None
    if isinstance(value, list):
        return [_no_empty_objects(v) for v in value]
    return value


def conform_rows(rows: list[dict[str, Any]], schema: pa.Schema,
                 whole_file: bool) -> tuple[list[str | None], dict[str, pa.Array]]:
    """Check every row's extra fields (``row[EXTRA]``, removed here) against the run's ``schema``
    (document columns + extras).

    Returns, per row, the detail of a ``read.schema_conflict`` (None: the row fits), and the
    extra columns over all ``rows`` (a value that does not fit is null there). ``whole_file``: the
    rows come from Parquet/Arrow files (their values are stored with the run's type, not
    re-inferred from Python values).
    """
    names = {f.name for f in DOC_SCHEMA}
    extras = [f for f in schema if f.name not in names]
    known = {f.name for f in extras}
    problems: list[str | None] = [None] * len(rows)
    values: dict[str, list[Any]] = {f.name: [None] * len(rows) for f in extras}
    for i, row in enumerate(rows):
        for k, v in (row.pop(EXTRA, None) or {}).items():
            if not whole_file and isinstance(v, (dict, list)):
                v = _no_empty_objects(v)
            if k in known:
                values[k][i] = v
            elif v is not None and problems[i] is None:
                vt = value_type(v)
                problems[i] = (f"field {k!r} ({vt or type(v).__name__}) is not in the run's input schema "
                               f"(not in any input file's schema or probed lines)")
    arrays: dict[str, pa.Array] = {}
    for f in extras:
        col = values[f.name]
        arr, bad = _column(col, f.type, whole_file)
        for i, got in bad.items():
            col[i] = None
            if problems[i] is None:
                problems[i] = f"field {f.name!r} is {f.type} in the run's input schema but {got} here"
        arrays[f.name] = arr if arr is not None else pa.array(col, f.type)
    return problems, arrays


__all__ = ["CONFLICT", "SAMPLE_BYTES", "SAMPLE_LINES", "conform_rows", "document_schema", "fits", "merge_type",
           "probe_file", "probe_schema", "undetermined", "reserved_columns", "schema_changes",
           "schema_from_json", "schema_to_json", "signal_columns", "value_type"]
