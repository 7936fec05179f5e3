"""Column types that behave the same on SQLite, PostgreSQL and MariaDB."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Text, TypeDecorator
from sqlalchemy.dialects.mysql import DATETIME, LONGTEXT


class UTCDateTime(TypeDecorator):
    """Store naive UTC, return aware UTC: SQLite and MariaDB keep no zone."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; sopflow stores aware UTC times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# Workflow state and BPMN files exceed MariaDB's 64 KB TEXT.
LongText = Text().with_variant(LONGTEXT(), "mysql", "mariadb")


def utcnow() -> datetime:
    """Return the current time, aware, in UTC (patched by tests that move the clock)."""
    return datetime.now(UTC)
