"""``extract``: HTML → text, Gopher-style (headings, paragraphs, bullet and numbered lists).

Gopher (Rae et al. 2021, appendix A.1.1) extracted "coherent blocks of salient text within
semantic tags", keeping indentation and bullet points. Two backends:

* ``trafilatura`` (default): trafilatura finds the main content and drops navigation, footers,
  cookie banners, scripts and styles; we then render its XML body ourselves instead of using its
  plain-text or markdown output, because its text mode writes ordered lists as ``- ``, turns
  ``<br>`` inside an item into an unbulleted line and drops blank lines between blocks, and its
  markdown mode adds ``#``/``**`` markup. Our renderer writes exactly the glyphs that
  :mod:`corpusclean.text` defines (``UNORDERED_BULLET``, ``ordered_bullet(n)``, ``LIST_INDENT``),
  so :func:`corpusclean.text.is_bullet_line` counts every list item we emit.
* ``resiliparse`` (optional extra ``fast``, ~5-10x faster): its own ``main_content=True`` mode
  drops ``<ul>`` lists that sit directly in the article, so we run it with ``main_content=False``
  after pruning boilerplate ourselves (semantic tags, ARIA roles, boilerplate class/id names,
  link-dense lists) and rewrite its ``•`` bullets to ours.

Determinism: ``deduplicate=False`` always (trafilatura's dedup cache makes output depend on the
order documents arrive in); the output depends only on the page and its URL.
Robustness: each page runs under a time limit (:func:`call_with_timeout`); a page that times out
or makes the parser raise is rejected (``extract.timeout`` / ``extract.error``), never raised.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from corpusclean.document import rejected_schema, with_columns
from corpusclean.extras import Package
from corpusclean.stages._html import PageTimeout, call_with_timeout
from corpusclean.stages.base import Stage, StageOutput, param, register
from corpusclean.text import LIST_INDENT, UNORDERED_BULLET, is_bullet_line, ordered_bullet

_WS = re.compile(r"\s+")
_BLANKS = re.compile(r"\n{3,}")

# --------------------------------------------------------------------------- trafilatura XML → text
#: trafilatura's XML tags that start a new block when met inside inline content.
_BLOCK_TAGS = frozenset({"p", "head", "quote", "code", "list", "table", "div", "section", "item", "row"})


@dataclass
class _Renderer:
    """Turns trafilatura's XML body (head, p, list/item, table/row/cell, lb, hi, ref...) into text."""

    include_links: bool = False

    # inline content ------------------------------------------------------------------------
    def inline(self, el: Any, parts: list[str], nested: list[str] | None, depth: int) -> None:
        """Append ``el``'s content (not its tail) to ``parts``; lists go to ``nested`` when given."""
        if el.text:
            parts.append(_WS.sub(" ", el.text))
        for ch in el:
            tag = ch.tag if isinstance(ch.tag, str) else ""
            if tag == "lb":
                parts.append("\n")
            elif tag == "list" and nested is not None:
                nested.extend(self.list_lines(ch, depth + 1))
            elif tag == "list":
                parts.append("\n")
                for line in self.list_lines(ch, 0):
                    parts.append(line.strip() + "\n")
            elif tag == "graphic" or tag == "":
                pass
            elif tag in _BLOCK_TAGS or tag == "cell":
                parts.append("\n")
                self.inline(ch, parts, nested, depth)
                parts.append("\n")
            elif tag == "ref" and self.include_links and ch.get("target"):
                sub: list[str] = []
                self.inline(ch, sub, nested, depth)
                label = "".join(sub).strip()
                parts.append(f"[{label}]({ch.get('target')})" if label else "")
            else:  # hi, del, span, anything inline
                self.inline(ch, parts, nested, depth)
            if ch.tail:
                parts.append(_WS.sub(" ", ch.tail))

    def inline_lines(self, el: Any, nested: list[str] | None = None, depth: int = 0) -> list[str]:
        parts: list[str] = []
        self.inline(el, parts, nested, depth)
        return [s for s in (_WS.sub(" ", line).strip() for line in "".join(parts).split("\n")) if s]

    # lists ---------------------------------------------------------------------------------
    def list_lines(self, lst: Any, depth: int) -> list[str]:
        rend = (lst.get("rend") or "ul").lower()
        if rend == "dl":
            return self.dl_lines(lst, depth)
        indent = LIST_INDENT * depth
        out: list[str] = []
        n = 0
        for item in lst:
            tag = item.tag if isinstance(item.tag, str) else ""
            if tag == "list":  # a list directly inside a list: nest it
                out.extend(self.list_lines(item, depth + 1))
                continue
            if tag != "item":
                continue
            nested: list[str] = []
            text = self.inline_lines(item, nested, depth)
            if text:
                n += 1
                marker = ordered_bullet(n) if rend == "ol" else UNORDERED_BULLET
                cont = indent + " " * len(marker)
                out.append(indent + marker + text[0])
                out.extend(cont + line for line in text[1:])
            out.extend(nested)
        return out

    def dl_lines(self, lst: Any, depth: int) -> list[str]:
        """Definition lists: one bullet per term, ``- term: definition``."""
        indent = LIST_INDENT * depth
        out: list[str] = []
        term: str | None = None
        defs: list[str] = []

        def flush() -> None:
            if term is None:
                return
            if defs:
                sep = " " if term.endswith(":") else ": "
                out.append(indent + UNORDERED_BULLET + term + sep + "; ".join(defs))
            else:
                out.append(indent + UNORDERED_BULLET + term)

        for item in lst:
            if not isinstance(item.tag, str):
                continue
            nested: list[str] = []
            text = " ".join(self.inline_lines(item, nested, depth))
            rend = item.get("rend") or ""
            if rend.startswith("dt"):
                flush()
                term, defs = (text or None), []
            elif rend.startswith("dd") and term is not None:
                if text:
                    defs.append(text)
            elif text:
                flush()
                term, defs = None, []
                out.append(indent + UNORDERED_BULLET + text)
            if nested:
                flush()
                term, defs = None, []
                out.extend(nested)
        flush()
        return out

    # blocks --------------------------------------------------------------------------------
    def table_lines(self, table: Any) -> list[str]:
        out: list[str] = []
        for row in table.iter("row"):
            cells = []
            for cell in row:
                if isinstance(cell.tag, str) and cell.tag == "cell":
                    cells.append(" ".join(self.inline_lines(cell)))
            cells = [c for c in cells if c]
            if cells:
                out.append(" | ".join(cells))
        return out

    def blocks(self, container: Any) -> list[str]:
        out: list[str] = []
        if container.text and container.text.strip():
            out.append(_WS.sub(" ", container.text).strip())
        for el in container:
            tag = el.tag if isinstance(el.tag, str) else ""
            if tag == "list":
                lines = self.list_lines(el, 0)
                if lines:
                    out.append("\n".join(lines))
            elif tag == "table":
                lines = self.table_lines(el)
                if lines:
                    out.append("\n".join(lines))
            elif tag == "code":
                code = "\n".join(line.rstrip() for line in "".join(el.itertext()).strip("\n").split("\n"))
                if code.strip():
                    out.append(code)
            elif tag in ("graphic", ""):
                pass
            elif tag in ("div", "section", "body", "main") and any(
                isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in el
            ):
                out.extend(self.blocks(el))
            else:  # head, p, quote, and unknown tags: one block, lists inside split out after it
                nested: list[str] = []
                lines = self.inline_lines(el, nested, -1)
                if lines:
                    out.append("\n".join(lines))
                if nested:
                    out.append("\n".join(nested))
            if el.tail and el.tail.strip():
                out.append(_WS.sub(" ", el.tail).strip())
        return out


#: Consent banners trafilatura keeps when they hold a sentence; pruned before extraction.
_TRAFILATURA_PRUNE = [
    "//*[contains(translate(@class, 'COKIESNT', 'cokiesnt'), 'cookie') or contains(translate(@id, 'COKIESNT', "
    "'cokiesnt'), 'cookie') or contains(translate(@class, 'COKIESNT', 'cokiesnt'), 'consent') or "
    "contains(translate(@id, 'COKIESNT', 'cokiesnt'), 'consent') or contains(@class, 'gdpr') or "
    "contains(@id, 'gdpr')][not(.//article or .//main or .//h1)]",
]

# --------------------------------------------------------------------------- resiliparse pruning
_BOILER_SELECTORS = (
    "script, style, noscript, template, nav, aside, form, button, select, iframe, svg, dialog, "
    "[hidden], [aria-hidden=true], [role=navigation], [role=banner], [role=contentinfo], "
    "[role=complementary], [role=dialog], [role=menu], [role=menubar], [role=search], [role=alert]"
)
_BOILER_NAME = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|menus|mainmenu|submenu|breadcrumbs?|cookies?|consent|gdpr|"
    r"banner|footer|sidebar|widgets?|share|sharing|social|related|ads?|advert\w*|sponsored|promo|"
    r"newsletter|subscribe|subscription|popup|modal|overlay|comments?|skip|skiplink|pagination|pager|"
    r"toolbar|masthead|site-header|topbar|login|signup|disclaimer|copyright)(?:[-_\s]|$)",
    re.I,
)
_KEEP_TAGS = frozenset({"html", "body", "main", "article"})


def _resiliparse_modules() -> tuple[Any, Any]:
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "extract backend 'resiliparse' needs the optional dependency: pip install 'corpusclean[fast]'"
        ) from exc
    return HTMLTree, extract_plain_text


def _prune_boilerplate(tree: Any, include_comments: bool) -> None:
    """Remove navigation, banners and link lists from a resiliparse DOM, in place."""
    body = tree.body
    if body is None:
        return
    for node in list(body.query_selector_all(_BOILER_SELECTORS)):
        node.decompose()
    for node in list(body.query_selector_all("header, footer")):
        if node.parent is not None and node.closest("article, main") is None:
            node.decompose()
    for node in list(body.query_selector_all("[class], [id]")):
        if node.tag in _KEEP_TAGS or node.parent is None:
            continue
        names = f"{node.class_name or ''} {node.id or ''}"
        m = _BOILER_NAME.search(names)
        if not m:
            continue
        if include_comments and m.group(0).strip("-_ ").lower().startswith("comment"):
            continue
        if node.query_selector("article, main, h1") is not None:
            continue  # a wrapper around the content, whatever it is called
        node.decompose()
    for node in list(body.query_selector_all("ul, ol")):
        if node.parent is None:
            continue
        items = node.query_selector_all("li")
        text = node.text or ""
        total = len(text.split())
        if not items or total == 0:
            continue
        link_words = sum(len((a.text or "").split()) for a in node.query_selector_all("a"))
        if link_words / total >= 0.8 and total / len(items) <= 4:
            node.decompose()


_RP_BULLET = re.compile(r"^( *)(?:•|(\d+)\.) (.*)$")


def _normalise_resiliparse(text: str) -> str:
    """Rewrite resiliparse's list markup (``  • item``, ``  1. item``) into ours."""
    out: list[str] = []
    depth: int | None = None  # nesting depth of the list item being continued, if any
    for raw in text.split("\n"):
        line = raw.replace("\t\t", " | ").replace("\t", " ").rstrip()
        m = _RP_BULLET.match(line)
        if m:
            depth = max(len(m.group(1)) // 2 - 1, 0)
            marker = ordered_bullet(int(m.group(2))) if m.group(2) else UNORDERED_BULLET
            out.append(LIST_INDENT * depth + marker + m.group(3).strip())
        elif depth is not None and line.startswith("  ") and line.strip():
            out.append(LIST_INDENT * depth + "  " + line.strip())  # continuation of an item
        else:
            if line.strip():
                depth = None
            out.append(line.strip())
    # items holding <p> come out separated by blank lines: a list is one paragraph
    for i in range(1, len(out) - 1):
        if not out[i] and is_bullet_line(out[i - 1]) and is_bullet_line(out[i + 1]):
            out[i] = "\0"
    return _BLANKS.sub("\n\n", "\n".join(x for x in out if x != "\0")).strip()


# --------------------------------------------------------------------------- the stage
@register("extract")
class Extract(Stage):
    """HTML → text keeping headings, paragraphs and list items as bullet lines.

    Fills ``text`` from ``html`` and drops ``html`` from kept rows unless ``keep_html``. Rejects:
    ``extract.empty`` (no extractable text), ``extract.too_short`` (below ``min_chars``),
    ``extract.timeout`` (over ``timeout_s``), ``extract.error`` (the parser raised; detail says
    what), ``extract.too_large`` (over ``max_html_chars``, never parsed), ``extract.no_html``
    (null ``html`` and null ``text``). A row with null ``html`` but a ``text`` passes unchanged, so
    mixed inputs (some records already text) work.
    """

    requires = ("html",)
    columns = {"text": pa.string()}
    requires_packages = (Package("resiliparse", "fast", when={"backend": "resiliparse"}),)

    backend: Literal["trafilatura", "resiliparse"] = param(
        "trafilatura", "trafilatura keeps lists reliably; resiliparse is faster (pip install corpusclean[fast])")
    min_chars: int = param(0, "Reject pages whose extracted text has fewer characters (extract.too_short)")
    keep_html: bool = param(False, "Keep the html column in the kept output")
    include_tables: bool = param(True, "Extract table rows as lines of cells joined by ' | '")
    include_links: bool = param(False, "Write links as [text](url)")
    include_comments: bool = param(False, "Include the page's user-comment section")
    favor: Literal["balanced", "precision", "recall"] = param(
        "balanced", "trafilatura: favour precision (less boilerplate) or recall (more text)")
    fast: bool = param(False, "trafilatura: skip the fallback extractors (faster, slightly lower recall)")
    timeout_s: float = param(10.0, "Per-page time limit in seconds (0 disables); over it: extract.timeout")
    max_html_chars: int = param(10_000_000, "Pages larger than this are rejected unparsed (extract.too_large)")

    def __post_init__(self) -> None:
        if self.min_chars < 0:
            raise ValueError("min_chars must be >= 0")
        if self.timeout_s < 0:
            raise ValueError("timeout_s must be >= 0")
        if self.backend == "resiliparse":
            _resiliparse_modules()  # fail at config time, with the install hint

    def setup(self) -> None:
        if self.backend == "trafilatura":
            import trafilatura

            # trafilatura logs every unparsable page at ERROR; we report those as reasons instead
            logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
            self._trafilatura = trafilatura
            self._renderer = _Renderer(include_links=self.include_links)
        else:
            self._HTMLTree, self._extract_plain_text = _resiliparse_modules()

    # ---------------------------------------------------------------------------- one page
    def extract_text(self, html: str, url: str | None = None) -> str:
        """The text of one page (``""`` when nothing is extractable). May raise; no time limit."""
        if not hasattr(self, "_renderer") and not hasattr(self, "_HTMLTree"):
            self.setup()
        if self.backend == "resiliparse":
            return self._extract_resiliparse(html)
        return self._extract_trafilatura(html, url)

    def _extract_trafilatura(self, html: str, url: str | None) -> str:
        doc = self._trafilatura.bare_extraction(
            html, url=url, fast=self.fast, favor_precision=self.favor == "precision",
            favor_recall=self.favor == "recall", include_comments=self.include_comments,
            include_tables=self.include_tables, include_images=False, include_formatting=False,
            include_links=self.include_links, deduplicate=False, with_metadata=False,
            prune_xpath=_TRAFILATURA_PRUNE,
        )
        if doc is None or doc.body is None:
            return ""
        blocks = self._renderer.blocks(doc.body)
        if self.include_comments and doc.commentsbody is not None and len(doc.commentsbody):
            blocks.extend(self._renderer.blocks(doc.commentsbody))
        return "\n\n".join(b for b in blocks if b.strip())

    def _extract_resiliparse(self, html: str) -> str:
        tree = self._HTMLTree.parse(html)
        if tree.body is None:
            return ""
        _prune_boilerplate(tree, self.include_comments)
        main = tree.body.query_selector_all("main")
        if len(main) != 1:
            main = tree.body.query_selector_all("article")
        if len(main) == 1:
            body_words = len((tree.body.text or "").split())
            main_words = len((main[0].text or "").split())
            if body_words and main_words / body_words >= 0.25:
                tree = self._HTMLTree.parse(f"<html><body>{main[0].html}</body></html>")
        skip = [] if self.include_tables else ["table"]
        text = self._extract_plain_text(
            tree, preserve_formatting=True, main_content=False, list_bullets=True, alt_texts=False,
            links=self.include_links, form_fields=False, noscript=False, skip_elements=skip,
        )
        return _normalise_resiliparse(text)

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
        if not hasattr(self, "_renderer") and not hasattr(self, "_HTMLTree"):
            self.setup()
        htmls = table.column("html").to_pylist()
        urls = table.column("url").to_pylist() if "url" in table.column_names else [None] * len(htmls)
        old_text = table.column("text").to_pylist() if "text" in table.column_names else [None] * len(htmls)
        texts: list[str | None] = []
        verdicts: list[Any] = []
        chars_in = chars_out = passed = 0
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
                except RecursionError:
                    text, verdict = None, ("error", "RecursionError: nesting too deep")
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
        table = with_columns(table, {"text": texts}, self.columns)
        out = self.split(table, verdicts, {"extract_chars": {"html_in": chars_in, "text_out": chars_out},
                                           "extract_rows": {"passed_through_text": passed}})
        if not self.keep_html and "html" in out.kept.column_names:
            out.kept = out.kept.drop_columns(["html"])
        return out
