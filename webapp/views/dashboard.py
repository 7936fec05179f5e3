"""Administrators: the office's dashboard of running work and time standards."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from ..models.types import utcnow
from ..services import dashboard as figures
from ..services import dashboard_export as export_csv
from ..services.processes import published_versions
from .common import role_required
from .errors import refuse

bp = Blueprint("dashboard", __name__, url_prefix="/admin/dashboard")


def _day(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        refuse(400, _("Tanggal harus berformat YYYY-MM-DD."))


def _filters() -> tuple[list[tuple[str, str]], str | None, figures.Period | None]:
    """The published SOPs, the chosen one (default: the first) and the period from the URL."""
    versions = published_versions()
    processes = sorted(
        ((v.definition.process_id, v.definition.name) for v in versions),
        key=lambda p: p[1].casefold(),
    )
    if not processes:
        return [], None, None
    process_id = request.args.get("process") or processes[0][0]
    if process_id not in {pid for pid, _name in processes}:
        abort(404)
    zone = figures.office_zone()
    default = figures.Period.default(utcnow(), zone)
    first = _day("from") or default.first_day
    last = _day("to") or default.last_day
    if last < first:
        refuse(400, _("Tanggal akhir harus setelah tanggal awal."))
    if last - first > timedelta(days=figures.MAX_DAYS):
        refuse(400, _("Periode paling lama dua tahun."))
    return processes, process_id, figures.Period(first, last, zone)


def _chart_labels() -> dict[str, str]:
    """Words the charts draw, in the reader's language."""
    return {
        "open": _("Terbuka, belum terlambat"),
        "overdue": _("Terlambat"),
        "error": _("Galat"),
        "tasks": _("Jumlah"),
        "started": _("Kasus dimulai"),
        "finished": _("Kasus selesai"),
        "cases": _("Kasus"),
        "week": _("Minggu"),
        "percent": _("Memenuhi mutu baku (%)"),
        "median": _("Median (menit)"),
        "standard": _("Mutu baku (menit)"),
        "minutes": _("Menit"),
        "no_data": _("Belum ada data pada periode ini."),
    }


@bp.route("/")
@role_required("admin")
def index():
    """Numbers first, then charts (each with its table), for one SOP and period."""
    processes, process_id, period = _filters()
    if process_id is None:
        return render_template("dashboard/index.html", processes=[], data=None)
    data = figures.dashboard(process_id, period)
    payload = dict(figures.jsonable(data), labels=_chart_labels())
    return render_template(
        "dashboard/index.html",
        processes=processes,
        process_id=process_id,
        period=period,
        data=data,
        payload=payload,
        filters={
            "process": process_id,
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
        },
    )


@bp.route("/data.json")
@role_required("admin")
def data():
    """The same figures as the page, as JSON (same filters)."""
    processes, process_id, period = _filters()
    if process_id is None:
        return jsonify(processes=[], process=None)
    body = figures.jsonable(figures.dashboard(process_id, period))
    body["processes"] = [{"id": pid, "name": name} for pid, name in processes]
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/export.csv")
@role_required("admin")
def export():
    """One table of the dashboard as CSV for a spreadsheet: kind=steps, weekly or overdue."""
    kind = request.args.get("kind", "steps")
    if kind not in export_csv.EXPORT_KINDS:
        refuse(400, _("Jenis ekspor tidak dikenal."))
    _processes, process_id, period = _filters()
    if process_id is None:
        abort(404)
    now = utcnow()
    header, rows = export_csv.export_rows(kind, process_id, period, now)
    today = now.astimezone(period.zone).date()
    filename = export_csv.export_filename(kind, process_id, today)
    return Response(
        export_csv.to_csv(header, rows).encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
