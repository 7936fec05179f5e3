"""The outbox: the worker sends each notification over the person's channels (e-mail, WhatsApp,
Telegram), one ``NotificationDelivery`` row per channel, retried with back-off.

:func:`send_due` is a phase of the worker's sweep, never called in a web request. A due row is
taken with ``FOR UPDATE SKIP LOCKED`` and claimed by a conditional update (its attempt counted
and its next attempt set a lease ahead) committed *before* the message goes out, so no database
transaction waits on a gateway and no second worker (or SQLite process) sends the same row. A
failed attempt keeps its error and waits 1, 5, 15, 60 … minutes for the next one; after
``NOTIFY_MAX_ATTEMPTS`` the row is ``failed``. The in-app notification never depends on any of
this: it was committed with the case change that caused it.
"""

from __future__ import annotations

import logging
import smtplib
import time
import traceback
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select, update

from ..extensions import db
from ..models import Notification, NotificationDelivery
from ..models.types import utcnow
from . import chat
from .contacts import parse_channels

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The delivery must not go out any more; the text says why."""


PENDING, SENT, FAILED = "pending", "sent", "failed"
CANCELLED = "cancelled"  # the person left the channel or was deactivated before it went out
# Minutes between attempts: the first retry soon (a gateway's hiccup), then longer; bounded.
BACKOFF_MINUTES = (1, 5, 15, 60, 120, 240)
# A claimed row is left alone this long: far beyond any send's timeout, short enough that a
# worker killed mid-send delays the message minutes, not hours.
LEASE = timedelta(minutes=5)
SWEEP_SECONDS = 30  # stop sending in one sweep after this long; the rest go next sweep
SWEEP_ROWS = 100


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1-based)."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def adopt_legacy_emails(limit: int = 500) -> int:
    """Queue e-mails that the old outbox (``Notification.email_pending``) left unsent.

    Notifications written before the per-channel outbox carry ``email_pending``; each becomes
    an e-mail delivery row, once (the flag is cleared under the row's lock).
    """
    # A plain read first: once the old rows are adopted, no sweep takes a lock for them.
    if not db.session.scalar(select(exists().where(Notification.email_pending.is_(True)))):
        db.session.rollback()
        return 0
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.email_pending.is_(True))
            .order_by(Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.email_pending = False
        db.session.add(NotificationDelivery(notification_id=row.id, channel="email"))
    db.session.commit()
    return len(rows)


def _claim(now: datetime, skip: set[str]) -> NotificationDelivery | None:
    """Take the next due row for this worker (none of the ``skip`` channels): its attempt
    counted, committed; or None."""
    while True:
        row = db.session.scalar(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.status == PENDING,
                NotificationDelivery.next_attempt_at <= now,
                NotificationDelivery.channel.not_in(skip or {""}),
            )
            .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if row is None:
            db.session.rollback()
            return None
        seen = row.attempts
        # Conditional on nobody having claimed it since we read it: SQLite has no row locks,
        # and this is what keeps two processes from both sending it there.
        claimed = db.session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id == row.id,
                NotificationDelivery.status == PENDING,
                NotificationDelivery.attempts == seen,
            )
            .values(attempts=seen + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed == 1:
            db.session.refresh(row)
            return row


def send_due(now: datetime | None = None, limit: int = SWEEP_ROWS) -> int:
    """Send the due deliveries (at most ``limit``, about ``SWEEP_SECONDS``); return how many
    went out. A failure is recorded on its row and the next row is tried."""
    adopt_legacy_emails()
    started = time.monotonic()
    sent = 0
    # A channel whose gateway did not answer is left alone for the rest of this sweep: one
    # timeout per sweep, not one per waiting message, before the worker's timers come round.
    unreachable: set[str] = set()
    for _round in range(limit):
        if time.monotonic() - started > SWEEP_SECONDS:
            break
        row = _claim(now or utcnow(), unreachable)
        if row is None:
            break
        try:
            _send(row)
        except Cancelled as exc:
            row.status, row.last_error = CANCELLED, str(exc)
        except (chat.SendError, OSError) as exc:  # smtplib's errors are OSErrors
            if _gateway_down(exc):
                unreachable.add(row.channel)
            _failed(row, _scrub(f"{exc}" or type(exc).__name__))
        except Exception as exc:  # a message that cannot be built must not stop the outbox
            # The trace as text, scrubbed: an exception's message may quote a URL or header
            # that holds a token, and log.exception would print it as it is.
            log.error(
                "notification %s: %s not sent\n%s",
                row.notification_id,
                row.channel,
                _scrub("".join(traceback.format_exception(exc))).rstrip(),
            )
            _failed(row, _scrub(f"{type(exc).__name__}: {exc}"))
        else:
            _sent(row)
            sent += 1
        db.session.commit()
    if unreachable:
        _hold(unreachable, now or utcnow())
    return sent


def _gateway_down(exc: Exception) -> bool:
    """Whether the failure says the channel's gateway (not this one message) is unreachable."""
    if isinstance(exc, chat.SendError):
        return bool(getattr(exc, "unreachable", False))
    if isinstance(exc, smtplib.SMTPException):
        return isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected)
    return True  # refused, reset, timed out, no such host


def _hold(channels: set[str], now: datetime) -> None:
    """Move the due rows of unreachable channels a first back-off ahead (no attempt counted), so
    the worker does not wake at once for them and try one per sweep back to back."""
    db.session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.channel.in_(channels),
            NotificationDelivery.status == PENDING,
            NotificationDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + backoff(1))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _sent(row: NotificationDelivery) -> None:
    row.status = SENT
    row.sent_at = utcnow()
    row.last_error = ""
    if row.channel == "email":
        row.notification.emailed_at = row.sent_at  # the inbox's "sent to your e-mail"
        row.notification.email_error = ""


def _failed(row: NotificationDelivery, error: str) -> None:
    row.last_error = error[:500]
    limit = current_app.config["CHAT"]["max_attempts"]
    if row.attempts >= limit:
        row.status = FAILED
        log.warning(
            "notification %s: %s given up after %s attempts: %s",
            row.notification_id,
            row.channel,
            row.attempts,
            error,
        )
    else:
        row.next_attempt_at = utcnow() + backoff(row.attempts)
        log.info(
            "notification %s: %s failed, retried later: %s", row.notification_id, row.channel, error
        )
    if row.channel == "email":
        row.notification.email_error = error[:500]


def _scrub(text: str) -> str:
    """The error text without any configured secret in it."""
    config = current_app.config
    secrets = [
        config["SMTP"].get("password", ""),
        config["CHAT"]["whatsapp"].get("cloud_token", ""),
        config["CHAT"]["whatsapp"].get("form_token", ""),
        config["CHAT"]["telegram"].get("token", ""),
    ]
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def message_text(row: Notification) -> str:
    """The chat message of a notification: its title, its text and the case's address."""
    parts = [row.title, row.body]
    if row.instance_id:
        parts.append(f"{current_app.config['BASE_URL']}/cases/{row.instance_id}")
    return "\n\n".join(part for part in parts if part)


def _send(row: NotificationDelivery) -> None:
    """Send one delivery over its channel to the address its person has now.

    A person deactivated since, or who no longer chose the channel, is not sent to (a retry
    may come hours after the notification).
    """
    note = row.notification
    person = note.user
    if not person.active:
        raise Cancelled("account deactivated")
    if row.channel not in parse_channels(person.notify_channels):
        raise Cancelled("channel no longer chosen")
    settings = current_app.config["CHAT"]
    timeout = settings["timeout"]
    if row.channel == "email":
        if not person.email:
            raise chat.SendError("no e-mail address")
        _send_email(current_app.config["SMTP"], note, timeout)
    elif row.channel == "whatsapp":
        if not person.phone:
            raise chat.SendError("no WhatsApp number")
        chat.send_whatsapp(settings["whatsapp"], person.phone, message_text(note), timeout)
    elif row.channel == "telegram":
        if not person.telegram_chat_id:
            raise chat.SendError("no Telegram chat id")
        chat.send_telegram(
            settings["telegram"], person.telegram_chat_id, message_text(note), timeout
        )
    else:
        raise chat.SendError(f"unknown channel {row.channel!r}")


def _send_email(settings: dict, row: Notification, timeout: float) -> None:
    if not settings["host"]:
        raise chat.SendError("no mail server configured")
    message = EmailMessage()
    message["Subject"] = f"[sopflow] {' '.join(row.title.split())}"  # a header is one line
    message["From"] = settings["from"]
    message["To"] = row.user.email
    link = ""
    if row.instance_id:
        link = f"\n\n{current_app.config['BASE_URL']}/cases/{row.instance_id}"
    message.set_content(f"{row.body}{link}\n\n-- \n{_('Pesan otomatis dari sopflow.')}")
    with smtplib.SMTP(settings["host"], settings["port"], timeout=max(timeout, 20)) as smtp:
        if settings["starttls"]:
            smtp.starttls()
        if settings["user"]:
            smtp.login(settings["user"], settings["password"])
        smtp.send_message(message)
