"""The load–act–save core every action on a running instance uses.

An action locks the instance row, loads its engine, acts, then saves: ``sync_rows`` writes the
state back and brings the materialized rows (human tasks, queued service calls, status, next
timer) in line with the engine. Nothing here commits; the action's transaction does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from service_tasks import REGISTRY

from ..engine.calendar import SlaCalendar
from ..engine.instance import EngineError, PendingServiceTask, ReadyUserTask
from ..engine.instance import ProcessInstance as EngineInstance
from ..engine.spec import SERIALIZER_VERSION, StepInfo
from ..extensions import db
from ..models import (
    HumanTask,
    Incident,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    TaskStatus,
    User,
)
from ..models.types import utcnow
from .errors import NotFound
from .version_cache import compiled


def sla_calendar() -> SlaCalendar:
    """The calendar time standards count by (working hours unless configured otherwise)."""
    return current_app.config["SLA_CALENDAR"]


# Built once (with their cache keys): every action on a case runs them.
_LOCK_INSTANCE = (
    select(ProcessInstance)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_ACTIVE_USERS_NAMED = select(User).where(
    User.username.in_(bindparam("names", expanding=True)), User.active.is_(True)
)


def lock_instance(instance_id: int) -> ProcessInstance:
    """Load an instance row locked for this transaction (FOR UPDATE where the database can)."""
    row = db.session.scalar(_LOCK_INSTANCE, {"instance_id": instance_id})
    if row is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    return row


def load(row: ProcessInstance) -> EngineInstance:
    """Restore the engine of an instance row with the connectors and the office's calendar."""
    return EngineInstance.load(
        compiled(row.version_id).process, row.state, REGISTRY, sla_calendar()
    )


def open_task_rows(instance_id: int) -> dict[str, HumanTask]:
    """The open human_task rows of an instance, by the engine's task id."""
    # Only the open rows: a case that looped many times has a long history not needed here.
    return {
        t.spiff_task_id: t
        for t in db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN
            )
        )
    }


_KNOWN_USERS = "sopflow.active_users"


def note_active_users(users: list[User]) -> None:
    """Remember active users read in this transaction (a form's choices from a role), so that
    the candidates named among them are not read a second time before it ends."""
    session = db.session()
    transaction = session.get_transaction()
    if transaction is None:
        return
    known = session.info.get(_KNOWN_USERS)
    if known is None or known[0] is not transaction:
        known = session.info[_KNOWN_USERS] = (transaction, {})
    known[1].update((u.username, u) for u in users)


def _known_active(names: list[str]) -> list[User] | None:
    """The active users of these names as read earlier in this transaction; None unless all
    of them were."""
    session = db.session()
    known = session.info.get(_KNOWN_USERS)
    transaction = session.get_transaction()
    if known is None or transaction is None or known[0] is not transaction:
        return None
    found = [known[1].get(name) for name in names]
    return None if any(u is None for u in found) else found  # type: ignore[misc]


def _candidates(step: StepInfo | None, data: dict[str, Any]) -> list[User]:
    variable = step.properties.get("candidateUsersVariable") if step else None
    if not variable:
        return []
    names = data.get(variable) or []
    if isinstance(names, str):
        names = [names]
    names = list(dict.fromkeys(str(n) for n in names))
    if not names:
        return []
    known = _known_active(names)
    if known is not None:
        return known
    return list(db.session.scalars(_ACTIVE_USERS_NAMED, {"names": names}))


def _starter_only(row: ProcessInstance, engine: EngineInstance, lane: str | None) -> list[User]:
    """The case's starter, as the only candidate of a task in a starter (applicant) lane."""
    if not engine.process.is_starter_lane(lane) or row.started_by_id is None:
        return []
    # Never everyone with the lane's role: the person who asked, even when deactivated since,
    # so the task waits for them (an administrator may reassign it) instead of going public.
    starter = db.session.get(User, row.started_by_id)
    return [starter] if starter is not None else []


def sync_rows(
    row: ProcessInstance, engine: EngineInstance, open_rows: dict[str, HumanTask] | None = None
) -> list[HumanTask]:
    """Bring human_task rows, status and timer column in line with the engine; return new rows.

    ``open_rows`` are the instance's open task rows when the caller has read them already
    (under its lock), by the engine's task id; otherwise they are read here.
    """
    # Each of these walks the task tree: once per save.
    ready = engine.ready_user_tasks()
    created = sync_tasks(row, engine, open_rows, ready)
    save_state(row, engine, ready)
    return created


def sync_tasks(
    row: ProcessInstance,
    engine: EngineInstance,
    open_rows: dict[str, HumanTask] | None = None,
    ready_tasks: list[ReadyUserTask] | None = None,
) -> list[HumanTask]:
    """Add a human_task row for each newly ready user task, cancel the rows no longer ready."""
    now = utcnow()
    if ready_tasks is None:
        ready_tasks = engine.ready_user_tasks()
    ready = {t.id: t for t in ready_tasks}
    if open_rows is None:
        open_rows = open_task_rows(row.id)
    # A row the caller has just completed is no longer open, whatever it was when read.
    open_rows = {k: t for k, t in open_rows.items() if t.status == TaskStatus.OPEN}
    created = []
    for spiff_id, ready_task in ready.items():
        existing = open_rows.get(spiff_id)
        if existing is not None:
            # A fired (non-interrupting) timer no longer waits: the task keeps its due time.
            if ready_task.due_at is not None:
                existing.due_at = ready_task.due_at
            continue
        step = engine.process.steps.get(ready_task.bpmn_id)
        candidates = _starter_only(row, engine, ready_task.lane) or _candidates(
            step, ready_task.data
        )
        task = HumanTask(
            instance_id=row.id,
            process_id=row.process_id,
            spiff_task_id=spiff_id,
            bpmn_id=ready_task.bpmn_id,
            name=ready_task.name[:255],
            lane=(ready_task.lane or "")[:100],
            ready_at=now,
            due_at=ready_task.due_at,
            candidates=candidates,
            assigned_user_id=candidates[0].id if len(candidates) == 1 else None,
        )
        db.session.add(task)
        created.append(task)
    for spiff_id, task in open_rows.items():
        if spiff_id not in ready:
            task.status = TaskStatus.CANCELLED
    return created


def save_state(row: ProcessInstance, engine: EngineInstance, ready: list[ReadyUserTask]) -> None:
    """Write the engine's state, status, current step and next timer to the instance row."""
    now = utcnow()
    pending = engine.pending_service_tasks()
    queue_pending(row, engine, pending)
    if engine.completed:
        row.status = InstanceStatus.COMPLETED
        row.completed_at = now
        set_outcome(row, engine)
    elif pending:
        row.status = InstanceStatus.RUNNING
    else:
        row.status = InstanceStatus.WAITING
    names = [t.name for t in ready] + [p.name for p in pending]
    row.current_step = ", ".join(names)[:255]
    row.next_timer_at = engine.next_timer_at()
    row.state = engine.dump()
    row.serializer_version = SERIALIZER_VERSION
    row.updated_at = now


def set_outcome(row: ProcessInstance, engine: EngineInstance) -> None:
    """Record the end event the case finished at (None for a cancelled workflow)."""
    outcome = engine.outcome
    row.outcome_id = outcome.id[:255] if outcome else None
    row.outcome_name = outcome.name[:255] if outcome else None


def new_call(
    row: ProcessInstance,
    spiff_task_id: str,
    bpmn_id: str,
    name: str,
    operator: str,
    parameters: Any,
    error: str = "",
    attempt: int = 1,
    reason: str = "",
    due_at: datetime | None = None,
) -> ServiceCall:
    """Add a queued service_call row: one attempt of one service task, keyed for idempotency.

    ``due_at`` is the step's due time (``PendingServiceTask.due_at``), set here, when the step
    is queued, and never by the worker: the queue's wait counts against the standard.
    """
    call = ServiceCall(
        instance_id=row.id,
        spiff_task_id=spiff_task_id,
        bpmn_id=bpmn_id,
        name=name,
        operator=operator,
        parameters=parameters,
        attempt=attempt,
        idempotency_key=f"{row.id}:{spiff_task_id}:{attempt}",
        error=error,
        reason=reason,
        due_at=due_at,
    )
    db.session.add(call)
    return call


def queue_pending(
    row: ProcessInstance,
    engine: EngineInstance,
    pending: list[PendingServiceTask] | None = None,
) -> list[ServiceCall]:
    """Add a queued call for each ready service task that has none yet (caller's transaction)."""
    if pending is None:
        pending = engine.pending_service_tasks()
    if not pending:
        return []
    known = set(
        db.session.scalars(
            select(ServiceCall.spiff_task_id).where(ServiceCall.instance_id == row.id)
        )
    )
    created = []
    for task in pending:
        if task.id in known:
            continue
        parameters, error = service_params(engine, task.id)
        created.append(
            new_call(
                row,
                task.id,
                task.bpmn_id,
                task.name[:255],
                task.operator,
                parameters,
                error,
                due_at=task.due_at,
            )
        )
    return created


def service_params(engine: EngineInstance, task_id: str) -> tuple[Any, str]:
    """Evaluate a service task's parameters; return them (storable as JSON) and an error."""
    try:
        return jsonable(engine.service_params(task_id)), ""
    except EngineError as exc:
        # A parameter expression failed (or went over its budget): the worker reports this
        # cause instead of calling anything.
        return {}, str(exc)[:2000]


def jsonable(value: Any) -> Any:
    """Return ``value`` with every key a string and every leaf JSON can hold (others as text)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def resolve_incidents(row: ProcessInstance, user: User, resolution: str) -> None:
    """Close every open incident of an instance as resolved by ``user``."""
    now = utcnow()
    for incident in db.session.scalars(
        select(Incident).where(Incident.instance_id == row.id, Incident.resolved_at.is_(None))
    ):
        incident.resolved_at = now
        incident.resolved_by_id = user.id
        incident.resolution = resolution


def tasks_of(instance_id: int) -> list[HumanTask]:
    """All task rows of an instance in order, with their people loaded in two queries."""
    return list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id)
            .options(
                joinedload(HumanTask.assigned_user),
                joinedload(HumanTask.completed_by),
                selectinload(HumanTask.candidates),
            )
            .order_by(HumanTask.id)
        )
    )
