"""url_filter: domain, URL and word rules over every awkward URL form (issue 6)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import reasons, run_stage

from corpusclean.config import ConfigError, parse_config
from corpusclean.document import from_dicts
from corpusclean.stages.base import get_stage_class


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
    r = run_stage(url_filter(banned_words=[], banned_subwords=[], soft_banned_words=[]), url_docs(ADULT_FORMS + CLEAN))
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
    got = reasons(run_stage(stage, url_docs(urls)))
    assert got["0"] == got["1"] == "url_filter.domain"
    assert got["3"] == got["4"] == got["5"] == got["6"] == got["7"] == "url_filter.domain"
    assert got["8"] is None and got["9"] is None
    # the punycode entry xn--80ak6aa92e.com is "аррӏе.com"
    assert reasons(run_stage(stage, url_docs(["https://аррӏе.com/login"])))["0"] == "url_filter.domain"
    assert got["2"] is None


def test_malformed_urls_never_crash():
    weird = [None, "", "   ", "javascript:void(0)", "mailto:", "http://", "http://[::1", "http://a..b/",
             "://", "http://exa mple.com/", "\x00\x01", "http://" + "a" * 5000 + ".com/",
             "http://xn--/", "http://%70ornhub.com/", "data:text/html,<b>", "ftp://::::/", "😀://😀"]
    r = run_stage(url_filter(), url_docs(weird))
    assert r.rejected.num_rows == 0
    r2 = run_stage(url_filter(reject_malformed=True), url_docs(weird))
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
    r = run_stage(url_filter(), url_docs(urls))
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
    assert reasons(run_stage(url_filter(soft_word_threshold=3), url_docs(urls)))["0"] is None
    none = url_filter(domain_lists=[], banned_words=[], banned_subwords=[], soft_banned_words=[])
    assert reasons(run_stage(none, url_docs(["https://pornhub.com/porn"])))["0"] is None


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
    r = run_stage(stage, url_docs(urls))
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
        r = run_stage(stage, url_docs(urls))
        got = reasons(r)
        assert got == {"0": "url_filter.domain", "1": "url_filter.url", "2": None,
                       "3": "url_filter.url", "4": None}, ref
        assert stage.domain_count == 2
        assert any(ref.name in d["detail"] for d in r.rejected_docs)


def test_exact_url_list(tmp_path):
    lst = tmp_path / "urls.txt"
    lst.write_text("# exact\nhttps://www.Example.com/Some/Page/\n")
    got = reasons(run_stage(url_filter(url_lists=[str(lst)]),
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


def test_compressed_domain_and_url_lists(tmp_path):
    import gzip

    (tmp_path / "domains.txt.gz").write_bytes(gzip.compress(b"# mine\nBlocked.Example\n"))
    (tmp_path / "urls.txt.gz").write_bytes(gzip.compress(b"https://ok.example/secret/\n"))
    stage = url_filter(domain_lists=[str(tmp_path / "domains.txt.gz")], url_lists=[str(tmp_path / "urls.txt.gz")],
                       banned_words=[], banned_subwords=[], soft_banned_words=[])
    got = reasons(run_stage(stage, url_docs(["http://www.blocked.example/a", "https://ok.example/secret",
                                       "https://ok.example/public"])))
    assert got == {"0": "url_filter.domain", "1": "url_filter.url", "2": None}
