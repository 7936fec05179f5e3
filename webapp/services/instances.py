"""Transactions on instances and their tasks: start, claim, release, complete.

Each public function is one database transaction: lock the instance, load it, act, run the
engine until it waits, save, update the materialized rows, append audit events, commit.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from service_tasks import REGISTRY

from ..engine.calendar import SlaCalendar
from ..engine.instance import EngineError, StateNotSaved, TaskNotReady
from ..engine.instance import ProcessInstance as EngineInstance
from ..engine.spec import SERIALIZER_VERSION, StepInfo
from ..extensions import db
from ..models import (
    HumanTask,
    InstanceStatus,
    InstanceWord,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    User,
    title_words,
)
from ..models.types import utcnow
from . import access, attachments, audit, forms, service_calls, submissions
from .errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from .processes import parsed, published_version

TITLE_FIELDS = ("judul", "title", "subject")


def sla_calendar() -> SlaCalendar:
    """The calendar time standards count by (working hours unless configured otherwise)."""
    return current_app.config["SLA_CALENDAR"]


def _title(data: dict[str, Any], fallback: str) -> str:
    for name in TITLE_FIELDS:
        if isinstance(data.get(name), str) and data[name].strip():
            return data[name].strip()[:255]
    return fallback[:255]


def lock_instance(instance_id: int) -> ProcessInstance:
    """Load an instance row locked for this transaction (FOR UPDATE where the database can)."""
    row = db.session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    return row


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


def _candidates(step: StepInfo | None, data: dict[str, Any]) -> list[User]:
    variable = step.properties.get("candidateUsersVariable") if step else None
    if not variable:
        return []
    names = data.get(variable) or []
    if isinstance(names, str):
        names = [names]
    if not names:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.username.in_([str(n) for n in names]), User.active.is_(True))
        )
    )


def sync_rows(row: ProcessInstance, engine: EngineInstance) -> list[HumanTask]:
    """Bring human_task rows, status and timer column in line with the engine; return new rows."""
    now = utcnow()
    ready = {t.id: t for t in engine.ready_user_tasks()}
    # Only the open rows: a case that looped many times has a long history not needed here.
    open_rows = {
        t.spiff_task_id: t
        for t in db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == row.id, HumanTask.status == TaskStatus.OPEN
            )
        )
    }
    created = []
    for spiff_id, ready_task in ready.items():
        existing = open_rows.get(spiff_id)
        if existing is not None:
            # A fired (non-interrupting) timer no longer waits: the task keeps its due time.
            if ready_task.due_at is not None:
                existing.due_at = ready_task.due_at
            continue
        step = engine.process.steps.get(ready_task.bpmn_id)
        candidates = _candidates(step, ready_task.data)
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
    pending = engine.pending_service_tasks()
    service_calls.queue_pending(row, engine)
    if engine.completed:
        row.status = InstanceStatus.COMPLETED
        row.completed_at = now
    elif pending:
        row.status = InstanceStatus.RUNNING
    else:
        row.status = InstanceStatus.WAITING
    names = [t.name for t in ready.values()] + [p.name for p in pending]
    row.current_step = ", ".join(names)[:255]
    row.next_timer_at = engine.next_timer_at()
    row.state = engine.dump()
    row.serializer_version = SERIALIZER_VERSION
    row.updated_at = now
    return created


def _store_files(
    form: forms.TaskForm, uploads: dict[str, attachments.Upload], data: dict[str, Any], user: User
) -> tuple[list, list[Path], dict[str, str]]:
    """Store uploaded files and put their attachment ids into the data."""
    stored, paths, errors = [], [], {}
    accept = {f.name: f.accept for f in form.fields}
    for name in form.file_fields:
        upload = uploads.get(name)
        if upload is None and isinstance(data.get(name), str) and data[name].startswith("data:"):
            try:
                upload = attachments.from_data_url(data[name])
            except attachments.UploadError as exc:
                errors[name] = str(exc)
                continue
        data.pop(name, None)
        if upload is None:
            continue
        try:
            attachment, path = attachments.store(upload, accept.get(name, ""), name, user)
        except attachments.UploadError as exc:
            errors[name] = str(exc)
            continue
        stored.append(attachment)
        paths.append(path)
        data[name] = attachment.id
    return stored, paths, errors


def _validated(
    form: forms.TaskForm, data: dict[str, Any], uploads: dict[str, attachments.Upload], user: User
):
    # Only the form's fields, bounded in depth and size, go any further (see submissions).
    submissions.check(form.schema, data, form.file_fields)
    # Validate fields first with placeholders for files, so a bad text field never
    # leaves an orphan file behind.
    probe = dict(data)
    for name in form.file_fields:
        if name in uploads or (
            isinstance(probe.get(name), str) and probe[name].startswith("data:")
        ):
            probe[name] = "pending-upload"
        else:
            probe.pop(name, None)
    errors = forms.validate(form, probe)
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    stored, paths, file_errors = _store_files(form, uploads, data, user)
    if file_errors:
        _discard(paths)
        raise Invalid(_("Periksa kembali isian yang ditandai."), file_errors)
    return stored, paths


def _discard(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def start_form(process_id: str) -> tuple[ProcessVersion, StepInfo, forms.TaskForm]:
    """Return the published version, the first step and its form (the start form)."""
    version = published_version(process_id)
    if version is None:
        raise NotFound(_("Proses tidak ditemukan."))
    process = parsed(version)
    step = process.first_user_step()
    return version, step, forms.load_form(version, step)


def can_start(user: User, step: StepInfo) -> bool:
    return bool(step.lane) and user.has_role(step.lane)


def _started_with(key: str | None) -> ProcessInstance | None:
    if not key:
        return None
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.start_key == key))


def start_instance(
    process_id: str,
    user: User,
    data: dict[str, Any],
    uploads: dict[str, attachments.Upload] | None = None,
    submission_key: str | None = None,
) -> tuple[ProcessInstance, bool]:
    """Start an instance: step 1's submission, validated by its schema; one transaction.

    Returns the instance and whether it is new: a submission repeated with the same key (a
    double click, a retried API call) returns the instance the first one started.
    """
    uploads = uploads or {}
    key = f"{user.id}:{submission_key}"[:100] if submission_key else None
    existing = _started_with(key)
    if existing is not None:
        return existing, False
    version, step, form = start_form(process_id)
    if not can_start(user, step):
        audit.record("instance.start_forbidden", user, process_id=process_id)
        db.session.commit()
        raise Forbidden(_("Anda tidak termasuk pelaksana '%(lane)s'.", lane=step.lane))
    data = dict(data)
    stored, paths = _validated(form, data, uploads, user)
    try:
        process = parsed(version)
        engine = EngineInstance.start(process, REGISTRY, sla_calendar())
        row = ProcessInstance(
            version_id=version.id,
            process_id=process_id,
            title=_title(data, process.name),
            started_by_id=user.id,
            start_key=key,
            state="{}",
            serializer_version=SERIALIZER_VERSION,
        )
        db.session.add(row)
        db.session.flush()
        db.session.add_all(InstanceWord(instance_id=row.id, word=w) for w in title_words(row.title))
        created = sync_rows(row, engine)
        first = next((t for t in created if t.bpmn_id == step.bpmn_id), None)
        if first is None:
            raise ServiceError(_("Diagram tidak dimulai dengan langkah '%(s)s'.", s=step.name))
        db.session.flush()
        _complete(row, engine, first, user, data, stored)
        audit.record("instance.started", user, row, process_id=process_id, version=version.version)
        db.session.commit()
    except IntegrityError:
        # The same submission won a race a moment ago: answer with its instance.
        db.session.rollback()
        _discard(paths)
        existing = _started_with(key)
        if existing is None:
            raise
        return existing, False
    except StateNotSaved as exc:
        db.session.rollback()
        _discard(paths)
        raise submissions.state_refused(exc) from exc
    except EngineError as exc:
        db.session.rollback()
        _discard(paths)
        raise ServiceError(_("Proses gagal dijalankan: %(e)s", e=str(exc))) from exc
    except Exception:
        db.session.rollback()
        _discard(paths)
        raise
    return row, True


def _complete(
    row: ProcessInstance,
    engine: EngineInstance,
    task: HumanTask,
    user: User,
    data: dict[str, Any],
    stored: list,
) -> None:
    now = utcnow()
    for attachment in stored:
        attachment.instance_id = row.id
        attachment.human_task_id = task.id
    # The stored submission is exactly what reached the workflow (scripts cannot alter it).
    task.form_data = copy.deepcopy(data)
    engine.complete_user_task(task.spiff_task_id, data)
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    task.working_seconds = sla_calendar().elapsed(task.ready_at, now).total_seconds()
    task.completed_by_id = user.id
    if task.assigned_user_id is None:
        task.assigned_user_id = user.id
    sync_rows(row, engine)
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
        or user.has_role("admin")
        or user.has_role(task.lane)
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


def complete_task(
    user: User,
    task_id: int,
    data: dict[str, Any],
    uploads: dict[str, attachments.Upload] | None = None,
) -> HumanTask:
    """Complete a user task with form data; 409 when someone else got there first."""
    uploads = uploads or {}
    task = task_for(user, task_id, "complete")
    if task.status != TaskStatus.OPEN:
        raise Conflict(_done_message(task))
    if task.assigned_user_id not in (None, user.id):
        raise Conflict(
            _("Tugas ini sedang dikerjakan oleh %(who)s.", who=task.assigned_user.display_name)
        )
    form = task_form(task)
    data = dict(data)
    stored, paths = _validated(form, data, uploads, user)
    try:
        row = lock_instance(task.instance_id)
        task = _refresh_task(task_id, lock=True)
        if task.status != TaskStatus.OPEN:
            raise Conflict(_done_message(task))
        if task.assigned_user_id not in (None, user.id):
            raise Conflict(
                _("Tugas ini sedang dikerjakan oleh %(who)s.", who=task.assigned_user.display_name)
            )
        if row.status in (InstanceStatus.SUSPENDED, InstanceStatus.TERMINATED):
            raise Conflict(_("Kasus ini sedang ditangguhkan atau dihentikan."))
        engine = EngineInstance.load(parsed(row.version), row.state, REGISTRY, sla_calendar())
        _complete(row, engine, task, user, data, stored)
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        _discard(paths)
        task = _refresh_task(task_id)
        raise Conflict(_done_message(task)) from exc
    except TaskNotReady as exc:
        db.session.rollback()
        _discard(paths)
        raise Conflict(_("Tugas ini sudah tidak menunggu isian.")) from exc
    except StateNotSaved as exc:
        db.session.rollback()
        _discard(paths)
        raise submissions.state_refused(exc) from exc
    except EngineError as exc:
        db.session.rollback()
        _discard(paths)
        raise ServiceError(_("Proses gagal dijalankan: %(e)s", e=str(exc))) from exc
    except Exception:
        db.session.rollback()
        _discard(paths)
        raise
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
    # One conditional UPDATE: of two people claiming at once, exactly one matches.
    result = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == task_id,
            HumanTask.status == TaskStatus.OPEN,
            HumanTask.assigned_user_id.is_(None),
        )
        .values(assigned_user_id=user.id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        task = _refresh_task(task_id)
        if task.status != TaskStatus.OPEN:
            raise Conflict(_done_message(task))
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
    result = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == task_id,
            HumanTask.status == TaskStatus.OPEN,
            HumanTask.assigned_user_id == user.id,
        )
        .values(assigned_user_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        task = _refresh_task(task_id)
        if task.status != TaskStatus.OPEN:
            raise Conflict(_done_message(task))
        raise Conflict(_("Tugas ini tidak sedang Anda pegang."))
    audit.record("task.released", user, task=task)
    db.session.commit()
    return _refresh_task(task_id)


def instance_for(user: User, instance_id: int) -> ProcessInstance:
    """Return an instance the user may see; 404 or 403 otherwise."""
    row = db.session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    if not access.can_view_instance(user, row):
        audit.record("instance.forbidden", user, row)
        db.session.commit()
        raise Forbidden(_("Anda tidak berhak melihat kasus ini."))
    return row


def tasks_of(instance_id: int) -> list[HumanTask]:
    """All task rows of an instance in order, with their people loaded in three queries."""
    return list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id)
            .options(
                selectinload(HumanTask.assigned_user),
                selectinload(HumanTask.completed_by),
                selectinload(HumanTask.candidates),
            )
            .order_by(HumanTask.id)
        )
    )
