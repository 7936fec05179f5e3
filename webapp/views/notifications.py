"""The signed-in user's notifications: the list, opening one, marking all read, and where
they reach the person besides the app (WhatsApp, Telegram, e-mail)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..extensions import db
from ..models import HumanTask
from ..services import access, contacts
from ..services import notifications as notifications_svc
from ..services.errors import Invalid
from .common import form_text, me

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


def channel_form() -> tuple[dict, list[str]]:
    """The channel fields of the posted form (the person's page and the administrator's)."""
    values = {
        "phone": form_text("phone"),
        "telegram_chat_id": form_text("telegram_chat_id"),
    }
    return values, request.form.getlist("channels")[:10]


def channel_page_context(person, values: dict, chosen: list[str], errors: dict) -> dict:
    """What the channel fields show: the values, the choices, what this office can send on."""
    return {
        "person": person,
        "values": values,
        "chosen": chosen,
        "errors": errors,
        "available": contacts.channels_available(),
        "bot_name": current_app.config["CHAT"]["telegram"].get("bot_name", ""),
        "deliveries": contacts.recent_deliveries(person),
    }


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def channels():
    """Choose where notifications reach me besides the app: WhatsApp, Telegram, e-mail."""
    person = me()
    if request.method == "POST":
        values, chosen = channel_form()
        try:
            changes = contacts.save_channels(
                person, person, values["phone"], values["telegram_chat_id"], chosen
            )
        except Invalid as exc:
            db.session.rollback()
            flash(exc.message, "error")
            context = channel_page_context(person, values, chosen, exc.errors)
            return _channels_page(context), 422
        if changes:
            flash(_("Saluran notifikasi Anda disimpan."), "success")
        else:
            flash(_("Tidak ada yang berubah."), "info")
        return redirect(url_for("notifications.channels"))
    values = {"phone": person.phone, "telegram_chat_id": person.telegram_chat_id}
    chosen = contacts.parse_channels(person.notify_channels)
    return _channels_page(channel_page_context(person, values, chosen, {}))


def _channels_page(context: dict) -> str:
    return render_template("notifications/channels.html", **context)
