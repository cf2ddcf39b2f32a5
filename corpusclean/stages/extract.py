"""``extract``: HTML → text, Gopher-style (headings, paragraphs, bullet and numbered lists).

Gopher (Rae et al. 2021, appendix A.1.1) extracted "coherent blocks of salient text within
semantic tags", keeping indentation and bullet points. Two back-ends, both in
:mod:`corpusclean.html`:

* ``resiliparse`` (default, :mod:`corpusclean.html.resiliparse`): our lxml boilerplate pruning
  and main-content choice (:mod:`corpusclean.html.content`), then resiliparse's plain-text
  renderer. On the real-page fidelity benchmark (``scripts/bench.py --only fidelity``) it is
  within one point of trafilatura on every measure and page family at ~3x its pages/s
  (docs/extraction.md). A page whose text holds under 5 % of its body's words is extracted again
  by the trafilatura back-end (the text with more words is kept; counted in ``stats.json`` as
  ``extract_rows.trafilatura_fallback``). ``favor`` and ``fast`` apply to trafilatura only: set
  with ``backend: resiliparse`` they are a config error.
* ``trafilatura`` (:mod:`corpusclean.html.trafilatura`): trafilatura finds the main content; we
  render its XML body with our own bullets, inline elements kept in their sentence.

Both remove what :mod:`corpusclean.html.boilerplate` defines as not content (consent banners by
what they are, never by a word in an id/class name; permalink anchors such as Sphinx's ``¶``).

Determinism: ``deduplicate=False`` always (trafilatura's dedup cache makes output depend on the
order documents arrive in); the output depends only on the page and its URL.
Robustness: each page runs under a time limit (:func:`corpusclean.html.timeouts.call_with_timeout`);
a page that times out or makes the parser raise is rejected (``extract.timeout`` /
``extract.error``, the detail a plain string), never raised, so nothing unpicklable ever has to
travel from a worker process back to the driver.
"""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa

from corpusclean.document import rejected_schema, with_columns
from corpusclean.extras import Package
from corpusclean.html.parse import HANDOFF, TooDeep
from corpusclean.html.resiliparse import ResiliparseExtractor, _resiliparse_modules
from corpusclean.html.timeouts import PageTimeout, call_with_timeout
from corpusclean.html.trafilatura import TrafilaturaExtractor
from corpusclean.stages.base import Stage, StageOutput, param, register


# --------------------------------------------------------------------------- the stage
@register("extract")
class Extract(Stage):
    """HTML → text keeping headings, paragraphs and list items as bullet lines.

    Fills ``text`` from ``html`` and drops ``html`` from kept rows unless ``keep_html``. Rejects:
    ``extract.empty`` (no extractable text), ``extract.too_short`` (below ``min_chars``),
    ``extract.timeout`` (over ``timeout_s``), ``extract.error`` (the parser raised; detail says
    what), ``extract.too_large`` (over ``max_html_chars``, never parsed), ``extract.too_deep``
    (elements nested deeper than libxml2 parses, 2048, or than the extractor can walk; pages
    nested less deep keep all their text), ``extract.no_html``
    (null ``html`` and null ``text``). A row with null ``html`` but a ``text`` passes unchanged, so
    mixed inputs (some records already text) work.
    """

    requires = ("html",)
    columns = {"text": pa.string()}
    requires_packages = (Package("resiliparse", None, when={"backend": "resiliparse"}, requirement="resiliparse>=2.0"),)

    backend: Literal["trafilatura", "resiliparse"] = param(
        "resiliparse", "resiliparse (default: ~3x faster, same fidelity on the real-page benchmark) or trafilatura")
    min_chars: int = param(0, "Reject pages whose extracted text has fewer characters (extract.too_short)")
    keep_html: bool = param(False, "Keep the html column in the kept output")
    include_tables: bool = param(True, "Extract table rows as lines of cells joined by ' | '")
    include_links: bool = param(False, "Write links as [text](url)")
    include_comments: bool = param(
        False, "Include the page's user-comment section. trafilatura: its comment extraction; resiliparse: "
        "elements whose class/id names them comment(s) are not pruned for that name, and are written "
        "when they lie inside the main content chosen (html/content.py)")
    favor: Literal["balanced", "precision", "recall"] = param(
        "recall", "trafilatura: favour precision (less boilerplate) or recall (more text). Default recall: "
        "balanced mode turns <ul><li><p> lists into plain paragraphs (DocBook pages: 0 % of list items "
        "as bullets vs 94 % with recall; scripts/bench.py --only fidelity). backend: trafilatura only")
    fast: bool = param(False, "trafilatura: skip the fallback extractors (faster, slightly lower recall). "
                       "backend: trafilatura only")
    timeout_s: float = param(10.0, "Per-page time limit in seconds (0 disables); over it: extract.timeout")
    max_html_chars: int = param(10_000_000, "Pages larger than this are rejected unparsed (extract.too_large)")

    def __post_init__(self) -> None:
        if self.min_chars < 0:
            raise ValueError("min_chars must be >= 0")
        if self.timeout_s < 0:
            raise ValueError("timeout_s must be >= 0")
        if self.backend == "resiliparse":
            for name in ("favor", "fast"):
                if getattr(self, name) != self.__dataclass_fields__[name].default:
                    raise ValueError(f"{name} applies to backend: trafilatura only (backend is resiliparse)")
            _resiliparse_modules()  # fail at config time, with the install hint

    def setup(self) -> None:
        HANDOFF.add_consumer(self)  # hidden_text before us hands over its parse (while we live)
        if self.backend == "trafilatura":
            self._extractor: Any = TrafilaturaExtractor(
                include_links=self.include_links, include_comments=self.include_comments,
                include_tables=self.include_tables, favor=self.favor, fast=self.fast)
        else:
            self._extractor = ResiliparseExtractor(
                include_comments=self.include_comments, include_tables=self.include_tables,
                include_links=self.include_links)

    # ---------------------------------------------------------------------------- one page
    def extract_text(self, html: str, url: str | None = None) -> str:
        """The text of one page (``""`` when nothing is extractable). May raise; no time limit."""
        if not hasattr(self, "_extractor"):
            self.setup()
        return self._extractor.extract(html, url)

    # ---------------------------------------------------------------------------- batches
    def output_schema(self, schema: pa.Schema) -> pa.Schema:
        schema = super().output_schema(schema)
        if not self.keep_html and schema.get_field_index("html") >= 0:
            schema = schema.remove(schema.get_field_index("html"))
        return schema

    def rejected_schema(self, schema: pa.Schema) -> pa.Schema:
        """Rejected pages keep their ``html`` (so an empty or timed-out page can be inspected)."""
        return rejected_schema(super().output_schema(schema))

    def process(self, table: pa.Table) -> StageOutput:
        self.check_input(table)
        if not hasattr(self, "_extractor"):
            self.setup()
        htmls = table.column("html").to_pylist()
        urls = table.column("url").to_pylist() if "url" in table.column_names else [None] * len(htmls)
        old_text = table.column("text").to_pylist() if "text" in table.column_names else [None] * len(htmls)
        texts: list[str | None] = []
        verdicts: list[Any] = []
        chars_in = chars_out = passed = 0
        fallbacks = getattr(self._extractor, "fallbacks", 0)  # resiliparse's trafilatura fallback
        for html, url, prev in zip(htmls, urls, old_text):
            text, verdict = prev, None
            if html is None:
                if prev is None:
                    verdict = "no_html"
                else:
                    passed += 1
            elif len(html) > self.max_html_chars:
                verdict = ("too_large", f"{len(html)} chars > {self.max_html_chars}")
            else:
                chars_in += len(html)
                try:
                    text = call_with_timeout(lambda h=html, u=url: self.extract_text(h, u), self.timeout_s)
                except PageTimeout:
                    text, verdict = None, ("timeout", f"> {self.timeout_s:g} s")
                except TooDeep as exc:
                    text, verdict = None, ("too_deep", str(exc))
                except RecursionError:  # Python code walking a deep (but parseable) tree
                    text, verdict = None, ("too_deep", "elements nested too deep for the extractor (RecursionError)")
                except Exception as exc:  # noqa: BLE001 - a bad page must never take the worker down
                    text, verdict = None, ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
                if verdict is None:
                    if not text or not text.strip():
                        text, verdict = None, "empty"
                    elif len(text) < self.min_chars:
                        verdict = ("too_short", f"{len(text)} chars < {self.min_chars}")
                    else:
                        chars_out += len(text)
            texts.append(text)
            verdicts.append(verdict)
        HANDOFF.clear()  # trees of pages an earlier stage rejected: never taken
        fallbacks = getattr(self._extractor, "fallbacks", 0) - fallbacks
        table = with_columns(table, {"text": texts}, self.columns)
        out = self.split(table, verdicts, {"extract_chars": {"html_in": chars_in, "text_out": chars_out},
                                           "extract_rows": {"passed_through_text": passed,
                                                            "trafilatura_fallback": fallbacks}})
        if not self.keep_html and "html" in out.kept.column_names:
            out.kept = out.kept.drop_columns(["html"])
        return out
