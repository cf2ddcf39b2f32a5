"""domain_cap: per-host cap by default, public-suffix-aware registered-domain grouping on request."""

from __future__ import annotations

import pyarrow as pa
import pytest

from corpusclean.config import ConfigError, parse_config
from corpusclean.errors import StageInputError
from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class

DomainCap = get_stage_class("domain_cap")

URLS = [
    "https://www.bbc.co.uk/news/1", "https://news.bbc.co.uk/2", "http://sport.bbc.co.uk:80/3",
    "https://alice.github.io/a", "https://bob.github.io/b",  # two sites on one public suffix
    "https://example.com/x", "https://EXAMPLE.com./y", "https://shop.example.com/z",
    None, "not a url",
]


def run(stage):
    docs = [{"id": f"d{i}", "text": "t", "url": u} for i, u in enumerate(URLS)]
    res = Pipeline([stage]).apply(docs)
    assert res.kept.num_rows + res.rejected.num_rows == len(docs)
    return {d["id"]: d["detail"] for d in res.rejected_docs}


def test_host_is_the_default_grouping() -> None:
    assert DomainCap().group_by == "host"
    # hosts: bbc.co.uk, news.bbc.co.uk, sport.bbc.co.uk, alice/bob.github.io, example.com x2, shop...
    assert run(DomainCap(max_per_domain=1)) == {"d6": "example.com"}


def test_registered_domain_grouping_is_public_suffix_aware() -> None:
    got = run(DomainCap(max_per_domain=1, group_by="registered_domain"))
    # bbc.co.uk's three subdomains are one site; alice.github.io and bob.github.io stay apart
    # (github.io is a public suffix); documents without a host are never capped
    assert got == {"d1": "bbc.co.uk", "d2": "bbc.co.uk", "d6": "example.com", "d7": "example.com"}
    assert run(DomainCap(max_per_domain=2, group_by="registered_domain")) == {"d2": "bbc.co.uk", "d7": "example.com"}


def test_key_of_is_what_scan_writes() -> None:
    st = DomainCap(group_by="registered_domain")
    assert st.key_of("https://a.b.example.co.uk/") == "example.co.uk"
    assert DomainCap().key_of("https://a.b.example.co.uk/") == "a.b.example.co.uk"


def test_config_and_missing_url_column() -> None:
    cfg = parse_config({"stages": [{"domain_cap": {"max_per_domain": 5, "group_by": "registered_domain"}}]})
    assert cfg.stages[0].build().group_by == "registered_domain"
    with pytest.raises(ConfigError, match="group_by"):
        parse_config({"stages": [{"domain_cap": {"group_by": "tld"}}]})
    with pytest.raises(StageInputError, match="url"):  # a clear error, not a KeyError
        DomainCap().scan(pa.table({"id": ["a"], "text": ["t"]}))
