"""People, roles (one per lane, plus process owner and admin) and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Table, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime, utcnow

user_role = Table(
    "user_role",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(db.Model):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    # Members from outside the office (applicants): they see only the cases they started or were
    # given a task in, never every case their lane works on (services/access.py).
    external: Mapped[bool] = mapped_column(default=False, server_default=false())

    users: Mapped[list[User]] = relationship(secondary=user_role, back_populates="roles")

    @classmethod
    def get_or_create(cls, name: str, description: str = "") -> Role:
        """Return the role with this name, adding it to the session when new."""
        role = db.session.scalar(select(cls).where(cls.name == name))
        if role is None:
            role = cls(name=name, description=description)
            db.session.add(role)
        return role


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (Index("uq_user_external", "auth_source", "external_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the account logs in: ``local`` (password here), ``oidc`` (single sign-on) or
    # ``ldap`` (the office directory); ``external_id`` is the provider's stable id for it
    # (the OIDC issuer and subject, the directory entry's DN or GUID).
    auth_source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    external_id: Mapped[str | None] = mapped_column(String(255))
    # Where notifications reach the person besides the app: a WhatsApp number in international
    # form without "+" (628…), a Telegram chat id, and the chosen channels, comma-separated
    # (``email``, ``whatsapp``, ``telegram``); in-app notifications are always kept.
    phone: Mapped[str] = mapped_column(String(32), default="", server_default="")
    telegram_chat_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    notify_channels: Mapped[str] = mapped_column(
        String(64), default="email", server_default="email"
    )

    roles: Mapped[list[Role]] = relationship(secondary=user_role, back_populates="users")

    def set_password(self, password: str) -> None:
        # Tests lower the work factor through config; production keeps werkzeug's default.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_names(self) -> set[str]:
        return {r.name for r in self.roles}

    def has_role(self, name: str) -> bool:
        return name in self.role_names

    @property
    def staff_role_names(self) -> set[str]:
        """The names of the user's roles that are not external (the office's own lanes)."""
        return {r.name for r in self.roles if not r.external}

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(db.Model):
    """A bearer token for other systems; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """Create a token for a user; return the row and the secret (shown once)."""
        secret = "sop_" + secrets.token_urlsafe(32)
        token = cls(user=user, token_hash=cls.hash(secret), name=name)
        db.session.add(token)
        return token, secret
