"""A case's outcome: the end event of the top-level process its main path reached."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState


@dataclass(frozen=True)
class Outcome:
    """An end event as a case's result: its diagram id and its name."""

    id: str
    name: str


def outcome_events(spec: Any) -> list[Outcome]:
    """List the end events a case can finish at, nearest the start first.

    An end event counts when a path from the start reaches it without passing through a
    non-interrupting boundary event: those paths (a time standard's escalation) run beside the
    case and end at "Eskalasi tercatat" while the case goes on, so they never decide its result.
    An interrupting boundary event replaces the task's path, so its end is a real outcome.
    """
    seen: set[str] = set()
    ends: list[Outcome] = []
    queue = list(spec.start.outputs)
    while queue:
        task_spec = queue.pop(0)
        if task_spec.name in seen:
            continue
        seen.add(task_spec.name)
        if isinstance(task_spec, BoundaryEvent) and not task_spec.cancel_activity:
            continue
        if isinstance(task_spec, EndEvent):
            ends.append(_outcome(task_spec))
        queue.extend(task_spec.outputs)
    return ends


def reached_end_events(workflow: BpmnWorkflow) -> list[Outcome]:
    """List the top-level process's end events that completed, first completed first."""
    done = [
        t
        for t in workflow.tasks.values()
        if isinstance(t.task_spec, EndEvent) and t.state == TaskState.COMPLETED
    ]
    done.sort(key=lambda t: t.last_state_change)
    return [_outcome(t.task_spec) for t in done]


def _outcome(spec: Any) -> Outcome:
    return Outcome(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id)


def choose_outcome(reached: list[Outcome], possible: list[Outcome]) -> Outcome | None:
    """Pick the outcome among the end events reached: the last one on the case's main path.

    Parallel branches may each reach an end; the one reached last closed the case. Without any
    main-path end (a diagram whose only ends hang off escalations) the last end reached counts.
    """
    main = {o.id for o in possible}
    on_path = [o for o in reached if o.id in main]
    if on_path:
        return on_path[-1]
    return reached[-1] if reached else None


def outcome_in_state(state: str, possible: list[Outcome]) -> Outcome | None:
    """Read the outcome from a stored state without restoring the workflow (for backfills).

    Only the top-level task list is read; a task names its spec by the element id, and an end
    event reached last has the latest ``last_state_change``.
    """
    by_id = {o.id: o for o in possible}
    tasks = json.loads(state).get("tasks", {})
    done = [
        t
        for t in tasks.values()
        if t.get("task_spec") in by_id and t.get("state") == TaskState.COMPLETED
    ]
    if not done:
        return None
    last = max(done, key=lambda t: t.get("last_state_change") or 0)
    return by_id[last["task_spec"]]
