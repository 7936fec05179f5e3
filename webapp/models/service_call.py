"""One attempt at a diagram's service task (the deployment script, a report, a notice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .status import ServiceCallStatus
from .types import LongText, UTCDateTime, utcnow


class ServiceCall(db.Model):
    __tablename__ = "service_call"
    __table_args__ = (
        UniqueConstraint("instance_id", "spiff_task_id", "attempt"),
        Index("ix_service_call_status", "status", "id"),
        # The dashboard's and SLA page's automatic steps finished in a period (per step, status
        # succeeded, finished_at in a range): one index range, not every succeeded call ever.
        Index("ix_service_call_done", "bpmn_id", "status", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    operator: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict | None] = mapped_column(JSON)
    attempt: Mapped[int] = mapped_column(default=1)
    # "<instance>:<task>:<attempt>": handed to the connector so a target can refuse a repeat.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=ServiceCallStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its time standard runs out, counted from when the step became ready (queued): its
    # boundary timer's fire time, set when the call is queued, never by the worker that starts
    # it; a retry keeps the first attempt's (services/lateness.py).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(String(120), default="")
    exit_code: Mapped[int | None]
    log: Mapped[str] = mapped_column(LongText, default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was skipped or retried
