"""The timer sweep: fire due time standards, record breaches, escalate. One instance, one
transaction; several workers may sweep at once and each timer still fires exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from service_tasks import REGISTRY, operators

from ..engine.instance import ProcessInstance as EngineInstance
from ..engine.timers import WaitingTimer
from ..extensions import db
from ..models import (
    HumanTask,
    Incident,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
)
from ..models.types import utcnow
from . import audit, lateness, notifications, runtime
from .service_calls import WORKER_ID

log = logging.getLogger(__name__)

SWEEPABLE = (InstanceStatus.WAITING, InstanceStatus.RUNNING)


@dataclass
class SweepResult:
    """What one sweep did, for logs and tests."""

    instances: int = 0
    timers_fired: int = 0
    breaches: int = 0
    notifications: int = 0
    failed: list[int] = field(default_factory=list)
    skipped: int = 0


def quick_operator(operator: str) -> bool:
    """Service tasks the sweep runs inline (not the long-running deployment, nor a document
    generator, which needs the case history only the worker's queue hands it)."""
    connector = REGISTRY.get(operator)
    return connector is not None and not (connector.long_running or connector.needs_case)


def _next_due(now: datetime, seen: set[int]) -> ProcessInstance | None:
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.next_timer_at <= now, ProcessInstance.status.in_(SWEEPABLE))
        .where(ProcessInstance.id.not_in(seen) if seen else True)
        .order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(query)


def fire_due_timers(now: datetime | None = None, limit: int = 500) -> SweepResult:
    """Fire every timer due at ``now`` (at most ``limit`` instances); never stops on a failure."""
    result = SweepResult()
    now = now or utcnow()
    seen: set[int] = set()
    while result.instances + len(result.failed) < limit:
        row = _next_due(now, seen)
        if row is None:
            db.session.rollback()
            break
        seen.add(row.id)
        try:
            fired, breaches, sent = _fire(row, now)
            db.session.commit()
        except StaleDataError:
            # Another worker saved this instance first: its timers are its business now.
            db.session.rollback()
            result.skipped += 1
            continue
        except Exception as exc:  # noqa: BLE001 - one bad instance must not stop the sweep
            db.session.rollback()
            log.exception("timer sweep: instance %s failed", row.id)
            _mark_failed(row.id, exc)
            result.failed.append(row.id)
            continue
        result.instances += 1
        result.timers_fired += fired
        result.breaches += breaches
        result.notifications += sent
    return result


def _fire(row: ProcessInstance, now: datetime) -> tuple[int, int, int]:
    engine = runtime.load(row)
    fired = engine.fire_due_timers(now, run_service_tasks=quick_operator)
    open_rows = runtime.open_task_rows(row.id)
    breaches = 0
    for timer in fired:
        task = open_rows.get(timer.attached_task_id or "")
        if task is not None and task.breached_at is None:
            task.breached_at = timer.due
            breaches += 1
        audit.record("timer.fired", None, row, task, timer=timer.bpmn_id, due=timer.due.isoformat())
    sent = _escalate(row, engine, fired, open_rows)
    _record_inline_calls(row, engine)
    runtime.sync_rows(row, engine)
    return len(fired), breaches, sent


def _escalate(
    row: ProcessInstance,
    engine: EngineInstance,
    fired: list[WaitingTimer],
    open_rows: dict[str, HumanTask],
) -> int:
    """Deliver what the diagram's escalating service tasks (notify_sla_breach) asked for."""
    sent = 0
    escalating = operators("escalates")
    delivering = operators("delivers")
    by_step = {t.bpmn_id: t for t in open_rows.values()}
    for call in engine.service_calls:
        if call["operator"] in delivering:  # a notify_case on a timer path, run inline
            sent += len(notifications.deliver_case_notice(row, call["result"]))
            continue
        if call["operator"] not in escalating:
            continue
        result = call["result"]
        step = str(result.get("langkah", ""))
        task = by_step.get(step)
        step_info = engine.process.steps.get(step)
        name = step_info.name if step_info else step
        standard = step_info.properties.get("sopWaktu") if step_info else result.get("batas")
        users = notifications.resolve(list(result.get("kepada", [])), task, row)
        title = _("Melewati mutu baku: %(step)s (#%(id)s)", step=name, id=row.id)
        body = _(
            "Langkah “%(step)s” pada kasus #%(id)s “%(title)s” melewati mutu baku "
            "%(standard)s. Tugas tetap terbuka dan harus dilanjutkan.",
            step=name,
            id=row.id,
            title=row.title,
            standard=standard or "",
        )
        sent += len(notifications.notify(users, "sla_breach", title, body, row, task))
        audit.record("sla.escalated", None, row, task, step=step, recipients=len(users))
    return sent


def _record_inline_calls(row: ProcessInstance, engine: EngineInstance) -> None:
    """Keep a service_call row for each connector the sweep ran inline (the escalations)."""
    now = utcnow()
    calendar = runtime.sla_calendar()
    # These ran in the run that made them ready, before any boundary timer of theirs was armed:
    # ready, started and finished now, their standard (if any) counts from now.
    for call in engine.service_calls:
        step = engine.process.steps.get(call["bpmn_id"])
        db.session.add(
            ServiceCall(
                instance_id=row.id,
                spiff_task_id=call["task_id"],
                bpmn_id=call["bpmn_id"],
                name=step.name if step else call["bpmn_id"],
                operator=call["operator"],
                attempt=1,
                idempotency_key=f"{row.id}:{call['task_id']}:1",
                status=ServiceCallStatus.SUCCEEDED,
                started_at=now,
                finished_at=now,
                due_at=lateness.due_time(calendar, step.time_standard if step else None, now),
                worker=WORKER_ID,
                result=call["result"],
            )
        )


def _mark_failed(instance_id: int, exc: Exception) -> None:
    """Record the failure as an incident and take the instance out of the sweep."""
    row = db.session.get(ProcessInstance, instance_id)
    if row is None:
        return
    row.status = InstanceStatus.ERROR
    element = ""
    cause: BaseException | None = exc
    while cause is not None and not element:  # the diagram element, when the engine named it
        element = getattr(cause, "element", "") or ""
        cause = cause.__cause__
    db.session.add(
        Incident(
            instance_id=instance_id,
            kind="timer",
            element=element[:255],
            message=f"{type(exc).__name__}: {exc}",
        )
    )
    audit.record("instance.error", None, row, error=str(exc)[:500])
    try:
        db.session.commit()
    except Exception:  # noqa: BLE001 - the log line above is the record of last resort
        db.session.rollback()
        log.exception("could not mark instance %s as failed", instance_id)
