"""corpusclean.urls: the one host definition, and registered domains from the bundled public-suffix list."""

from __future__ import annotations

import socket

import pytest

from corpusclean.urls import group_key, host, parse_url, registered_domain


def test_parse_url_normalises_hosts():
    assert parse_url("HTTP://WWW.Example.COM.:8080/a/b/?q=1#f").host == "example.com"
    assert parse_url("HTTP://WWW.Example.COM.:8080/a/b/?q=1#f").key == "example.com/a/b/?q=1"
    assert parse_url("bücher.de").host == parse_url("http://xn--bcher-kva.de").host == "xn--bcher-kva.de"
    assert parse_url("localhost:8080/x").host == "localhost"
    assert parse_url("http://[2001:DB8:0::1]:80/").host == "[2001:db8::1]"
    assert parse_url("javascript:alert(1)").host is None



def test_host_is_the_url_filters_host() -> None:
    assert host("HTTPS://User@WWW.Bücher.DE:443/x") == "xn--bcher-kva.de"
    assert host(None) == host("") == host("not a url at all") == ""
    assert host("http://10.0.0.1:8080/") == "10.0.0.1"


@pytest.mark.parametrize("h,want", [
    ("a.b.example.co.uk", "example.co.uk"),
    ("news.bbc.co.uk", "bbc.co.uk"),
    ("example.com", "example.com"),
    ("alice.github.io", "alice.github.io"),  # github.io is a (private-section) public suffix
    ("x.alice.github.io", "alice.github.io"),
    ("sub.example.pvt.k12.ma.us", "example.pvt.k12.ma.us"),
    ("www.xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("co.uk", "co.uk"),  # a bare public suffix is its own group
    ("localhost", "localhost"),
    ("192.168.0.1", "192.168.0.1"),  # IPs are never cut at dots
    ("[2001:db8::1]", "[2001:db8::1]"),
    ("", ""),
])
def test_registered_domain(h: str, want: str) -> None:
    assert registered_domain(h) == want


def test_group_key_by_host_or_registered_domain() -> None:
    url = "https://www.news.bbc.co.uk/a"
    assert group_key(url) == "news.bbc.co.uk"
    assert group_key(url, "registered_domain") == "bbc.co.uk"
    assert group_key(None, "registered_domain") == ""


def test_registered_domain_never_touches_the_network(monkeypatch) -> None:
    from corpusclean import urls

    def refuse(*a, **k):
        raise AssertionError("network access attempted")

    urls._psl.cache_clear()
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert registered_domain("a.b.example.org.au") == "example.org.au"
