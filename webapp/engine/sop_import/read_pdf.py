"""Read a digital PDF SOP with pdfplumber: the tables on each page and the lines around them.

A PDF has no cells, only text placed on a page; pdfplumber finds the tables by their ruling
lines. A line wrapped inside a cell is joined to the one before, unless it opens an item
('- …'), a mark or a flow note, which start lines of their own. An encrypted PDF and a PDF
with no text (a scan) are refused: there is nothing to read without a password or OCR.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from .cells import Grid, clean
from .errors import ImportRefused

MAX_PAGES = 60
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
            for table in tables:
                rows = [[cell_text(c) for c in row] for row in table.extract()]
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


def _loose(grid: Grid) -> bool:
    return all(len(row) == 1 for row in grid)
