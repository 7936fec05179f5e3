"""What each background worker last did: administrators see a worker that is gone or failing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class WorkerStatus(db.Model):
    __tablename__ = "worker_status"

    # "<host>:<pid>", as service_call.worker names it.
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sweeps: Mapped[int] = mapped_column(default=0)
    # Errors that escaped one case's handling (each one also logged); the loop went on.
    errors: Mapped[int] = mapped_column(default=0)
    # Cases the sweep turned into incidents (a diagram that failed), counted per worker.
    failed_cases: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
