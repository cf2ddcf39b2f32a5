"""Cuts declared once: ``decide``, ``thresholds`` and ``whatif``'s retunable parameters derive from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest

from corpusclean.pipeline import apply
from corpusclean.stages.base import Cut, FilterStage, get_stage_class, param
from corpusclean.whatif import retunable_params, threshold_pairs


def test_derived_thresholds_keep_the_shape_report_and_whatif_read() -> None:
    quality = get_stage_class("gopher_quality")
    assert quality.thresholds["gq_word_count"] == (("min_doc_words", "min"), ("max_doc_words", "max"))
    assert quality.thresholds["gq_stop_word_count"] == ("min_stop_words", "min")
    assert quality().thresholds == quality.thresholds  # on the class (report) and an instance (whatif)
    fineweb = get_stage_class("fineweb_quality")
    assert threshold_pairs(fineweb)["fw_line_punct_frac"] == [("min_line_punct_frac", "min")]
    repetition = get_stage_class("gopher_repetition")
    # every cut's parameter is retunable, and nothing else is
    for cls in (quality, repetition, fineweb):
        assert retunable_params(cls) == {c.param for c in cls.cuts}
        assert {c.column for c in cls.cuts} <= set(cls.columns)
        assert {c.param for c in cls.cuts} <= {f.name for f in cls.params()}


@dataclass(kw_only=True)
class Shouty(FilterStage):
    """A user's filter: one rule method (compute) and its cuts."""

    name = "shouty_test"
    retunable = True
    columns = {"caps_frac": pa.float64(), "letters": pa.int64()}
    cuts = (Cut("letters", "min_letters", "min", "too_short"),
            Cut("caps_frac", "max_caps_frac", "max", "shouting", inclusive=True))
    min_letters: int | None = param(3, "Fewest letters")
    max_caps_frac: float | None = param(0.5, "Reject at or above this share of capitals")

    def compute(self, doc: dict[str, Any]) -> dict[str, Any]:
        letters = [c for c in doc["text"] or "" if c.isalpha()]
        return {"letters": len(letters), "caps_frac": sum(c.isupper() for c in letters) / max(len(letters), 1)}



def test_a_new_filter_is_compute_plus_cuts() -> None:
    res = apply(Shouty(), [{"text": "HELLO there"}, {"text": "Hello there"}, {"text": "ab"}, {"text": "HeLLo"}])
    assert [d["text"] for d in res.kept_docs] == ["Hello there"]
    reasons = {d["text"]: (d["reason"], d["detail"]) for d in res.rejected_docs}
    assert reasons["HELLO there"] == ("shouty_test.shouting", "0.5 >= 0.5")
    assert reasons["ab"] == ("shouty_test.too_short", "2 < 3")
    assert reasons["HeLLo"] == ("shouty_test.shouting", "0.6 >= 0.5")
    # the same stored signals, a moved cut: derived decide, no recomputing
    assert Shouty(max_caps_frac=0.7).decide({"letters": 10, "caps_frac": 0.6}) is None
    assert Shouty(max_caps_frac=None, min_letters=None).decide({"letters": 0, "caps_frac": 1.0}) is None
    assert Shouty.thresholds == {"letters": ("min_letters", "min"), "caps_frac": ("max_caps_frac", "max")}


def test_cuts_can_be_per_instance_without_touching_the_class() -> None:
    stage = Shouty()
    stage.cuts = (Cut("letters", "min_letters", "min", "too_short"),)  # type: ignore[misc]
    assert stage.thresholds == {"letters": ("min_letters", "min")}
    assert Shouty.thresholds["caps_frac"] == ("max_caps_frac", "max")  # the class is unchanged
    assert stage.decide({"letters": 5, "caps_frac": 1.0}) is None


def test_a_cut_has_a_side() -> None:
    with pytest.raises(ValueError):
        Cut("x", "y", "above", "z")
    assert Cut("x", "t", "max", "r").check(100001, 100000) == ("r", "100001 > 100000")
    assert Cut("x", "t", "max", "r").check(0.47368, 0.2) == ("r", "0.4737 > 0.2")
    assert Cut("x", "t", "min", "r").check(1, None) is None
