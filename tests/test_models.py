"""corpusclean.models: one fastText loader, checked and cached per process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpusclean import models

TINY_MODEL = Path(__file__).parent / "data" / "safety" / "tiny_toxic.bin"


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="fastText model not found: .*missing.bin"):
        models.load_fasttext(tmp_path / "missing.bin")


def test_loaded_once_per_resolved_path(tmp_path: Path) -> None:
    models.clear_cache()
    a = models.load_fasttext(TINY_MODEL)
    assert models.load_fasttext(str(TINY_MODEL)) is a
    link = tmp_path / "same.bin"
    link.symlink_to(TINY_MODEL)
    assert models.load_fasttext(link) is a  # the same file under another name
    copy = tmp_path / "copy.bin"
    shutil.copy(TINY_MODEL, copy)
    b = models.load_fasttext(copy)
    assert b is not a
    assert b.predict("hello world")[0] == a.predict("hello world")[0]
