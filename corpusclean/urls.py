"""URLs and host names: the ONE definition every stage and tool uses.

A *host* is what :func:`parse_url` finds in a URL and :func:`normalize_host` makes comparable:
lower case, IDNA (punycode) ASCII for internationalised names, no trailing dot, no leading
``www.`` (when something is left after it), no port or userinfo, IPv6 literals compressed in
brackets. ``url_filter`` (block-lists), ``domain_cap`` (per-host cap), ``hidden_text`` and
``whatif`` all group or compare by :func:`host`, so they always agree on what a host is.

A *registered domain* (:func:`registered_domain`) is the host's public suffix plus one label
("eTLD+1": ``a.b.example.co.uk`` → ``example.co.uk``, ``user.github.io`` → ``user.github.io``),
from the Public Suffix List (ICANN and private sections) bundled in the ``publicsuffixlist``
package. The list is read from the installed package only; nothing is fetched at run time (the
package updates its list only when its ``update`` command is run by hand). An IP address, a
single-label host (``localhost``) or a host that is itself a public suffix (``co.uk``) is its own
registered domain.

Functions never raise on bad input: a URL without a usable host has host ``None`` (``""`` from
:func:`host`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

__all__ = ["ParsedURL", "parse_url", "normalize_host", "host", "host_and_parents", "url_key",
           "registered_domain", "group_key", "is_ipv4", "FAST_URL_RE2", "GroupBy"]

#: How hosts may be grouped (``domain_cap.group_by``).
GroupBy = Literal["host", "registered_domain"]

# A scheme: ``xxx://`` or one of the schemes written without ``//`` (so ``localhost:8080`` is not
# read as scheme ``localhost``).
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:)?//|^(?:mailto|javascript|data|tel|about|news|urn):")
# Fast path: a plain http(s) URL with an ASCII host (the overwhelming majority of crawl URLs).
_FAST_URL = re.compile(r"^(?:https?://)?([a-z0-9\-_]+(?:\.[a-z0-9\-_]+)+)\.?(?::\d{0,5})?(?=[/?#]|$)")
#: The same pattern for Arrow's RE2 kernels, applied to the lower-cased URL (named groups:
#: ``host`` before ``www.`` removal; ``rest`` = path, query, fragment).
FAST_URL_RE2 = (r"^(?:https?://)?(?P<host>[a-z0-9\-_]+(?:\.[a-z0-9\-_]+)+)\.?(?::\d{0,5})?"
                r"(?P<rest>(?s:[/?#].*)|)$")
_HOST_OK = re.compile(r"^[a-z0-9\-_]+(?:\.[a-z0-9\-_]+)*$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def is_ipv4(host: str) -> bool:
    """True for a dotted-quad host (``10.0.0.1``)."""
    return _IPV4.match(host) is not None


def normalize_host(host: str) -> str | None:
    """A host as list entries and lookups compare it: lower case, IDNA (punycode) ASCII, no
    trailing dot, no leading ``www.``, IPv6 literals compressed. None if it is not a host name.
    """
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if host.startswith("[") and host.endswith("]"):
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError:
            return None
    if not host.isascii():
        host = _to_idna(host)
        if host is None:
            return None
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    if not _HOST_OK.match(host):
        return None
    return host


def _to_idna(host: str) -> str | None:
    """Punycode a non-ASCII host (IDNA 2003 via the standard library, so no extra dependency);
    labels the codec refuses are punycoded one by one. Used for list entries and URLs alike, so
    both sides always agree."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        pass
    labels = []
    for label in re.split(r"[.\u3002\uff0e\uff61]", host):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except (UnicodeError, ValueError):
            return None
    return ".".join(labels).lower()


@dataclass(frozen=True)
class ParsedURL:
    """What the URL rules need from one URL."""

    host: str | None  #: normalised host (None: no usable host)
    lower: str  #: the whole URL, lower case (word rules)
    key: str | None  #: exact-URL key: host + path/query, no scheme/fragment/trailing slash
    is_ip: bool  #: the host is an IPv4 or IPv6 address


def parse_url(url: str) -> ParsedURL:
    """Split a URL (with or without scheme, any case, port, userinfo, IDN, IP) for the rules.

    Never raises: a URL with no usable host gives ``host=None`` (word rules still apply).
    """
    lower = url.strip().lower()
    m = _FAST_URL.match(lower)
    if m is not None:
        host: str | None = m.group(1)
        assert host is not None
        rest = lower[m.end():]
        if host.startswith("www.") and "." in host[4:]:
            host = host[4:]
        is_ip = is_ipv4(host)
    else:
        raw = url.strip()
        rest_raw = _SCHEME.sub("", raw.lower(), count=1)
        cut = len(rest_raw)
        for sep in "/?#\\":
            i = rest_raw.find(sep)
            if 0 <= i < cut:
                cut = i
        authority, rest = rest_raw[:cut], rest_raw[cut:]
        authority = authority.rsplit("@", 1)[-1]
        if authority.startswith("["):
            end = authority.find("]")
            hostpart = authority[: end + 1] if end > 0 else ""
        else:
            hostpart = authority
            colon = hostpart.rfind(":")
            if colon >= 0 and (hostpart[colon + 1:].isdigit() or colon == len(hostpart) - 1):
                hostpart = hostpart[:colon]
        host = normalize_host(hostpart) if hostpart else None
        is_ip = host is not None and (host.startswith("[") or is_ipv4(host))
    key = None
    if host is not None:
        path = rest.split("#", 1)[0].rstrip("/")
        key = host + path
    return ParsedURL(host, lower, key, is_ip)


def host(url: str | None) -> str:
    """The normalised host of ``url``, or ``""`` when it has none (None, empty, unparsable).

    The definition ``domain_cap``, ``hidden_text`` and ``whatif`` share with ``url_filter``.
    """
    return (parse_url(url).host or "") if url else ""


def host_and_parents(host: str, is_ip: bool = False) -> list[str]:
    """``a.b.example.com`` → itself, ``b.example.com``, ``example.com``, ``com`` (an IP: itself)."""
    if is_ip:
        return [host]
    out = [host]
    i = host.find(".")
    while i >= 0:
        out.append(host[i + 1:])
        i = host.find(".", i + 1)
    return out


def url_key(entry: str) -> str | None:
    """The exact-URL key of a list entry or a document URL (see :func:`parse_url`)."""
    return parse_url(entry).key


@lru_cache(maxsize=1)
def _psl() -> Any:
    try:
        from publicsuffixlist import PublicSuffixList
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise RuntimeError("registered-domain grouping needs the 'publicsuffixlist' package: "
                           "pip install publicsuffixlist") from e
    return PublicSuffixList()  # the list bundled in the package; never fetched


def registered_domain(host_name: str) -> str:
    """The registered domain (public suffix + one label) of a *normalised* host.

    ``a.b.example.co.uk`` → ``example.co.uk``; ``alice.github.io`` → ``alice.github.io``
    (``github.io`` is a private-section suffix); an IP address, a single label or a bare public
    suffix is returned unchanged; ``""`` stays ``""``.
    """
    if not host_name or "." not in host_name or host_name.startswith("[") or is_ipv4(host_name):
        return host_name
    return _psl().privatesuffix(host_name) or host_name


def group_key(url: str | None, by: GroupBy = "host") -> str:
    """The group of ``url`` for per-site counting: its :func:`host` or :func:`registered_domain`
    (``""`` when the URL has no host)."""
    h = host(url)
    return registered_domain(h) if by == "registered_domain" else h
