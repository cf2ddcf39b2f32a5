"""Real-page fidelity of ``extract`` per back-end (issue 14), on labelled documentation pages.

Pages: :mod:`benches.real_pages` (Debian documentation packages fetched into the cache at run
time; our labels in ``fidelity_truth.json``). For every page the labelled main content gives:

* **content list items** — ``<li>`` inside the main content (not inside an excluded part); one is
  *kept as a bullet line* when an output line that :func:`corpusclean.text.is_bullet_line` counts
  starts, after its marker, with the item's lead text (up to its first nested block: a code
  block, nested list or second paragraph is its own line; whitespace ignored);
* **inline-markup paragraphs** — ``<p>``/``<li>``/``<dd>``/``<dt>`` holding an inline element
  (:data:`INLINE`) and no block element; one is *on one line* when a single output line contains
  its whole text (whitespace ignored);
* **main-content words kept** — the multiset of whitespace words of the main content against the
  output's (list markers of bullet lines are not words): Σ min(count_main, count_out) / words in
  the main content;
* **boilerplate kept** — the output's words that the main content does not hold: Σ max(0,
  count_out − count_main) / words in the output (lower is better: the share of what a user gets
  that is navigation, related links, comments, footers);
* pages/s and MB/s of HTML per back-end (one process, this machine).

News and blog pages (:func:`news_pages`): the trafilatura 0.9.3 sdist's ``tests/cache`` pages
whose own article-body element we take as main content (``fidelity_truth.json`` → ``news``), the
``<h1>`` headline counted as content too.

Sections are functions in :data:`SECTIONS` taking ``(pages, args)`` and printing a table: the
labelled fidelity above, ``hidden_text`` on real pages (:mod:`benches.fidelity_hidden`), and a
held-out check (:func:`held_out`): word agreement of resiliparse with trafilatura on the 147
real news/blog pages that are not labelled, so that tuning on the labelled ones shows if it
does not carry over.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import tarfile
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from benches import fidelity_hidden
from benches._common import print_table
from benches.real_pages import TRUTH, Page, load_pages
from corpusclean.html.parse import parse_html
from corpusclean.stages.base import get_stage_class
from corpusclean.text import is_bullet_line

INLINE = frozenset({"a", "abbr", "b", "cite", "code", "dfn", "em", "i", "kbd", "mark", "q", "s", "samp", "small",
                    "span", "strong", "sub", "sup", "time", "tt", "u", "var"})
BLOCK = frozenset({"address", "article", "aside", "blockquote", "details", "dd", "div", "dl", "dt", "fieldset",
                   "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
                   "nav", "ol", "p", "pre", "section", "table", "ul", "br"})
_MARKER = re.compile(r"^\s*(?:- |\d+\. )")
_SPACE = re.compile(r"\s+")


def squash(s: str) -> str:
    """Text with all whitespace removed: the comparison key for items and paragraphs."""
    return _SPACE.sub("", s)


def _lead_text(li: Any) -> str:
    """The first line an item must produce: its text up to its first block element after some
    text (or its first ``<p>`` when it starts with one); nested lists, code blocks and further
    paragraphs of the item are their own lines."""
    parts = [li.text or ""]
    for ch in li:
        if isinstance(ch.tag, str) and ch.tag in BLOCK | {"pre", "div"}:
            if "".join(parts).strip():
                break
            if ch.tag == "p":
                parts.append(ch.text_content())
                break
            continue
        if isinstance(ch.tag, str):
            parts.append(ch.text_content())
        parts.append(ch.tail or "")
    return "".join(parts)


def truth(page: Page) -> dict[str, Any]:
    """List items, inline paragraphs and words of a page's labelled main content."""
    root = parse_html(page.html)
    mains = root.xpath(page.main) if root is not None else []
    if not mains:
        return {"items": [], "paras": [], "words": Counter()}
    main = mains[0]
    for xp in page.exclude:
        for el in main.xpath(xp):
            if el.getparent() is not None:
                el.drop_tree()
    for el in main.xpath(".//script | .//style"):
        el.drop_tree()
    items = [squash(_lead_text(li)) for li in main.iter("li")]
    paras = []
    for el in main.iter("p", "li", "dd", "dt"):
        tags = {d.tag for d in el.iterdescendants() if isinstance(d.tag, str)}
        if tags & INLINE and not tags & BLOCK:
            paras.append(squash(el.text_content()))
    words = Counter(main.text_content().split())
    if page.kind.startswith("news"):  # the headline is content; on news pages it sits outside the body
        h1 = root.xpath("//h1")
        if h1 and not any(a is main for a in h1[0].iterancestors()):
            words.update(h1[0].text_content().split())
    return {"items": [i for i in items if i], "paras": [p for p in paras if len(p) > 20], "words": words}


def news_pages() -> list[Page]:
    """The labelled news/blog pages (``fidelity_truth.json`` → ``news``) from the trafilatura
    0.9.3 sdist :mod:`benches.fidelity_hidden` downloads into the cache; a page whose bytes differ
    from the labelled hash is skipped."""
    spec = json.loads(TRUTH.read_text(encoding="utf-8"))["news"]
    fidelity_hidden.real_pages()  # downloads the sdists when missing
    name, version = spec["sdist"].split("==")
    wanted = {e["member"]: e for e in spec["pages"]}
    out = []
    with tarfile.open(fidelity_hidden.CACHE / f"{name}-{version}.tar.gz") as tar:
        for m in sorted(tar.getmembers(), key=lambda m: m.name):
            e = wanted.get(m.name.split("/tests/cache/")[-1]) if "/tests/cache/" in m.name else None
            if e is None:
                continue
            raw = tar.extractfile(m).read()  # type: ignore[union-attr]
            if hashlib.sha256(raw).hexdigest() != e["sha256"]:
                print(f"  skipped {e['member']} (not the labelled version)")
                continue
            out.append(Page("trafilatura-0.9.3", e["member"], "news/blog (trafilatura tests/cache)", e["main"], (),
                            raw.decode("utf-8", "replace")))
    return out


def score(text: str, t: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """(bullet items found, one-line paragraphs found, main words kept, output words the main
    content does not hold, output words) for one output text."""
    lines = text.split("\n")
    bullets = [squash(_MARKER.sub("", ln, count=1)) for ln in lines if is_bullet_line(ln)]
    flat = [squash(ln) for ln in lines]
    items = sum(any(b.startswith(i[:200]) for b in bullets) for i in t["items"])
    paras = sum(any(p in ln for ln in flat) for p in t["paras"])
    # a list marker (``- ``, ``1. ``) is not a word: counted, it made every bullet line "boilerplate"
    out = Counter(w for ln in lines for w in (_MARKER.sub("", ln, count=1) if is_bullet_line(ln) else ln).split())
    words = sum(min(n, out[w]) for w, n in t["words"].items())
    extra = sum(max(0, n - t["words"].get(w, 0)) for w, n in out.items())
    return items, paras, words, extra, sum(out.values())


#: The reference the verdict compares every other row with: the trafilatura back-end (the
#: default until issue 18, with the options the default used then).
REFERENCE = "trafilatura back-end (favor=recall)"


def backends() -> list[tuple[str, Callable[[str], str]]]:
    """(name, html -> text) of what is measured: the default (resiliparse), the trafilatura
    back-end, the same without its fallback extractors (``fast: true``), and the peer as its users
    call it, ``trafilatura.extract(html)`` with its own defaults (plain text; its lists are ``- ``
    lines, which :func:`corpusclean.text.is_bullet_line` counts)."""
    import trafilatura

    Extract = get_stage_class("extract")
    out: list[tuple[str, Callable[[str], str]]] = []
    for name, params in (("resiliparse (default)", {}), (REFERENCE, {"backend": "trafilatura"}),
                         ("trafilatura back-end fast=true", {"backend": "trafilatura", "fast": True})):
        stage = Extract(timeout_s=0, **params)
        stage.setup()
        out.append((name, stage.extract_text))
    out.append(("trafilatura.extract() as shipped", lambda html: trafilatura.extract(html) or ""))
    return out


def extraction(pages: list[Page], args: Any) -> None:
    """Bullets, inline paragraphs on one line, main words kept, pages/s and MB/s per back-end."""
    truths = [truth(p) for p in pages]
    mb = sum(len(p.html.encode("utf-8")) for p in pages) / 1e6
    kinds = sorted({p.kind for p in pages})
    rows = []
    fallback_lines: list[str] = []
    summary: dict[str, tuple[float, list[float]]] = {}
    for name, extract in backends():
        extract(pages[0].html)  # warm-up
        acc: dict[str, list[int]] = {k: [0] * 8 for k in kinds + ["all"]}
        owner = getattr(extract, "__self__", None)  # the stage, for the fallback count
        before = (getattr(owner._extractor, "fallbacks_tried", 0), getattr(owner._extractor, "fallbacks", 0)) \
            if owner is not None else None
        t0 = time.process_time()
        texts = [extract(p.html) for p in pages]
        secs = time.process_time() - t0
        if before is not None and hasattr(owner._extractor, "fallbacks"):
            fallback_lines.append(f"{name}: trafilatura fallback ran on "
                                  f"{owner._extractor.fallbacks_tried - before[0]} of {len(pages)} labelled pages, "
                                  f"its text taken on {owner._extractor.fallbacks - before[1]}")
        for p, t, text in zip(pages, truths, texts):
            got = score(text, t)
            want = (len(t["items"]), len(t["paras"]), sum(t["words"].values()), got[4])
            for k in (p.kind, "all"):
                for j in range(4):
                    acc[k][2 * j] += got[j]
                    acc[k][2 * j + 1] += want[j]
        for k in kinds + ["all"]:
            a = acc[k]
            summary.setdefault(name, (len(pages) / secs, []))[1].extend(
                100 * a[2 * j] / a[2 * j + 1] if a[2 * j + 1] else 0.0 for j in range(4))
            rows.append([name, k, f"{a[0]}/{a[1]}", _pct(a[0], a[1]), f"{a[2]}/{a[3]}", _pct(a[2], a[3]),
                         _pct(a[4], a[5]), _pct(a[6], a[7]), len(pages) / secs if k == "all" else "", mb / secs if k == "all" else ""])
    print_table(f"extract fidelity on {len(pages)} real pages ({mb:.1f} MB; our labels: "
                "scripts/benches/fidelity_truth.json)",
                ["backend", "pages", "list items", "as bullets", "inline paras", "one line", "words kept",
                 "boilerplate kept", "pages/s (CPU)", "MB/s (CPU)"], rows)
    _verdict(summary, kinds + ["all"])
    for line in fallback_lines:
        print(line)
    print("targets: the default >= 2.5 x the trafilatura back-end's pages/s, within one point of it on every "
          "measure and page family; (all pages) >= 95 % list items as bullet lines, >= 95 % inline paragraphs "
          "on one line, >= 80 % of main-content words kept")


def _verdict(summary: dict[str, tuple[float, list[float]]], groups: list[str]) -> None:
    """Each row against :data:`REFERENCE`: speed ratio and the worst gap over the four measures
    and every page family (boilerplate: higher is worse), and whether it is within one point."""
    base_speed, base = summary[REFERENCE]
    for name, (speed, got) in summary.items():
        if name == REFERENCE:
            continue
        gaps = []
        for g, group in enumerate(groups):
            for j, what in enumerate(("as bullets", "one line", "words kept", "boilerplate kept")):
                i = 4 * g + j
                gap = got[i] - base[i] if j == 3 else base[i] - got[i]  # > 0: worse than the reference
                gaps.append((gap, f"{what} on {group}"))
        worst = max(gaps)
        print(f"{name}: {speed / base_speed:.2f} x the {REFERENCE}'s pages/s; worst gap {worst[0]:+.1f} points "
              f"({worst[1]}): {'within' if worst[0] <= 1.0 else 'NOT within'} one point on every measure")


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "-"


def held_out_pages() -> list[tuple[str, str]]:
    """(name, html) of the real news/blog pages of :func:`fidelity_hidden.real_pages` that are not
    labelled (neither their file name nor their bytes among ``fidelity_truth.json`` → ``news``)."""
    spec = json.loads(TRUTH.read_text(encoding="utf-8"))["news"]
    names = {e["member"].rsplit("/", 1)[-1] for e in spec["pages"]}
    digests = {e["sha256"] for e in spec["pages"]}
    return [(n, h) for n, h in fidelity_hidden.real_pages()
            if n.split(":", 1)[1] not in names
            and hashlib.sha256(h.encode("utf-8")).hexdigest() not in digests]


def word_agreement(ref: str, other: str) -> tuple[int, int, int]:
    """(words of ``ref``, words of ``other``, words both hold): whitespace words as multisets,
    the common part Σ min(count_ref, count_other)."""
    a, b = Counter(ref.split()), Counter(other.split())
    return sum(a.values()), sum(b.values()), sum(min(n, b[w]) for w, n in a.items())


def held_out(pages: list[Page], args: Any) -> None:
    """Held-out check against overfitting the labelled news pages: resiliparse (the default) against
    the trafilatura back-end on the unlabelled real news/blog pages of the two sdists' test caches.

    Prints the share of trafilatura's words resiliparse keeps (recall against trafilatura), the
    share of resiliparse's words trafilatura also output (precision against it), and the pages
    where resiliparse outputs under half (or over twice) trafilatura's words.
    """
    try:
        real = held_out_pages()
    except RuntimeError as exc:
        print(f"held-out pages skipped: {exc}")
        return
    real = real[:30] if args.quick else real
    Extract = get_stage_class("extract")
    outs = []
    for params in ({"backend": "trafilatura"}, {"backend": "resiliparse"}):
        stage = Extract(timeout_s=0, **params)
        stage.setup()
        outs.append([stage.extract_text(h) for _, h in real])
    fallback = _fallback_line(stage, len(real))
    n_t = n_r = common = under = over = 0
    kept: list[float] = []
    shared: list[float] = []
    for t, r in zip(*outs):
        a, b, c = word_agreement(t, r)
        n_t, n_r, common = n_t + a, n_r + b, common + c
        under += b < 0.5 * a
        over += b > 2 * a
        if a and b:
            kept.append(100 * c / a)
            shared.append(100 * c / b)
    print_table(f"held-out agreement: resiliparse (the default) vs the trafilatura back-end on {len(real)} unlabelled real "
                "news/blog pages (trafilatura 0.9.3 + htmldate 1.4.0 tests/cache)",
                ["pages", "trafilatura words", "resiliparse words", "of trafilatura's words kept",
                 "of resiliparse's words in trafilatura's", "median page: kept / in trafilatura's",
                 "pages < 50 % of its words", "pages > 200 %"],
                [[len(real), n_t, n_r, _pct(common, n_t), _pct(common, n_r),
                  f"{statistics.median(kept):.1f} / {statistics.median(shared):.1f} %" if kept else "-", under, over]])
    print("(words in resiliparse's output only are not all boilerplate: headlines, list items and whole pages "
          "of an infinite-scroll archive that trafilatura leaves out count there too)")
    print(fallback)


def _fallback_line(stage: Any, pages: int) -> str:
    """How often the resiliparse back-end's trafilatura fallback ran and was taken on ``pages``
    (counted by a stage set up for those pages only)."""
    ex = stage._extractor
    return (f"resiliparse's trafilatura fallback (corpusclean/html/resiliparse.py, FALLBACK_SHARE): ran on "
            f"{ex.fallbacks_tried} of {pages} pages, its text taken on {ex.fallbacks}")


#: Sections of this benchmark, each ``(pages, args) -> None`` printing its table(s).
SECTIONS: list[Callable[[list[Page], Any], None]] = [extraction, lambda pages, args: fidelity_hidden.run(args),
                                                      held_out]


def run(args: Any) -> None:
    pages = load_pages(limit=4 if args.quick else None)
    try:
        pages += news_pages()[:6 if args.quick else None]
    except RuntimeError as exc:  # no registry: the documentation pages are still measured
        print(f"news/blog pages skipped: {exc}")
    if not pages:
        print("no labelled real pages available (apt-get download failed?): fidelity skipped")
        return
    for section in SECTIONS:
        section(pages, args)


