"""explicit_text: dirty-word density per language (issue 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import reasons, run_stage

from corpusclean.config import ConfigError, parse_config
from corpusclean.stages.base import get_stage_class

DATA = Path(__file__).resolve().parents[1] / "data" / "safety"
TINY_MODEL = DATA / "tiny_toxic.bin"


# ---------------------------------------------------------------------------- explicit_text
def explicit(**kw):
    return get_stage_class("explicit_text")(**kw)


CLEAN_TEXT = ("The river runs past the old library and the class met in the museum to discuss "
              "the analysis of the document. Pass the glass, said the teacher, and the students "
              "assessed the harvest report from the village council. ") * 3


def test_explicit_density_rejects_and_keeps():
    docs = [{"id": "clean", "text": CLEAN_TEXT},
            {"id": "explicit", "text": "Hot PORN and fucking sluts. " * 5 + CLEAN_TEXT},
            {"id": "one_word", "text": CLEAN_TEXT + " What the fuck."},
            {"id": "multi", "text": "blow\n\n JOB " * 3 + "river " * 20},
            {"id": "none", "text": None}]
    r = run_stage(explicit(), docs)
    got = reasons(r)
    assert got == {"clean": None, "explicit": "explicit_text.explicit_fraction", "one_word": None,
                   "multi": "explicit_text.explicit_fraction", "none": None}
    rej = {d["id"]: d for d in r.rejected_docs}
    assert "porn:5" in rej["explicit"]["detail"] and "fucking:5" in rej["explicit"]["detail"]
    assert "blow job:6" in rej["multi"]["explicit_words"]  # a 2-word entry covers 2 words
    kept = {d["id"]: d for d in r.kept_docs}
    assert kept["clean"]["explicit_fraction"] == 0.0  # 'class', 'analysis', 'assessed' don't match
    assert 0 < kept["one_word"]["explicit_fraction"] < 0.02
    assert kept["none"]["explicit_fraction"] is None


def test_explicit_threshold_is_retunable():
    stage = explicit(max_explicit_fraction=0.5)
    stage.setup()
    sig = stage.compute({"text": "fuck this " * 3})
    assert sig["explicit_fraction"] == pytest.approx(0.5)
    assert stage.decide(sig) is None
    assert explicit(max_explicit_fraction=0.1).decide(sig)[0] == "explicit_fraction"


def test_explicit_per_language(tmp_path):
    de = tmp_path / "de.txt"
    de.write_text("# German\nscheiße\nfick dich\n", encoding="utf-8")
    stage = explicit(word_lists={"en": "@default", "de": str(de)})
    docs = [{"id": "de", "text": "Scheiße! Fick   dich. " * 3, "language": "de"},
            {"id": "de_en_words", "text": "fuck " * 10, "language": "de"},   # German list only
            {"id": "fr", "text": "fuck " * 10, "language": "fr"},            # no list: unscored
            {"id": "en_region", "text": "fuck " * 10, "language": "en-US"},
            {"id": "no_lang", "text": "fuck " * 10, "language": None}]       # default language
    r = run_stage(stage, docs)
    got = reasons(r)
    assert got == {"de": "explicit_text.explicit_fraction", "de_en_words": None, "fr": None,
                   "en_region": "explicit_text.explicit_fraction",
                   "no_lang": "explicit_text.explicit_fraction"}
    assert {d["id"]: d["explicit_fraction"] for d in r.kept_docs}["fr"] is None
    off = explicit(default_language=None)
    assert reasons(run_stage(off, [{"id": "x", "text": "fuck " * 10}]))["x"] is None


def test_explicit_config_validation():
    with pytest.raises(ConfigError, match="no shipped list"):
        parse_config({"stages": [{"explicit_text": {"word_lists": {"de": "@default"}}}]})
    with pytest.raises(ConfigError, match="max_explicit_fraction"):
        parse_config({"stages": [{"explicit_text": {"max_explicit_fraction": 2}}]})
