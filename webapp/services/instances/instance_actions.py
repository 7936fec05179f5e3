"""Staff actions on a case as a whole: start one with its first step's submission, open one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from service_tasks import REGISTRY

from ...engine.instance import ProcessInstance as EngineInstance
from ...engine.spec import SERIALIZER_VERSION, StepInfo
from ...extensions import db
from ...models import (
    HumanTask,
    InstanceWord,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    User,
    title_words,
)
from .. import access, attachments, audit, case_view, forms, runtime
from ..commit import commit_keeping_loaded
from ..errors import Forbidden, NotFound, ServiceError
from ..processes import parsed, published_version
from .form_input import undone_on_failure, validated
from .task_actions import complete_step

TITLE_FIELDS = ("judul", "title", "subject")


def _title(data: dict[str, Any], fallback: str) -> str:
    for name in TITLE_FIELDS:
        if isinstance(data.get(name), str) and data[name].strip():
            return data[name].strip()[:255]
    return fallback[:255]


def start_form(process_id: str) -> tuple[ProcessVersion, StepInfo, forms.TaskForm]:
    """Return the published version, the first step and its form (the start form)."""
    version = published_version(process_id)
    if version is None:
        raise NotFound(_("Proses tidak ditemukan."))
    process = parsed(version)
    step = process.first_user_step()
    return version, step, forms.load_form(version.id, step)


def can_start(user: User, step: StepInfo) -> bool:
    """Whether the user works in the lane of the process's first step."""
    return bool(step.lane) and user.has_role(step.lane)


def _started_with(key: str | None) -> ProcessInstance | None:
    if not key:
        return None
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.start_key == key))


@dataclass
class Started:
    """A case just started (or found again by its submission key) and its open tasks."""

    instance: ProcessInstance
    new: bool
    open_tasks: list[HumanTask]


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
    started = start_and_next(process_id, user, data, uploads, submission_key)
    return started.instance, started.new


def _again(existing: ProcessInstance) -> Started:
    return Started(existing, False, case_view.open_tasks(existing.id))


def start_and_next(
    process_id: str,
    user: User,
    data: dict[str, Any],
    uploads: dict[str, attachments.Upload] | None = None,
    submission_key: str | None = None,
) -> Started:
    """Start an instance as ``start_instance`` does; return it with its open tasks."""
    uploads = uploads or {}
    key = f"{user.id}:{submission_key}"[:100] if submission_key else None
    existing = _started_with(key)
    if existing is not None:
        return _again(existing)
    version, step, form = start_form(process_id)
    if not can_start(user, step):
        audit.record("instance.start_forbidden", user, process_id=process_id)
        db.session.commit()
        raise Forbidden(_("Anda tidak termasuk pelaksana '%(lane)s'.", lane=step.lane))
    data = dict(data)
    stored, paths = validated(form, data, uploads, user)
    try:
        with undone_on_failure(paths):
            process = parsed(version)
            engine = EngineInstance.start(process, REGISTRY, runtime.sla_calendar())
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
            db.session.add_all(
                InstanceWord(instance_id=row.id, word=w) for w in title_words(row.title)
            )
            # Step 1's row only: the state is saved once, after step 1 is completed.
            created = runtime.sync_tasks(row, engine, {})
            first = next((t for t in created if t.bpmn_id == step.bpmn_id), None)
            if first is None:
                raise ServiceError(_("Diagram tidak dimulai dengan langkah '%(s)s'.", s=step.name))
            db.session.flush()
            opened = complete_step(
                row, engine, first, user, data, stored, {t.spiff_task_id: t for t in created}
            )
            audit.record(
                "instance.started", user, row, process_id=process_id, version=version.version
            )
            commit_keeping_loaded()
    except IntegrityError:
        # The same submission won a race a moment ago: answer with its instance.
        existing = _started_with(key)
        if existing is None:
            raise
        return _again(existing)
    still_open = [t for t in created if t.status == TaskStatus.OPEN]
    return Started(row, True, still_open + opened)


# A case without its state, with its starter: built once (every look-up of a case runs it).
_INSTANCE_LIGHT = (
    select(ProcessInstance)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .options(defer(ProcessInstance.state), joinedload(ProcessInstance.started_by))
)


def instance_for(user: User, instance_id: int) -> ProcessInstance:
    """Return an instance the user may see (its state not read until used); 404 or 403."""
    row = db.session.scalar(_INSTANCE_LIGHT, {"instance_id": instance_id})
    if row is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    if not access.can_view_instance(user, row):
        audit.record("instance.forbidden", user, row)
        db.session.commit()
        raise Forbidden(_("Anda tidak berhak melihat kasus ini."))
    return row
