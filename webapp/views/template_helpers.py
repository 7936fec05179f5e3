"""Filters and globals the templates use: times in Jakarta, due-time colours, labels."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
    gettext,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Attachment, HumanTask, ProcessInstance
from ..models.types import utcnow
from ..services import lateness
from ..services.access import can_work
from ..services.notifications import unread_count

STATUS_LABELS = {
    "running": _l("berjalan"),
    "waiting": _l("menunggu"),
    "suspended": _l("ditangguhkan"),
    "error": _l("galat"),
    "completed": _l("selesai"),
    "terminated": _l("dihentikan"),
}
CALL_STATUS_LABELS = {
    "queued": _l("menunggu worker"),
    "running": _l("sedang berjalan"),
    "succeeded": _l("berhasil"),
    "failed": _l("gagal"),
    "interrupted": _l("terputus"),
    "skipped": _l("dilewati"),
}
# The system roles by what they are called, not by their codes; lane roles are named already.
ROLE_LABELS = {"admin": _l("Administrator"), "process_owner": _l("Pemilik proses")}
# Notes the system writes on versions, said in the reader's language.
SYSTEM_NOTES = {"imported from processes/": _l("diimpor dari folder processes/")}
SOON = timedelta(minutes=15)


def due_class(task: HumanTask) -> str:
    """'overdue' past the due time, 'soon' when less than a quarter of the standard is left."""
    if task.due_at is None or task.completed_at is not None:
        return ""
    now = utcnow()
    if lateness.is_late(task.due_at, None, now):
        return "overdue"
    window = max((task.due_at - task.ready_at) / 4, timedelta(minutes=2)) if task.ready_at else SOON
    return "soon" if task.due_at - now <= window else "ok"


def duration(start: datetime | None, end: datetime | None) -> str:
    """Say how long a step took, in hours and minutes."""
    if not start or not end:
        return "—"
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("%(h)s j %(m)s m", h=hours, m=minutes)
    return gettext("%(m)s m", m=minutes)


def case_files(instance: ProcessInstance | None) -> dict[str, Attachment]:
    if instance is None:
        return {}
    rows = db.session.scalars(select(Attachment).where(Attachment.instance_id == instance.id))
    return {a.id: a for a in rows}


def seconds_label(seconds: float | None) -> str:
    """Say a working-time duration in hours and minutes."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("%(h)s j %(m)s m", h=hours, m=minutes)
    return gettext("%(m)s m", m=minutes)


def unread_notifications() -> int:
    """Unread notifications of the signed-in user (one indexed count per page)."""
    if not current_user.is_authenticated:
        return 0
    return unread_count(current_user._get_current_object())


def datetime_label(value: datetime | None, fmt: str = "medium") -> str:
    """A moment in the reader's locale and time zone, always with a four-digit year.

    ``short`` is the locale's medium date with a short time ('30 Nov 2026 04.10',
    '30 Nov 2026 04:10' in English, written day first): the locale's own short date writes the year
    in two digits.
    """
    if not value:
        return "—"
    if fmt == "short":
        return f"{format_date(value, 'medium')} {format_time(value, 'short')}"
    return format_datetime(value, fmt)


def percent_label(value: float | None) -> str:
    """A percentage with one decimal in the reader's locale: '100,0 %' in Indonesian, '100.0%'."""
    if value is None:
        return "—"
    locale = get_locale()
    sign = "\u00a0%" if locale is None or locale.language == "id" else "%"
    return format_decimal(value, "#,##0.0") + sign


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetimeformat"] = datetime_label
    app.jinja_env.filters["percentformat"] = percent_label
    app.jinja_env.filters["rolelabel"] = lambda name: str(ROLE_LABELS.get(name, name))
    app.jinja_env.filters["versionnote"] = lambda note: str(SYSTEM_NOTES.get(note, note))
    app.jinja_env.globals.update(
        due_class=due_class,
        duration=duration,
        kept_standard=lateness.kept_standard,
        status_label=lambda s: str(STATUS_LABELS.get(s, s)),
        call_status_label=lambda s: str(CALL_STATUS_LABELS.get(s, s)),
        can_work=can_work,
        case_files=case_files,
        seconds_label=seconds_label,
        unread_notifications=unread_notifications,
    )
