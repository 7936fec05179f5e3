"""The SLA page: how each SOP step meets its time standard."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import load_only

from ..extensions import db
from ..models import ProcessInstance
from ..models.types import utcnow
from ..services import access, sla
from ..services.dashboard import office_zone
from ..services.processes import parsed, published_versions
from ..services.sla_service_steps import late_calls, timed_service_steps
from .common import me
from .errors import refuse

bp = Blueprint("sla", __name__)


def _date(value: str | None, default: datetime) -> datetime:
    """A day typed in the form, as the moment it starts in the office's time zone."""
    if not value:
        return default
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=office_zone())
    except ValueError:
        refuse(400, _("Tanggal harus berformat YYYY-MM-DD."))


@bp.route("/sla")
@login_required
def report():
    """Show, per SOP step, how many cases met the time standard and what is overdue now."""
    if not me().roles:
        abort(403)
    versions = published_versions()
    if not versions:
        return render_template(
            "sla/report.html", processes=[], figures=[], overdue=[], late_calls=[]
        )
    process_id = request.args.get("process") or versions[0].definition.process_id
    if process_id not in {v.definition.process_id for v in versions}:
        abort(404)
    now = utcnow()
    today = now.astimezone(office_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
    since = _date(request.args.get("from"), today.replace(day=1))
    until = _date(request.args.get("to"), today) + timedelta(days=1)
    if until <= since:
        refuse(400, _("Tanggal akhir harus setelah tanggal awal."))
    figures = sla.step_figures(process_id, since, until)
    overdue = sla.overdue_tasks(process_id)
    # The automatic steps running late are late work too, as the figures and the dashboard say.
    version = next(v for v in versions if v.definition.process_id == process_id)
    late_automatic = late_calls(process_id, timed_service_steps(parsed(version)), now)
    user = me()
    if not user.has_role("admin"):
        # Everyone sees the figures; case titles only for cases they may open.
        # Only what the check reads (id, starter): not whole cases with their workflow state.
        visible = {
            i.id
            for i in db.session.scalars(
                select(ProcessInstance)
                .options(load_only(ProcessInstance.id, ProcessInstance.started_by_id))
                .where(
                    ProcessInstance.id.in_(
                        {t.instance_id for t in overdue}
                        | {c["instance_id"] for c in late_automatic}
                    )
                )
            )
            if access.can_view_instance(user, i)
        }
        overdue = [t for t in overdue if t.instance_id in visible]
        late_automatic = [c for c in late_automatic if c["instance_id"] in visible]
    instances = (
        {
            i.id: i
            for i in db.session.scalars(
                select(ProcessInstance).where(
                    ProcessInstance.id.in_({t.instance_id for t in overdue})
                )
            )
        }
        if overdue
        else {}
    )
    return render_template(
        "sla/report.html",
        processes=[(v.definition.process_id, v.definition.name) for v in versions],
        process_id=process_id,
        since=since,
        until=until - timedelta(days=1),
        figures=figures,
        overdue=overdue,
        late_calls=late_automatic,
        instances=instances,
        now=now,
    )
