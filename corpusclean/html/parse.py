"""HTML parsing that never raises on odd input (lxml / libxml2), shared by the HTML stages."""

from __future__ import annotations

from typing import Any


def parse_html(html: str) -> Any:
    """Parse a page with lxml's HTML parser (libxml2); returns the root element or None.

    Never raises on malformed markup: libxml2 recovers like a browser does. Two inputs lxml
    refuses are handled here: a ``str`` carrying an XML encoding declaration (re-encoded to UTF-8
    bytes) and a document with no elements at all (``None``).
    """
    from lxml import etree
    from lxml import html as lxml_html

    if not html or not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html)
    except ValueError:
        # "Unicode strings with encoding declaration are not supported"
        try:
            parser = lxml_html.HTMLParser(encoding="utf-8")
            return lxml_html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
        except (ValueError, etree.ParserError):
            return None
    except etree.ParserError:  # "Document is empty"
        return None
