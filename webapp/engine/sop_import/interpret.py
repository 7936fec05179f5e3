"""Turn a document's grids into the import table (``table.TABLE_SCHEMA``).

Each row's lane comes from a mark in its lane column (√ ✓ ✔ X x • v …; a Word shape drawn in
the cell counts too), else from the actor its Uraian opens with ("Front Office menerima …",
"… oleh Tim"), else it is left empty and asked. Waktu is read into an ISO duration
(``durations.from_document_words``). Rows that ask or whose Keterangan branches become
decisions (``flow.py``); a leading "Mulai" and a trailing "Selesai" row are the start and end
events, not steps. What is guessed is listed in the row's ``uncertain``; what is not read at
all is a finding, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .. import durations
from . import flow
from .cells import DECISION_MARK, Grid, bullet_lines, clean, one_line
from .errors import ImportRefused
from .header import read_header
from .layout import Layout, find_table, row_number
from .table import MAX_LANES, MAX_ROWS, MAX_TEXT

MARKS = frozenset("√✓✔✗✘xXvV•●■◆◇□○◯◼▪*")
_TERMINATORS = re.compile(r"^(?:mulai|start|selesai|end|finish|stop)\.?$", re.IGNORECASE)
_SERVICE = re.compile(r"^(?:-\s*)?(?:sistem|aplikasi)\b", re.IGNORECASE)
_FIELDS = ("kelengkapan", "waktu", "output", "keterangan")
_JUMP = re.compile(r"\b(?:kembali\s+)?ke\s+langkah\s+\d+", re.IGNORECASE)


def lane_name(text: str) -> str:
    """A lane's name as a role can carry it: one line, no blanks around '/'."""
    return re.sub(r"\s*/\s*", "/", one_line(text))[:100]


def _is_mark(cell: str) -> bool:
    first = one_line(cell)[:1]
    return bool(first) and first in MARKS and (len(one_line(cell)) == 1 or cell[1:2] in " \n")


def _notes(cell: str) -> str:
    """The words beside a mark (the sheet prints loop-backs there: '↺ Jika gagal …')."""
    text = one_line(cell)
    if text[:1] in MARKS:
        text = text[1:]
    return text.replace("↺", " ").strip()


def _aliases(lanes: list[str]) -> list[tuple[str, str]]:
    """(how an Uraian names a lane, the lane), longest first: 'Unit Kerja' for 'Unit Kerja/…'."""
    pairs = [(lane.lower(), lane) for lane in lanes]
    pairs += [(part.strip().lower(), lane) for lane in lanes for part in lane.split("/")]
    return sorted({p for p in pairs if len(p[0]) >= 3}, key=lambda p: -len(p[0]))


def _actor(uraian: str, aliases: list[tuple[str, str]]) -> str | None:
    said = unicodedata.normalize("NFKC", uraian).lower().lstrip("- ").strip()
    for alias, lane in aliases:
        if said.startswith(alias + " ") or re.search(rf"\boleh\s+{re.escape(alias)}\b", said):
            return lane
    return None


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _rows(layout: Layout, body: list[list[str]], findings: list[dict[str, Any]]) -> list[dict]:
    """The numbered rows with their raw cells; unnumbered rows carry on the row above."""
    rows: list[dict] = []
    for raw in body:
        if not any(c.strip() for c in raw):
            continue
        number = row_number(raw, layout)
        cells: dict[str, Any] = {
            "uraian": _cell(raw, layout.uraian),
            **{name: _cell(raw, layout.columns.get(name)) for name in _FIELDS},
            "lanes": [_cell(raw, j) for j, _ in layout.lanes],
        }
        if layout.waktu_unit and re.fullmatch(r"\d+(?:[.,]\d+)?", cells["waktu"].strip()):
            cells["waktu"] = f"{cells['waktu'].strip()} {layout.waktu_unit}"
        if number is not None:
            rows.append({"no": number, **cells})
        elif rows and not _cell(raw, layout.no).strip():
            last = rows[-1]  # a row broken over two pages or two table rows
            for name in ("uraian", *_FIELDS):
                if cells[name].strip():
                    last[name] = (last[name] + "\n" + cells[name]).strip()
            last["lanes"] = [
                a + "\n" + b for a, b in zip(last["lanes"], cells["lanes"], strict=False)
            ]
        else:
            text = one_line(" ".join(raw))[:500]
            findings.append({"code": "import-row-unread", "params": {"text": text}})
    return rows


def _text(value: str, where: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    if len(value) <= MAX_TEXT:
        return value
    params = {"row": where.get("row"), "column": where.get("field"), "length": len(value)}
    findings.append({"code": "import-cell-too-long", **where, "params": params})
    return value[: MAX_TEXT - 1] + "…"


def interpret(grids: list[Grid], filename: str = "") -> dict[str, Any]:
    """Return the import table read from a document's grids; raise ImportRefused if none."""
    found = find_table(grids)
    if found is None:
        raise ImportRefused("import-not-sop-table")
    layout, g, i, body = found
    before = grids[:g] + [grids[g][:i]]
    header, name, findings = read_header(before)
    lanes = list(dict.fromkeys(lane_name(n) for _, n in layout.lanes if lane_name(n)))
    if not lanes:
        raise ImportRefused("import-no-lanes")
    if len(lanes) > MAX_LANES:
        raise ImportRefused("import-too-many-lanes", count=len(lanes), limit=MAX_LANES)
    raw_rows = _rows(layout, body, findings)
    if raw_rows and _TERMINATORS.match(one_line(raw_rows[0]["uraian"])):
        raw_rows.pop(0)  # "Mulai": the start event
    if raw_rows and _TERMINATORS.match(one_line(raw_rows[-1]["uraian"])):
        raw_rows.pop()  # "Selesai": the end event
    if not raw_rows:
        raise ImportRefused("import-not-sop-table")
    if len(raw_rows) > MAX_ROWS:
        raise ImportRefused("import-too-many-rows", count=len(raw_rows), limit=MAX_ROWS)
    name = name or _title(before) or re.sub(r"\.[^.]*$", "", filename) or "SOP"
    numbers = [r["no"] for r in raw_rows]
    for before_no, after_no in zip(numbers, numbers[1:], strict=False):
        if after_no != before_no + 1:  # a row lost between pages, or numbered out of order
            findings.append(
                {"code": "import-row-missing", "params": {"after": before_no, "next": after_no}}
            )
    aliases = _aliases(lanes)
    rows = [_row(r, lanes, aliases, numbers, findings) for r in raw_rows]
    table: dict[str, Any] = {"name": name[:200], "header": header, "lanes": lanes, "rows": rows}
    process_id = _process_id(name)
    if process_id:
        table["process_id"] = process_id
    table["findings"] = findings[:500]
    return table


def _row(
    raw: dict, lanes: list[str], aliases: list[tuple[str, str]], numbers: list[int], findings: list
) -> dict[str, Any]:
    no = raw["no"]
    uncertain: list[dict[str, Any]] = []
    uraian = _text(bullet_lines(raw["uraian"]), {"row": no, "field": "uraian"}, findings)
    if not uraian:
        uraian = f"Langkah {no}"
        uncertain.append(_unsure("uraian", "import-uraian-missing", row=no))
    marked = [lanes[k] for k, cell in enumerate(raw["lanes"]) if k < len(lanes) and _is_mark(cell)]
    notes = [_notes(c) for c in raw["lanes"] if _notes(c)]
    lane = marked[0] if marked else _actor(uraian, aliases)
    if len(set(marked)) > 1:
        uncertain.append(_unsure("lane", "import-lane-several", row=no, lanes=", ".join(marked)))
    elif not marked and lane:
        uncertain.append(_unsure("lane", "import-lane-from-uraian", row=no, lane=lane))
    elif not lane:
        uncertain.append(_unsure("lane", "import-lane-asked", row=no))
    row: dict[str, Any] = {"no": no, "uraian": uraian, "lane": lane, "kind": "task"}
    for name in _FIELDS:
        value = clean(raw[name])
        value = "" if value in ("-", "—", "–") else value
        row[name] = _text(value, {"row": no, "field": name}, findings)
    row["duration"] = _duration(no, row["waktu"], uncertain)
    keterangan = row["keterangan"]
    said = [keterangan, *notes]
    written = flow.branches_in(said)
    astray = [b for b in written if b.target != flow.END and b.target not in numbers]
    for branch in astray:  # "kembali ke langkah 9" in a table of five rows
        text = f"{branch.label}: langkah {branch.target}"
        findings.append(
            {"code": "import-flow-unread", "row": no, "params": {"row": no, "text": text}}
        )
    written = [b for b in written if b.target == flow.END or b.target in numbers]
    diamond = any(one_line(c)[:1] == DECISION_MARK for c in raw["lanes"])
    if flow.asks(uraian, " ".join(said)) or written or diamond:
        branches, guessed = flow.complete(written, no, numbers)
        row["kind"] = "decision"
        row["branches"] = [{"label": b.label, "target": b.target} for b in branches]
        if guessed:
            uncertain.append(_unsure("branches", "import-branches-guessed", row=no))
    elif flow.ends(uraian + " " + keterangan) and no != numbers[-1]:
        row["kind"] = "end"
    elif _SERVICE.match(uraian) or (lane or "").lower() in ("sistem", "aplikasi"):
        row["kind"] = "service"
        uncertain.append(_unsure("kind", "import-kind-service", row=no))
    if row["kind"] != "decision" and not astray:  # "kembali ke langkah 2", no condition
        for text in (t for t in said if _JUMP.search(t)):
            findings.append(
                {"code": "import-flow-unread", "row": no, "params": {"row": no, "text": text[:200]}}
            )
    if uncertain:
        row["uncertain"] = uncertain[:20]
    return row


def _unsure(field: str, code: str, **params: str | int) -> dict[str, Any]:
    """What the reader was unsure of in one cell, for the review to highlight."""
    return {"field": field, "code": code, "params": params}


def _duration(no: int, waktu: str, uncertain: list[dict[str, Any]]) -> str | None:
    if not waktu:
        return None
    said = durations.from_document_words(waktu)
    if said is None or said.total_seconds == 0:
        uncertain.append(_unsure("waktu", "import-waktu-unread", row=no, waktu=waktu[:200]))
        return None
    if durations.is_range(waktu):
        uncertain.append(_unsure("waktu", "import-waktu-range", row=no, waktu=waktu[:200]))
    return said.iso()


def _title(grids: list[Grid]) -> str:
    """The last line standing alone before the table (the SOP's name above it)."""
    for grid in reversed(grids):
        for row in reversed(grid):
            filled = [c for c in row if c.strip()]
            if len(filled) == 1 and len(one_line(filled[0])) <= 200:
                return one_line(filled[0])
    return ""


def _process_id(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    slug = re.sub(r"^[^a-z]+", "", slug)[:63].rstrip("_")
    return slug
