"""The one data model: a batch of documents is a ``pyarrow.Table``.

Columns every stage can rely on (``BASE_SCHEMA``):

* ``id``     string, unique within a run, given by the reader (rule: :mod:`corpusclean.readers.identity`).
* ``text``   string, nullable: the document text (null before extraction for HTML input).
* ``url``    string, nullable.
* ``source`` string: the input file the document came from.

Optional columns a reader adds: ``html`` (before extraction), ``date``, ``source_id`` (the
input's own id as written, or null). ``DOC_SCHEMA`` holds the document columns of every read
document, whatever the format; a JSONL/Parquet/Arrow input's other fields follow them as typed
*extra columns*, one set per run decided before it starts (:mod:`corpusclean.readers.schema`), so
every shard of a run has one schema. Stages add their own signal columns and declare them
(``Stage.columns``) so every shard of one stage has one schema.

Rejected rows keep every column and gain ``stage`` (the stage's registry name), ``reason``
(short, stable, dotted: ``gopher_quality.word_count``) and ``detail`` (free text: which list
entry, which duplicate, which value failed; may be null).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

BASE_FIELDS: list[pa.Field] = [
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string()),
    pa.field("url", pa.string()),
    pa.field("source", pa.string()),
]
BASE_SCHEMA = pa.schema(BASE_FIELDS)

#: Columns a reader may add, with their types (kept in this order after the base columns).
OPTIONAL_FIELDS: dict[str, pa.DataType] = {
    "html": pa.string(),
    "date": pa.string(),
    "source_id": pa.string(),
}

REJECT_FIELDS: list[pa.Field] = [
    pa.field("stage", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("detail", pa.string()),
]


def empty_table(schema: pa.Schema = BASE_SCHEMA) -> pa.Table:
    """A zero-row table with ``schema`` (shards with no documents still get a typed file)."""
    return schema.empty_table()


def from_dicts(docs: Iterable[Mapping[str, Any]], schema: pa.Schema | None = None) -> pa.Table:
    """Build a batch from a list of dicts, for custom jobs and tests.

    Missing base columns are filled (``id`` as ``#<ordinal>``, others null) so that any list of
    ``{"text": ...}`` dicts is a valid batch. Extra keys become columns with inferred types.
    """
    rows = [dict(d) for d in docs]
    for i, row in enumerate(rows):
        if row.get("id") is None:
            row["id"] = f"#{i}"
        else:
            row["id"] = str(row["id"])
    names: list[str] = [f.name for f in BASE_FIELDS]
    for row in rows:
        for key in row:
            if key not in names:
                names.append(key)
    columns: dict[str, list[Any]] = {n: [r.get(n) for r in rows] for n in names}
    if schema is not None:
        return pa.table({f.name: pa.array(columns.get(f.name, [None] * len(rows)), f.type) for f in schema},
                        schema=schema)
    arrays = []
    fields = []
    base = {f.name: f for f in BASE_FIELDS}
    for name in names:
        if name in base:
            field = base[name]
        elif name in OPTIONAL_FIELDS:
            field = pa.field(name, OPTIONAL_FIELDS[name])
        else:
            arr = pa.array(columns[name])
            field = pa.field(name, arr.type if arr.type != pa.null() else pa.string())
        arrays.append(pa.array(columns[name], field.type))
        fields.append(field)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def with_columns(table: pa.Table, columns: Mapping[str, pa.Array | list[Any]],
                 types: Mapping[str, pa.DataType] | None = None) -> pa.Table:
    """Add or replace columns, keeping column order stable (replaced columns stay in place)."""
    types = types or {}
    for name, values in columns.items():
        arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, types.get(name))
        if name in types and arr.type != types[name]:
            arr = arr.cast(types[name])
        idx = table.schema.get_field_index(name)
        if idx >= 0:
            table = table.set_column(idx, name, arr)
        else:
            table = table.append_column(name, arr)
    return table


def add_reject_columns(table: pa.Table, stage: str, reasons: list[str],
                       details: list[str | None] | None = None) -> pa.Table:
    """Mark every row of ``table`` as rejected by ``stage`` with the given full reasons."""
    n = table.num_rows
    if details is None:
        details = [None] * n
    return with_columns(
        table,
        {"stage": [stage] * n, "reason": reasons, "detail": details},
        {"stage": pa.string(), "reason": pa.string(), "detail": pa.string()},
    )


def rejected_schema(schema: pa.Schema) -> pa.Schema:
    """The schema of a stage's rejected rows: its kept schema plus stage/reason/detail."""
    out = schema
    for field in REJECT_FIELDS:
        if out.get_field_index(field.name) < 0:
            out = out.append(field)
    return out


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Return ``table`` with exactly ``schema``'s columns in its order (missing ones null).

    Used so every shard of a stage writes one schema even when a batch lacks an optional column.
    """
    n = table.num_rows
    arrays = []
    for field in schema:
        idx = table.schema.get_field_index(field.name)
        if idx < 0:
            arrays.append(pa.nulls(n, field.type))
        else:
            col = table.column(idx)
            arrays.append(col if col.type == field.type else col.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def unify(tables: list[pa.Table]) -> pa.Table:
    """Concatenate batches whose schemas may differ by optional columns."""
    tables = [t for t in tables if t is not None]
    if not tables:
        return empty_table()
    schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
    return pa.concat_tables([conform(t, schema) for t in tables])


#: The schema of every document a reader gives (``html`` null where the input has text), the same
#: for every format so a run mixing WARC and JSONL inputs has one schema per stage.
DOC_SCHEMA = pa.schema(BASE_FIELDS + [pa.field(k, v) for k, v in OPTIONAL_FIELDS.items()])
