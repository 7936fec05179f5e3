"""What the API and the pages read of a case: its open tasks, a page of its history, names.

Every relationship an answer shows is loaded here explicitly (no lazy load in a request), and
people are named from what the session already holds before one query for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import HumanTask, Incident, TaskStatus, User

# History items per page of GET /api/v1/instances/<id>/history (and its largest page).
HISTORY_PAGE = 50
HISTORY_MAX_PAGE = 200
HISTORY_LAST_PAGE = 1_000_000


def usernames(ids: Iterable[int | None]) -> dict[int, str]:
    """The usernames of these user ids: from the session when loaded, else in one query."""
    wanted = {i for i in ids if i is not None}
    found: dict[int, str] = {}
    for user_id in wanted:
        user = db.session.identity_map.get(identity_key(User, user_id))
        if user is not None and "username" in user.__dict__:
            found[user_id] = user.username
    missing = wanted - found.keys()
    if missing:
        rows = db.session.execute(select(User.id, User.username).where(User.id.in_(missing)))
        found.update((user_id, name) for user_id, name in rows)
    return found


def people_of(tasks: Iterable[HumanTask], *extra: int | None) -> dict[int, str]:
    """The usernames of everyone a list of tasks names as holder or completer, and ``extra``."""
    ids: list[int | None] = list(extra)
    for task in tasks:
        ids += [task.assigned_user_id, task.completed_by_id]
    return usernames(ids)


# Built once (with their cache keys): every look-up of a case runs them.
_OPEN_TASKS = (
    select(HumanTask)
    .where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.status == TaskStatus.OPEN)
    .options(joinedload(HumanTask.candidates))
    .order_by(HumanTask.id)
)
_INCIDENTS = (
    select(Incident).where(Incident.instance_id == bindparam("instance_id")).order_by(Incident.id)
)


def open_tasks(instance_id: int) -> list[HumanTask]:
    """The open tasks of a case, oldest first, with their candidates."""
    return list(db.session.scalars(_OPEN_TASKS, {"instance_id": instance_id}).unique())


def history_page(instance_id: int, offset: int, limit: int) -> tuple[list[HumanTask], bool]:
    """Completed tasks of a case in the order they were done, from ``offset``; and whether
    more follow."""
    rows = list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.COMPLETED)
            .options(selectinload(HumanTask.candidates))
            .order_by(HumanTask.id)
            .offset(offset)
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit


def incidents_of(instance_id: int) -> list[Incident]:
    """The incidents of a case, oldest first."""
    return list(db.session.scalars(_INCIDENTS, {"instance_id": instance_id}))
