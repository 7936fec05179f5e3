"""Cases: the ones I am involved in, one case's page, and its attachments."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, send_file
from flask_login import login_required
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import (
    Attachment,
    AuditEvent,
    HumanTask,
    InstanceStatus,
    ProcessInstance,
    TaskStatus,
)
from ..models.types import utcnow
from ..services import attachments
from ..services import instances as svc
from ..services.errors import ServiceError
from ..services.processes import parsed
from .common import me

bp = Blueprint("instances", __name__, url_prefix="/cases")

PAGE_SIZE = 50


@bp.route("/")
@login_required
def mine():
    """List the cases I started or worked on, newest first."""
    user = me()
    page = max(request.args.get("page", 1, type=int), 1)
    involved = select(HumanTask.instance_id).where(
        or_(HumanTask.completed_by_id == user.id, HumanTask.assigned_user_id == user.id)
    )
    query = select(ProcessInstance).where(
        or_(ProcessInstance.started_by_id == user.id, ProcessInstance.id.in_(involved))
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "instances/list.html", instances=rows, page=page, total=total, page_size=PAGE_SIZE
    )


@bp.route("/<int:instance_id>")
@login_required
def detail(instance_id: int):
    """Show a case: where it is, who has it, and every step's data and files."""
    user = me()
    instance = svc.instance_for(user, instance_id)
    process = parsed(instance.version)
    steps = []
    for t in instance.tasks:
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
    return render_template(
        "instances/detail.html",
        instance=instance,
        process=process,
        steps=steps,
        events=events,
        files=files,
        open_tasks=[t for t in instance.tasks if t.status == TaskStatus.OPEN],
    )


@bp.route("/<int:instance_id>/diagram.json")
@login_required
def diagram(instance_id: int):
    """The case's diagram and which of its elements are done, active or overdue."""
    instance = svc.instance_for(me(), instance_id)
    now = utcnow()
    tasks = svc.tasks_of(instance.id)
    done = sorted({t.bpmn_id for t in tasks if t.status == TaskStatus.COMPLETED})
    open_tasks = [t for t in tasks if t.status == TaskStatus.OPEN]
    active = sorted({t.bpmn_id for t in open_tasks})
    overdue = sorted({t.bpmn_id for t in open_tasks if t.due_at and t.due_at <= now})
    if instance.status == InstanceStatus.RUNNING and not open_tasks:
        process = parsed(instance.version)
        active += [s.bpmn_id for s in process.steps.values() if s.name == instance.current_step]
    return jsonify(xml=instance.version.bpmn_xml, done=done, active=active, overdue=overdue)


@bp.route("/<int:instance_id>/files/<attachment_id>")
@login_required
def attachment(instance_id: int, attachment_id: str):
    """Download a file attached to a case (only to those who may see the case)."""
    instance = svc.instance_for(me(), instance_id)
    row = db.session.get(Attachment, attachment_id)
    if row is None or row.instance_id != instance.id:
        abort(404)
    try:
        path = attachments.path_of(row)
    except attachments.UploadError:
        abort(404)
    if not path.is_file():
        abort(404)
    inline = row.content_type.startswith("image/") or row.content_type == "application/pdf"
    response = send_file(
        path, mimetype=row.content_type, as_attachment=not inline, download_name=row.filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
