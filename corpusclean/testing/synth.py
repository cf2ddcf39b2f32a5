"""Synthetic English documents and pages for benchmarks, tests and the sample crawl.

Deterministic for a given seed. The text is made of sentences over a vocabulary of common English
words (so stop-word, word-length and repetition statistics look like prose), split into
paragraphs. Nothing here is used by the pipeline itself.
"""

from __future__ import annotations

import html
import random

_COMMON = (
    "the be to of and a in that have it for not on with he as you do at this but his by from they we "
    "say her she or an will my one all would there their what so up out if about who get which go me "
    "when make can like time no just him know take people into year your good some could them see other "
    "than then now look only come its over think also back after use two how our work first well way "
    "even new want because any these give day most us"
).split()
_CONTENT = (
    "river garden window history science market report energy village station journey library "
    "mountain winter summer teacher student council project harvest kitchen recipe festival museum "
    "bridge harbour network research climate policy budget engine circuit protein hospital patient "
    "weather forest animal planet ocean island coffee bakery bicycle railway lantern cottage painter "
    "musician orchestra theatre chapter novel poetry language grammar answer question problem method "
    "result evidence experiment measure sample survey region county province capital century decade "
    "morning evening afternoon quickly slowly carefully beautiful important different possible simple "
    "remarkable traditional modern ancient public private local national natural careful gentle bright "
    "build create explain describe improve develop consider include provide support require discover"
).split()


def sentence(rng: random.Random, min_words: int = 6, max_words: int = 18) -> str:
    n = rng.randint(min_words, max_words)
    words = [rng.choice(_COMMON) if rng.random() < 0.5 else rng.choice(_CONTENT) for _ in range(n)]
    s = " ".join(words)
    if n > 8 and rng.random() < 0.3:
        k = rng.randint(3, n - 3)
        s = " ".join(words[:k]) + ", " + " ".join(words[k:])
    return s[0].upper() + s[1:] + rng.choice(".....?!")


def paragraph(rng: random.Random, sentences: tuple[int, int] = (3, 7)) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))


def document(rng: random.Random, size: int = 3000) -> str:
    """An English-like document of about ``size`` characters, paragraphs separated by blank lines."""
    parts: list[str] = []
    total = 0
    while total < size:
        p = paragraph(rng)
        parts.append(p)
        total += len(p) + 2
    return "\n\n".join(parts)


def documents(n: int, seed: int = 0, size: int = 3000) -> list[str]:
    rng = random.Random(seed)
    return [document(rng, size) for _ in range(n)]


def html_page(rng: random.Random, size: int = 20000, title: str | None = None) -> str:
    """A real-shaped article page: navigation, article with lists, footer; about ``size`` bytes."""
    title = title or sentence(rng, 3, 7).rstrip(".?!")
    nav = "".join(f'<li><a href="/{w}">{w.title()}</a></li>' for w in rng.sample(_CONTENT, 6))
    body: list[str] = []
    total = 0
    while total < size:
        r = rng.random()
        if r < 0.15:
            items = "".join(f"<li>{html.escape(sentence(rng, 4, 10))}</li>" for _ in range(rng.randint(3, 6)))
            block = f"<ul>{items}</ul>" if rng.random() < 0.6 else f"<ol>{items}</ol>"
        elif r < 0.25:
            block = f"<h2>{html.escape(sentence(rng, 3, 6).rstrip('.?!'))}</h2>"
        else:
            block = f"<p>{html.escape(paragraph(rng))}</p>"
        body.append(block)
        total += len(block)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header>"
        f"<main><article><h1>{html.escape(title)}</h1>{''.join(body)}</article></main>"
        "<footer><p>Copyright 2024 Example Media. All rights reserved.</p>"
        "<p><a href=\"/privacy\">Privacy</a> | <a href=\"/terms\">Terms</a></p></footer>"
        "</body></html>"
    )


# ------------------------------------------------------------------------------ WARC writing
def warc_record(warc_type: str, url: str, block: bytes, record_id: str,
                date: str = "2024-01-15T12:00:00Z", extra: dict[str, str] | None = None) -> bytes:
    """One WARC/1.1 record (uncompressed)."""
    headers = {
        "WARC-Type": warc_type,
        "WARC-Record-ID": f"<urn:uuid:{record_id}>",
        "WARC-Date": date,
        "WARC-Target-URI": url,
        "Content-Length": str(len(block)),
    }
    if warc_type in ("response", "request"):
        headers["Content-Type"] = f"application/http; msgtype={warc_type}"
    headers.update(extra or {})
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + block + b"\r\n\r\n"


def http_response(body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> bytes:
    reason = {200: "OK", 301: "Moved Permanently", 404: "Not Found"}.get(status, "OK")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def response_record(url: str, html_text: str | bytes, record_id: str, content_type: str = "text/html; charset=utf-8",
                    status: int = 200) -> bytes:
    body = html_text.encode("utf-8") if isinstance(html_text, str) else html_text
    return warc_record("response", url, http_response(body, content_type, status), record_id)


def write_warc(path: str, records: list[bytes], compress: bool = True) -> None:
    """Write records to ``path``; gzip each record as its own member, as Common Crawl does."""
    import gzip

    with open(path, "wb") as f:
        for rec in records:
            f.write(gzip.compress(rec, mtime=0) if compress else rec)
