"""The review form of an SOP import: the table in a hidden field, each cell an input.

Between requests the table lives in the form itself (``table``: JSON), never in the session;
it comes back from the browser, so it is untrusted: ``table_from_form`` rebuilds it from the
hidden JSON (row numbers, what the importer was unsure of, what it could not read) and the
inputs (every cell the owner may correct), and reports per cell what is wrong. The caller
checks the result with ``table_errors`` as well, whatever this module made of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

KINDS = ("task", "service", "decision", "end")
END = "end"
TEXT_CELLS = ("uraian", "kelengkapan", "output", "keterangan")
MAX_TABLE_JSON = 1024 * 1024  # the hidden field; a real table of 200 rows is far smaller
MAX_CELL = 4000
MAX_ROWS = 200
PROCESS_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")
# The cells the review shows; an uncertainty about anything else is shown by the row number.
CELLS = ("lane", "kind", "waktu", "branches", *TEXT_CELLS)
BRANCH_SLOTS = 3  # inputs offered for a decision's branches (the table allows up to 5)


@dataclass
class Review:
    """A table rebuilt from the review form and what the owner must still correct."""

    table: dict[str, Any]
    cell_errors: dict[tuple[int, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Damaged(Exception):
    """The hidden table is not a table at all: the form was altered or cut short."""


def dumps(table: Mapping[str, Any]) -> str:
    """The table as the hidden field carries it."""
    return json.dumps(table, ensure_ascii=False, separators=(",", ":"))


def _base(raw: str) -> dict[str, Any]:
    if not raw or len(raw) > MAX_TABLE_JSON:
        raise Damaged
    try:
        table = json.loads(raw)
    except ValueError as exc:
        raise Damaged from exc
    if not isinstance(table, dict) or not isinstance(table.get("rows"), list):
        raise Damaged
    if not 0 < len(table["rows"]) <= MAX_ROWS:
        raise Damaged
    if not all(isinstance(r, dict) and isinstance(r.get("no"), int) for r in table["rows"]):
        raise Damaged
    return table


def _text(form: Mapping[str, str], name: str) -> str:
    # Browsers send CRLF in textareas; the table keeps plain newlines.
    return str(form.get(name, "")).replace("\r\n", "\n").strip()


def _lanes(form: Mapping[str, str], old: list[Any]) -> tuple[list[str], dict[str, str]]:
    """The lanes as typed (one a line) and, when only names changed, old name -> new name."""
    lanes = [line.strip() for line in _text(form, "lanes").split("\n") if line.strip()]
    renamed = {}
    if len(lanes) == len(old):
        renamed = {str(a): b for a, b in zip(old, lanes, strict=True) if a != b}
    return lanes, renamed


def _branches(form: Mapping[str, str], i: int, numbers: set[int]) -> tuple[list[dict], str]:
    branches, problem = [], ""
    for j in range(BRANCH_SLOTS + 2):
        label = _text(form, f"row-{i}-branch-{j}-label")
        target = _text(form, f"row-{i}-branch-{j}-target")
        if not label and not target:
            continue
        if not label or not target:
            problem = _("Setiap cabang perlu label dan tujuan.")
            continue
        if target == END:
            branches.append({"label": label, "target": END})
        elif target.isdigit() and int(target) in numbers:
            branches.append({"label": label, "target": int(target)})
        else:
            problem = _("Tujuan cabang “%(t)s” bukan langkah tabel ini.", t=target)
    return branches, problem


def shown_cell(item: Mapping[str, Any]) -> str:
    """The review cell an uncertainty belongs to (the row number when it names no cell)."""
    cell = item.get("field")
    if cell == "duration":
        return "waktu"
    return cell if cell in CELLS else "no"


def _still_unsure(
    form: Mapping[str, str], i: int, base_row: Mapping[str, Any], row: Mapping[str, Any]
) -> list[Any]:
    """What the importer was unsure of, less the cells the owner changed or ticked as right."""
    kept = []
    for item in base_row.get("uncertain") or []:
        if not isinstance(item, dict):
            kept.append(item)  # table_errors refuses it
            continue
        cell = shown_cell(item)
        if form.get(f"row-{i}-ok-{cell}"):
            continue
        if cell != "no" and (row.get(cell) or None) != (base_row.get(cell) or None):
            continue
        kept.append(item)
    return kept


def table_from_form(
    form: Mapping[str, str], header_props: Iterable[str], read_waktu: Callable[[str], str | None]
) -> Review:
    """Rebuild the corrected table from the posted review form.

    ``header_props`` are the SOP document's fields the form offers; ``read_waktu(text)`` reads
    a Waktu the owner typed into an ISO duration (None when it cannot). Raises ``Damaged`` when
    the hidden table cannot be read at all.
    """
    base = _base(str(form.get("table", "")))
    lanes, renamed = _lanes(form, base.get("lanes") or [])
    table: dict[str, Any] = {"name": _text(form, "name"), "lanes": lanes}
    process_id = _text(form, "process_id")
    if process_id:
        table["process_id"] = process_id
    table["header"] = {
        prop: _text(form, f"header-{prop}")
        for prop in header_props
        if _text(form, f"header-{prop}")
    }
    review = Review(table)
    numbers = {r["no"] for r in base["rows"]}
    rows = []
    for i, base_row in enumerate(base["rows"]):
        row: dict[str, Any] = {"no": base_row["no"]}
        for cell in TEXT_CELLS:
            value = _text(form, f"row-{i}-{cell}")
            if value:
                row[cell] = value
            if len(value) > MAX_CELL:
                review.cell_errors[(i, cell)] = _(
                    "Terlalu panjang (%(n)s karakter, paling banyak %(m)s).",
                    n=len(value),
                    m=MAX_CELL,
                )
        if "uraian" not in row:
            review.cell_errors[(i, "uraian")] = _("Uraian langkah wajib diisi.")
        kind = _text(form, f"row-{i}-kind")
        row["kind"] = kind if kind in KINDS else "task"
        lane = _text(form, f"row-{i}-lane") or None
        row["lane"] = renamed.get(lane, lane) if lane else None
        if row["lane"] is not None and row["lane"] not in lanes:
            review.cell_errors[(i, "lane")] = _("Pilih salah satu pelaksana.")
        waktu = _text(form, f"row-{i}-waktu")
        if waktu:
            row["waktu"] = waktu
        if waktu == (base_row.get("waktu") or ""):
            row["duration"] = base_row.get("duration")
        else:
            row["duration"] = read_waktu(waktu) if waktu else None
            if waktu and row["duration"] is None:
                review.cell_errors[(i, "waktu")] = _(
                    "Waktu “%(w)s” tidak terbaca. Tulis misalnya “10 menit”, “2 jam”, "
                    "“1 hari” atau “1 x 24 jam”.",
                    w=waktu,
                )
        branches, problem = _branches(form, i, numbers)
        if row["kind"] == "decision":
            row["branches"] = branches
            if len(branches) < 2 and not problem:
                problem = _("Keputusan perlu paling sedikit dua cabang (mis. Ya dan Tidak).")
        elif branches:
            problem = _("Hanya langkah keputusan yang memiliki cabang: kosongkan cabangnya.")
            row["branches"] = branches
        if problem:
            review.cell_errors[(i, "branches")] = problem
        unsure = _still_unsure(form, i, base_row, row)
        if unsure:
            row["uncertain"] = unsure
        rows.append(row)
    table["rows"] = rows
    if isinstance(base.get("findings"), list):
        table["findings"] = base["findings"]
    if not table["name"]:
        review.errors.append(_("Nama SOP wajib diisi."))
    if not lanes:
        review.errors.append(_("Tulis paling sedikit satu pelaksana."))
    if process_id and not PROCESS_ID.fullmatch(process_id):
        review.errors.append(
            _(
                "Id proses hanya huruf kecil, angka dan garis bawah, diawali huruf "
                "(mis. izin_reklame)."
            )
        )
    return review
