"""Hugging Face ``datasets`` folders written by ``save_to_disk``: their Arrow files are read.

A dataset folder holds ``state.json`` (which lists its ``.arrow`` files in order),
``dataset_info.json`` and the Arrow IPC *stream* files; a ``DatasetDict`` folder holds
``dataset_dict.json`` naming one such sub-folder per split. :func:`dataset_files` lists the Arrow
files in order, so the metadata JSON files are never read as documents; :func:`read_arrow` reads
one Arrow file's rows like Parquet rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from corpusclean.errors import InputError
from corpusclean.readers.base import ReadOptions, ReadStats
from corpusclean.readers.parquet import records_of_batches

METADATA = ("state.json", "dataset_info.json", "dataset_dict.json")


def is_dataset_folder(folder: str) -> bool:
    """True for a ``save_to_disk`` folder (a Dataset or a DatasetDict)."""
    return (os.path.isfile(os.path.join(folder, "dataset_dict.json"))
            or os.path.isfile(os.path.join(folder, "state.json"))
            and os.path.isfile(os.path.join(folder, "dataset_info.json")))


def dataset_files(folder: str) -> list[str]:
    """The Arrow files of a ``save_to_disk`` folder, splits in ``dataset_dict.json`` order.

    Raises :class:`InputError` when the metadata is unreadable or names missing files.
    """
    try:
        dd = os.path.join(folder, "dataset_dict.json")
        if os.path.isfile(dd):
            with open(dd, encoding="utf-8") as f:
                splits = json.load(f)["splits"]
            return [p for split in splits for p in dataset_files(os.path.join(folder, split))]
        with open(os.path.join(folder, "state.json"), encoding="utf-8") as f:
            names = [d["filename"] for d in json.load(f)["_data_files"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{folder}: a Hugging Face dataset folder whose metadata cannot be read ({e}); "
                         "export it with Dataset.to_json or to_parquet and give that file") from None
    files = [os.path.join(folder, n) for n in names]
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        raise InputError(f"{folder}: Hugging Face dataset folder lacks {missing[0]}")
    return files


def _batches(path: str) -> Iterator[pa.RecordBatch]:
    with pa.memory_map(path) as source:
        try:
            reader: Any = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            source.seek(0)
            file_reader = pa.ipc.open_file(source)
            for i in range(file_reader.num_record_batches):
                yield file_reader.get_batch(i)
            return
        yield from reader


def read_arrow(path: str, opts: ReadOptions, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Rows of one Arrow IPC file (stream or file format), as documents or rejections."""
    counter = [0]
    try:
        yield from records_of_batches(_batches(path), opts, path, counter)
        stats.bytes += os.path.getsize(path)
    except (OSError, pa.ArrowException) as e:
        stats.damaged(path, counter[0], f"unreadable Arrow file after row {counter[0]} ({str(e).splitlines()[0]})")
