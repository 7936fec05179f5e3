"""Process definitions (one per SOP) and their versions (diagram + forms)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import LongText, UTCDateTime, utcnow


class ProcessDefinition(db.Model):
    __tablename__ = "process_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="definition", order_by="ProcessVersion.version"
    )


class ProcessVersion(db.Model):
    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("definition_id", "version"),
        UniqueConstraint("definition_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    version: Mapped[int]
    bpmn_xml: Mapped[str] = mapped_column(LongText)
    forms_json: Mapped[str] = mapped_column(LongText, default="{}")
    content_hash: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Lint findings of this content, as shown to the process owner ([] = clean).
    findings: Mapped[list | None] = mapped_column(JSON)

    definition: Mapped[ProcessDefinition] = relationship(back_populates="versions")

    @property
    def forms(self) -> dict[str, str]:
        return json.loads(self.forms_json or "{}")
