"""``corpusclean report``: a self-contained HTML file that renders in a real browser, never runs a
crawled page's script, and reads texts only for its few examples."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from corpusclean.cli import main
from corpusclean.config import parse_config
from corpusclean.report import build_report
from corpusclean.runner import run
from corpusclean.testing import synth

EVIL = "<script>document.body.innerHTML='PWNED'</script><img src=x onerror=alert(1)>"
STAGES = [{"gopher_quality": {}}, {"gopher_repetition": {}}, {"exact_dedup": {}}]


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    rng = random.Random(5)
    # a crawled page whose text carries markup: too short, so it is the first example of word_count
    docs = [{"id": "evil<b>1</b>", "text": f"Hello {EVIL} there", "url": "https://evil.example/?q=<script>"}]
    for i in range(150):
        text = synth.document(rng, rng.choice([200, 800, 2500]))
        if i % 6 == 0:
            lines = text.split("\n")
            text = "\n".join(lines * 2)
        docs.append({"id": f"d{i}", "text": text, "url": f"https://s{i % 3}.example/{i}"})
    for i in range(0, 30, 2):
        docs.append({"id": f"dup{i}", "text": docs[i + 1]["text"], "url": "https://dup.example/"})
    with open(root / "in.jsonl", "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    cfg = parse_config({"input": str(root / "in.jsonl"), "output": str(root / "out"), "shard_size": 60,
                        "executor": {"kind": "local", "workers": 1}, "report": True, "stages": STAGES})
    run(cfg, progress=False)
    return root / "out"


def test_run_with_report_true_writes_the_report(output):
    page = (output / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "Funnel" in page


def test_report_is_self_contained_and_escapes_crawled_markup(output):
    page = build_report(output)
    assert "<script" not in page.lower()  # no script of ours, none of theirs
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")  # only as escaped text
    assert "&lt;script&gt;document.body.innerHTML=&#x27;PWNED&#x27;&lt;/script&gt;" in page
    assert "evil&lt;b&gt;1&lt;/b&gt;" in page
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page), "no external resource"
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_report_content(output):
    page = build_report(output)
    # funnel table with every stage
    for folder in ("00_read", "01_gopher_quality", "02_gopher_repetition", "03_exact_dedup"):
        assert f"<td>{folder}</td>" in page
    funnel = page.split('<section id="funnel">')[1].split("</section>")[0]
    assert funnel.count("<figure>") == funnel.count("<figcaption>") == 2  # every chart has a caption
    # one histogram per numeric signal (8 quality + 13 repetition), thresholds drawn at the values in force
    assert page.count('class="chart hist"') == 21
    assert "min_doc_words = 50" in page and "max_dup_line_frac = 0.3" in page
    assert page.count('class="threshold"') >= 15
    # dedup: cluster sizes and a cluster shown side by side
    assert "clusters by size" in page and "cluster of 2 documents" in page and 'class="side"' in page
    # examples for each reason
    assert "<code><bdi>gopher_quality.word_count</bdi></code>" in page
    assert "<code><bdi>exact_dedup.duplicate</bdi></code>" in page


def test_histograms_read_no_text(output, monkeypatch):
    reads: list[list[str]] = []
    groups: list[list[str]] = []
    orig_read, orig_rg = pq.ParquetFile.read, pq.ParquetFile.read_row_group

    def read(self, columns=None, **kw):
        reads.append(list(columns or ["<all>"]))
        return orig_read(self, columns=columns, **kw)

    def read_rg(self, i, columns=None, **kw):
        groups.append(list(columns or ["<all>"]))
        return orig_rg(self, i, columns=columns, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read", read)
    monkeypatch.setattr(pq.ParquetFile, "read_row_group", read_rg)
    build_report(output, examples=2)
    assert reads and not any({"text", "html", "<all>"} & set(c) for c in reads)
    # texts come only from the row groups that hold the examples
    text_reads = [c for c in groups if "text" in c]
    assert 0 < len(text_reads) <= 12


def test_cli_report(output, tmp_path):
    r = CliRunner().invoke(main, ["report", str(output), "--out", str(tmp_path / "r.html"), "--examples", "1"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").stat().st_size > 10_000
    r = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert r.exit_code == 1 and "not a corpusclean output folder" in r.output


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_renders_in_headless_chromium(output):
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium installed (apt-get install chromium; .ci/run does) — browser test skipped")
    page = output / "report.html"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=90)
    dom = proc.stdout
    assert proc.returncode == 0 and "</html>" in dom, proc.stderr[-2000:]
    # the charts and tables are in the rendered DOM
    assert len(re.findall(r"<svg[^>]*class=\"chart hist\"", dom)) == 21
    assert "<table" in dom and 'class="rejected"' in dom and 'class="threshold"' in dom
    # the crawled page's script is text in the DOM, it did not run (it would have replaced the body)
    assert "&lt;script&gt;document.body.innerHTML='PWNED'&lt;/script&gt;" in dom
    assert "Funnel" in dom and not re.search(r"<body[^>]*>\s*PWNED", dom)
    assert "<img src=\"x\"" not in dom


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_histograms_of_non_negative_signals_never_start_below_zero(seed):
    from corpusclean.report.svg import make_histogram, svg_histogram

    rng = __import__("numpy").random.default_rng(seed)
    for values, integer in ((rng.integers(1, 60, 500).astype(float), True),  # few distinct word counts
                            (rng.uniform(0.001, 0.9, 500), False),  # fractions
                            (rng.lognormal(1.0, 0.3, 500) + 2, False)):  # lengths far from zero
        h = make_histogram(values[:400], values[400:], [], integer)
        assert h is not None and h.to_value(h.edges[0]) >= -0.5
        page = svg_histogram(h, [], "x")
        labels = re.findall(r'text-anchor="(?:middle|end)">([^<]*)</text>', page)
        assert not any(lab.lstrip("≤≥").startswith("-") for lab in labels), labels
        assert 'text-anchor="end">' in page  # the last tick label ends inside the chart
