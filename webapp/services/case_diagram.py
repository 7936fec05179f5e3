"""What a case's diagram marks: the steps it passed in order, which are open, late or failed.

Read from sopflow's own rows (``human_task``, ``service_call``, the instance's outcome), never
from the engine's task tree: compaction drops a looping case's early history from that tree.
The page draws the path between consecutive steps (gateways and flows taken) from this order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import (
    HumanTask,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
    TaskStatus,
)
from ..models.types import utcnow
from . import lateness
from .processes import parsed

# An automatic step not yet finished: waiting for a worker or running.
UNFINISHED_CALLS = (ServiceCallStatus.QUEUED, ServiceCallStatus.RUNNING)


def diagram_marks(
    instance: ProcessInstance, tasks: list[HumanTask], calls: list[ServiceCall]
) -> dict[str, Any]:
    """The element ids to mark on a case's diagram and the order the case passed them."""
    now = utcnow()
    open_tasks = [t for t in tasks if t.status == TaskStatus.OPEN]
    active = sorted({t.bpmn_id for t in open_tasks})
    if instance.status == InstanceStatus.RUNNING and not open_tasks:
        process = parsed(instance.version)
        active += [s.bpmn_id for s in process.steps.values() if s.name == instance.current_step]
    failed = sorted(
        {c.bpmn_id for c in calls if c.status in ("failed", "interrupted")}
        if instance.status == InstanceStatus.ERROR
        else set()
    )
    visits: list[tuple[datetime, int, str]] = [
        (t.ready_at or t.completed_at or now, 0, t.bpmn_id) for t in tasks
    ]
    seen_calls: set[str] = set()
    for call in calls:  # a retried call is the same visit, not a new round
        if call.spiff_task_id not in seen_calls:
            seen_calls.add(call.spiff_task_id)
            visits.append((call.created_at, 1, call.bpmn_id))
    visits.sort(key=lambda v: (v[0], v[1]))
    return {
        "done": sorted(
            {t.bpmn_id for t in tasks if t.status == TaskStatus.COMPLETED}
            | {c.bpmn_id for c in calls if c.status in ("succeeded", "skipped")}
        ),
        "active": active,
        # Late by ``lateness``'s rule, a person's task or an automatic step alike.
        "overdue": sorted(
            {t.bpmn_id for t in open_tasks if lateness.is_late(t.due_at, None, now)}
            | {
                c.bpmn_id
                for c in calls
                if c.status in UNFINISHED_CALLS and lateness.is_late(c.due_at, None, now)
            }
        ),
        "late": sorted(
            (
                {
                    t.bpmn_id
                    for t in tasks
                    if t.status == TaskStatus.COMPLETED
                    and t.completed_at
                    and lateness.is_late(t.due_at, t.completed_at, now)
                }
                | {
                    c.bpmn_id
                    for c in calls
                    if c.status == ServiceCallStatus.SUCCEEDED
                    and c.finished_at
                    and lateness.is_late(c.due_at, c.finished_at, now)
                }
            )
            - set(active)  # a late first round does not hide the open second one
        ),
        "failed": failed,
        "visits": [bpmn_id for _, _, bpmn_id in visits],
        "end": instance.outcome_id if instance.status == InstanceStatus.COMPLETED else None,
    }
