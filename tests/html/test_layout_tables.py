"""A list inside a layout table cell keeps its bullet lines (DocBook Tip/Note boxes, issue 14)."""

from __future__ import annotations

import pytest

from corpusclean.stages.base import get_stage_class

INTRO = ("<p>Package management on a stable system is mostly a matter of routine, and the tools described "
         "in this chapter cover the everyday tasks of installing, upgrading and removing software.</p>")
PROSE = ("<p>After the selection is adjusted, the installer resolves the dependencies again and shows the "
         "packages it will fetch, so you can check the plan before anything is changed on disk.</p>")
TIP = ('<div class="tip"><table border="0" summary="Tip"><tr><td rowspan="2"><img alt="[Tip]" src="t.png"/></td>'
       '<th align="left">Tip</th></tr><tr><td align="left"><p>Selections may be out of sync. Adjust them as follows:'
       "</p><div class=\"itemizedlist\"><{lst} class=\"itemizedlist\">{items}</{lst}></div></td></tr></table></div>")
ITEMS = ["Start the package tool with administrator rights.", "Move the cursor to the task and press Enter.",
         "Mark the recommended packages as manually selected.", "Press the install key to begin the installation."]


def _page(lst: str, item_fmt: str, layout: str) -> str:
    items = "".join(item_fmt.format(t) for t in ITEMS)
    box = TIP.format(lst=lst, items=items)
    if layout == "two-column":
        box = f'<table><tr><td><p>Steps to follow on the console:</p><{lst}>{items}</{lst}></td><td>{PROSE}</td></tr></table>'
    return f"<html><head><title>Packages</title></head><body><h1>Package management</h1>{INTRO}{box}{PROSE}</body></html>"


@pytest.mark.parametrize("lst,item_fmt,layout", [
    ("ul", '<li class="listitem"><p>{}</p></li>', "tip"),      # the DocBook form (debian-reference)
    ("ol", "<li>{}</li>", "tip"),                                # numbered, no <p>
    ("ul", "<li><p>{}</p></li>", "two-column"),                  # a page-layout table
])
def test_list_in_table_cell_is_bullet_lines(lst, item_fmt, layout):
    text = get_stage_class("extract")(timeout_s=0).extract_text(_page(lst, item_fmt, layout))
    lines = [ln.strip() for ln in text.split("\n")]
    for i, item in enumerate(ITEMS, 1):
        marker = "- " if lst == "ul" else f"{i}. "
        assert marker + item in lines, text


def test_data_table_rows_stay_one_line():
    html = ("<html><body><h1>Sizes</h1>" + INTRO + "<table><tr><th>Package</th><th>Size</th></tr>"
            "<tr><td>coreutils</td><td>6 MB</td></tr><tr><td>bash</td><td>7 MB</td></tr></table>" + PROSE
            + "</body></html>")
    text = get_stage_class("extract")(timeout_s=0).extract_text(html)
    assert "coreutils | 6 MB" in text
