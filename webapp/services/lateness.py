"""Whether a step is late: one rule for people's tasks and automatic steps, on every page.

A step held to a time standard (Mutu Baku) has a due time: the fire time of its boundary timer,
armed by the office's calendar when the step became ready. A person's task stores it when it
becomes ready (``human_task.due_at``); an automatic step when it is queued
(``service_call.due_at``), so a queue that waits for a worker counts against the standard as the
timer does. The step is late when it finished after its due time, or is unfinished once its due
time has come: at that instant the timer fires and escalates, so no page may still say on time.
Finishing at the due time itself is on time, and a step without a due time is never late.

The dashboard, the SLA page, the case page and its diagram, the repair report, the CSV export,
worklist badges and the admin list all ask this module. The rule is written twice, side by side:
``is_late`` for a row a page already holds, and ``late`` (with its two halves) as SQL, so counts
and lists stay GROUP BYs and LIMITed lists in the database. tests/services/test_lateness.py
feeds the same steps through both on every database and asserts they agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_

from ..engine import durations
from ..engine.calendar import SlaCalendar


def due_time(
    calendar: SlaCalendar, time_standard: str | None, start: datetime | None
) -> datetime | None:
    """The due time of a step with ``time_standard`` (ISO 8601) counted from ``start`` by the
    office's calendar, as its boundary timer is armed; None when it has no standard or has not
    started. For a step that never armed its timer (run inline, or before migration 0007)."""
    standard = durations.try_parse(time_standard)
    if standard is None or start is None:
        return None
    return calendar.add(start, standard)


# --- The rule in Python: one step a page already holds. ---------------------------------


def is_late(due_at: datetime | None, finished_at: datetime | None, now: datetime) -> bool:
    """Whether a step is late: finished after its due time, or unfinished at ``now`` when its
    due time has come (its timer fires then)."""
    if due_at is None:
        return False
    if finished_at is not None:
        return finished_at > due_at
    return now >= due_at


def kept_standard(due_at: datetime | None, finished_at: datetime) -> bool:
    """Whether a finished step kept its time standard (the report's and case page's 'met')."""
    return not is_late(due_at, finished_at, finished_at)


# --- The same rule in SQL: counts and lists over human_task and service_call. ------------


def late_unfinished(due_at: Any, now: datetime) -> ColumnElement[bool]:
    """SQL: an unfinished step (open task, queued or running call) is late at ``now`` from its
    due time on; NULL due never."""
    return due_at <= now


def late_finished(due_at: Any, finished_at: Any) -> ColumnElement[bool]:
    """SQL: a finished step finished after its due time; NULL due never."""
    return finished_at > due_at


def late(due_at: Any, finished_at: Any, now: datetime) -> ColumnElement[bool]:
    """SQL twin of ``is_late`` for any step, finished or not (the two halves above joined).

    A row whose ``finished_at`` is NULL counts as unfinished, late from its due time on, so
    callers restrict the rows to finished ones and unfinished ones (open tasks, queued or running
    calls): a row ended without a finish time (a queued call skipped when its case was
    terminated, a cancelled task) would otherwise read as running late for ever. Every caller
    does today; ``is_late`` asks the same of its callers."""
    return or_(
        late_finished(due_at, finished_at),
        and_(finished_at.is_(None), late_unfinished(due_at, now)),
    )


def late_flag(due_at: Any, finished_at: Any, now: datetime) -> ColumnElement[int]:
    """SQL: 1 for a late step, else 0 (to sum); the rows as ``late`` says."""
    return case((late(due_at, finished_at, now), 1), else_=0)


def kept_flag(due_at: Any, finished_at: Any) -> ColumnElement[int]:
    """SQL: 1 for a finished step that kept its standard, else 0 (to sum); twin of
    ``kept_standard``."""
    return case((late_finished(due_at, finished_at), 0), else_=1)
