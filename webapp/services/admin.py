"""Administrators' actions on instances: suspend, resume, terminate, reassign, release.

Each is one transaction, role-checked here, audited, and guarded against a concurrent change:
the caller passes what it saw (the instance's version counter, the task's assignee) and a
changed row is a Conflict with a clear message instead of a silent overwrite.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..extensions import db
from ..models import (
    HumanTask,
    Incident,
    InstanceStatus,
    ProcessInstance,
    Role,
    ServiceCall,
    ServiceCallStatus,
    TaskStatus,
    User,
)
from ..models.types import utcnow
from . import audit, runtime
from .errors import Conflict, Forbidden, Invalid, NotFound
from .instances.task_actions import hand_over

FINISHED = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)


def _admin(user: User) -> None:
    if not user.has_role("admin"):
        raise Forbidden(_("Hanya administrator yang dapat melakukan tindakan ini."))


def _locked(user: User, instance_id: int, seen_version: int | None) -> ProcessInstance:
    _admin(user)
    row = runtime.lock_instance(instance_id)
    if seen_version is not None and row.version_counter != seen_version:
        raise Conflict(
            _("Kasus ini baru saja diubah oleh orang lain. Muat ulang halaman lalu coba lagi.")
        )
    return row


def suspend(user: User, instance_id: int, seen_version: int | None = None) -> ProcessInstance:
    """Hold a case: no timer fires, no service call runs, no task can be completed."""
    row = _locked(user, instance_id, seen_version)
    if row.status in FINISHED or row.status == InstanceStatus.SUSPENDED:
        raise Conflict(_("Kasus dengan status ini tidak dapat ditangguhkan."))
    previous = row.status
    row.status = InstanceStatus.SUSPENDED
    row.updated_at = utcnow()
    audit.record("instance.suspended", user, row, previous=previous)
    db.session.commit()
    return row


def resume(user: User, instance_id: int, seen_version: int | None = None) -> ProcessInstance:
    """Let a held case go on; timers that fell due meanwhile fire at the next sweep."""
    row = _locked(user, instance_id, seen_version)
    if row.status != InstanceStatus.SUSPENDED:
        raise Conflict(_("Kasus ini tidak sedang ditangguhkan."))
    runtime.sync_rows(row, runtime.load(row))
    open_incident = db.session.scalar(
        select(Incident.id).where(Incident.instance_id == row.id, Incident.resolved_at.is_(None))
    )
    if open_incident is not None:
        row.status = InstanceStatus.ERROR
    audit.record("instance.resumed", user, row, status=row.status)
    db.session.commit()
    return row


def terminate(
    user: User, instance_id: int, reason: str, seen_version: int | None = None
) -> ProcessInstance:
    """End a case for good, with a reason; its open tasks and queued calls are cancelled."""
    if not reason.strip():
        raise Invalid(_("Alasan wajib diisi."), {"reason": _("Wajib diisi.")})
    row = _locked(user, instance_id, seen_version)
    if row.status in FINISHED:
        raise Conflict(_("Kasus ini sudah selesai atau dihentikan."))
    engine = runtime.load(row)
    engine.cancel()
    now = utcnow()
    row.state = engine.dump()
    row.status = InstanceStatus.TERMINATED
    row.completed_at = now
    row.updated_at = now
    row.next_timer_at = None
    row.current_step = ""
    db.session.execute(
        update(HumanTask)
        .where(HumanTask.instance_id == row.id, HumanTask.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(ServiceCall)
        .where(ServiceCall.instance_id == row.id, ServiceCall.status == ServiceCallStatus.QUEUED)
        .values(status=ServiceCallStatus.SKIPPED, reason=reason)
        .execution_options(synchronize_session=False)
    )
    runtime.resolve_incidents(row, user, _("Kasus dihentikan: %(r)s", r=reason))
    audit.record("instance.terminated", user, row, reason=reason)
    db.session.commit()
    return row


def _open_task(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(_("Tugas tidak ditemukan."))
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("Tugas ini sudah tidak terbuka."))
    return task


def lane_members(task: HumanTask) -> list[User]:
    """Active users who hold the task's lane role: whom it may be given to."""
    return list(
        db.session.scalars(
            select(User)
            .join(User.roles)
            .where(Role.name == task.lane, User.active.is_(True))
            .order_by(User.username)
        )
    )


def _set_assignee(task_id: int, seen: int | None, new: int | None) -> None:
    if not hand_over(task_id, seen, new):
        db.session.rollback()
        raise Conflict(
            _("Tugas ini baru saja diambil, dilepas atau diselesaikan orang lain. Muat ulang.")
        )


def reassign(user: User, task_id: int, username: str, seen_assignee: int | None) -> HumanTask:
    """Give an open task to a member of its lane."""
    _admin(user)
    task = _open_task(task_id)
    target = next((u for u in lane_members(task) if u.username == username), None)
    if target is None:
        raise Invalid(
            _("Pilih anggota aktif pelaksana '%(lane)s'.", lane=task.lane),
            {"username": _("Bukan anggota pelaksana ini.")},
        )
    previous = task.assigned_user.username if task.assigned_user else None
    _set_assignee(task_id, seen_assignee, target.id)
    audit.record("task.reassigned", user, task=task, previous=previous, to=target.username)
    db.session.commit()
    return db.session.get(HumanTask, task_id)


def release(user: User, task_id: int, seen_assignee: int | None) -> HumanTask:
    """Take an open task back from whoever holds it, for its lane to claim again."""
    _admin(user)
    task = _open_task(task_id)
    if task.assigned_user_id is None:
        raise Conflict(_("Tugas ini tidak sedang dipegang siapa pun."))
    previous = task.assigned_user.username if task.assigned_user else None
    _set_assignee(task_id, seen_assignee, None)
    audit.record("task.released_by_admin", user, task=task, previous=previous)
    db.session.commit()
    return db.session.get(HumanTask, task_id)
