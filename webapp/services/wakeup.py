"""When the worker wakes: at the earliest due time standard or notification delivery, or when
someone writes a sooner one.

The worker sleeps until the earliest ``next_timer_at`` of a sweepable case, or for its interval,
whichever is sooner. A transaction that arms a sooner timer (or queues a service call) tells it:
on PostgreSQL by ``NOTIFY`` in that same transaction, delivered at commit to the worker's
``LISTEN`` connection; on SQLite and MariaDB, which have no such thing, the worker looks again
every ``WORKER_POLL`` seconds (at most one).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy import event, exists, func, inspect, select, text
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import NotificationDelivery, ProcessInstance, ServiceCall, ServiceCallStatus
from .timers import SWEEPABLE

log = logging.getLogger(__name__)

CHANNEL = "sopflow_worker"
MAX_POLL_SECONDS = 1.0
_PENDING = "sopflow_wake"  # session.info key: what this transaction will tell the worker


def sleep_seconds(now: datetime, earliest: datetime | None, interval: float) -> float:
    """How long the worker may sleep at ``now``: until ``earliest`` is due, at most ``interval``.

    A due time already passed means no sleep at all.
    """
    if earliest is None:
        return max(interval, 0.0)
    return max(0.0, min(interval, (earliest - now).total_seconds()))


def earliest_timer() -> datetime | None:
    """The earliest armed time standard of a case the sweep would take (one indexed read)."""
    due = db.session.scalar(
        select(func.min(ProcessInstance.next_timer_at)).where(ProcessInstance.status.in_(SWEEPABLE))
    )
    db.session.rollback()  # hold no snapshot while asleep (MariaDB reads REPEATABLE READ)
    return due


def earliest_delivery() -> datetime | None:
    """When the earliest pending notification delivery (new or retried) is due."""
    due = db.session.scalar(
        select(func.min(NotificationDelivery.next_attempt_at)).where(
            NotificationDelivery.status == "pending"
        )
    )
    db.session.rollback()
    return due


def earliest_due() -> datetime | None:
    """The earlier of the next time standard and the next notification delivery."""
    found = [due for due in (earliest_timer(), earliest_delivery()) if due is not None]
    return min(found) if found else None


def calls_waiting() -> bool:
    """Whether a service call is queued (the runners' cue)."""
    queued = db.session.scalar(
        select(exists().where(ServiceCall.status == ServiceCallStatus.QUEUED))
    )
    db.session.rollback()
    return bool(queued)


# -- the writer's side: NOTIFY in the transaction that arms a sooner timer -------------------


def _sooner_timer(row: ProcessInstance) -> bool:
    history = inspect(row).attrs.next_timer_at.history
    new = [value for value in history.added if value is not None]
    if not new:
        return False
    old = [value for value in history.deleted if value is not None]
    return not old or min(new) < min(old)


@event.listens_for(Session, "after_flush")
def _note_wakeups(session: Session, flush_context: Any) -> None:
    """Send the worker a NOTIFY when this flush arms a sooner timer, queues a call or queues a
    notification for e-mail, WhatsApp or Telegram."""
    reasons = set()
    for row in list(session.new) + list(session.dirty):
        if isinstance(row, ProcessInstance) and _sooner_timer(row):
            reasons.add("timer")
        elif (
            isinstance(row, ServiceCall)
            and row in session.new
            and row.status == ServiceCallStatus.QUEUED
        ):
            reasons.add("call")
        elif isinstance(row, NotificationDelivery) and row in session.new:
            reasons.add("delivery")
    if not reasons:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return  # polled instead
    # Delivered when this transaction commits, never if it rolls back; duplicates fold into one.
    connection.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": ",".join(sorted(reasons))},
    )


# -- the worker's side: wait for the due time, a NOTIFY or the next poll --------------------


class Waker:
    """Waits without a database of its own to listen on: the caller polls every ``poll`` s."""

    listens = False

    def __init__(self, poll: float) -> None:
        self.poll = min(max(poll, 0.01), MAX_POLL_SECONDS)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (at most one poll); return whether a writer woke us."""
        time.sleep(max(0.0, min(seconds, self.poll)))
        return False

    def close(self) -> None:
        """Release what the waker holds."""


class ListeningWaker(Waker):
    """PostgreSQL: ``LISTEN`` on a connection of its own; a NOTIFY ends the wait at once.

    The wait is still cut into slices of ``poll`` seconds so that the worker notices a stop
    signal; the caller need not look at the database after a slice that brought no NOTIFY.
    """

    listens = True

    def __init__(self, engine: Any, poll: float) -> None:
        super().__init__(poll)
        self.engine = engine
        self.connection: Any = None
        self.heard: deque[str] = deque(maxlen=100)  # the last payloads, for logs and tests
        self.lost = False  # logged once, not at every poll while the database is away

    def _connect(self) -> Any:
        if self.connection is None or self.connection.closed:
            pooled = self.engine.raw_connection()
            connection = pooled.driver_connection
            pooled.detach()  # ours for good: it never goes back to the pool in LISTEN mode
            connection.rollback()
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            self.connection = connection
        return self.connection

    def wait(self, seconds: float) -> bool:
        """Wait for a NOTIFY up to ``seconds`` (at most one poll); return whether one came."""
        try:
            connection = self._connect()
            self.lost = False
            # Never leave the generator early: NOTIFYs that came in one packet would be lost.
            heard = [
                notify.payload
                for notify in connection.notifies(
                    timeout=max(0.0, min(seconds, self.poll)), stop_after=1
                )
            ]
            self.heard.extend(heard)
            return bool(heard)
        except Exception:  # noqa: BLE001 - a lost connection: poll, and listen again next time
            if not self.lost:
                log.exception("worker: no LISTEN connection; polling until it is back")
            self.lost = True
            self.close()
            super().wait(seconds)
            return True  # the caller looks at the database, as a polling worker would

    def close(self) -> None:
        """Close the LISTEN connection."""
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.connection = None


def waker_for(engine: Any, poll: float) -> Waker:
    """A listening waker on PostgreSQL, a polling one elsewhere."""
    if engine.dialect.name == "postgresql":
        return ListeningWaker(engine, poll)
    return Waker(poll)
