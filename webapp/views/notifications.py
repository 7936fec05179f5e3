"""The signed-in user's notifications: the list, opening one, marking all read."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import login_required

from ..extensions import db
from ..models import HumanTask
from ..services import access
from ..services import notifications as notifications_svc
from .common import me

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index():
    """List my notifications, newest first."""
    return render_template("notifications/index.html", notifications=notifications_svc.inbox(me()))


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    """Mark a notification read and go to its task (when I may work on it) or its case."""
    row = notifications_svc.open_for(me(), notification_id)
    if row is None:
        abort(404)
    if row.human_task_id:
        task = db.session.get(HumanTask, row.human_task_id)
        if task is not None and task.status == "open" and access.can_work(me(), task):
            return redirect(url_for("tasks.task", task_id=task.id))
    if row.instance_id:
        return redirect(url_for("instances.detail", instance_id=row.instance_id))
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark all my notifications read."""
    notifications_svc.mark_all_read(me())
    return redirect(url_for("notifications.index"))
