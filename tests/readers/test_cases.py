"""The handed cases read-arc and read-angle-bracket-uri, end to end through the runner."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow.parquet as pq

from corpusclean.config import parse_config
from corpusclean.runner import run
from corpusclean.testing import synth


def rows(folder: Path) -> list[dict]:
    return [r for f in sorted(folder.glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]


def article(title: str) -> str:
    para = (f"{title} is the subject of this page. The library keeps a careful record of every change, "
            "and readers are asked to check the notice board in the entrance hall before their visit. ")
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{para * 3}</p></article></body></html>"


def test_case_read_arc(tmp_path: Path) -> None:
    body = b"1 0 Example Archive\nURL IP-address Archive-date Content-type Archive-length\n"
    head = b"filedesc://crawl-2001-example.arc 0.0.0.0 20010601120000 text/plain %d\n%s\n" % (len(body), body)
    recs = []
    for name, title in (("opening-hours", "Opening hours"), ("new-books", "New books this month")):
        http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + article(title).encode()
        url = f"http://www.example-library.test/{name}.html"
        recs.append(f"{url} 192.0.2.10 20010601120500 text/html {len(http)}\n".encode() + http + b"\n")
    (tmp_path / "input.arc").write_bytes(head + b"".join(recs))
    (tmp_path / "input.arc.gz").write_bytes(b"".join(gzip.compress(r, mtime=0) for r in [head, *recs]))
    out = tmp_path / "out"
    run(parse_config({"input": [str(tmp_path / "input.arc"), str(tmp_path / "input.arc.gz")], "output": str(out),
                      "executor": {"workers": 1}, "stages": [{"extract": {}}]}), progress=False)
    texts = [r["text"] for r in rows(out / "final")]
    assert len(texts) == 4
    assert [t.split("\n")[0] for t in texts] == ["Opening hours", "New books this month"] * 2


def test_case_read_angle_bracket_uri(tmp_path: Path) -> None:
    pages = [("https://www.ashleymadison.com/blog/post.html", "Dating advice"),
             ("https://news.example-paper.test/2024/03/harbour.html", "Harbour works"),
             ("https://news.example-paper.test/2024/03/library.html", "Library hours")]
    records = []
    for i, (url, title) in enumerate(pages):
        for rec in (synth.warc_record("request", url, b"GET / HTTP/1.1\r\n\r\n", f"q{i}"),
                    synth.response_record(url, article(title), f"r{i}")):
            records.append(rec.replace(f"WARC-Target-URI: {url}".encode(), f"WARC-Target-URI: <{url}>".encode())
                           .replace(b"WARC/1.1", b"WARC/1.0"))
    synth.write_warc(str(tmp_path / "input.warc.gz"), records)
    out = tmp_path / "out"
    run(parse_config({"input": str(tmp_path / "input.warc.gz"), "output": str(out), "executor": {"workers": 1},
                      "stages": [{"url_filter": {}}, {"extract": {}}, {"domain_cap": {"max_per_domain": 1}}]}),
        progress=False)
    (blocked,) = rows(out / "01_url_filter" / "rejected")
    assert (blocked["reason"], blocked["detail"]) == ("url_filter.domain", "ashleymadison.com (@default)")
    (capped,) = rows(out / "03_domain_cap" / "rejected")
    assert capped["reason"] == "domain_cap.over_cap"
    (kept,) = rows(out / "final")
    assert kept["url"] == "https://news.example-paper.test/2024/03/harbour.html"
