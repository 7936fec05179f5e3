"""Cases: the ones I am involved in, one case's page, and its attachments."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import (
    Attachment,
    AuditEvent,
    HumanTask,
    Incident,
    ProcessInstance,
    ServiceCall,
    TaskStatus,
)
from ..models.types import utcnow
from ..services import admin, lateness, reports, service_calls
from ..services import instances as svc
from ..services import sla as sla_service
from ..services.case_diagram import diagram_marks
from ..services.errors import ServiceError
from ..services.processes import parsed
from ..services.sla_service_steps import RUNNING
from ..services.version_cache import compiled
from .audit_labels import audit_label
from .common import form_reason, me, paginate
from .files import send_stored
from .template_helpers import CALL_STATUS_LABELS, STATUS_LABELS

bp = Blueprint("instances", __name__, url_prefix="/cases")


@bp.route("/")
@login_required
def mine():
    """List the cases I started or worked on, newest first."""
    user = me()
    involved = select(HumanTask.instance_id).where(
        or_(HumanTask.completed_by_id == user.id, HumanTask.assigned_user_id == user.id)
    )
    query = (
        select(ProcessInstance)
        .where(or_(ProcessInstance.started_by_id == user.id, ProcessInstance.id.in_(involved)))
        .options(defer(ProcessInstance.state))
    )
    found = paginate(query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc()))
    return render_template(
        "instances/list.html",
        instances=found.rows,
        page=found.page,
        total=found.total,
        page_size=found.page_size,
    )


def _call_late(call: ServiceCall, now: datetime) -> bool:
    """Whether a call ran or runs late; one ended unfinished (a queued call skipped when its
    case was terminated) is not running late for ever."""
    if call.finished_at is None and call.status not in RUNNING:
        return False
    return lateness.is_late(call.due_at, call.finished_at, now)


@bp.route("/<int:instance_id>")
@login_required
def detail(instance_id: int):
    """Show a case: where it is, who has it, and every step's data and files."""
    user = me()
    instance = svc.instance_for(user, instance_id)
    version = compiled(instance.version_id)
    process = version.process
    tasks = svc.tasks_of(instance.id)
    steps = []
    for t in tasks:
        try:
            form = svc.task_form(t)
        except ServiceError:
            form = None
        steps.append((t, form))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.at)
    ).all()
    files = {
        a.id: a
        for a in db.session.scalars(select(Attachment).where(Attachment.instance_id == instance.id))
    }
    incidents = db.session.scalars(
        select(Incident).where(Incident.instance_id == instance.id).order_by(Incident.id)
    ).all()
    calls = service_calls.calls_of(instance.id)
    now = utcnow()
    return render_template(
        "instances/detail.html",
        calls=calls,
        # Each call's verdict on first draw, queued or finished too: live.js polls only while
        # the case runs. Late or not is ``lateness``'s one rule, as in calls.json.
        late_call_ids={c.id for c in calls if _call_late(c, now)},
        lane_members={t.id: admin.lane_members(t) for t in tasks if t.status == "open"}
        if user.has_role("admin")
        else {},
        incidents=incidents,
        report=reports.report_urls(instance.id),
        instance=instance,
        process=process,
        steps=steps,
        events=events,
        files=files,
        open_tasks=[t for t in tasks if t.status == TaskStatus.OPEN],
        version_number=version.number,
    )


@bp.route("/<int:instance_id>/diagram.json")
@login_required
def diagram(instance_id: int):
    """The case's diagram and which of its elements are done, active or overdue."""
    instance = svc.instance_for(me(), instance_id)
    tasks = svc.tasks_of(instance.id)
    marks = diagram_marks(instance, tasks, service_calls.calls_of(instance.id))
    history: dict[str, list] = {}
    for t in tasks:
        person = t.completed_by or t.assigned_user
        history.setdefault(t.bpmn_id, []).append(
            {
                "status": str(t.status),
                "lane": t.lane,
                "by": person.display_name if person else None,
                "ready_at": t.ready_at.isoformat() if t.ready_at else None,
                "completed_at": t.completed_at.isoformat() if t.completed_at else None,
                "due_at": t.due_at.isoformat() if t.due_at else None,
                "breached_at": t.breached_at.isoformat() if t.breached_at else None,
                "data": t.form_data or {},
            }
        )
    return jsonify(
        xml=instance.version.bpmn_xml,
        history=history,
        **marks,
    )


@bp.route("/<int:instance_id>/calls.json")
@login_required
def calls(instance_id: int):
    """Service calls of a case with their output so far (polled by the page while running)."""
    instance = svc.instance_for(me(), instance_id)
    now = utcnow()
    process = parsed(instance.version)
    items = []
    for call in service_calls.calls_of(instance.id):
        step = process.steps.get(call.bpmn_id)
        standard = step.time_standard if step else None
        end = call.finished_at or now
        items.append(
            {
                "id": call.id,
                "name": call.name,
                "operator": call.operator,
                "attempt": call.attempt,
                "status": call.status,
                "status_label": str(CALL_STATUS_LABELS.get(call.status, call.status)),
                "started_at": call.started_at.isoformat() if call.started_at else None,
                "finished_at": call.finished_at.isoformat() if call.finished_at else None,
                "elapsed_seconds": (end - call.started_at).total_seconds()
                if call.started_at
                else 0,
                "standard_seconds": sla_service.standard_seconds(standard),
                # Late or not is the server's one rule (``lateness``), not the bar's arithmetic.
                "due_at": call.due_at.isoformat() if call.due_at else None,
                "late": _call_late(call, now),
                "exit_code": call.exit_code,
                "error": call.error,
                "log": call.log or "",
            }
        )
    return jsonify(
        instance_status=instance.status,
        instance_status_label=str(STATUS_LABELS.get(instance.status, instance.status)),
        current_step=instance.current_step,
        report=reports.report_urls(instance.id),
        calls=items,
    )


@bp.route("/<int:instance_id>/service/retry", methods=["POST"])
@login_required
def retry_service(instance_id: int):
    """Run a failed service step again as a new attempt (administrators)."""
    service_calls.check_may_repair(me())  # a 403 before any remark on the reason
    reason, too_long = form_reason()
    if too_long:
        flash(too_long, "error")
        return redirect(url_for("instances.detail", instance_id=instance_id))
    service_calls.retry(me(), instance_id, reason)
    flash(_("Langkah diulang; worker akan menjalankannya."), "success")
    return redirect(url_for("instances.detail", instance_id=instance_id))


@bp.route("/<int:instance_id>/service/skip", methods=["POST"])
@login_required
def skip_service(instance_id: int):
    """Finish a failed service step without running it, with a reason (administrators)."""
    service_calls.check_may_repair(me())  # a 403 before any remark on the reason
    reason, too_long = form_reason()
    if too_long:
        flash(too_long, "error")
        return redirect(url_for("instances.detail", instance_id=instance_id))
    service_calls.skip(me(), instance_id, reason)
    flash(_("Langkah dilewati dengan alasan: %(r)s", r=reason), "success")
    return redirect(url_for("instances.detail", instance_id=instance_id))


@bp.route("/<int:instance_id>/report.<fmt>")
@login_required
def report(instance_id: int, fmt: str):
    """The repair report as a printable page or PDF."""
    instance = svc.instance_for(me(), instance_id)
    field = {"html": "laporan_html", "pdf": "laporan_pdf"}.get(fmt)
    row = reports.report_files(instance.id).get(field or "")
    if row is None:
        abort(404)
    response = send_stored(row)
    if response is None:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The report is our own escaped HTML; the only script it may run is our print button's.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src data:"
    )
    return response


@bp.route("/<int:instance_id>/files/<attachment_id>")
@login_required
def attachment(instance_id: int, attachment_id: str):
    """Download a file attached to a case (only to those who may see the case)."""
    instance = svc.instance_for(me(), instance_id)
    row = db.session.get(Attachment, attachment_id)
    if row is None or row.instance_id != instance.id:
        abort(404)
    inline = row.content_type.startswith("image/") or row.content_type == "application/pdf"
    response = send_stored(row, as_attachment=not inline)
    if response is None:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


bp.add_app_template_filter(audit_label, "auditlabel")
