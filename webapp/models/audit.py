"""Append-only audit trail and uploaded files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .user import User


class AuditEvent(db.Model):
    """Who did what to which instance or task, when and from where. Rows are never updated."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_instance_at", "instance_id", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    action: Mapped[str] = mapped_column(String(50), index=True)
    detail: Mapped[dict | None] = mapped_column(JSON)
    remote_addr: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[User | None] = relationship()


class Attachment(db.Model):
    """A file uploaded on a form: bytes on disk under the attachment folder, metadata here."""

    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    field: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginAttempt(db.Model):
    """A failed log-in, kept briefly to slow down password guessing (across web workers)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_addr_at", "remote_addr", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
