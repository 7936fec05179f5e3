"""Staff actions on a task: open it, claim it, release it, complete it.

Each public function that changes something is one transaction: lock the instance, load it,
act, run the engine until it waits, save, append audit events, commit (see ``runtime``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date, format_time
from flask_babel import gettext as _
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ...engine.instance import ProcessInstance as EngineInstance
from ...engine.instance import TaskNotReady
from ...extensions import db
from ...models import Attachment, HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User
from ...models.types import utcnow
from .. import access, attachments, audit, forms, runtime
from ..commit import commit_keeping_loaded
from ..errors import Conflict, Forbidden, NotFound
from ..version_cache import compiled
from .form_input import undone_on_failure, validated


@dataclass
class Completed:
    """A completed task, its case and the case's open tasks after it (for the answer)."""

    task: HumanTask
    instance: ProcessInstance
    open_tasks: list[HumanTask]
    # Read with the task; held here so the answer names them without reading them again.
    starter: User | None = None


def _refresh_task(task_id: int, lock: bool = False) -> HumanTask:
    """Re-read a task row; ``lock`` makes it a locking read, which sees the latest commit
    even under MariaDB's REPEATABLE READ snapshot."""
    query = select(HumanTask).where(HumanTask.id == task_id)
    if lock:
        query = query.with_for_update()
    task = db.session.scalar(query.execution_options(populate_existing=True))
    if task is None:
        raise NotFound(_("Tugas tidak ditemukan."))
    return task


def complete_step(
    row: ProcessInstance,
    engine: EngineInstance,
    task: HumanTask,
    user: User,
    data: dict[str, Any],
    stored: list[Attachment],
    open_rows: dict[str, HumanTask] | None = None,
) -> list[HumanTask]:
    """Complete a user task in the engine and in its row, then save (caller's transaction).

    Returns the task rows the step opened; ``open_rows`` as for ``runtime.sync_rows``.
    """
    now = utcnow()
    for attachment in stored:
        attachment.instance_id = row.id
        attachment.human_task_id = task.id
    # The stored submission is exactly what reached the workflow (scripts cannot alter it).
    task.form_data = copy.deepcopy(data)
    engine.complete_user_task(task.spiff_task_id, data)
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    task.working_seconds = runtime.sla_calendar().elapsed(task.ready_at, now).total_seconds()
    task.completed_by_id = user.id
    if task.assigned_user_id is None:
        task.assigned_user_id = user.id
    created = runtime.sync_rows(row, engine, open_rows)
    audit.record("task.completed", user, row, task, step=task.bpmn_id)
    return created


# The statements every task action runs are built once: building a select with its loader
# options and computing its cache key costs more CPU than PostgreSQL takes to answer it.
_TASK_WITH_PEOPLE = (
    select(HumanTask)
    .where(HumanTask.id == bindparam("task_id"))
    .options(
        joinedload(HumanTask.candidates),
        joinedload(HumanTask.assigned_user),
        joinedload(HumanTask.completed_by),
        joinedload(HumanTask.instance)
        .options(defer(ProcessInstance.state))
        .joinedload(ProcessInstance.started_by),
    )
)


def task_for(user: User, task_id: int, action: str = "open") -> HumanTask:
    """Return a task the user may work on; 404 when unknown, 403 (audited) otherwise.

    The task comes with its people (candidates, holder, completer) and its case (without the
    case's state) and the case's starter, in one statement: the access rules, the form and the
    answer need them.
    """
    task = db.session.scalars(_TASK_WITH_PEOPLE, {"task_id": task_id}).unique().first()
    if task is None:
        raise NotFound(_("Tugas tidak ditemukan."))
    if task.status == TaskStatus.OPEN and not access.can_work(user, task):
        audit.record("task.forbidden", user, task=task, attempted=action)
        db.session.commit()
        raise Forbidden(
            _("Tugas ini bukan untuk Anda: hanya pelaksana '%(lane)s'.", lane=task.lane)
        )
    if task.status != TaskStatus.OPEN and not (
        task.completed_by_id == user.id
        or access.can_work(user, task)
        or access.can_view_instance(user, task.instance)
    ):
        audit.record("task.forbidden", user, task=task, attempted=action)
        db.session.commit()
        raise Forbidden(_("Tugas ini bukan untuk Anda."))
    return task


def task_form(task: HumanTask) -> forms.TaskForm:
    """Return the form of a task's step (built once per version; see ``forms.load_form``)."""
    version_id = task.instance.version_id
    step = compiled(version_id).process.steps.get(task.bpmn_id)
    if step is None:
        raise NotFound(_("Langkah tidak ada lagi di diagram."))
    return forms.load_form(version_id, step)


def _person(user_id: int | None) -> User | None:
    """A task's holder or completer, read when a refusal names them (not a lazy load)."""
    return db.session.get(User, user_id) if user_id is not None else None


def _done_message(task: HumanTask) -> str:
    completer = _person(task.completed_by_id)
    who = completer.display_name if completer else "?"
    # The locale's medium date: its short one writes the year in two digits ('30/11/26').
    done = task.completed_at
    when = f"{format_date(done, 'medium')} {format_time(done, 'short')}" if done else ""
    if task.status == TaskStatus.COMPLETED:
        return _("Tugas ini sudah diselesaikan oleh %(who)s pada %(when)s.", who=who, when=when)
    return _("Tugas ini sudah tidak aktif.")


def _check_completable(task: HumanTask, user: User) -> None:
    """Refuse (409) a task that is done or that someone else holds."""
    if task.status != TaskStatus.OPEN:
        raise Conflict(_done_message(task))
    if task.assigned_user_id not in (None, user.id):
        holder = _person(task.assigned_user_id)
        who = holder.display_name if holder else "?"
        raise Conflict(_("Tugas ini sedang dikerjakan oleh %(who)s.", who=who))


# What may change on a task row while nobody holds its case's lock: re-read under the lock.
_MUTABLE = ("status", "assigned_user_id", "claimed_at", "completed_by_id", "completed_at")
_MUTABLE += ("due_at", "breached_at")


_LOCK_TASKS = (
    select(HumanTask.id, *(getattr(HumanTask, name) for name in _MUTABLE))
    .where(
        HumanTask.instance_id == bindparam("instance_id"),
        or_(HumanTask.status == TaskStatus.OPEN, HumanTask.id == bindparam("task_id")),
    )
    .with_for_update()
)


# PostgreSQL locks the case and its open tasks in one statement: it locks each row it returns
# table by table in the FROM order, so the case's row first, as the two statements below do.
# MariaDB locks rows in the order its join reads them (it may read the tasks first): there the
# case is locked on its own first.
_LOCK_CASE = (
    select(ProcessInstance, HumanTask.id, *(getattr(HumanTask, name) for name in _MUTABLE))
    .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
    .where(
        ProcessInstance.id == bindparam("instance_id"),
        or_(HumanTask.status == TaskStatus.OPEN, HumanTask.id == bindparam("task_id")),
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _lock_case(task: HumanTask) -> tuple[ProcessInstance, dict[str, HumanTask]]:
    """Lock the task's case (see ``runtime.lock_instance``) and its open tasks (see
    ``_locked_tasks``); return the case's row and its open tasks by the engine's task id."""
    if db.session.get_bind().dialect.name == "postgresql":
        params = {"instance_id": task.instance_id, "task_id": task.id}
        rows = db.session.execute(_LOCK_CASE, params).all()
        if rows:  # else the case or the task is gone: the two statements say which
            return rows[0][0], _locked_tasks(task.instance_id, task, rows)
    row = runtime.lock_instance(task.instance_id)
    return row, _locked_tasks(row.id, task)


def _locked_tasks(instance_id: int, task: HumanTask, rows: Any = None) -> dict[str, HumanTask]:
    """Under the instance's lock: lock and re-read the task and the case's other open tasks
    (``rows``: the id and changing columns of each, when the caller has locked them).

    The task's changing columns are brought up to date in place (a locking read sees the latest
    commit even under MariaDB's REPEATABLE READ snapshot); other open tasks, rare, are loaded
    with their candidates. Returns the open ones by the engine's task id.
    """
    if rows is None:
        params = {"instance_id": instance_id, "task_id": task.id}
        rows = db.session.execute(_LOCK_TASKS, params).all()
    fresh = next((r for r in rows if r.id == task.id), None)
    if fresh is None:
        raise NotFound(_("Tugas tidak ditemukan."))
    for name in _MUTABLE:
        set_committed_value(task, name, getattr(fresh, name))
    others = [r.id for r in rows if r.id != task.id]
    found = [task]
    if others:
        found += db.session.scalars(
            select(HumanTask)
            .where(HumanTask.id.in_(others))
            .options(selectinload(HumanTask.candidates))
            .execution_options(populate_existing=True)
        ).all()
    return {t.spiff_task_id: t for t in found if t.status == TaskStatus.OPEN}


def complete_task(
    user: User,
    task_id: int,
    data: dict[str, Any],
    uploads: dict[str, attachments.Upload] | None = None,
) -> HumanTask:
    """Complete a user task with form data; 409 when someone else got there first."""
    return complete_and_next(user, task_id, data, uploads).task


def complete_and_next(
    user: User,
    task_id: int,
    data: dict[str, Any],
    uploads: dict[str, attachments.Upload] | None = None,
) -> Completed:
    """Complete a user task as ``complete_task`` does; return it with its case's open tasks."""
    uploads = uploads or {}
    task = task_for(user, task_id, "complete")
    starter = task.instance.started_by
    _check_completable(task, user)
    form = task_form(task)
    data = dict(data)
    stored, paths = validated(form, data, uploads, user)
    try:
        with undone_on_failure(paths):
            row, open_rows = _lock_case(task)
            # Checked again under the lock: the first check read what may have changed since.
            _check_completable(task, user)
            if row.status in (InstanceStatus.SUSPENDED, InstanceStatus.TERMINATED):
                raise Conflict(_("Kasus ini sedang ditangguhkan atau dihentikan."))
            engine = runtime.load(row)
            try:
                created = complete_step(row, engine, task, user, data, stored, dict(open_rows))
            except TaskNotReady as exc:
                raise Conflict(_("Tugas ini sudah tidak menunggu isian.")) from exc
            commit_keeping_loaded()
    except StaleDataError as exc:
        raise Conflict(_done_message(_refresh_task(task_id))) from exc
    still_open = [t for t in open_rows.values() if t.status == TaskStatus.OPEN]
    return Completed(task, row, still_open + created, starter)


def _hand_over_statement(from_lane: bool):
    held = HumanTask.assigned_user_id
    return (
        update(HumanTask)
        .where(
            HumanTask.id == bindparam("task_id"),
            HumanTask.status == TaskStatus.OPEN,
            held.is_(None) if from_lane else held == bindparam("holder"),
        )
        .values(
            assigned_user_id=bindparam("new_holder", type_=held.type),
            claimed_at=bindparam("at", type_=HumanTask.claimed_at.type),
        )
        .execution_options(synchronize_session=False)
    )


# By whether the task is taken from its lane (no holder) or from a holder.
_HAND_OVER = {True: _hand_over_statement(True), False: _hand_over_statement(False)}


def hand_over(
    task_id: int, holder: int | None, new_holder: int | None, task: HumanTask | None = None
) -> bool:
    """Move an open task from ``holder`` to ``new_holder`` (None: its lane) if it is so held.

    One conditional UPDATE: of two people acting on the task at once, exactly one matches.
    False means someone else acted first; the caller rolls back and says what happened.
    When it matched, the loaded ``task`` (if given) now holds what was written: no re-read.
    """
    claimed_at = utcnow() if new_holder else None
    result = db.session.execute(
        _HAND_OVER[holder is None],
        {"task_id": task_id, "holder": holder, "new_holder": new_holder, "at": claimed_at},
    )
    if result.rowcount != 1:
        return False
    if task is not None:
        set_committed_value(task, "assigned_user_id", new_holder)
        set_committed_value(task, "claimed_at", claimed_at)
    return True


def _still_open(task_id: int) -> HumanTask:
    """After a lost race: roll back, re-read the task, 409 unless it is still open."""
    db.session.rollback()
    task = _refresh_task(task_id)
    if task.status != TaskStatus.OPEN:
        raise Conflict(_done_message(task))
    return task


def claim_task(user: User, task_id: int) -> HumanTask:
    """Take an open task of one's lane; 409 when someone else holds it.

    Claiming a task one already holds (a double click, a retried call) changes nothing and
    records nothing a second time.
    """
    task = task_for(user, task_id, "claim")
    if task.status != TaskStatus.OPEN:
        raise Conflict(_done_message(task))
    if task.assigned_user_id == user.id:
        return task
    if not hand_over(task_id, None, user.id, task):
        task = _still_open(task_id)
        if task.assigned_user_id == user.id:
            return task  # our own earlier click won
        holder = _person(task.assigned_user_id)
        raise Conflict(
            _("Tugas ini sudah diambil oleh %(who)s.", who=holder.display_name if holder else "?")
        )
    audit.record("task.claimed", user, task=task)
    commit_keeping_loaded()
    return task


def release_task(user: User, task_id: int) -> HumanTask:
    """Give a claimed task back to its lane."""
    task = task_for(user, task_id, "release")
    if not hand_over(task_id, user.id, None, task):
        _still_open(task_id)
        raise Conflict(_("Tugas ini tidak sedang Anda pegang."))
    audit.record("task.released", user, task=task)
    commit_keeping_loaded()
    return task
