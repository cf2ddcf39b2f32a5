#!/usr/bin/env python
"""Regenerate the bundled sample crawl ``corpusclean/data/sample.warc.gz`` (deterministic).

Its pages exercise every stage of the Gopher pipeline: articles with bullet and numbered lists
inside navigation and footer boilerplate, keyword-stuffed pages, pages with hidden keyword text,
repetitive pages, very short pages, non-English pages, pages on adult domains and with explicit
text, near-duplicate pages, pages quoting items of the bundled sample benchmark
(``corpusclean/data/sample_benchmark.jsonl``), plus request / metadata / revisit records, a
non-HTML response, a binary payload labelled HTML, a Latin-1 page, and a truncated final record.

    python scripts/make_sample.py
"""

from __future__ import annotations

import gzip
import html
import json
import random
import uuid
from pathlib import Path

from corpusclean.testing import synth
from corpusclean.testing.synth import response_record, warc_record

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "corpusclean" / "data"

FRENCH = (
    "La ville de Lyon se trouve au confluent du Rhône et de la Saône. Elle est connue pour sa "
    "gastronomie, ses traboules et son architecture de la Renaissance. Chaque année, des milliers de "
    "visiteurs viennent découvrir la fête des Lumières, qui illumine les rues au mois de décembre. "
    "Les habitants aiment se retrouver dans les bouchons, ces restaurants traditionnels où l'on sert "
    "des plats simples et généreux. Le vieux quartier, inscrit au patrimoine mondial, attire aussi "
    "les étudiants et les artistes qui y trouvent une atmosphère unique."
)
GERMAN = (
    "Der Schwarzwald ist ein Mittelgebirge im Südwesten Deutschlands. Er ist bekannt für seine dichten "
    "Wälder, die Kuckucksuhren und die Schwarzwälder Kirschtorte. Viele Wanderer kommen im Sommer, "
    "um die zahlreichen Wege zu erkunden, die durch Täler und über Berge führen. Im Winter ist die "
    "Region ein beliebtes Ziel für Skifahrer. Die kleinen Dörfer mit ihren traditionellen Häusern "
    "geben einen Eindruck davon, wie die Menschen hier seit Jahrhunderten leben und arbeiten."
)
SPANISH = (
    "La ciudad de Sevilla es la capital de Andalucía y una de las más visitadas de España. Su catedral "
    "es una de las más grandes del mundo y la Giralda, su famoso campanario, domina el paisaje urbano. "
    "En primavera se celebra la Feria de Abril, cuando las calles se llenan de música, baile y trajes "
    "tradicionales. Los visitantes disfrutan también de los patios llenos de flores y de las tapas que "
    "se sirven en los bares del barrio de Santa Cruz hasta muy tarde por la noche."
)
EXPLICIT = (
    "This fucking page is full of explicit porn talk. Hot sex videos, nude pussy pics, "
    "fuck fuck fuck, cock and tits, xxx porn porn porn, horny sluts and hardcore sex all day long."
)


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _page(title: str, body_html: str, head_extra: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>{head_extra}"
            "</head><body><nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/news\">News</a></li>"
            "<li><a href=\"/about\">About us</a></li><li><a href=\"/contact\">Contact</a></li></ul></nav>"
            f"<main><article><h1>{html.escape(title)}</h1>{body_html}</article></main>"
            "<footer><p>Copyright 2024. All rights reserved.</p><p><a href=\"/privacy\">Privacy policy</a> | "
            "<a href=\"/cookies\">Cookie settings</a></p></footer></body></html>")


def _paras(rng: random.Random, n: int) -> str:
    return "".join(f"<p>{html.escape(synth.paragraph(rng))}</p>" for _ in range(n))


def build(rng: random.Random) -> tuple[list[bytes], list[dict[str, str]]]:
    records: list[bytes] = []
    benchmark = [
        {"id": f"sb-{i}", "question": q, "answer": a} for i, (q, a) in enumerate([
            ("Which river flows through the old quarter of the walled city of Carcassonne in southern France",
             "The Aude"),
            ("What is the name of the process by which green plants use sunlight to synthesise nutrients "
             "from carbon dioxide and water", "Photosynthesis"),
            ("In which year did the first crewed landing on the Moon take place as part of the Apollo "
             "programme run by NASA", "1969"),
            ("Which element has the chemical symbol Fe and is the most common element on Earth by mass",
             "Iron"),
            ("Who wrote the novel that begins with the line it is a truth universally acknowledged that a "
             "single man in possession of a good fortune must be in want of a wife", "Jane Austen"),
        ])
    ]
    def add(url: str, page: str | bytes, ctype: str = "text/html; charset=utf-8", status: int = 200) -> None:
        records.append(warc_record("request", url, f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), _id(rng)))
        records.append(response_record(url, page, _id(rng), ctype, status))

    records.append(warc_record("warcinfo", "", b"software: corpusclean make_sample.py\r\n", _id(rng),
                               extra={"Content-Type": "application/warc-fields"}))
    articles: list[tuple[str, str]] = []
    for i in range(100):  # real-looking articles with lists, nav and footer
        page = synth.html_page(rng, size=rng.randint(3000, 9000))
        url = f"https://www.{rng.choice(['dailyherald', 'citynews', 'sciencetoday', 'gardenlife'])}.example/articles/{i}"
        articles.append((url, page))
        add(url, page)
    for i in range(8):  # near-duplicates: the same article syndicated with small edits
        url, page = articles[i]
        variant = page.replace("</h1>", "</h1><p>Editor's note: this story first appeared on a partner site.</p>", 1)
        for old, new in ((" river ", " stream "), (" garden ", " yard "), (" market ", " bazaar ")):
            variant = variant.replace(old, new, 1)
        add(url.replace("www.", "mirror.").replace("/articles/", "/syndicated/"), variant)
    for i in range(4):  # exact duplicates on another host
        url, page = articles[10 + i]
        add(url.replace("www.", "amp."), page)
    for i in range(4):  # keyword-stuffed pages
        kw = ["cheap flights", "best hotel deals", "discount travel", "last minute holidays", "cheap cars"]
        stuffed = ", ".join(rng.choice(kw) for _ in range(120))
        head = f'<meta name="keywords" content="{stuffed}">'
        add(f"https://cheap-travel-{i}.example/deals", _page("Cheap flights cheap hotels cheap deals",
                                                          _paras(rng, 2) + f"<p>{stuffed}</p>", head))
    for i in range(4):  # hidden keyword text
        hidden = " ".join(rng.choice(["casino", "poker", "slots", "jackpot", "betting", "bonus"]) for _ in range(300))
        styles = ["display:none", "visibility:hidden", "font-size:0", "position:absolute;left:-9999px"]
        body = _paras(rng, 3) + f'<div style="{styles[i]}">{hidden}</div>'
        add(f"https://www.homegarden-{i}.example/tips", _page("Garden tips for spring", body))
    for i in range(4):  # repetitive pages: the same few paragraphs over and over
        unique = [f"<p>{html.escape(synth.paragraph(rng, (2, 3)))}</p>" for _ in range(3)]
        body = "".join(unique[j % 3] for j in range(12))
        add(f"https://spam-{i}.example/page", _page("Best offers of the week", body))
    for i in range(5):  # very short pages
        add(f"https://www.tiny-{i}.example/", _page("Welcome", "<p>Coming soon.</p>"))
    for i, text in enumerate([FRENCH, GERMAN, SPANISH]):  # non-English pages
        lang = ["fr", "de", "es"][i]
        add(f"https://www.voyage-{lang}.example/article", _page(text[:40], f"<p>{text}</p><p>{text}</p>"))
    for host in ["www.pornhub.com", "xvideos.com", "www.xnxx.com"]:  # adult domains
        add(f"https://{host}/video/123", _page("Videos", _paras(rng, 4)))
    add("https://www.forum-chat.example/thread/9", _page("Chat", f"<p>{EXPLICIT}</p>" * 3))  # explicit text
    for i, item in enumerate(benchmark[:3]):  # pages quoting benchmark test items
        quote = f"<p>Quiz time! {html.escape(item['question'])}? The answer is {html.escape(item['answer'])}.</p>"
        add(f"https://www.trivia-{i}.example/quiz", _page("Pub quiz questions", _paras(rng, 3) + quote))
    latin1 = _page("Café à Paris", "<p>" + html.escape(FRENCH) + "</p>").replace('charset="utf-8"', 'charset="iso-8859-1"')
    add("https://www.cafe-paris.example/", latin1.encode("latin-1", "replace"), "text/html")
    add("https://www.dailyherald.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(600)),
        "image/png")
    add("https://www.dailyherald.example/broken", bytes(rng.getrandbits(8) for _ in range(800)) + b"\x00" * 200,
        "text/html")
    add("https://www.dailyherald.example/old", "<html><body>Moved</body></html>", status=301)
    records.append(warc_record("metadata", articles[0][0], b"fetchTimeMs: 120\r\n", _id(rng),
                               extra={"Content-Type": "application/warc-fields"}))
    records.append(warc_record("revisit", articles[1][0], b"HTTP/1.1 200 OK\r\n\r\n", _id(rng),
                               extra={"WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"}))
    return records, benchmark


def main() -> None:
    rng = random.Random(20240115)
    records, benchmark = build(rng)
    out = DATA / "sample.warc.gz"
    DATA.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        for rec in records:
            f.write(gzip.compress(rec, mtime=0))
        # A deliberately broken final record: a gzip member cut off in the middle.
        last = gzip.compress(response_record("https://www.dailyherald.example/cut", synth.html_page(rng, 3000),
                                             _id(rng)), mtime=0)
        f.write(last[: len(last) // 2])
    with open(DATA / "sample_benchmark.jsonl", "w", encoding="utf-8") as f:
        for item in benchmark:
            f.write(json.dumps(item) + "\n")
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(records)} records + 1 truncated)")


if __name__ == "__main__":
    main()
