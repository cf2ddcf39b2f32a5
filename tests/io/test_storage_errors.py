"""A filesystem that cannot be built is reported with its real error, in one line
(corpusclean/io/storage.py ``_filesystem``); "install …" only when the package is really missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from click.testing import CliRunner
from pyarrow.lib import ArrowNotImplementedError

from corpusclean.cli import main
from corpusclean.errors import RunError
from corpusclean.io import storage


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    storage._filesystem.cache_clear()
    yield
    storage._filesystem.cache_clear()


def _offline(uri: str) -> None:
    raise OSError("When resolving region for bucket 'b': AWS Error NETWORK_CONNECTION\n  Could not resolve host")


@pytest.mark.parametrize("uri", ["s3://b/crawl.jsonl", "gs://b/out"])
def test_a_filesystem_that_fails_to_build_says_why(monkeypatch: pytest.MonkeyPatch, uri: str) -> None:
    monkeypatch.setattr(storage, "_pyarrow_filesystem", _offline)
    with pytest.raises(RunError) as e:
        storage.as_path(uri)
    msg = str(e.value)
    assert "cannot open the" in msg and "NETWORK_CONNECTION Could not resolve host" in msg
    assert "install" not in msg.lower() and "\n" not in msg


def test_run_over_an_unreachable_store_is_one_line_exit_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(storage, "_pyarrow_filesystem", _offline)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"input: s3://b/crawl.jsonl\noutput: {tmp_path / 'out'}\nstages: [passthrough]\n")
    res = CliRunner().invoke(main, ["run", str(cfg), "--quiet"])
    assert res.exit_code == 1, res.output
    assert res.output.startswith("error: s3://b/: cannot open the s3 filesystem: When resolving region")
    assert res.output.count("\n") == 1 and "s3fs" not in res.output


def test_install_hint_only_when_the_implementation_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_built(uri: str) -> None:
        raise ArrowNotImplementedError("Got S3 URI but Arrow compiled without S3 support")

    def missing(scheme: str, **kw: object) -> None:
        raise ImportError("Install s3fs to access S3")

    monkeypatch.setattr(storage, "_pyarrow_filesystem", not_built)
    monkeypatch.setattr(fsspec, "filesystem", missing)
    with pytest.raises(RunError, match=r"^s3://b/: no filesystem for 's3': Install s3fs to access S3$"):
        storage.as_path("s3://b/x")


def test_unknown_scheme_is_one_line() -> None:
    with pytest.raises(RunError, match=r"^nosuchfs://x/: cannot open the nosuchfs filesystem: .*nosuchfs"):
        storage.as_path("nosuchfs://x/y")
