"""Running instances and their materialized user tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .status import InstanceStatus, TaskStatus
from .types import LongText, UTCDateTime, utcnow
from .user import User


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_status_started", "status", "started_at"),
        # The instance list's default order: newest first, one page, stop early.
        Index("ix_process_instance_started", "started_at", "id"),
        Index("ix_process_instance_completed", "completed_at"),
        # "Cases of this SOP that ended at this end event", newest first: the admin filter (one
        # index range in list order) and the dashboard.
        Index("ix_process_instance_outcome", "process_id", "status", "outcome_id", "started_at"),
        # "Cases of this SOP completed in this period": the dashboard's counts, one index range.
        Index("ix_process_instance_done", "process_id", "status", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default=InstanceStatus.RUNNING)
    state: Mapped[str] = mapped_column(LongText)
    serializer_version: Mapped[str] = mapped_column(String(20))
    version_counter: Mapped[int] = mapped_column(default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    # "<user id>:<key>" of the submission that started it: a repeated click or retry with the
    # same key finds this instance instead of starting a second one.
    start_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    current_step: Mapped[str] = mapped_column(String(255), default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The end event a completed case finished at (its id and name in the diagram); NULL while
    # it runs and for a terminated case, whose status says how it ended.
    outcome_id: Mapped[str | None] = mapped_column(String(255))
    outcome_name: Mapped[str | None] = mapped_column(String(255))

    # Optimistic locking: every UPDATE checks and bumps the counter.
    __mapper_args__ = {"version_id_col": version_counter}

    version = relationship("ProcessVersion")
    started_by: Mapped[User | None] = relationship()
    tasks: Mapped[list[HumanTask]] = relationship(
        back_populates="instance", order_by="HumanTask.id"
    )


human_task_candidate = db.Table(
    "human_task_candidate",
    db.metadata,
    db.Column("human_task_id", ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class HumanTask(db.Model):
    """One user task that became ready; worklists and reports are SQL over these rows."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "spiff_task_id"),
        Index("ix_human_task_open_lane", "status", "lane", "due_at"),
        Index("ix_human_task_assignee", "assigned_user_id", "status"),
        # SLA figures and dashboards: one process, finished tasks in a period.
        Index("ix_human_task_done", "process_id", "status", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # Copied from the instance so reports filter one table by process.
    process_id: Mapped[str] = mapped_column(String(100), default="")
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN)
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    ready_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Working time from ready to completed, by the SLA calendar, for SLA figures in SQL.
    working_seconds: Mapped[float | None]
    form_data: Mapped[dict | None] = mapped_column(JSON)

    instance: Mapped[ProcessInstance] = relationship(back_populates="tasks")
    assigned_user: Mapped[User | None] = relationship(foreign_keys=[assigned_user_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    candidates: Mapped[list[User]] = relationship(secondary=human_task_candidate)


class InstanceWord(db.Model):
    """Lower-case words of an instance's title: an index-backed word search on every database
    (a LIKE '%x%' over the titles would read the whole table)."""

    __tablename__ = "instance_word"
    __table_args__ = (Index("ix_instance_word_word", "word", "instance_id"),)

    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True
    )
    # Binary collation: a prefix search is then a plain index range on every database.
    word: Mapped[str] = mapped_column(
        String(64)
        .with_variant(String(64, collation="C"), "postgresql")
        .with_variant(String(64, collation="utf8mb4_bin"), "mysql", "mariadb"),
        primary_key=True,
    )


def title_words(title: str) -> set[str]:
    """The searchable words of a title: lower case, letters and digits, at most 64 chars."""
    import re

    return {w[:64] for w in re.findall(r"[0-9a-zà-ÿ]+", title.lower()) if w}
