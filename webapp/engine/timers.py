"""Boundary timers: due times by the SLA calendar, and which timers fired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import durations
from .calendar import SlaCalendar

ARMED_FLAG = "sopflow_calendar"


@dataclass(frozen=True)
class WaitingTimer:
    """A timer that waits: its task, its element, when it is due, and the task it guards."""

    task_id: str
    bpmn_id: str
    due: datetime
    attached_task_id: str | None
    interrupting: bool


def parse_dt(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _attached(task: Task) -> str | None:
    """The id of the task a boundary timer sits on (its sibling under the boundary split)."""
    if not isinstance(task.task_spec, BoundaryEvent) or task.parent is None:
        return None
    for sibling in task.parent.children:
        if not isinstance(sibling.task_spec, BoundaryEvent):
            return str(sibling.id)
    return None


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    """List the timers that are armed and waiting, soonest first."""
    result = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        value = task.internal_data.get("event_value")
        if isinstance(definition, TimerEventDefinition) and isinstance(value, str):
            result.append(
                WaitingTimer(
                    task_id=str(task.id),
                    bpmn_id=task.task_spec.bpmn_id,
                    due=parse_dt(value),
                    attached_task_id=_attached(task),
                    interrupting=bool(getattr(task.task_spec, "cancel_activity", True)),
                )
            )
    return sorted(result, key=lambda t: t.due)


def arm_with_calendar(workflow: BpmnWorkflow, calendar: SlaCalendar | None) -> int:
    """Move newly armed duration timers to their due time in working time; return how many.

    SpiffWorkflow arms a duration timer at ``now + duration`` in wall-clock time. A time
    standard counts by the office's calendar (its days working days, its hours working time),
    so the due time is recomputed once, from the same moment of arming, by the calendar from
    the standard as written, and flagged so it is never moved again.
    """
    if calendar is None:
        return 0
    moved = 0
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, DurationTimerEventDefinition):
            continue
        value = task.internal_data.get("event_value")
        if not isinstance(value, str) or task.internal_data.get(ARMED_FLAG):
            continue
        expression = workflow.script_engine.evaluate(task, definition.expression)
        # Undo SpiffWorkflow's arithmetic with its own reading of the expression; the time
        # standard itself is our reading (a fraction such as PT1.5H runs but is no standard).
        spiff_delta = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(expression)
        )
        standard = durations.try_parse(expression)
        armed_at = parse_dt(value) - spiff_delta
        # The Duration keeps its day part apart, so the calendar can count it in working days.
        due = calendar.add(armed_at, standard if standard is not None else spiff_delta)
        task.internal_data["event_value"] = due.astimezone(UTC).isoformat()
        task.internal_data[ARMED_FLAG] = True
        moved += 1
    return moved
