"""Time-standard figures per SOP step: SQL over human_task rows, never over workflow state."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import and_, case, func, select

from ..extensions import db
from ..models import HumanTask, TaskStatus
from ..models.types import utcnow
from .processes import parsed, published_version


@dataclass
class StepFigures:
    """How one step met its time standard in a period, and how it stands now."""

    bpmn_id: str
    name: str
    lane: str
    standard: str
    standard_seconds: float | None
    completed: int = 0
    met: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    open_now: int = 0
    overdue_now: int = 0

    @property
    def met_percent(self) -> float | None:
        return round(100 * self.met / self.completed, 1) if self.completed else None


def _seconds(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        parsed_duration = TimerEventDefinition.parse_iso_duration(iso)
        return TimerEventDefinition.get_timedelta_from_start(parsed_duration).total_seconds()
    except Exception:  # noqa: BLE001 - a malformed standard is shown without figures
        return None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def step_figures(process_id: str, since: datetime, until: datetime) -> list[StepFigures]:
    """Per user step of the published diagram: met / median / p90 in the period, open now."""
    version = published_version(process_id)
    if version is None:
        return []
    process = parsed(version)
    steps = {
        s.bpmn_id: StepFigures(
            bpmn_id=s.bpmn_id,
            name=s.name,
            lane=s.lane or "",
            standard=s.properties.get("sopWaktu") or (s.time_standard or ""),
            standard_seconds=_seconds(s.time_standard),
        )
        for s in process.user_steps
    }
    of_process = HumanTask.process_id == process_id
    done = and_(
        of_process,
        HumanTask.status == TaskStatus.COMPLETED,
        HumanTask.completed_at >= since,
        HumanTask.completed_at < until,
    )
    met = case(
        (HumanTask.due_at.is_(None), 1), (HumanTask.completed_at <= HumanTask.due_at, 1), else_=0
    )
    for bpmn_id, completed, met_count in db.session.execute(
        select(HumanTask.bpmn_id, func.count(), func.sum(met))
        .where(done)
        .group_by(HumanTask.bpmn_id)
    ):
        if bpmn_id in steps:
            steps[bpmn_id].completed = completed
            steps[bpmn_id].met = int(met_count or 0)
    durations: dict[str, list[float]] = {}
    for bpmn_id, seconds in db.session.execute(
        select(HumanTask.bpmn_id, HumanTask.working_seconds).where(
            done, HumanTask.working_seconds.isnot(None)
        )
    ):
        durations.setdefault(bpmn_id, []).append(seconds)
    for bpmn_id, values in durations.items():
        if bpmn_id in steps:
            values.sort()
            steps[bpmn_id].median_seconds = statistics.median(values)
            steps[bpmn_id].p90_seconds = _percentile(values, 90)
    now = utcnow()
    overdue = case((HumanTask.due_at <= now, 1), else_=0)
    for bpmn_id, open_count, overdue_count in db.session.execute(
        select(HumanTask.bpmn_id, func.count(), func.sum(overdue))
        .where(of_process, HumanTask.status == TaskStatus.OPEN)
        .group_by(HumanTask.bpmn_id)
    ):
        if bpmn_id in steps:
            steps[bpmn_id].open_now = open_count
            steps[bpmn_id].overdue_now = int(overdue_count or 0)
    return list(steps.values())


def overdue_tasks(process_id: str | None = None, limit: int = 200) -> list[HumanTask]:
    """Open tasks past their due time, the longest overdue first."""
    query = (
        select(HumanTask)
        .where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at <= utcnow())
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(limit)
    )
    if process_id:
        query = query.where(HumanTask.process_id == process_id)
    return list(db.session.scalars(query))
