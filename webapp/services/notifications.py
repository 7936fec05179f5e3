"""Notifications: resolve who must hear of a breach, store it in-app, send the e-mail outbox."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import HumanTask, Notification, ProcessInstance, Role, User
from ..models.types import utcnow

log = logging.getLogger(__name__)


def resolve(
    recipients: list[str], task: HumanTask | None, instance: ProcessInstance | None = None
) -> list[User]:
    """Turn ``assignee`` / ``starter`` / ``role:<name>`` / ``user:<name>`` into active users."""
    users: dict[int, User] = {}
    for recipient in recipients:
        found: list[User] = []
        if recipient == "starter" and instance is not None and instance.started_by is not None:
            found = [instance.started_by]
        elif recipient == "assignee" and task is not None:
            if task.assigned_user is not None:
                found = [task.assigned_user]
            elif task.candidates:
                found = list(task.candidates)
            else:
                found = _role_members(task.lane)
        elif recipient.startswith("role:"):
            found = _role_members(recipient[5:].strip())
        elif recipient.startswith("user:"):
            found = list(db.session.scalars(select(User).where(User.username == recipient[5:])))
        for user in found:
            if user.active:
                users[user.id] = user
    return list(users.values())


def _role_members(name: str) -> list[User]:
    return list(db.session.scalars(select(User).join(User.roles).where(Role.name == name)))


def notify(
    users: list[User],
    kind: str,
    title: str,
    body: str,
    instance: ProcessInstance | None = None,
    task: HumanTask | None = None,
) -> list[Notification]:
    """Add one notification per user (in the caller's transaction); queue e-mail if possible."""
    mail = bool(current_app.config["SMTP"]["host"])
    rows = []
    for user in users:
        row = Notification(
            user_id=user.id,
            kind=kind,
            title=title[:255],
            body=body,
            instance_id=instance.id if instance else None,
            human_task_id=task.id if task else None,
            email_pending=mail and bool(user.email),
        )
        db.session.add(row)
        rows.append(row)
    return rows


def deliver_case_notice(instance: ProcessInstance, result: Any) -> list[Notification]:
    """Deliver what a ``delivers`` connector (notify_case) returned: in-app and e-mail."""
    if not isinstance(result, dict):
        return []
    recipients = [str(r) for r in result.get("kepada") or [] if isinstance(r, str)]
    users = resolve(recipients, None, instance)
    title = str(result.get("judul") or "")
    body = str(result.get("pesan") or "")
    return notify(users, "case", f"{title} (#{instance.id})", body, instance)


def unread_count(user: User) -> int:
    """How many notifications the user has not read (one indexed count)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def inbox(user: User, limit: int = 200) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def open_for(user: User, notification_id: int) -> Notification | None:
    """Mark the user's notification read and return it; None when it is not theirs."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        return None
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
    return row


def mark_all_read(user: User) -> None:
    """Mark every unread notification of the user read."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()


def send_pending_emails(limit: int = 50) -> int:
    """Send queued notification e-mails, each row locked while it is sent; return how many."""
    settings = current_app.config["SMTP"]
    if not settings["host"]:
        return 0
    sent = 0
    for _round in range(limit):
        query = (
            select(Notification)
            .where(Notification.email_pending.is_(True))
            .order_by(Notification.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = db.session.scalar(query)
        if row is None:
            db.session.rollback()
            break
        try:
            _send(settings, row)
            row.emailed_at = utcnow()
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("e-mail to %s failed: %s", row.user.email, exc)
            row.email_error = str(exc)[:500]
        row.email_pending = False
        db.session.commit()
    return sent


def _send(settings: dict, row: Notification) -> None:
    message = EmailMessage()
    message["Subject"] = f"[sopflow] {row.title}"
    message["From"] = settings["from"]
    message["To"] = row.user.email
    link = ""
    if row.instance_id:
        link = f"\n\n{current_app.config['BASE_URL']}/cases/{row.instance_id}"
    message.set_content(f"{row.body}{link}\n\n-- \n{_('Pesan otomatis dari sopflow.')}")
    with smtplib.SMTP(settings["host"], settings["port"], timeout=20) as smtp:
        if settings["starttls"]:
            smtp.starttls()
        if settings["user"]:
            smtp.login(settings["user"], settings["password"])
        smtp.send_message(message)
