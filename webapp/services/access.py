"""Who may do what: every rule the server checks, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import HumanTask, ProcessInstance, TaskStatus, User, human_task_candidate


def _is_candidate(task: HumanTask, user: User) -> bool:
    return not task.candidates or any(c.id == user.id for c in task.candidates)


def _named_candidate(task: HumanTask, user: User) -> bool:
    return any(c.id == user.id for c in task.candidates)


def _in_lane(user: User, task: HumanTask) -> bool:
    # The starter named as a task's candidate (a starter lane) works it without the lane's role.
    return user.has_role(task.lane) or (
        task.instance is not None
        and task.instance.started_by_id == user.id
        and _named_candidate(task, user)
    )


def can_work(user: User, task: HumanTask) -> bool:
    """True when the user may open and complete this task: its assignee, or a lane member."""
    if task.assigned_user_id is not None:
        return task.assigned_user_id == user.id or (
            _in_lane(user, task) and _is_candidate(task, user)
        )
    return _in_lane(user, task) and _is_candidate(task, user)


def can_view_instance(user: User, instance: ProcessInstance) -> bool:
    """Whether the user may read a case and everything it holds (data, files, report).

    Admins; the starter; anyone assigned, named a candidate or who completed one of its tasks;
    staff of a lane that has a task in the case. An external role (applicants) opens no case
    through its lane: its members see only what they started or were given a task in.
    """
    if user.has_role("admin") or instance.started_by_id == user.id:
        return True
    # One EXISTS over the case's tasks, not its task rows loaded one relationship at a time.
    named = exists().where(
        human_task_candidate.c.human_task_id == HumanTask.id,
        human_task_candidate.c.user_id == user.id,
    )
    related = exists().where(
        HumanTask.instance_id == instance.id,
        or_(
            HumanTask.lane.in_(sorted(user.staff_role_names)),
            HumanTask.assigned_user_id == user.id,
            HumanTask.completed_by_id == user.id,
            named,
        ),
    )
    return bool(db.session.scalar(select(related)))


def worklist_filter(user: User):
    """SQL condition for the open tasks a user may work on (assigned to them, or their lanes)."""
    return _worklist_filter(user.id, sorted(user.role_names))


def _worklist_filter(user_id: Any, roles: Any):
    """``worklist_filter`` of a user id and role names (values, or parameters to bind)."""
    no_candidates = ~exists().where(human_task_candidate.c.human_task_id == HumanTask.id)
    me_candidate = exists().where(
        and_(
            human_task_candidate.c.human_task_id == HumanTask.id,
            human_task_candidate.c.user_id == user_id,
        )
    )
    return and_(
        HumanTask.status == TaskStatus.OPEN,
        or_(
            HumanTask.assigned_user_id == user_id,
            and_(
                HumanTask.assigned_user_id.is_(None),
                HumanTask.lane.in_(roles),
                or_(no_candidates, me_candidate),
            ),
            # A released task of a starter lane: its starter, a named candidate without the role.
            and_(
                HumanTask.assigned_user_id.is_(None),
                me_candidate,
                HumanTask.instance_id.in_(
                    select(ProcessInstance.id).where(ProcessInstance.started_by_id == user_id)
                ),
            ),
        ),
    )


def worklist_query(user: User):
    """Select the user's open tasks, soonest due first."""
    return _worklist_select(worklist_filter(user))


def _worklist_select(condition):
    # The people on each row come in the same statement; the candidates in one more.
    return (
        select(HumanTask)
        .where(condition)
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
        .options(
            joinedload(HumanTask.assigned_user),
            joinedload(HumanTask.completed_by),
            selectinload(HumanTask.candidates),
        )
    )


# The API's worklist, the request staff send most: built once (with its cache key), the
# person, their roles and the page size bound at each call (``worklist_params``).
WORKLIST = _worklist_select(
    _worklist_filter(bindparam("user_id"), bindparam("roles", expanding=True))
).limit(bindparam("limit"))


def worklist_params(user: User, limit: int) -> dict[str, Any]:
    """The parameters of ``WORKLIST`` for this user and page size."""
    return {"user_id": user.id, "roles": sorted(user.role_names), "limit": limit}
