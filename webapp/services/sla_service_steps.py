"""Time-standard figures of the SOP's automatic steps (step 5, the upload): SQL over
``service_call`` rows, as ``sla`` does over ``human_task`` rows for people's steps.

A service step counts when it is a numbered SOP step with a time standard (its boundary timer);
escalations and the report writer are neither. Its time is from the call's start to its finish,
counted by the office's calendar; whether it met its standard or runs late is ``lateness``'s one
rule over the due time stored when it started, asked in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..engine import durations
from ..engine.calendar import SlaCalendar
from ..engine.spec import ParsedProcess, StepInfo
from ..extensions import db
from ..models import ProcessInstance, ServiceCall, ServiceCallStatus
from ..models.types import utcnow
from . import lateness

RUNNING = (ServiceCallStatus.QUEUED, ServiceCallStatus.RUNNING)
# As many late calls as a page lists, as sla.overdue_tasks lists people's tasks.
LATE_SHOWN = 200


def timed_service_steps(process: ParsedProcess) -> list[StepInfo]:
    """The automatic steps the SOP numbers and holds to a time standard."""
    return [
        s
        for s in process.steps.values()
        if s.kind == "service"
        and s.properties.get("sopNomor", "").strip()
        and durations.try_parse(s.time_standard) is not None
    ]


def _of_process(process_id: str, steps: Iterable[StepInfo]) -> tuple[Any, ...]:
    """Calls of these steps in cases of the process (a WHERE's conditions)."""
    return (
        ServiceCall.instance_id == ProcessInstance.id,
        ProcessInstance.process_id == process_id,
        ServiceCall.bpmn_id.in_([s.bpmn_id for s in steps]),
    )


def _finished(since: datetime, until: datetime) -> tuple[Any, ...]:
    """Calls that succeeded in the period, started by a worker (a WHERE's conditions)."""
    return (
        ServiceCall.status == ServiceCallStatus.SUCCEEDED,
        ServiceCall.started_at.isnot(None),
        ServiceCall.finished_at >= since,
        ServiceCall.finished_at < until,
    )


def service_step_times(
    process_id: str,
    steps: Iterable[StepInfo],
    since: datetime,
    until: datetime,
    calendar: SlaCalendar,
) -> dict[str, dict]:
    """Per step id: completed, met and the seconds each took in the period; open and late now
    (met and late by ``lateness``, in SQL)."""
    steps = list(steps)
    found: dict[str, dict] = {
        s.bpmn_id: {"completed": 0, "met": 0, "seconds": [], "open_now": 0, "overdue_now": 0}
        for s in steps
    }
    if not steps:
        return found
    of_process = _of_process(process_id, steps)
    # One read of the period's calls: each one's working time (for median and p90; people's
    # tasks store theirs) and whether it kept its standard, counted here.
    for bpmn_id, started, finished, kept in db.session.execute(
        select(
            ServiceCall.bpmn_id,
            ServiceCall.started_at,
            ServiceCall.finished_at,
            lateness.kept_flag(ServiceCall.due_at, ServiceCall.finished_at),
        ).where(*of_process, *_finished(since, until))
    ):
        found[bpmn_id]["completed"] += 1
        found[bpmn_id]["met"] += int(kept)
        found[bpmn_id]["seconds"].append(calendar.elapsed(started, finished).total_seconds())
    now = utcnow()
    for bpmn_id, open_now, late_now in db.session.execute(
        select(
            ServiceCall.bpmn_id,
            func.count(),
            func.sum(lateness.late_flag(ServiceCall.due_at, ServiceCall.finished_at, now)),
        )
        .where(*of_process, ServiceCall.status.in_(RUNNING))
        .group_by(ServiceCall.bpmn_id)
    ):
        found[bpmn_id]["open_now"] = open_now
        found[bpmn_id]["overdue_now"] = int(late_now or 0)
    return found


def finished_calls(
    process_id: str,
    steps: Iterable[StepInfo],
    since: datetime,
    until: datetime,
    bucket: Callable[[Any], Any],
) -> list[tuple[str, int, int, int]]:
    """(step id, bucket, finished, met) of the automatic steps finished in the period, per step
    and bucket; ``bucket`` maps the finish time's column to a SQL expression (the dashboard's
    week number). Met is ``lateness``'s rule, summed in SQL."""
    steps = list(steps)
    if not steps:
        return []
    inner = (
        select(
            ServiceCall.bpmn_id.label("bpmn_id"),
            bucket(ServiceCall.finished_at).label("bucket"),
            lateness.kept_flag(ServiceCall.due_at, ServiceCall.finished_at).label("met"),
        )
        .where(*_of_process(process_id, steps), *_finished(since, until))
        .subquery()
    )
    rows = db.session.execute(
        select(inner.c.bpmn_id, inner.c.bucket, func.count(), func.sum(inner.c.met)).group_by(
            inner.c.bpmn_id, inner.c.bucket
        )
    )
    return [(bpmn_id, int(week), count, int(met or 0)) for bpmn_id, week, count, met in rows]


def _running_late(process_id: str, steps: Iterable[StepInfo], now: datetime) -> tuple[Any, ...]:
    """Queued or running calls of these steps past their due time at ``now`` (a WHERE's
    conditions; ``lateness``'s rule for unfinished steps, which only these statuses are)."""
    return (
        *_of_process(process_id, steps),
        ServiceCall.status.in_(RUNNING),
        lateness.late_unfinished(ServiceCall.due_at, now),
    )


def late_call_counts(process_id: str, steps: Iterable[StepInfo], now: datetime) -> dict[str, int]:
    """Per step id, how many of its calls run late at ``now`` (a GROUP BY: every one counts,
    however many the list shows)."""
    steps = list(steps)
    if not steps:
        return {}
    return {
        bpmn_id: count
        for bpmn_id, count in db.session.execute(
            select(ServiceCall.bpmn_id, func.count())
            .where(*_running_late(process_id, steps, now))
            .group_by(ServiceCall.bpmn_id)
        )
    }


def late_calls(
    process_id: str, steps: Iterable[StepInfo], now: datetime, limit: int = LATE_SHOWN
) -> list[dict]:
    """The first ``limit`` automatic steps still running late at ``now`` (``lateness``'s rule:
    past their due time), each with its case and due time, the longest overdue first; count
    them all with ``late_call_counts``."""
    by_id = {s.bpmn_id: s for s in steps}
    if not by_id:
        return []
    late = []
    for instance_id, title, bpmn_id, due_at in db.session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ServiceCall.bpmn_id, ServiceCall.due_at)
        .where(*_running_late(process_id, by_id.values(), now))
        .order_by(ServiceCall.due_at, ServiceCall.id)
        .limit(limit)
    ):
        step = by_id[bpmn_id]
        late.append(
            {
                "instance_id": instance_id,
                "title": title,
                "bpmn_id": bpmn_id,
                "step": step.name,
                "lane": step.lane or "",
                "due_at": due_at,
            }
        )
    return late
