"""Server-side sessions and API tokens: starting, checking and ending access.

The session cookie (signed by Flask) carries the user id and a random session secret; the server
keeps the secret's SHA-256 in ``user_session``. A request is signed in only while that row exists,
belongs to the user and has not ended, so a cookie copied before log-out, a password change or
reset, or deactivation is worth nothing afterwards. One indexed lookup per request; the row's
``last_seen_at`` is written at most every :data:`TOUCH_EVERY`.

These functions add to the caller's transaction; the caller commits (with its audit event).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ApiToken, User, UserSession
from ..models.types import utcnow

TOUCH_EVERY = timedelta(minutes=5)

# Why a session ended (user_session.end_reason).
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
DEACTIVATED = "deactivated"
ENDED_BY_ADMIN = "ended_by_admin"
REPLACED_BY_LOG_IN = "replaced_by_log_in"


def _idle_limit():
    """Before this, an unended session is dead anyway: its cookie has expired (Flask refuses a
    cookie older than PERMANENT_SESSION_LIFETIME; last_seen_at lags by up to TOUCH_EVERY)."""
    return utcnow() - current_app.permanent_session_lifetime - TOUCH_EVERY


def start(user: User) -> tuple[UserSession, str]:
    """Open a session for ``user``; return the row and the secret to put in the cookie."""
    secret = secrets.token_urlsafe(32)
    record = UserSession(user=user, token_hash=UserSession.hash(secret))
    if has_request_context():
        record.remote_addr = (request.remote_addr or "")[:45]
        record.user_agent = (request.user_agent.string or "")[:255]
    db.session.add(record)
    return record, secret


def find(user_id: str, secret: str | None) -> tuple[User, UserSession] | None:
    """The active user and live session behind a cookie, or None (one indexed query)."""
    if not secret or not isinstance(secret, str):
        return None
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    # The user's roles come in the same statement: every page asks for them.
    row = (
        db.session.execute(
            select(User, UserSession)
            .join(UserSession, UserSession.user_id == User.id)
            .where(
                UserSession.token_hash == UserSession.hash(secret), UserSession.ended_at.is_(None)
            )
            .options(joinedload(User.roles))
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    user, record = row
    if user.id != uid or not user.active or record.last_seen_at < _idle_limit():
        return None
    return user, record


def needs_touch(record: UserSession) -> bool:
    return record.last_seen_at is None or utcnow() - record.last_seen_at >= TOUCH_EVERY


def touch(record: UserSession) -> None:
    """Note that the session is in use (shown to administrators)."""
    record.last_seen_at = utcnow()


def end(record: UserSession, reason: str) -> None:
    """End one session (log-out)."""
    if record.ended_at is None:
        record.ended_at = utcnow()
        record.end_reason = reason


def end_all(user: User, reason: str) -> int:
    """End every live session of ``user``; return how many were live."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def revoke_tokens(user: User) -> int:
    """Revoke every API token of ``user``; return how many were valid."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def end_access(user: User, reason: str) -> dict[str, int]:
    """End all sessions and revoke all API tokens of ``user`` (for the audit event)."""
    return {"sessions_ended": end_all(user, reason), "tokens_revoked": revoke_tokens(user)}


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that have not ended, most recently used first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.last_seen_at >= _idle_limit(),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def live_token_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
        or 0
    )
