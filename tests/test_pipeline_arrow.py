"""In memory over Arrow data and Hugging Face datasets; results written to Parquet; parameters
type-checked when a stage is built from Python."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusclean import ConfigError, Pipeline, get_stage_class, write_parquet
from corpusclean.testing.synth import documents

GopherQuality = get_stage_class("gopher_quality")


def _table(n: int = 30) -> pa.Table:
    texts = documents(n, seed=3, size=600)
    texts[1] = "too short"
    texts[4] = texts[3]
    return pa.table({"text": texts, "score": pa.array([i / 10 for i in range(n)], pa.float32()),
                     "tags": [[f"t{i}"] for i in range(n)], "year": pa.array(range(n), pa.int16())})


def test_batches_of_a_table_keep_typed_columns_and_write_one_file(tmp_path: Path) -> None:
    pipe = Pipeline([GopherQuality()])
    results = list(pipe.apply_arrow(_table(), batch_size=8))
    assert len(results) == 4
    kept, rejected = write_parquet(iter(results), tmp_path / "kept.parquet", tmp_path / "rej.parquet")
    assert kept + rejected == 30 and rejected >= 1
    k = pq.read_table(tmp_path / "kept.parquet")
    assert k.num_rows == kept
    assert k.schema.field("score").type == pa.float32() and k.schema.field("year").type == pa.int16()
    assert k.schema.field("tags").type == pa.list_(pa.string())
    r = pq.read_table(tmp_path / "rej.parquet")
    assert "gopher_quality.word_count" in r.column("reason").to_pylist()
    assert r.filter(pa.compute.equal(r.column("reason"), "gopher_quality.word_count")).column("id").to_pylist() == ["#1"]


def test_record_batch_iterator_and_global_stage(tmp_path: Path) -> None:
    table = _table()
    pipe = Pipeline([GopherQuality(), get_stage_class("exact_dedup")()])
    results = list(pipe.apply_arrow(iter(table.to_batches(max_chunksize=7))))
    assert len(results) == 1  # a global stage sees every batch at once
    rej = results[0].rejected.to_pylist()
    assert any(r["reason"] == "exact_dedup.duplicate" and r["duplicate_of"] == "#3" for r in rej)


def test_hugging_face_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": documents(12, seed=5, size=600), "n": list(range(12))})
    kept, rejected = write_parquet(Pipeline([GopherQuality()]).apply_arrow(ds, batch_size=5), tmp_path / "k.parquet")
    assert kept + rejected == 12
    assert pq.read_table(tmp_path / "k.parquet").schema.field("n").type == pa.int64()


def test_empty_input_writes_an_empty_typed_file(tmp_path: Path) -> None:
    assert write_parquet(Pipeline([GopherQuality()]).apply_arrow([]), tmp_path / "k.parquet") == (0, 0)
    assert pq.read_table(tmp_path / "k.parquet").num_rows == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"min_doc_words": "fifty"}, "gopher_quality.min_doc_words: expected an integer"),
    ({"max_hash_word_ratio": "0.1"}, "gopher_quality.max_hash_word_ratio: expected a number"),
])
def test_parameters_are_type_checked_from_python(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        GopherQuality(**kwargs)


def test_a_stage_with_its_own_post_init_is_checked_first() -> None:
    with pytest.raises(ConfigError, match="extract.min_chars: expected an integer, got 'x'"):
        get_stage_class("extract")(min_chars="x")
    with pytest.raises(ConfigError, match="extract.backend: expected one of"):
        get_stage_class("extract")(backend="lynx")


def test_an_int_for_a_float_parameter_becomes_a_float() -> None:
    stage = GopherQuality(max_hash_word_ratio=1)
    assert isinstance(stage.max_hash_word_ratio, float)
