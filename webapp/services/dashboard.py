"""The administrators' dashboard: SQL aggregates over process_instance and human_task.

Every figure is a GROUP BY (or a LIMITed list) over the two tables; workflow state is never
loaded and no query runs per row. Weeks are ISO weeks in the office's time zone: their
boundaries are computed here and given to the database as a CASE over plain timestamps, so
the same SQL buckets rows on SQLite, PostgreSQL and MariaDB without date functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, case, func, literal, select

from ..engine.outcomes import outcome_events
from ..extensions import db
from ..models import HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User
from ..models.types import utcnow
from . import sla
from .processes import parsed, published_version
from .sla_service_steps import finished_calls, late_call_counts, late_calls, timed_service_steps

DEFAULT_WEEKS = 12
MAX_DAYS = 731  # two years: about 105 weekly buckets at most
OVERDUE_SHOWN = 20
OVERDUE_EXPORTED = 10_000
ACTIVE = (
    InstanceStatus.RUNNING,
    InstanceStatus.WAITING,
    InstanceStatus.SUSPENDED,
    InstanceStatus.ERROR,
)


def office_zone() -> tzinfo:
    """The time zone in which weeks and months start (the one pages show times in)."""
    return ZoneInfo(current_app.config["WORK_TIMEZONE"])


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Period:
    """Whole days in the office's time zone, the last one included."""

    first_day: date
    last_day: date
    zone: tzinfo

    @classmethod
    def default(cls, now: datetime, zone: tzinfo) -> Period:
        """The current ISO week and the eleven before it, up to today."""
        today = now.astimezone(zone).date()
        return cls(_monday(today) - timedelta(weeks=DEFAULT_WEEKS - 1), today, zone)

    @property
    def since(self) -> datetime:
        return _midnight(self.first_day, self.zone)

    @property
    def until(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return _midnight(self.last_day + timedelta(days=1), self.zone)

    def mondays(self) -> list[date]:
        first, last = _monday(self.first_day), _monday(self.last_day)
        return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]

    def week_bucket(self, column) -> ColumnElement[int]:
        """A CASE giving the index of the week a timestamp falls in (rows of the period only)."""
        mondays = self.mondays()
        whens = [(column < _midnight(m, self.zone), i) for i, m in enumerate(mondays[1:])]
        if not whens:
            return literal(0)
        return case(*whens, else_=len(mondays) - 1)


def _weekly_counts(column, period: Period, *where) -> list[int]:
    """How many process_instance rows have ``column`` in each week of the period."""
    mondays = period.mondays()
    inner = (
        select(period.week_bucket(column).label("week"))
        .where(column >= period.since, column < period.until, *where)
        .subquery()
    )
    counts = [0] * len(mondays)
    for week, count in db.session.execute(
        select(inner.c.week, func.count()).group_by(inner.c.week)
    ):
        counts[int(week)] = count
    return counts


def overdue_now(
    process_id: str,
    now: datetime,
    limit: int = OVERDUE_SHOWN,
    process=None,
    late: list[dict] | None = None,
) -> list[dict]:
    """Open tasks past their due time and automatic steps (step 5, the upload) running past
    their standard (``late``, read here when not given), the longest overdue first, with case
    title and lane."""
    rows = db.session.execute(
        select(
            HumanTask.id.label("task_id"),
            HumanTask.instance_id,
            HumanTask.bpmn_id,
            HumanTask.name.label("step"),
            HumanTask.lane,
            HumanTask.due_at,
            ProcessInstance.title,
            User.full_name,
            User.username,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .outerjoin(User, User.id == HumanTask.assigned_user_id)
        .where(HumanTask.process_id == process_id, sla.overdue(now))
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(limit)
    )
    result = []
    for row in rows.mappings():
        task = {k: row[k] for k in ("task_id", "instance_id", "bpmn_id", "step", "lane")}
        task.update(
            kind="user",
            due_at=row["due_at"],
            overdue_seconds=(now - row["due_at"]).total_seconds(),
            title=row["title"],
            assignee=(row["full_name"] or row["username"]) if row["username"] else None,
        )
        result.append(task)
    if process is None:
        version = published_version(process_id)
        process = parsed(version) if version is not None else None
    if late is None and process is not None:
        late = late_calls(process_id, timed_service_steps(process), now, limit)
    if late is not None:
        for late_call in late:
            call = dict(late_call)
            call.update(
                task_id=None,
                kind="service",
                overdue_seconds=(now - call["due_at"]).total_seconds(),
                assignee=_("sistem (otomatis)"),
            )
            result.append(call)
        result.sort(key=lambda t: t["due_at"])
    return result[:limit]


def _step_row(bpmn_id: str, name: str, lane: str | None, kind: str) -> dict:
    """A row of the running-work table with nothing counted yet."""
    return {
        "bpmn_id": bpmn_id,
        "name": name,
        "lane": lane or "",
        "kind": kind,
        "open": 0,
        "overdue": 0,
        "error": 0,
    }


def _running_by_step(
    process, process_id: str, now: datetime, late_service: dict[str, int]
) -> list[dict]:
    """Open user tasks per step, and running or failed service steps per current step, with
    ``late_service`` (per step, its automatic calls past their standard) counted as overdue
    work."""
    rows = {s.bpmn_id: _step_row(s.bpmn_id, s.name, s.lane, "user") for s in process.user_steps}
    for bpmn_id, name, lane, count, late in db.session.execute(
        select(
            HumanTask.bpmn_id,
            func.max(HumanTask.name),
            func.max(HumanTask.lane),
            func.count(),
            func.sum(sla.overdue_flag(now)),
        )
        .where(HumanTask.process_id == process_id, HumanTask.status == TaskStatus.OPEN)
        .group_by(HumanTask.bpmn_id)
    ):
        # A step of an older version that the published diagram no longer has is still work.
        row = rows.setdefault(bpmn_id, _step_row(bpmn_id, name, lane, "user"))
        row["open"] = count
        row["overdue"] = int(late or 0)
    service_steps = {s.name: s for s in process.steps.values() if s.kind == "service"}
    for current_step, status, count in db.session.execute(
        select(ProcessInstance.current_step, ProcessInstance.status, func.count())
        .where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.status.in_([InstanceStatus.RUNNING, InstanceStatus.ERROR]),
        )
        .group_by(ProcessInstance.current_step, ProcessInstance.status)
    ):
        step = service_steps.get(current_step)
        if step is not None:
            row = rows.setdefault(
                step.bpmn_id, _step_row(step.bpmn_id, current_step, step.lane, "service")
            )
        else:
            name = current_step or _("(tanpa langkah)")
            row = rows.setdefault(f"current:{current_step}", _step_row("", name, "", "service"))
        if status == InstanceStatus.ERROR:
            row["error"] += count
        else:
            row["open"] += count
    # An automatic step running past its standard is late work as a person's task is.
    for bpmn_id, late in late_service.items():
        step = process.steps[bpmn_id]
        row = rows.setdefault(bpmn_id, _step_row(bpmn_id, step.name, step.lane, "service"))
        row["overdue"] += late
        row["open"] = max(row["open"], row["overdue"])
    order = {bpmn_id: i for i, bpmn_id in enumerate(process.steps)}
    return sorted(rows.values(), key=lambda r: order.get(r["bpmn_id"], len(order)))


def _cards(process, process_id: str, now: datetime, zone: tzinfo) -> dict[str, Any]:
    today = now.astimezone(zone).date()
    week_start = _midnight(_monday(today), zone)
    month_start = _midnight(today.replace(day=1), zone)
    # Counts of the present (active statuses) and of this week, each through an index:
    # never a GROUP BY over every case the office ever had.
    of_process = ProcessInstance.process_id == process_id
    by_status: dict[str, int] = dict(
        db.session.execute(
            select(ProcessInstance.status, func.count())
            .where(of_process, ProcessInstance.status.in_(list(ACTIVE)))
            .group_by(ProcessInstance.status)
        ).all()
    )
    started_week = db.session.scalar(
        select(func.count()).where(of_process, ProcessInstance.started_at >= week_start)
    )
    finished_week = db.session.scalar(
        select(func.count()).where(
            of_process,
            ProcessInstance.status == InstanceStatus.COMPLETED,
            ProcessInstance.completed_at >= week_start,
        )
    )
    completed, met = db.session.execute(
        select(func.count(), func.sum(sla.met())).where(
            HumanTask.process_id == process_id,
            HumanTask.status == TaskStatus.COMPLETED,
            HumanTask.completed_at >= month_start,
            HumanTask.completed_at <= now,
        )
    ).one()
    # Step 5 (the upload) counts too, by the same measure as on the SLA page and in the report:
    # its calls finished this month (up to now, as the tasks), held to their standard.
    automatic = finished_calls(
        process_id,
        timed_service_steps(process),
        month_start,
        now + timedelta(microseconds=1),
        lambda _column: literal(0),
    )
    service_done = sum(count for _bpmn_id, _week, count, _met in automatic)
    service_met = sum(kept for _bpmn_id, _week, _count, kept in automatic)
    completed += service_done
    met = int(met or 0) + service_met
    return {
        "running": sum(by_status.get(s, 0) for s in ACTIVE),
        "by_status": {s.value: by_status.get(s, 0) for s in ACTIVE},
        "started_this_week": started_week,
        "finished_this_week": finished_week,
        "week_start": _monday(today),
        "month_start": today.replace(day=1),
        "tasks_completed_this_month": completed,
        "tasks_met_this_month": met,
        "compliance_this_month": sla.met_percent(met, completed),
        "service_steps_this_month": service_done,
        "service_steps_met_this_month": service_met,
    }


def _compliance(process, process_id: str, period: Period, weekly: list[dict]) -> list[dict]:
    """Per user step and week: completed tasks, those done by their due time, the percent."""
    weeks = len(weekly)
    inner = (
        select(
            HumanTask.bpmn_id.label("bpmn_id"),
            period.week_bucket(HumanTask.completed_at).label("week"),
            sla.met().label("met"),
        )
        .where(
            HumanTask.process_id == process_id,
            HumanTask.status == TaskStatus.COMPLETED,
            HumanTask.completed_at >= period.since,
            HumanTask.completed_at < period.until,
        )
        .subquery()
    )
    automatic = timed_service_steps(process)
    steps = {
        s.bpmn_id: {"bpmn_id": s.bpmn_id, "name": s.name, "lane": s.lane or ""}
        for s in process.user_steps + automatic
    }
    completed: dict[str, list[int]] = {k: [0] * weeks for k in steps}
    met: dict[str, list[int]] = {k: [0] * weeks for k in steps}
    # Step 5 (the upload) is held to its standard too, by the same rule.
    for bpmn_id, week, count, kept in finished_calls(
        process_id, automatic, period.since, period.until, period.week_bucket
    ):
        completed[bpmn_id][week] += count
        met[bpmn_id][week] += kept
    for bpmn_id, week, count, met_count in db.session.execute(
        select(inner.c.bpmn_id, inner.c.week, func.count(), func.sum(inner.c.met)).group_by(
            inner.c.bpmn_id, inner.c.week
        )
    ):
        if bpmn_id not in steps:
            continue  # a step the published diagram no longer has
        completed[bpmn_id][int(week)] = count
        met[bpmn_id][int(week)] = int(met_count or 0)
    for i, week in enumerate(weekly):
        week["tasks_completed"] = sum(c[i] for c in completed.values())
        week["tasks_met"] = sum(m[i] for m in met.values())
        week["compliance"] = sla.met_percent(week["tasks_met"], week["tasks_completed"])
    return [
        dict(
            step,
            completed=completed[k],
            met=met[k],
            percent=[sla.met_percent(m, c) for m, c in zip(met[k], completed[k], strict=True)],
        )
        for k, step in steps.items()
    ]


def _outcomes(process, process_id: str, period: Period) -> list[dict]:
    """Cases completed in the period per outcome (the end event reached), with their share.

    Every end event of the published diagram is listed, in the order the case can reach them,
    even at zero; an outcome only older versions had follows; cases finished before outcomes
    were recorded (NULL) are counted under an id of "".
    """
    counts: dict[str, tuple[str, int]] = {}
    for outcome_id, name, count in db.session.execute(
        select(ProcessInstance.outcome_id, func.max(ProcessInstance.outcome_name), func.count())
        .where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.status == InstanceStatus.COMPLETED,
            ProcessInstance.completed_at >= period.since,
            ProcessInstance.completed_at < period.until,
        )
        .group_by(ProcessInstance.outcome_id)
    ):
        counts[outcome_id or ""] = (name or "", count)
    rows = [
        {"id": o.id, "name": o.name, "count": counts.pop(o.id, ("", 0))[1]}
        for o in outcome_events(process.spec)
    ]
    unknown = counts.pop("", None)
    rows += [{"id": k, "name": name or k, "count": n} for k, (name, n) in sorted(counts.items())]
    if unknown is not None:
        rows.append({"id": "", "name": _("(hasil tidak tercatat)"), "count": unknown[1]})
    total = sum(r["count"] for r in rows)
    for row in rows:
        row["percent"] = round(100 * row["count"] / total, 1) if total else None
    return rows


def dashboard(process_id: str, period: Period, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for one published SOP and period."""
    now = now or utcnow()
    version = published_version(process_id)
    if version is None:
        raise LookupError(process_id)
    process = parsed(version)
    of_process = ProcessInstance.process_id == process_id
    started = _weekly_counts(ProcessInstance.started_at, period, of_process)
    finished = _weekly_counts(
        ProcessInstance.completed_at,
        period,
        of_process,
        ProcessInstance.status == InstanceStatus.COMPLETED,
    )
    weekly = [
        {"week": week_label(m), "start": m, "started": s, "finished": f}
        for m, s, f in zip(period.mondays(), started, finished, strict=True)
    ]
    compliance = _compliance(process, process_id, period, weekly)
    automatic = timed_service_steps(process)
    # Counted by a GROUP BY; only as many read as the list shows.
    running = _running_by_step(
        process, process_id, now, late_call_counts(process_id, automatic, now)
    )
    late = late_calls(process_id, automatic, now, OVERDUE_SHOWN)
    durations = [
        {
            "bpmn_id": f.bpmn_id,
            "name": f.name,
            "lane": f.lane,
            "standard": f.standard,
            "standard_seconds": f.standard_seconds,
            "completed": f.completed,
            "met": f.met,
            "met_percent": f.met_percent,
            "median_seconds": f.median_seconds,
            "p90_seconds": f.p90_seconds,
        }
        for f in sla.step_figures(process_id, period.since, period.until)
    ]
    return {
        "process": {"id": process_id, "name": version.definition.name},
        "period": {"from": period.first_day, "to": period.last_day},
        "now": now,
        "cards": dict(
            _cards(process, process_id, now, period.zone),
            overdue=sum(r["overdue"] for r in running),
        ),
        "running_by_step": running,
        "overdue": overdue_now(process_id, now, process=process, late=late),
        "weekly": weekly,
        "compliance": compliance,
        "durations": durations,
        "outcomes": _outcomes(process, process_id, period),
    }


def jsonable(value: Any) -> Any:
    """Dates and times as ISO 8601 text, for JSON."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
