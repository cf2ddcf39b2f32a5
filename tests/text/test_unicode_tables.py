"""The shipped code-point classes (corpusclean/data/unicode-classes-<version>.json) are exactly
what this Python's Unicode data gives; another Unicode version computes them."""

from __future__ import annotations

import json
import unicodedata
from importlib.resources import files

import pytest

from corpusclean import text


def test_shipped_classes_equal_the_computation_for_this_python():
    shipped = files("corpusclean").joinpath(text.SHIPPED_CLASSES.format(version=unicodedata.unidata_version))
    if not shipped.is_file():
        pytest.skip(f"no classes shipped for Unicode {unicodedata.unidata_version} (they are computed)")
    data = json.loads(shipped.read_text(encoding="utf-8"))
    computed = text.compute_code_point_classes()
    # to ship a new version: write {"classes": {k: text.code_point_ranges(v) for k, v in computed.items()}}
    assert data["unidata_version"] == unicodedata.unidata_version
    assert data["classes"] == {k: text.code_point_ranges(v) for k, v in computed.items()}
    assert text.code_point_classes() == {k: tuple(v) for k, v in computed.items()}


def test_an_unshipped_unicode_version_is_computed(monkeypatch):
    monkeypatch.setattr(text.unicodedata, "unidata_version", "0.0.0")
    text.code_point_classes.cache_clear()
    try:
        classes = text.code_point_classes()
    finally:
        text.code_point_classes.cache_clear()
    assert ord("!") in classes["ps"] and ord("a") in classes["alpha"] and 0x3000 in classes["space"]
    assert ord("٣") in classes["digit"] and ord("a") not in classes["ps"]


def test_ranges_golden():
    assert text.code_point_ranges([1, 2, 3, 7, 9, 10]) == [[1, 3], [7, 7], [9, 10]]
    assert text.code_point_ranges([]) == []
