"""The one definition of "crawled text safe to show" (``corpusclean.report.safe.visible``)."""

from __future__ import annotations

import pytest

from corpusclean.report.safe import BIDI_CONTROLS, visible


@pytest.mark.parametrize("raw,shown", [
    # terminal escape sequences: CSI (clear screen), OSC (window title, clipboard, hyperlink)
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
    ("\x1b]52;c;ZXZpbA==\x1b\\", "\\x1b]52;c;ZXZpbA==\\x1b\\"),
    ("\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\", "\\x1b]8;;https://evil.example\\x1b\\x\\x1b]8;;\\x1b\\"),
    # C1 controls (8-bit CSI, OSC, NEL), DEL, NUL, backspace, carriage return
    ("\x9b2J\x9d0;t\x85", "\\x9b2J\\x9d0;t\\x85"),
    ("x\x7f\x00\x08\ry", "x\\x7f\\x00\\x08\\x0dy"),
    # bidi overrides, embeddings, isolates, marks
    ("report\u202efdp.exe", "report\\u202efdp.exe"),
    ("\u2066a\u2069\u2067b\u2068c\u202a\u202b\u202c\u202d", "\\u2066a\\u2069\\u2067b\\u2068c\\u202a\\u202b\\u202c\\u202d"),
    ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
    # line and paragraph separators, lone surrogates from damaged input
    ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
    ("bad \ud800 and \udfff", "bad \\ud800 and \\udfff"),
])
def test_unsafe_characters_are_shown_as_escapes(raw, shown):
    assert visible(raw) == shown
    assert visible(raw, multiline=True) == shown
    visible(raw).encode("utf-8")  # always printable


def test_ordinary_text_is_kept_as_it_is():
    text = "Ünïcödé — עברית and العربية, 日本語, emoji 🙂, zero\u200bwidth, soft\u00adhyphen"
    assert visible(text) == text
    assert visible(None) == "" and visible(12) == "12"


def test_line_breaks_and_tabs_only_in_multiline_text():
    assert visible("a\nb\tc", multiline=True) == "a\nb\tc"
    assert visible("a\nb\tc") == "a\\x0ab\\x09c"


def test_every_bidi_control_and_control_character_is_covered():
    for ch in BIDI_CONTROLS:
        assert ch not in visible(f"x{ch}y")
    for cp in [*range(0x20), *range(0x7f, 0xa0)]:
        out = visible(chr(cp), multiline=True)
        assert out in ("\n", "\t") or out == f"\\x{cp:02x}"
