"""Find the procedure table in a document's grids and its columns.

The table starts at a header row with a ``No`` cell and an ``Uraian``/``Kegiatan`` cell; a
second header row (the lane names under "Pelaksana", Kelengkapan/Waktu/Output under "Mutu
Baku") is merged into it. The Pelaksana columns are the named columns between the Uraian and
the first Mutu Baku column. The table runs on over the next grids (a table split over pages
or by the writer) while their rows are numbered or repeat the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .cells import Grid, one_line

_NUMBER = re.compile(r"^(\d{1,4})\s*[.)]?$")
_COLUMN_WORDS = {
    "kelengkapan": ("kelengkapan", "persyaratan", "syarat"),
    "waktu": ("waktu",),
    "output": ("output", "produk", "hasil"),
}
_REMARKS = ("keterangan", "ket", "ket.")
_UNIT = re.compile(r"\((menit|jam|hari(?: kerja)?)\)")
_NOT_LANES = ("pelaksana", "mutu baku", "")


@dataclass
class Layout:
    """Where each column of the procedure table is (indexes into a row)."""

    no: int
    uraian: int
    lanes: list[tuple[int, str]]
    columns: dict[str, int] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    waktu_unit: str = ""  # "Waktu (menit)": a bare number in the column is in minutes


def _key(cell: str) -> str:
    return one_line(cell).lower().rstrip(":").strip()


def row_number(row: list[str], layout: Layout) -> int | None:
    """The step number in a row's No cell, or None."""
    cell = row[layout.no] if layout.no < len(row) else ""
    match = _NUMBER.match(one_line(cell))
    return int(match.group(1)) if match else None


def _header_at(grid: Grid, index: int) -> Layout | None:
    keys = [_key(c) for c in grid[index]]
    if not any(k in ("no", "no.", "nomor") for k in keys):
        return None
    uraian = next(
        (j for j, k in enumerate(keys) if k.startswith(("uraian", "kegiatan", "aktivitas"))), None
    )
    if uraian is None:
        return None
    no = next(j for j, k in enumerate(keys) if k in ("no", "no.", "nomor"))
    merged = list(keys)
    raw = [one_line(c) for c in grid[index]]
    below = grid[index + 1] if index + 1 < len(grid) else []
    layout_probe = Layout(no=no, uraian=uraian, lanes=[])
    if below and row_number(below, layout_probe) is None:
        for j, cell in enumerate(below):
            if cell.strip():
                if j < len(merged):
                    merged[j], raw[j] = _key(cell), one_line(cell)
                else:
                    merged.append(_key(cell))
                    raw.append(one_line(cell))
    columns: dict[str, int] = {}
    for j, k in enumerate(merged):
        for name, words in _COLUMN_WORDS.items():
            if name not in columns and j > uraian and k.startswith(words):
                columns[name] = j
    mutu = min(list(columns.values()) or [len(raw)])
    remarks = [j for j, k in enumerate(merged) if j >= mutu and k.startswith(_REMARKS[0])]
    remarks += [j for j, k in enumerate(merged) if j >= mutu and k in _REMARKS]
    if remarks:
        columns["keterangan"] = remarks[0]
    lanes = [(j, raw[j]) for j in range(uraian + 1, mutu) if merged[j] not in _NOT_LANES]
    unit = _UNIT.search(merged[columns["waktu"]]) if "waktu" in columns else None
    return Layout(
        no=no,
        uraian=uraian,
        lanes=lanes,
        columns=columns,
        header=merged,
        waktu_unit=unit.group(1) if unit else "",
    )


def find_table(grids: list[Grid]) -> tuple[Layout, int, int, list[list[str]]] | None:
    """Return (layout, grid index, header row index, body rows) of the procedure table."""
    for g, grid in enumerate(grids):
        for i in range(len(grid)):
            layout = _header_at(grid, i)
            if layout is None:
                continue
            start = i + 1
            if start < len(grid) and row_number(grid[start], layout) is None:
                start += 1  # the second header row, already merged
            body = list(grid[start:])
            for later in grids[g + 1 :]:
                if all(len(r) <= 1 for r in later):
                    continue  # lines between the parts (a page's footer and title)
                if not _continues(later, layout):
                    break
                body.extend(later)
            return layout, g, i, [r for r in body if not _is_header_again(r, layout)]
    return None


def _continues(grid: Grid, layout: Layout) -> bool:
    """Whether a later grid is the same table going on (numbered rows or the header again)."""
    for row in grid:
        if not any(c.strip() for c in row):
            continue
        return row_number(row, layout) is not None or _is_header_again(row, layout)
    return False


def _is_header_again(row: list[str], layout: Layout) -> bool:
    """A page's repeated header rows: 'No' and 'Uraian' again, or the lane names again."""
    keys = [_key(c) for c in row]
    if layout.no < len(keys) and keys[layout.no] in ("no", "no.", "nomor"):
        return True
    lane_names = {name.lower() for _, name in layout.lanes}
    filled = {k for k in keys if k}
    return bool(lane_names) and lane_names <= filled and row_number(row, layout) is None
