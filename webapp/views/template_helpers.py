"""Filters and globals the templates use: times in Jakarta, due-time colours, labels."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Attachment, HumanTask, ProcessInstance
from ..models.types import utcnow
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
SOON = timedelta(minutes=15)


def due_class(task: HumanTask) -> str:
    """'overdue' past the due time, 'soon' when less than a quarter of the standard is left."""
    if task.due_at is None or task.completed_at is not None:
        return ""
    now = utcnow()
    if now >= task.due_at:
        return "overdue"
    window = max((task.due_at - task.ready_at) / 4, timedelta(minutes=2)) if task.ready_at else SOON
    return "soon" if task.due_at - now <= window else "ok"


def duration(start: datetime | None, end: datetime | None) -> str:
    """Say how long a step took, in hours and minutes."""
    if not start or not end:
        return "—"
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} j {minutes} m" if hours else f"{minutes} m"


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
    return f"{hours} j {minutes} m" if hours else f"{minutes} m"


def unread_notifications() -> int:
    """Unread notifications of the signed-in user (one indexed count per page)."""
    if not current_user.is_authenticated:
        return 0
    return unread_count(current_user._get_current_object())


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetimeformat"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else "—"
    )
    app.jinja_env.globals.update(
        due_class=due_class,
        duration=duration,
        status_label=lambda s: str(STATUS_LABELS.get(s, s)),
        call_status_label=lambda s: str(CALL_STATUS_LABELS.get(s, s)),
        can_work=can_work,
        case_files=case_files,
        seconds_label=seconds_label,
        unread_notifications=unread_notifications,
    )
