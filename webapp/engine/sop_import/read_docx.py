"""Read a Word SOP (DOCX) with python-docx: its tables and the paragraphs between them.

Tables nested in a cell (an SOP laid out inside a frame table) and the tables of the first
page header (where the identity block often sits) are read too. A merged cell is given once
(its other grid positions are blank), so a "Pelaksana" heading spanning the lane columns or a
"No" spanning two header rows is not read twice. A flowchart symbol drawn in a cell (a Word
shape) is what marks the row's lane when the cell has no text: it is written into the cell as
a mark, a diamond as a decision's mark.
"""

from __future__ import annotations

import io

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from .cells import DECISION_MARK, SHAPE_MARK, Grid, clean

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
V = "{urn:schemas-microsoft-com:vml}"
_DECISIONS = ("flowChartDecision", "diamond")
_VML_DECISION = "#_x0000_t110"
MAX_NESTING = 3


def _shape_mark(tc: object) -> str:
    """The mark of a flowchart symbol drawn in a cell ('' when there is none)."""
    element = tc  # an lxml element (CT_Tc)
    shapes = [g.get("prst") or "" for g in element.iter(f"{A}prstGeom")]  # type: ignore[attr-defined]
    vml = [s.get("type") or "" for s in element.iter(f"{V}shape")]  # type: ignore[attr-defined]
    vml_kinds = list(element.iter(f"{V}rect", f"{V}roundrect", f"{V}oval"))  # type: ignore[attr-defined]
    flow = [
        p
        for p in shapes
        if p.startswith("flowChart") or p in ("rect", "roundRect", "diamond", "ellipse")
    ]
    if any(p in _DECISIONS for p in flow) or _VML_DECISION in vml:
        return DECISION_MARK
    if flow or vml or vml_kinds:
        return SHAPE_MARK
    return ""


def _table_grids(table: Table, depth: int = 0) -> list[Grid]:
    """The table's grid, then those of tables nested in its cells (an SOP laid out in one)."""
    grid: Grid = []
    nested: list[Grid] = []
    above: list[object] = []
    for row in table.rows:
        texts: list[str] = []
        seen: list[object] = []
        for column, cell in enumerate(row.cells):
            tc = cell._tc
            repeated = (seen and seen[-1] is tc) or (column < len(above) and above[column] is tc)
            seen.append(tc)
            if repeated:
                texts.append("")
                continue
            text = clean("\n".join(p.text for p in cell.paragraphs))
            texts.append(text or _shape_mark(tc))
            if depth < MAX_NESTING:
                for inner in cell.tables:
                    nested.extend(_table_grids(inner, depth + 1))
        above = seen
        grid.append(texts)
    return [grid, *nested]


def read_docx(data: bytes) -> list[Grid]:
    """Return the grids of a DOCX: the page header's tables, then the body's tables and the
    paragraphs between them, in order."""
    document = docx.Document(io.BytesIO(data))
    grids: list[Grid] = []
    if document.sections:  # the identity block is often printed in the page header
        for table in document.sections[0].header.tables:
            grids.extend(_table_grids(table))
    loose: Grid = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if block.text.strip():
                loose.append([clean(block.text)])
        elif isinstance(block, Table):
            if loose:
                grids.append(loose)
                loose = []
            grids.extend(_table_grids(block))
    if loose:
        grids.append(loose)
    return grids
