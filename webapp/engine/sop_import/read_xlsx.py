"""Read an Excel SOP (XLSX) with openpyxl: every sheet as a grid of its cells' values.

Read-only and values only (a formula gives its last computed value, never runs); a merged
range gives its value once, at its top-left cell. Dates are written as ISO dates, whole
numbers without '.0'. A flowchart drawn over the cells marks them (``xlsx_shapes.py``).
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

import openpyxl

from .cells import Grid, clean
from .xlsx_shapes import mark_shapes

MAX_ROWS = 2000  # a sheet's used range can claim a million rows; an SOP has at most hundreds
MAX_COLUMNS = 60


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean(str(value))


def read_xlsx(data: bytes) -> list[Grid]:
    """Return one grid per worksheet, in the workbook's order."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    grids: list[Grid] = []
    try:
        for sheet in workbook.worksheets:
            grid: Grid = []
            for count, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)):
                if count >= MAX_ROWS:
                    break
                row = [_text(v) for v in values]
                while row and not row[-1]:
                    row.pop()
                grid.append(row)
            grids.append(grid)
    finally:
        workbook.close()
    mark_shapes(data, grids)
    return grids
