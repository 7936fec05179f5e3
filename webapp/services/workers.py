"""The worker's sweep and its health: nothing one case does stops the loop, and administrators
see each worker's last sweep, its errors and the cases it had to turn into incidents."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import WorkerStatus
from ..models.types import utcnow
from .outbox import send_due as send_deliveries
from .service_calls import WORKER_ID, mark_interrupted, run_queued
from .timers import SweepResult, fire_due_timers

log = logging.getLogger(__name__)

SHOWN = 20  # workers listed for administrators, most recently seen first
RECENT = timedelta(days=1)  # workers not seen for longer are left off the list
GONE_AFTER_SWEEPS = 4  # a worker not seen for this many intervals (+1 minute) is shown as gone


@dataclass
class Sweep:
    """What one round of the worker did; ``errors`` are the phases that failed as a whole."""

    timers: SweepResult = field(default_factory=SweepResult)
    service_calls: int = 0
    deliveries: int = 0  # notifications sent by e-mail, WhatsApp or Telegram
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The log line of this sweep."""
        t = self.timers
        return (
            f"sweep: instances={t.instances} timers={t.timers_fired} breaches={t.breaches} "
            f"notifications={t.notifications} service_calls={self.service_calls} "
            f"deliveries={self.deliveries} failed={len(t.failed)} skipped={t.skipped} "
            f"errors={len(self.errors)}"
        )


def _phase(sweep: Sweep, name: str, action):
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - the loop outlives any failure; it is recorded
        db.session.rollback()
        log.exception("worker: %s failed", name)
        sweep.errors.append(f"{name}: {type(exc).__name__}: {exc}"[:1000])
        return None


def sweep_once(
    now: datetime | None = None,
    service_calls: bool = True,
    ran_elsewhere: Callable[[], int] | None = None,
) -> Sweep:
    """Fire due timers, run queued service calls, send notifications; record this worker's health.

    A failing case is already an incident inside each phase; anything that still escapes a
    phase is logged, counted on this worker's status row, and the next phase runs anyway.
    With ``service_calls`` off, the worker's own threads run the calls (``ran_elsewhere``
    says how many they finished); the sweep still turns calls whose worker died into incidents.
    """
    sweep = Sweep()
    timers = _phase(sweep, "timers", lambda: fire_due_timers(now))
    if timers is not None:
        sweep.timers = timers
    if service_calls:
        sweep.service_calls = _phase(sweep, "service_calls", run_queued) or 0
    else:
        _phase(sweep, "service_calls", mark_interrupted)
        sweep.service_calls = ran_elsewhere() if ran_elsewhere else 0
    sweep.deliveries = _phase(sweep, "deliveries", send_deliveries) or 0
    record(sweep)
    return sweep


def record(sweep: Sweep, worker_id: str = WORKER_ID) -> None:
    """Update this worker's status row in its own transaction (never raises)."""
    try:
        now = utcnow()
        row = db.session.get(WorkerStatus, worker_id)
        if row is None:
            row = WorkerStatus(id=worker_id, started_at=now, sweeps=0, errors=0, failed_cases=0)
            db.session.add(row)
        row.last_seen_at = now
        row.stopped_at = None
        row.sweeps = (row.sweeps or 0) + 1
        row.failed_cases = (row.failed_cases or 0) + len(sweep.timers.failed)
        if sweep.errors:
            row.errors = (row.errors or 0) + len(sweep.errors)
            row.last_error = "\n".join(sweep.errors)[:4000]
            row.last_error_at = now
        db.session.commit()
    except Exception:  # noqa: BLE001 - health bookkeeping must not stop the worker
        db.session.rollback()
        log.exception("worker: could not record its status")


def stopped(worker_id: str = WORKER_ID) -> None:
    """Mark this worker as stopped on purpose (SIGTERM, --once)."""
    try:
        row = db.session.get(WorkerStatus, worker_id)
        if row is not None:
            row.stopped_at = utcnow()
            db.session.commit()
    except Exception:  # noqa: BLE001 - the process is leaving anyway
        db.session.rollback()


@dataclass(frozen=True)
class WorkerView:
    """One worker as administrators see it."""

    id: str
    state: str  # active, gone, stopped
    last_seen_at: datetime
    started_at: datetime
    sweeps: int
    errors: int
    failed_cases: int
    last_error: str
    last_error_at: datetime | None


def overview(interval_seconds: float, now: datetime | None = None) -> list[WorkerView]:
    """The most recently seen workers, each marked active, gone (silent too long) or stopped."""
    now = now or utcnow()
    gone = timedelta(seconds=interval_seconds * GONE_AFTER_SWEEPS + 60)
    # Workers seen in the last day: yesterday's restarts are history, not news.
    rows = db.session.scalars(
        select(WorkerStatus)
        .where(WorkerStatus.last_seen_at >= now - RECENT)
        .order_by(WorkerStatus.last_seen_at.desc())
        .limit(SHOWN)
    )
    views = []
    for row in rows:
        if row.stopped_at is not None:
            state = "stopped"
        elif now - row.last_seen_at > gone:
            state = "gone"
        else:
            state = "active"
        views.append(
            WorkerView(
                id=row.id,
                state=state,
                last_seen_at=row.last_seen_at,
                started_at=row.started_at,
                sweeps=row.sweeps,
                errors=row.errors,
                failed_cases=row.failed_cases,
                last_error=row.last_error or "",
                last_error_at=row.last_error_at,
            )
        )
    return views
