"""Deprecated location: the readers live in :mod:`corpusclean.readers` (kept until callers move)."""

from corpusclean.document import DOC_SCHEMA
from corpusclean.errors import InputError
from corpusclean.readers import Chunk, ReadOptions, ReadStats, decode_html, read_chunks, read_file
from corpusclean.readers.expand import detect_format, expand_inputs

__all__ = ["DOC_SCHEMA", "Chunk", "InputError", "ReadOptions", "ReadStats", "decode_html", "detect_format",
           "expand_inputs", "read_chunks", "read_file"]
