"""The dashboard's tables as CSV for a spreadsheet: steps, weekly figures, overdue, outcomes."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo
from typing import Any

from flask_babel import gettext as _

from ..models.types import utcnow
from .dashboard import OVERDUE_EXPORTED, Period, dashboard, overdue_now

EXPORT_KINDS = ("steps", "weekly", "overdue", "outcomes")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# A column of an export: its header, and how a cell is read from one record.
Column = tuple[str, Callable[[Any], Any]]


def _cell(value: Any) -> Any:
    """A cell as text a spreadsheet will not run: typed text starting like a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _minutes(seconds: float | None) -> float | str:
    return "" if seconds is None else round(seconds / 60, 1)


def _local(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _table(columns: list[Column], records: Iterable[Any]) -> tuple[list[str], list[list]]:
    return [label for label, _get in columns], [[get(r) for _l, get in columns] for r in records]


def _overdue_columns(zone: tzinfo) -> list[Column]:
    return [
        (_("Kasus"), lambda t: t["instance_id"]),
        (_("Judul"), lambda t: t["title"]),
        (_("ID langkah"), lambda t: t["bpmn_id"]),
        (_("Langkah"), lambda t: t["step"]),
        (_("Pelaksana"), lambda t: t["lane"]),
        (_("Dipegang"), lambda t: t["assignee"] or ""),
        (_("Batas waktu"), lambda t: _local(t["due_at"], zone)),
        (_("Terlambat (menit)"), lambda t: _minutes(t["overdue_seconds"])),
    ]


def _step_columns(running: dict[str, dict]) -> list[Column]:
    def now_count(key: str) -> Callable[[dict], int]:
        return lambda d: running.get(d["bpmn_id"], {}).get(key, 0)

    return [
        (_("ID langkah"), lambda d: d["bpmn_id"]),
        (_("Langkah"), lambda d: d["name"]),
        (_("Pelaksana"), lambda d: d["lane"]),
        (_("Mutu baku"), lambda d: d["standard"]),
        (_("Mutu baku (menit)"), lambda d: _minutes(d["standard_seconds"])),
        (_("Selesai"), lambda d: d["completed"]),
        (_("Memenuhi"), lambda d: d["met"]),
        (_("Memenuhi (%)"), lambda d: d["met_percent"]),
        (_("Median (menit)"), lambda d: _minutes(d["median_seconds"])),
        (_("Persentil 90 (menit)"), lambda d: _minutes(d["p90_seconds"])),
        (_("Terbuka kini"), now_count("open")),
        (_("Terlambat kini"), now_count("overdue")),
    ]


def _weekly_columns(compliance: list[dict]) -> list[Column]:
    # Each week record carries its steps' percents in the order of ``compliance``.
    def step_percent(i: int) -> Callable[[dict], Any]:
        return lambda w: w["step_percent"][i]

    return [
        (_("Minggu"), lambda w: w["week"]),
        (_("Mulai minggu"), lambda w: w["start"].isoformat()),
        (_("Kasus dimulai"), lambda w: w["started"]),
        (_("Kasus selesai"), lambda w: w["finished"]),
        (_("Tugas selesai"), lambda w: w["tasks_completed"]),
        (_("Tugas memenuhi mutu baku"), lambda w: w["tasks_met"]),
        (_("Kepatuhan (%)"), lambda w: w["compliance"]),
    ] + [
        (_("Kepatuhan %(step)s (%%)", step=s["name"]), step_percent(i))
        for i, s in enumerate(compliance)
    ]


def _outcome_columns() -> list[Column]:
    return [
        (_("Hasil"), lambda o: o["name"]),
        (_("ID peristiwa akhir"), lambda o: o["id"]),
        (_("Kasus selesai"), lambda o: o["count"]),
        (_("Bagian (%)"), lambda o: o["percent"]),
    ]


def export_rows(
    kind: str, process_id: str, period: Period, now: datetime | None = None
) -> tuple[list[str], list[list]]:
    """The header and rows of one CSV export (None where a figure has none: an empty cell)."""
    now = now or utcnow()
    if kind == "overdue":
        tasks = overdue_now(process_id, now, OVERDUE_EXPORTED)
        return _table(_overdue_columns(period.zone), tasks)
    if kind not in EXPORT_KINDS:
        raise ValueError(kind)
    data = dashboard(process_id, period, now)
    if kind == "outcomes":
        return _table(_outcome_columns(), data["outcomes"])
    if kind == "steps":
        running = {r["bpmn_id"]: r for r in data["running_by_step"]}
        return _table(_step_columns(running), data["durations"])
    compliance = data["compliance"]
    weeks = [
        dict(w, step_percent=[s["percent"][i] for s in compliance])
        for i, w in enumerate(data["weekly"])
    ]
    return _table(_weekly_columns(compliance), weeks)


def to_csv(header: list, rows: list[list]) -> str:
    """UTF-8 text with a byte-order mark (Excel), comma-separated, quoted where needed."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(v) for v in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def export_filename(kind: str, process_id: str, today: date) -> str:
    """The download's file name: kind, process and day, safe for every file system."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", process_id).strip("-") or "sop"
    return f"dasbor-{kind}-{safe}-{today.isoformat()}.csv"
