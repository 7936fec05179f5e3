"""Notifications: resolve who must hear of a breach, store it in-app, queue it on the outbox.

Each notification is kept in-app, and gets one outbox row (``NotificationDelivery``) per channel
its person chose and can be reached on, in the same transaction; the worker sends those
(services/outbox.py), never the request that caused them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import HumanTask, Notification, NotificationDelivery, ProcessInstance, Role, User
from ..models.types import utcnow
from .contacts import channels_available, reachable_channels


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
    """Add one notification per user and its deliveries, in the caller's transaction.

    A delivery is queued for each channel the person chose that this installation can send on
    and that the person has an address for (e-mail, WhatsApp number, Telegram chat).
    """
    available = channels_available()
    rows = []
    for user in users:
        row = Notification(
            user_id=user.id,
            kind=kind,
            title=title[:255],
            body=body,
            instance_id=instance.id if instance else None,
            human_task_id=task.id if task else None,
        )
        db.session.add(row)
        for channel in reachable_channels(user, available):
            db.session.add(NotificationDelivery(notification=row, channel=channel))
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
