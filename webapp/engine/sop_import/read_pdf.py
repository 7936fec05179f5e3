"""Read a digital PDF SOP with pdfplumber: the tables on each page and the lines around them.

A PDF has no cells, only text placed on a page; pdfplumber finds the tables by their ruling
lines. A line wrapped inside a cell is joined to the one before, unless it opens an item
('- …'), a mark or a flow note, which start lines of their own. An encrypted PDF and a PDF
with no text (a scan) are refused: there is nothing to read without a password or OCR. A
flowchart symbol drawn inside a lane's cell (a rectangle, a capsule, a diamond: vector shapes
in a PDF printed from Word) marks the row's lane as a typed mark does.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from .cells import DECISION_MARK, SHAPE_MARK, Grid, clean
from .errors import ImportRefused

MAX_PAGES = 60
MAX_SHAPES = 5000  # per page
MIN_SYMBOL = 6  # points: smaller drawings are arrowheads and ticks, not flowchart symbols
_MARKS = frozenset("√✓✔✗✘•●■□◇")
_NEW_LINE = re.compile(r"^(?:[-•]\s|[√✓✔✗✘↺•●■□◇]|\d{1,3}[.)]\s)")


def cell_text(text: str | None) -> str:
    """A cell's lines as written: wrapped lines joined, items and marks on their own lines."""
    lines: list[str] = []
    for line in clean(text).splitlines():
        if lines and not _NEW_LINE.match(line) and lines[-1] not in _MARKS:
            lines[-1] += " " + line
        else:
            lines.append(line)
    return "\n".join(lines)


def _open(data: bytes) -> Any:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pdf.pages  # noqa: B018 - reading the page tree is where a password is asked for
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise ImportRefused("import-pdf-encrypted") from None
    except PdfminerException as exc:  # pdfplumber wraps what pdfminer raised
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            raise ImportRefused("import-pdf-encrypted") from None
        raise
    return pdf


def read_pdf(data: bytes) -> list[Grid]:
    """Return the grids of a PDF: per page, its tables and its lines outside them, top down."""
    grids: list[Grid] = []
    characters = 0
    with _open(data) as pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise ImportRefused("import-too-many-pages", pages=len(pdf.pages), limit=MAX_PAGES)
        for page in pdf.pages:
            characters += len(page.chars)
            tables = page.find_tables()
            placed: list[tuple[float, Grid]] = []
            shapes = _shapes(page)
            for table in tables:
                rows = [[cell_text(c) for c in row] for row in table.extract()]
                _mark_symbols(table, rows, shapes)
                placed.append((table.bbox[1], rows))
            boxes = [t.bbox for t in tables]
            for line in page.extract_text_lines():
                middle = (line["top"] + line["bottom"]) / 2
                if any(b[1] <= middle <= b[3] and b[0] <= line["x0"] <= b[2] for b in boxes):
                    continue
                placed.append((line["top"], [[clean(line["text"])]]))
            placed.sort(key=lambda item: item[0])
            for _, grid in placed:
                if len(grid) == 1 and len(grid[0]) == 1 and grids and _loose(grids[-1]):
                    grids[-1].append(grid[0])
                else:
                    grids.append(grid)
            page.close()
    if characters == 0:
        raise ImportRefused("import-pdf-no-text")
    return grids


def _shapes(page: Any) -> list[tuple[tuple[float, float, float, float], str]]:
    """The flowchart symbols drawn on a page: (bbox, mark), a diamond as a decision's mark."""
    found = []
    for obj in [*page.rects, *page.curves][:MAX_SHAPES]:
        box = (obj["x0"], obj["top"], obj["x1"], obj["bottom"])
        if box[2] - box[0] < MIN_SYMBOL or box[3] - box[1] < MIN_SYMBOL:
            continue  # an arrowhead or a hairline, not a symbol
        found.append((box, DECISION_MARK if _diamond(obj, box) else SHAPE_MARK))
    return found


def _diamond(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    """A closed path of four corners at the middles of its box's sides."""
    points = obj.get("pts") or []
    if obj.get("object_type") != "curve" or not 4 <= len(points) <= 5:
        return False
    middle_x, middle_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    left = min(points, key=lambda p: p[0])
    top = min(points, key=lambda p: p[1])
    tolerance = 0.15
    return abs(left[1] - middle_y) <= tolerance * (box[3] - box[1]) and abs(
        top[0] - middle_x
    ) <= tolerance * (box[2] - box[0])


def _mark_symbols(table: Any, rows: Grid, shapes: list) -> None:
    """Write a mark into each empty cell that has a symbol drawn inside it."""
    for i, row in enumerate(table.rows[: len(rows)]):
        for j, cell in enumerate(row.cells[: len(rows[i])]):
            if cell is None or rows[i][j]:
                continue
            x0, top, x1, bottom = cell
            for (sx0, stop, sx1, sbottom), mark in shapes:
                inside = x0 + 1 < sx0 and sx1 < x1 - 1 and top + 1 < stop and sbottom < bottom - 1
                if inside:
                    rows[i][j] = mark
                    break


def _loose(grid: Grid) -> bool:
    return all(len(row) == 1 for row in grid)
