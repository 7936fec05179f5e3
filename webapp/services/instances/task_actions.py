"""Staff actions on a task: open it, claim it, release it, complete it.

Each public function that changes something is one transaction: lock the instance, load it,
act, run the engine until it waits, save, append audit events, commit (see ``runtime``).
"""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from ...engine.instance import ProcessInstance as EngineInstance
from ...engine.instance import TaskNotReady
from ...extensions import db
from ...models import Attachment, HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User
from ...models.types import utcnow
from .. import access, attachments, audit, forms, runtime
from ..errors import Conflict, Forbidden, NotFound
from ..processes import parsed
from .form_input import undone_on_failure, validated


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
) -> None:
    """Complete a user task in the engine and in its row, then save (caller's transaction)."""
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
    runtime.sync_rows(row, engine)
    audit.record("task.completed", user, row, task, step=task.bpmn_id)


def task_for(user: User, task_id: int, action: str = "open") -> HumanTask:
    """Return a task the user may work on; 404 when unknown, 403 (audited) otherwise."""
    task = db.session.get(HumanTask, task_id)
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
    """Return the form of a task's step."""
    version = task.instance.version
    step = parsed(version).steps.get(task.bpmn_id)
    if step is None:
        raise NotFound(_("Langkah tidak ada lagi di diagram."))
    return forms.load_form(version, step)


def _done_message(task: HumanTask) -> str:
    who = task.completed_by.display_name if task.completed_by else "?"
    when = format_datetime(task.completed_at, "short") if task.completed_at else ""
    if task.status == TaskStatus.COMPLETED:
        return _("Tugas ini sudah diselesaikan oleh %(who)s pada %(when)s.", who=who, when=when)
    return _("Tugas ini sudah tidak aktif.")


def _check_completable(task: HumanTask, user: User) -> None:
    """Refuse (409) a task that is done or that someone else holds."""
    if task.status != TaskStatus.OPEN:
        raise Conflict(_done_message(task))
    if task.assigned_user_id not in (None, user.id):
        raise Conflict(
            _("Tugas ini sedang dikerjakan oleh %(who)s.", who=task.assigned_user.display_name)
        )


def complete_task(
    user: User,
    task_id: int,
    data: dict[str, Any],
    uploads: dict[str, attachments.Upload] | None = None,
) -> HumanTask:
    """Complete a user task with form data; 409 when someone else got there first."""
    uploads = uploads or {}
    task = task_for(user, task_id, "complete")
    _check_completable(task, user)
    form = task_form(task)
    data = dict(data)
    stored, paths = validated(form, data, uploads, user)
    try:
        with undone_on_failure(paths):
            row = runtime.lock_instance(task.instance_id)
            # Checked again under the lock: the first check read what may have changed since.
            task = _refresh_task(task_id, lock=True)
            _check_completable(task, user)
            if row.status in (InstanceStatus.SUSPENDED, InstanceStatus.TERMINATED):
                raise Conflict(_("Kasus ini sedang ditangguhkan atau dihentikan."))
            engine = runtime.load(row)
            try:
                complete_step(row, engine, task, user, data, stored)
            except TaskNotReady as exc:
                raise Conflict(_("Tugas ini sudah tidak menunggu isian.")) from exc
            db.session.commit()
    except StaleDataError as exc:
        raise Conflict(_done_message(_refresh_task(task_id))) from exc
    return task


def hand_over(task_id: int, holder: int | None, new_holder: int | None) -> bool:
    """Move an open task from ``holder`` to ``new_holder`` (None: its lane) if it is so held.

    One conditional UPDATE: of two people acting on the task at once, exactly one matches.
    False means someone else acted first; the caller rolls back and says what happened.
    """
    held = HumanTask.assigned_user_id
    result = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == task_id,
            HumanTask.status == TaskStatus.OPEN,
            held.is_(None) if holder is None else held == holder,
        )
        .values(assigned_user_id=new_holder, claimed_at=utcnow() if new_holder else None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


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
    if not hand_over(task_id, None, user.id):
        task = _still_open(task_id)
        if task.assigned_user_id == user.id:
            return task  # our own earlier click won
        raise Conflict(
            _("Tugas ini sudah diambil oleh %(who)s.", who=task.assigned_user.display_name)
        )
    audit.record("task.claimed", user, task=task)
    db.session.commit()
    return _refresh_task(task_id)


def release_task(user: User, task_id: int) -> HumanTask:
    """Give a claimed task back to its lane."""
    task = task_for(user, task_id, "release")
    if not hand_over(task_id, user.id, None):
        _still_open(task_id)
        raise Conflict(_("Tugas ini tidak sedang Anda pegang."))
    audit.record("task.released", user, task=task)
    db.session.commit()
    return _refresh_task(task_id)
