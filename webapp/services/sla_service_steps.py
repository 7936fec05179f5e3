"""Time-standard figures of the SOP's automatic steps (step 5, the upload): SQL over
``service_call`` rows, as ``sla`` does over ``human_task`` rows for people's steps.

A service step counts when it is a numbered SOP step with a time standard (its boundary timer);
escalations and the report writer are neither. Its time is from the call's start to its finish,
counted by the office's calendar, and it met the standard when that time is within it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..engine import durations
from ..engine.calendar import SlaCalendar
from ..engine.spec import ParsedProcess, StepInfo
from ..extensions import db
from ..models import ProcessInstance, ServiceCall, ServiceCallStatus
from ..models.types import utcnow

RUNNING = (ServiceCallStatus.QUEUED, ServiceCallStatus.RUNNING)


def within_standard(calendar: SlaCalendar, standard: Any, start: datetime, end: datetime) -> bool:
    """Whether an automatic step's time from ``start`` to ``end``, counted by the office's
    calendar, kept its standard: the one measure of met (finished) and overdue (still running)."""
    return calendar.elapsed(start, end) <= calendar.length(standard)


def timed_service_steps(process: ParsedProcess) -> list[StepInfo]:
    """The automatic steps the SOP numbers and holds to a time standard."""
    return [
        s
        for s in process.steps.values()
        if s.kind == "service"
        and s.properties.get("sopNomor", "").strip()
        and durations.try_parse(s.time_standard) is not None
    ]


def service_step_times(
    process_id: str,
    steps: Iterable[StepInfo],
    since: datetime,
    until: datetime,
    calendar: SlaCalendar,
) -> dict[str, dict]:
    """Per step id: completed, met and the seconds each took in the period; open and late now."""
    limits = {}
    for step in steps:
        standard = durations.try_parse(step.time_standard)
        if standard is not None:
            limits[step.bpmn_id] = calendar.length(standard)
    found: dict[str, dict] = {
        bpmn_id: {"completed": 0, "met": 0, "seconds": [], "open_now": 0, "overdue_now": 0}
        for bpmn_id in limits
    }
    if not limits:
        return found
    of_process = (
        ServiceCall.instance_id == ProcessInstance.id,
        ProcessInstance.process_id == process_id,
        ServiceCall.bpmn_id.in_(list(limits)),
    )
    for bpmn_id, started, finished in db.session.execute(
        select(ServiceCall.bpmn_id, ServiceCall.started_at, ServiceCall.finished_at).where(
            *of_process,
            ServiceCall.status == ServiceCallStatus.SUCCEEDED,
            ServiceCall.started_at.isnot(None),
            ServiceCall.finished_at >= since,
            ServiceCall.finished_at < until,
        )
    ):
        took = calendar.elapsed(started, finished)
        entry = found[bpmn_id]
        entry["completed"] += 1
        entry["met"] += int(took <= limits[bpmn_id])
        entry["seconds"].append(took.total_seconds())
    now = utcnow()
    for bpmn_id, started in db.session.execute(
        select(ServiceCall.bpmn_id, ServiceCall.started_at).where(
            *of_process, ServiceCall.status.in_(RUNNING)
        )
    ):
        entry = found[bpmn_id]
        entry["open_now"] += 1
        if started is not None and calendar.elapsed(started, now) > limits[bpmn_id]:
            entry["overdue_now"] += 1
    return found


def finished_calls(
    process_id: str,
    steps: Iterable[StepInfo],
    since: datetime,
    until: datetime,
    calendar: SlaCalendar,
    bucket: Callable[[Any], Any],
) -> list[tuple[str, int, bool]]:
    """(step id, bucket, met) of each automatic step finished in the period; ``bucket`` maps the
    finish time's column to a SQL expression (the dashboard's week number)."""
    limits = {
        s.bpmn_id: calendar.length(standard)
        for s in steps
        if (standard := durations.try_parse(s.time_standard)) is not None
    }
    if not limits:
        return []
    rows = db.session.execute(
        select(
            ServiceCall.bpmn_id,
            bucket(ServiceCall.finished_at),
            ServiceCall.started_at,
            ServiceCall.finished_at,
        ).where(
            ServiceCall.instance_id == ProcessInstance.id,
            ProcessInstance.process_id == process_id,
            ServiceCall.bpmn_id.in_(list(limits)),
            ServiceCall.status == ServiceCallStatus.SUCCEEDED,
            ServiceCall.started_at.isnot(None),
            ServiceCall.finished_at >= since,
            ServiceCall.finished_at < until,
        )
    )
    return [
        (bpmn_id, int(week), calendar.elapsed(started, finished) <= limits[bpmn_id])
        for bpmn_id, week, started, finished in rows
    ]


def late_calls(
    process_id: str, steps: Iterable[StepInfo], now: datetime, calendar: SlaCalendar
) -> list[dict]:
    """Automatic steps still running past their standard at ``now`` (the measure of
    ``service_step_times``' overdue_now), each with its case, start and due time."""
    standards = {
        s.bpmn_id: (s, standard)
        for s in steps
        if (standard := durations.try_parse(s.time_standard)) is not None
    }
    if not standards:
        return []
    late = []
    for instance_id, title, bpmn_id, started in db.session.execute(
        select(
            ProcessInstance.id, ProcessInstance.title, ServiceCall.bpmn_id, ServiceCall.started_at
        ).where(
            ServiceCall.instance_id == ProcessInstance.id,
            ProcessInstance.process_id == process_id,
            ServiceCall.bpmn_id.in_(list(standards)),
            ServiceCall.status.in_(RUNNING),
            ServiceCall.started_at.isnot(None),
        )
    ):
        step, standard = standards[bpmn_id]
        if within_standard(calendar, standard, started, now):
            continue
        late.append(
            {
                "instance_id": instance_id,
                "title": title,
                "bpmn_id": bpmn_id,
                "step": step.name,
                "lane": step.lane or "",
                "due_at": calendar.add(started, standard),
            }
        )
    return late
