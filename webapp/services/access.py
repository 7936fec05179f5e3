"""Who may do what: every rule the server checks, in one place."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from ..models import HumanTask, ProcessInstance, TaskStatus, User, human_task_candidate


def _is_candidate(task: HumanTask, user: User) -> bool:
    return not task.candidates or any(c.id == user.id for c in task.candidates)


def can_work(user: User, task: HumanTask) -> bool:
    """True when the user may open and complete this task: its assignee, or a lane member."""
    if task.assigned_user_id is not None:
        return task.assigned_user_id == user.id or (
            user.has_role(task.lane) and _is_candidate(task, user)
        )
    return user.has_role(task.lane) and _is_candidate(task, user)


def can_view_instance(user: User, instance: ProcessInstance) -> bool:
    """Admins, the requester, and anyone who holds or held one of its tasks' lanes."""
    if user.has_role("admin") or instance.started_by_id == user.id:
        return True
    roles = user.role_names
    return any(
        t.lane in roles or t.assigned_user_id == user.id or t.completed_by_id == user.id
        for t in instance.tasks
    )


def worklist_filter(user: User):
    """SQL condition for the open tasks a user may work on (assigned to them, or their lanes)."""
    roles = sorted(user.role_names)
    no_candidates = ~exists().where(human_task_candidate.c.human_task_id == HumanTask.id)
    me_candidate = exists().where(
        and_(
            human_task_candidate.c.human_task_id == HumanTask.id,
            human_task_candidate.c.user_id == user.id,
        )
    )
    return and_(
        HumanTask.status == TaskStatus.OPEN,
        or_(
            HumanTask.assigned_user_id == user.id,
            and_(
                HumanTask.assigned_user_id.is_(None),
                HumanTask.lane.in_(roles),
                or_(no_candidates, me_candidate),
            ),
        ),
    )


def worklist_query(user: User):
    """Select the user's open tasks, soonest due first."""
    # The people on each row are loaded in three queries, not three per task.
    return (
        select(HumanTask)
        .where(worklist_filter(user))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
        .options(
            selectinload(HumanTask.assigned_user),
            selectinload(HumanTask.completed_by),
            selectinload(HumanTask.candidates),
        )
    )
