"""Where an Excel SOP draws its flowchart: the cell under each symbol, as a lane mark.

Excel keeps shapes apart from the cells, in a drawing part anchored to a cell range
(``xdr:twoCellAnchor``); openpyxl does not read them. A symbol (process, terminator, decision)
marks the cell at its centre; connectors and arrows mark nothing. Parsed with an explicit
parser: no DTD, no entities, no network.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from lxml import etree

from ..xml import safe_parser
from .cells import DECISION_MARK, SHAPE_MARK, Grid

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_SYMBOLS = ("rect", "roundRect", "ellipse", "diamond", "flowChart")
_DECISIONS = ("flowChartDecision", "diamond")
MAX_SHAPES = 5000


def _xml(archive: zipfile.ZipFile, name: str) -> etree._Element | None:
    if name not in archive.namelist():
        return None
    return etree.fromstring(archive.read(name), parser=safe_parser())


def _targets(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """The relationships of a part: id -> the target part's name."""
    folder, name = posixpath.split(part)
    rels = _xml(archive, posixpath.join(folder, "_rels", name + ".rels"))
    if rels is None:
        return {}
    targets = {}
    for rel in rels.iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        # "/xl/…" is from the package's root, "../drawings/…" from the part's folder.
        path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        targets[rel.get("Id", "")] = posixpath.normpath(path)
    return targets


def _marks(drawing: etree._Element) -> list[tuple[int, int, str]]:
    """(row, column, mark) of each flowchart symbol of a drawing, 0-based."""
    found = []
    for anchor in drawing:
        shape = anchor.find(f"{_XDR}sp")
        start, end = anchor.find(f"{_XDR}from"), anchor.find(f"{_XDR}to")
        if shape is None or start is None:
            continue
        geometry = shape.find(f".//{_A}prstGeom")
        prst = geometry.get("prst", "") if geometry is not None else ""
        if not prst.startswith(_SYMBOLS):
            continue
        end = end if end is not None else start
        row = (int(start.findtext(f"{_XDR}row", "0")) + int(end.findtext(f"{_XDR}row", "0"))) // 2
        col = (int(start.findtext(f"{_XDR}col", "0")) + int(end.findtext(f"{_XDR}col", "0"))) // 2
        found.append((row, col, DECISION_MARK if prst in _DECISIONS else SHAPE_MARK))
        if len(found) >= MAX_SHAPES:
            break
    return found


def mark_shapes(data: bytes, grids: list[Grid]) -> None:
    """Write a mark into each empty cell of ``grids`` (one per worksheet) under a symbol."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    workbook = _xml(archive, "xl/workbook.xml")
    if workbook is None:
        return
    sheets = _targets(archive, "xl/workbook.xml")
    order = [s.get(f"{_REL}id", "") for s in workbook.iter(f"{_MAIN}sheet")]
    worksheets = [sheets[r] for r in order if "worksheets/" in sheets.get(r, "")]
    for grid, sheet in zip(grids, worksheets, strict=False):
        root = _xml(archive, sheet)
        links = _targets(archive, sheet)
        for drawing_ref in root.iter(f"{_MAIN}drawing") if root is not None else ():
            drawing = _xml(archive, links.get(drawing_ref.get(f"{_REL}id", ""), ""))
            for row, col, mark in _marks(drawing) if drawing is not None else ():
                if row >= len(grid) or row > 5000 or col > 100:
                    continue
                cells = grid[row]
                cells.extend([""] * (col + 1 - len(cells)))
                if not cells[col].strip():
                    cells[col] = mark
