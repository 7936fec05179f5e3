"""Time-standard figures per SOP step: SQL over human_task rows, never over workflow state.

What "met" and "overdue" mean is ``lateness``'s one rule (the due time, which the calendar set:
days of a standard are working days under working hours), bound here to human_task's columns for
this page and the dashboard alike. Median and p90 are the working time a task took, held against
the standard's counted length (a working day being the week's average day).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime

from flask_babel import ngettext
from sqlalchemy import ColumnElement, and_, case, func, select

from ..engine import durations
from ..engine.calendar import SlaCalendar, WorkingHoursCalendar
from ..extensions import db
from ..models import HumanTask, TaskStatus
from ..models.types import utcnow
from . import lateness
from .processes import parsed, published_version
from .runtime import sla_calendar
from .sla_service_steps import service_step_times, timed_service_steps


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
        return met_percent(self.met, self.completed)


def met() -> ColumnElement[int]:
    """Count 1 for a completed task that kept its standard, else 0 (SQL, to sum; the rule is
    ``lateness``'s: done by its due time, and a task without a due time cannot be late)."""
    return lateness.kept_flag(HumanTask.due_at, HumanTask.completed_at)


def overdue(now: datetime) -> ColumnElement[bool]:
    """Match an open task late at ``now`` (past its due time, by ``lateness``)."""
    return and_(
        HumanTask.status == TaskStatus.OPEN, lateness.late_unfinished(HumanTask.due_at, now)
    )


def overdue_flag(now: datetime) -> ColumnElement[int]:
    """Count 1 for an open task late at ``now``, else 0 (SQL, to sum over open tasks)."""
    return case((lateness.late_unfinished(HumanTask.due_at, now), 1), else_=0)


def met_percent(met_count: int, completed: int) -> float | None:
    """Return the share of completed tasks that met their standard, in percent (1 decimal)."""
    return round(100 * met_count / completed, 1) if completed else None


def standard_seconds(iso: str | None, calendar: SlaCalendar | None = None) -> float | None:
    """Return the seconds of a time standard; None without one or when it is no duration.

    Given the office's calendar, the seconds are the counted time the standard stands for
    (under working hours a day is the average working day), comparable with ``working_seconds``.
    """
    if calendar is None:
        value = durations.seconds(iso)
        return None if value is None else float(value)
    standard = durations.try_parse(iso)
    return None if standard is None else calendar.length(standard).total_seconds()


def counts_working_days() -> bool:
    """Return whether the office's calendar counts a standard's days as working days."""
    return isinstance(sla_calendar(), WorkingHoursCalendar)


_SAID_ID = re.compile(r"(\d+) (menit|jam|hari|minggu|bulan|tahun|detik)( kerja)?")


def _unit_words(count: int, unit: str, working: bool) -> str:
    """One part of a duration ('3 hari kerja') through the catalog, plural by ``count``."""
    # Literal msgids, one per unit, so that extraction finds them; English lives in the catalog.
    if working and unit == "hari":
        return ngettext("%(num)d hari kerja", "%(num)d hari kerja", count)
    if working and unit == "minggu":
        return ngettext("%(num)d minggu kerja", "%(num)d minggu kerja", count)
    if unit == "tahun":
        return ngettext("%(num)d tahun", "%(num)d tahun", count)
    if unit == "bulan":
        return ngettext("%(num)d bulan", "%(num)d bulan", count)
    if unit == "minggu":
        return ngettext("%(num)d minggu", "%(num)d minggu", count)
    if unit == "hari":
        return ngettext("%(num)d hari", "%(num)d hari", count)
    if unit == "jam":
        return ngettext("%(num)d jam", "%(num)d jam", count)
    if unit == "menit":
        return ngettext("%(num)d menit", "%(num)d menit", count)
    return ngettext("%(num)d detik", "%(num)d detik", count)


def in_readers_words(said_id: str) -> str:
    """A duration said in Indonesian ('3 hari kerja') in the reader's language ('3 working
    days' to an English reader), each part from the catalog; other text stays as written."""
    return _SAID_ID.sub(
        lambda m: _unit_words(int(m.group(1)), m.group(2), bool(m.group(3))), said_id
    )


def standard_words(iso: str | None, calendar: SlaCalendar) -> str:
    """Say a time standard as the calendar counts it ('3 hari kerja', to an English reader
    '3 working days'), or return it as written."""
    standard = durations.try_parse(iso)
    return in_readers_words(calendar.words_id(standard)) if standard is not None else (iso or "")


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def step_figures(process_id: str, since: datetime, until: datetime) -> list[StepFigures]:
    """Per step of the published diagram (people's and timed automatic ones): met / median /
    p90 in the period, open now."""
    version = published_version(process_id)
    if version is None:
        return []
    process = parsed(version)
    # Median and p90 are working_seconds (counted by this calendar), so the standard is too.
    calendar = sla_calendar()
    steps = {
        s.bpmn_id: StepFigures(
            bpmn_id=s.bpmn_id,
            name=s.name,
            lane=s.lane or "",
            # The timer the due times come from, as counted; sopWaktu only for steps without one.
            standard=standard_words(s.time_standard, calendar) or s.properties.get("sopWaktu", ""),
            standard_seconds=standard_seconds(s.time_standard, calendar),
        )
        for s in process.user_steps + timed_service_steps(process)
    }
    of_process = HumanTask.process_id == process_id
    done = and_(
        of_process,
        HumanTask.status == TaskStatus.COMPLETED,
        HumanTask.completed_at >= since,
        HumanTask.completed_at < until,
    )
    for bpmn_id, completed, met_count in db.session.execute(
        select(HumanTask.bpmn_id, func.count(), func.sum(met()))
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
    automatic = timed_service_steps(process)
    for bpmn_id, times in service_step_times(process_id, automatic, since, until, calendar).items():
        figures = steps[bpmn_id]
        figures.completed, figures.met = times["completed"], times["met"]
        figures.open_now, figures.overdue_now = times["open_now"], times["overdue_now"]
        durations.setdefault(bpmn_id, []).extend(times["seconds"])
    for bpmn_id, values in durations.items():
        if bpmn_id in steps and values:
            values.sort()
            steps[bpmn_id].median_seconds = statistics.median(values)
            steps[bpmn_id].p90_seconds = _percentile(values, 90)
    now = utcnow()
    for bpmn_id, open_count, overdue_count in db.session.execute(
        select(HumanTask.bpmn_id, func.count(), func.sum(overdue_flag(now)))
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
        .where(overdue(utcnow()))
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(limit)
    )
    if process_id:
        query = query.where(HumanTask.process_id == process_id)
    return list(db.session.scalars(query))
