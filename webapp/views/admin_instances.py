"""Administrators: every instance, filtered; and the actions that fix what is stuck."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import HumanTask, InstanceStatus, ProcessDefinition, User
from ..services import admin, instance_list, workers
from ..services.errors import Conflict, Invalid
from ..services.processes import parsed, published_versions
from .common import form_reason, me, role_required

bp = Blueprint("admin_instances", __name__, url_prefix="/admin/cases")


def _seen(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/")
@role_required("admin")
def index():
    """List every instance with filters, sort and pages kept in the URL."""
    filters = instance_list.Filters.from_args(request.args)
    result = instance_list.page(filters)
    return render_template(
        "admin/instances.html",
        filters=filters,
        result=result,
        page_size=instance_list.PAGE_SIZE,
        count_cap=instance_list.COUNT_CAP,
        processes=db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.name)),
        lanes=_lanes(),
        outcomes=instance_list.outcome_choices(filters.process),
        users=db.session.scalars(select(User).order_by(User.username)).all(),
        statuses=[s.value for s in InstanceStatus],
        workers=workers.overview(current_app.config["WORKER_INTERVAL"]),
    )


def _lanes() -> list[str]:
    """Lanes of the published diagrams (not a scan of every task ever done)."""
    lanes: list[str] = []
    for version in published_versions():
        for lane in parsed(version).lanes:
            if lane not in lanes:
                lanes.append(lane)
    return lanes


def _back(instance_id: int):
    # Only a local path: a form field must never send the admin to another site.
    back = request.form.get("back", "")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("instances.detail", instance_id=instance_id)
    return redirect(back)


def _act(act: Callable[[User, int, int | None], object], instance_id: int, done: str):
    """Run an admin action on the case (as of the version the page showed), then go back."""
    act(me(), instance_id, _seen("version"))
    flash(done, "success")
    return _back(instance_id)


@bp.route("/<int:instance_id>/suspend", methods=["POST"])
@role_required("admin")
def suspend(instance_id: int):
    """Hold a case."""
    return _act(admin.suspend, instance_id, _("Kasus #%(id)s ditangguhkan.", id=instance_id))


@bp.route("/<int:instance_id>/resume", methods=["POST"])
@role_required("admin")
def resume(instance_id: int):
    """Let a held case go on."""
    return _act(admin.resume, instance_id, _("Kasus #%(id)s dilanjutkan.", id=instance_id))


@bp.route("/<int:instance_id>/terminate", methods=["POST"])
@role_required("admin")
def terminate(instance_id: int):
    """End a case with a reason."""
    reason, too_long = form_reason()
    if too_long:
        flash(too_long, "error")
        return _back(instance_id)
    try:
        admin.terminate(me(), instance_id, reason, _seen("version"))
    except Invalid as exc:
        flash(exc.message + " " + _("Alasan penghentian wajib diisi."), "error")
        return _back(instance_id)
    flash(_("Kasus #%(id)s dihentikan.", id=instance_id), "success")
    return _back(instance_id)


def _case_of(task_id: int) -> int:
    """The case of a task, to go back to (0 for an unknown task: the service then refuses)."""
    task = db.session.get(HumanTask, task_id)
    return task.instance_id if task else 0


@bp.route("/tasks/<int:task_id>/reassign", methods=["POST"])
@role_required("admin")
def reassign(task_id: int):
    """Give an open task to another member of its lane."""
    instance_id = _case_of(task_id)
    try:
        task = admin.reassign(me(), task_id, request.form.get("username", ""), _seen("assignee"))
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _back(instance_id)
    flash(
        _(
            "Tugas “%(task)s” diberikan kepada %(who)s.",
            task=task.name,
            who=task.assigned_user.display_name,
        ),
        "success",
    )
    return _back(instance_id)


@bp.route("/tasks/<int:task_id>/release", methods=["POST"])
@role_required("admin")
def release(task_id: int):
    """Take a task back for its lane."""
    instance_id = _case_of(task_id)
    try:
        admin.release(me(), task_id, _seen("assignee"))
    except Conflict as exc:
        flash(exc.message, "error")
        return _back(instance_id)
    flash(_("Tugas dilepas dan kembali ke pelaksananya."), "success")
    return _back(instance_id)
