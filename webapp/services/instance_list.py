"""The administrators' instance list: filters, sort and pages, all SQL over materialized rows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import defer

from ..engine.outcomes import Outcome, outcome_events
from ..extensions import db
from ..models import (
    HumanTask,
    InstanceStatus,
    InstanceWord,
    ProcessInstance,
    ProcessVersion,
    ServiceCall,
    ServiceCallStatus,
    TaskStatus,
    User,
    title_words,
)
from ..models.types import utcnow
from . import lateness
from .processes import parsed, published_version

SORTS = {
    "started": ProcessInstance.started_at,
    "updated": ProcessInstance.updated_at,
    "title": ProcessInstance.title,
    "status": ProcessInstance.status,
    "id": ProcessInstance.id,
}
PAGE_SIZE = 50
COUNT_CAP = 1000
# A title word with this many rows or more is common: the list walks the newest cases instead.
COMMON_WORD = 5000


@dataclass
class Filters:
    """What the list is narrowed to; every field round-trips through the URL."""

    process: str = ""
    version: str = ""
    status: str = ""
    step: str = ""
    lane: str = ""
    assignee: str = ""
    overdue: str = ""
    outcome: str = ""
    since: str = ""
    until: str = ""
    q: str = ""
    sort: str = "started"
    order: str = "desc"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        values = {}
        for f in fields(cls):
            raw = args.get(f.name, "")
            if f.name == "page":
                try:
                    values["page"] = max(int(raw or 1), 1)
                except ValueError:
                    values["page"] = 1
            else:
                values[f.name] = str(raw).strip()[:200]
        if values["sort"] not in SORTS:
            values["sort"] = "started"
        if values["order"] not in ("asc", "desc"):
            values["order"] = "desc"
        if values["status"] and values["status"] not in {s.value for s in InstanceStatus}:
            values["status"] = ""
        return cls(**values)

    def args(self, **change) -> dict:
        """URL arguments of these filters with some changed (for sort and page links)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(change)
        return {
            k: v for k, v in data.items() if v not in ("", None) and not (k == "page" and v == 1)
        }


def _date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _open_task_where(*conditions):
    return exists().where(
        HumanTask.instance_id == ProcessInstance.id,
        HumanTask.status == TaskStatus.OPEN,
        *conditions,
    )


def _late_now(now: datetime):
    """A case with a step late now (``lateness``'s rule): an open task or an automatic step
    queued or running at or past its due time, as the dashboard counts them."""
    return or_(
        _open_task_where(lateness.late_unfinished(HumanTask.due_at, now)),
        exists().where(
            ServiceCall.instance_id == ProcessInstance.id,
            ServiceCall.status.in_((ServiceCallStatus.QUEUED, ServiceCallStatus.RUNNING)),
            lateness.late_unfinished(ServiceCall.due_at, now),
        ),
    )


def query(filters: Filters) -> Select:
    """The filtered, sorted SELECT of instances (without paging)."""
    # Lists never need the workflow state (kilobytes per row): leave it in the database.
    stmt = select(ProcessInstance).options(defer(ProcessInstance.state))
    if filters.process:
        stmt = stmt.where(ProcessInstance.process_id == filters.process)
    if filters.version.isdigit():
        stmt = stmt.where(
            ProcessInstance.version_id.in_(
                select(ProcessVersion.id).where(ProcessVersion.version == int(filters.version))
            )
        )
    if filters.status:
        stmt = stmt.where(ProcessInstance.status == filters.status)
    if filters.outcome:
        # Completed cases only: (process, status, outcome) is one index range.
        stmt = stmt.where(
            ProcessInstance.status == InstanceStatus.COMPLETED,
            ProcessInstance.outcome_id == filters.outcome,
        )
    if filters.step:
        stmt = stmt.where(
            ProcessInstance.current_step.like(f"%{_escape(filters.step)}%", escape="\\")
        )
    if filters.lane:
        stmt = stmt.where(_open_task_where(HumanTask.lane == filters.lane))
    if filters.assignee:
        user_ids = select(User.id).where(User.username == filters.assignee)
        stmt = stmt.where(_open_task_where(HumanTask.assigned_user_id.in_(user_ids)))
    if filters.overdue:
        stmt = stmt.where(_late_now(utcnow()))
    if (since := _date(filters.since)) is not None:
        stmt = stmt.where(ProcessInstance.started_at >= since)
    if (until := _date(filters.until)) is not None:
        stmt = stmt.where(ProcessInstance.started_at < until + timedelta(days=1))
    if filters.q:
        stmt = stmt.where(_search(filters.q))
    column = SORTS[filters.sort]
    ordering = column.asc() if filters.order == "asc" else column.desc()
    return stmt.order_by(ordering, ProcessInstance.id.desc())


def outcome_choices(process_id: str) -> list[Outcome]:
    """The outcomes a SOP's cases can have: the end events of its published diagram.

    Read from the diagram parsed once per version, never from the cases' states.
    """
    version = published_version(process_id) if process_id else None
    if version is None:
        return []
    return outcome_events(parsed(version).spec)


def _search(text: str):
    """Cases whose title has words starting with every typed word, or whose requester matches.

    The words are matched in the indexed word table (see ``_words_match``); the requester is
    looked up first (the user table is small) so no OR hides the indexes.
    """
    conditions = []
    words = sorted(title_words(text))
    if words:
        conditions.append(_words_match(words))
    name = f"%{_escape(text.lower())}%"
    requester_ids = db.session.scalars(
        select(User.id).where(
            or_(
                func.lower(User.username).like(name, escape="\\"),
                func.lower(User.full_name).like(name, escape="\\"),
            )
        )
    ).all()
    if requester_ids:
        conditions.append(ProcessInstance.started_by_id.in_(requester_ids))
    if text.lstrip("#").isdigit():
        conditions.append(ProcessInstance.id == int(text.lstrip("#")))
    return or_(*conditions) if conditions else false()


def _words_match(words: list[str]):
    """Every word, driven from the rarest one when it is rare, else case by case, newest first.

    One capped count per word (an index-only range of at most COMMON_WORD entries) says which
    plan fits. A rare word's few cases are fetched first and then sorted. A word that most
    cases have is checked per case while the list walks its newest-first index and stops at
    one page (and the count at COUNT_CAP): reading every case that has the word would grow
    with the history. Databases do not all find this on their own: MariaDB turns any EXISTS
    or IN over the word table into a semi-join that first reads every matching word row.
    """
    counts = dict(
        zip(
            words,
            db.session.execute(
                select(
                    *[
                        select(func.count())
                        .select_from(
                            select(InstanceWord.instance_id)
                            .where(_word_range(w))
                            .limit(COMMON_WORD)
                            .subquery()
                        )
                        .scalar_subquery()
                        for w in words
                    ]
                )
            ).one(),
            strict=True,
        )
    )
    rarest = min(words, key=lambda w: counts[w])
    if counts[rarest] >= COMMON_WORD:
        return and_(*[_case_has_word(w) for w in words])
    others = [_case_has_word(w) for w in words if w != rarest]
    rare_cases = select(InstanceWord.instance_id).where(_word_range(rarest))
    return and_(ProcessInstance.id.in_(rare_cases), *others)


def _word_range(word: str):
    """Word rows starting with ``word``: one range of the (word, instance_id) index."""
    return and_(InstanceWord.word >= word, InstanceWord.word < _after_prefix(word))


def _case_has_word(word: str):
    """Whether this case's title has a word starting with ``word``, probed per case.

    A scalar subquery on the (instance_id, word) primary key rather than EXISTS: no database
    rewrites it into a semi-join over every row of the word.
    """
    first = (
        select(InstanceWord.word)
        .where(InstanceWord.instance_id == ProcessInstance.id, _word_range(word))
        .limit(1)
        .scalar_subquery()
    )
    return first.is_not(None)


def _after_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (binary order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class Page:
    rows: list[ProcessInstance]
    total: int
    open_tasks: dict[int, list[HumanTask]]
    versions: dict[int, int]


def page(filters: Filters) -> Page:
    """One page of instances with their open tasks, in a fixed number of queries."""
    stmt = query(filters)
    # Count at most COUNT_CAP rows: a broad filter over years of history says "1000+"
    # instead of reading every matching row for an exact number nobody needs.
    capped = stmt.order_by(None).with_only_columns(ProcessInstance.id).limit(COUNT_CAP + 1)
    total = db.session.scalar(select(func.count()).select_from(capped.subquery()))
    rows = list(db.session.scalars(stmt.limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)))
    ids = [r.id for r in rows]
    open_tasks: dict[int, list[HumanTask]] = {}
    versions: dict[int, int] = {}
    if ids:
        for task in db.session.scalars(
            select(HumanTask).where(
                and_(HumanTask.instance_id.in_(ids), HumanTask.status == TaskStatus.OPEN)
            )
        ):
            open_tasks.setdefault(task.instance_id, []).append(task)
        version_ids = {r.version_id for r in rows}
        versions = dict(
            db.session.execute(
                select(ProcessVersion.id, ProcessVersion.version).where(
                    ProcessVersion.id.in_(version_ids)
                )
            ).all()
        )
    return Page(rows=rows, total=total, open_tasks=open_tasks, versions=versions)
