"""Decode a web page the way browsers do (WHATWG Encoding Standard, "decode" and HTML sniffing).

Order, first match wins (HTML Standard §13.2.3.2, "determining the character encoding"):

1. a byte order mark: UTF-8, UTF-16LE or UTF-16BE (a BOM beats a contradicting HTTP header);
2. the HTTP ``Content-Type`` ``charset`` parameter;
3. a ``<meta charset>`` / ``<meta http-equiv="Content-Type" content="…charset=…">`` in the first
   4096 bytes (a meta label of UTF-16 means UTF-8, as the standard says);
4. no declaration: UTF-8 when the bytes are valid UTF-8, otherwise detection by
   ``charset-normalizer`` on the page's text with its markup removed (the ASCII markup would
   otherwise drown the signal);
5. windows-1252 (the standard's default for unknown pages).

Labels are resolved through the standard's label table (the ``webencodings`` package), so
``iso-8859-1``, ``latin1`` and ``us-ascii`` mean windows-1252, ``shift_jis`` means Windows-31J
(cp932), ``euc-kr`` windows-949, ``big5`` Big5-HKSCS, and ``gb2312``/``gbk`` are decoded with the
gb18030 decoder (the standard's GBK decoder is gb18030's). Labels the standard maps to
"replacement" (ISO-2022-KR, HZ-GB-2312, …) and unknown labels are ignored, and the next step is
tried. Undecodable bytes become U+FFFD; decoding never raises.
"""

from __future__ import annotations

import codecs
import re

import webencodings

#: Python codecs for WHATWG encodings whose decoder is larger than Python's codec of that name.
_PYTHON_CODEC = {"gbk": "gb18030", "iso-8859-8-i": "iso-8859-8"}

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_TAGS = re.compile(rb"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)


def codec_for_label(label: str) -> str | None:
    """The Python codec decoding what browsers decode for ``label``, or None if they would not.

    >>> codec_for_label("ISO-8859-1"), codec_for_label("shift_jis"), codec_for_label("gb2312")
    ('cp1252', 'cp932', 'gb18030')
    """
    enc = webencodings.lookup(label.strip())
    if enc is None or enc.name == "replacement":
        return None
    return _PYTHON_CODEC.get(enc.name, enc.codec_info.name)


def sniff_bom(body: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) when ``body`` starts with a UTF-8 or UTF-16 byte order mark."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    return None


def declared_codec(body: bytes, content_type: str = "") -> tuple[str, str] | None:
    """(codec, where) from the BOM, the HTTP header or the meta tag, in that order; None if none."""
    bom = sniff_bom(body)
    if bom:
        return bom[0], "bom"
    m = _HTTP_CHARSET.search(content_type or "")
    if m and (codec := codec_for_label(m.group(1))):
        return codec, "http"
    m2 = _META.search(body[:4096])
    if m2 and (codec := codec_for_label(m2.group(1).decode("ascii", "replace"))):
        return ("utf-8" if codec.startswith("utf-16") else codec), "meta"
    return None


def detect_codec(body: bytes) -> str:
    """Codec of an undeclared page: UTF-8 if valid, else charset-normalizer's guess, else cp1252."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    text_bytes = _TAGS.sub(b" ", body[:262144])
    best = from_bytes(text_bytes[:65536]).best()
    if best is None:
        return "cp1252"
    # the guess is a Python codec name; route it through the label table (latin-1 -> cp1252 …)
    return codec_for_label(best.encoding.replace("_", "-")) or best.encoding


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """(text, codec) of an HTML payload, following the order in the module docstring."""
    found = declared_codec(body, content_type)
    if found is not None:
        codec, where = found
        if where == "bom":
            body = body[sniff_bom(body)[1]:]  # type: ignore[index]
    else:
        codec = detect_codec(body)
    try:
        return body.decode(codec, errors="replace"), codec
    except LookupError:
        return body.decode("cp1252", errors="replace"), "cp1252"
