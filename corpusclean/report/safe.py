"""Crawled text made safe to show to a person: the one definition, used by ``inspect`` and the report.

Crawled text, ids, URLs and details are hostile input. Shown raw, a terminal obeys the escape
sequences in them (set the window title, clear the screen, write the clipboard with OSC 52,
plant hyperlinks), and a browser or terminal obeys their bidirectional controls (``…report‮fdp.exe``
reads as ``…reportexe.pdf``). :func:`visible` replaces every such character by a visible escape:

* C0 and C1 control characters (Unicode category ``Cc``: U+0000–U+001F, U+007F–U+009F; ESC, BEL,
  CSI…), except tab and line feed in multi-line text;
* the bidirectional formatting characters of UAX #9: U+061C, U+200E, U+200F, U+202A–U+202E,
  U+2066–U+2069;
* the line and paragraph separators U+2028, U+2029 (they break lines where none is shown);
* lone surrogates U+D800–U+DFFF (from damaged input; they cannot even be encoded for output).

Escapes are written as Python writes them: ``\\x1b`` for code points below U+0100, ``\\u202e``
above. Everything else, including right-to-left letters, is kept as it is. The report also
isolates each field in ``<bdi>`` so the direction of one field never spills into the next.
"""

from __future__ import annotations

import unicodedata
from typing import Any

#: The bidirectional formatting characters (UAX #9 explicit embeddings, overrides, isolates, marks).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escape(cp: int) -> str:
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


def _unsafe(cp: int) -> bool:
    ch = chr(cp)
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in BIDI_CONTROLS


_ONE_LINE = {cp: _escape(cp) for cp in (*range(0x100), *range(0x2000, 0x2070), 0x061C, *range(0xD800, 0xE000))
             if _unsafe(cp)}
_MULTI_LINE = {cp: s for cp, s in _ONE_LINE.items() if cp not in (0x09, 0x0A)}


def visible(value: Any, *, multiline: bool = False) -> str:
    """``value`` as text with every unsafe character shown as an escape (see the module docstring).

    ``multiline``: keep tab and line feed (a document's text); otherwise they are escaped too
    (an id, URL or detail stays on one line). ``None`` gives ``""``.
    """
    text = "" if value is None else str(value)
    return text.translate(_MULTI_LINE if multiline else _ONE_LINE)
