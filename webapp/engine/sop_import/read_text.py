"""Read a pasted SOP: tab-separated text (as copied from Word or Excel, or exported) or HTML.

Tab-separated cells may hold HTML fragments, as the office's text export keeps them; quoted
cells may run over several lines, as spreadsheets copy them. HTML is read table by table,
colspan and rowspan spread into blank cells so that every row has its columns in place;
headings and paragraphs outside the tables come as one-cell rows in document order.
"""

from __future__ import annotations

import csv
import re

from lxml import etree
from lxml import html as lxml_html

from .cells import Grid, element_text, fragment_text

_HTML_TABLE = re.compile(r"<\s*table[\s>]", re.IGNORECASE)
_MAX_SPAN = 50  # a colspan of a million is a way to fill memory, not a table


def _parser() -> lxml_html.HTMLParser:
    return lxml_html.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
    )


def read_text(text: str) -> list[Grid]:
    """Return the grids of a pasted SOP (HTML tables, else tab-separated lines)."""
    if _HTML_TABLE.search(text):
        return _html_grids(text)
    rows = csv.reader(text.splitlines(keepends=True), delimiter="\t", strict=False)
    return [[[fragment_text(cell) for cell in row] for row in rows]]


def _span(cell: etree._Element, name: str) -> int:
    try:
        return max(1, min(_MAX_SPAN, int(cell.get(name) or 1)))
    except ValueError:
        return 1


def _table_grid(table: etree._Element) -> Grid:
    grid: Grid = []
    pending: dict[int, int] = {}  # column -> rows still covered by a rowspan from above
    rows = [tr for tr in table.iter("tr") if _owner(tr) is table]
    for tr in rows:
        row: list[str] = []
        cells = [c for c in tr if c.tag in ("td", "th")]
        column = 0
        for cell in cells:
            while pending.get(column, 0) > 0:
                pending[column] -= 1
                row.append("")
                column += 1
            text = element_text(cell)
            colspan, rowspan = _span(cell, "colspan"), _span(cell, "rowspan")
            row.extend([text] + [""] * (colspan - 1))
            for offset in range(colspan):
                if rowspan > 1:
                    pending[column + offset] = rowspan - 1
            column += colspan
        while pending.get(column, 0) > 0:
            pending[column] -= 1
            row.append("")
            column += 1
        grid.append(row)
    return grid


def _owner(tr: etree._Element) -> etree._Element | None:
    parent = tr.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _html_grids(text: str) -> list[Grid]:
    root = lxml_html.document_fromstring(text, parser=_parser())
    grids: list[Grid] = []
    loose: Grid = []
    for node in root.iter("table", "p", "h1", "h2", "h3", "h4", "h5", "h6"):
        if any(a.tag == "table" for a in node.iterancestors()):
            continue  # read with its table
        if node.tag == "table":
            if loose:
                grids.append(loose)
                loose = []
            grids.append(_table_grid(node))
        else:
            line = element_text(node)
            if line:
                loose.append([line])
    if loose:
        grids.append(loose)
    return grids
