"""Sign-in transactions: log-in, log-out, failed attempts, session use and API token use.

Each function here is one whole transaction (it commits), so the views in ``webapp/auth.py``
and ``views/api.py`` change no state themselves. The building blocks they use live in
:mod:`webapp.services.sessions` and add to the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ApiToken, LoginAttempt, User, UserSession
from ..models.types import utcnow
from . import audit, sessions
from .commit import commit_keeping_loaded


def log_in(user: User) -> tuple[UserSession, str]:
    """Open a session for ``user`` and record the log-in; return the row and its secret."""
    record, secret = sessions.start(user)
    db.session.flush()  # the audit event names the session's id
    audit.record("auth.login", user, session_id=record.id)
    db.session.commit()
    return record, secret


def reissue(user: User) -> tuple[UserSession, str]:
    """Open a new session for ``user`` in this browser after their others ended."""
    record, secret = sessions.start(user)
    db.session.commit()
    return record, secret


def log_out(user: User, record: UserSession | None) -> None:
    """End this browser's session on the server and record the log-out."""
    if record is not None:
        sessions.end(record, sessions.LOGOUT)
    audit.record("auth.logout", user, session_id=record.id if record is not None else None)
    db.session.commit()


def end_replaced(user: User, record: UserSession) -> None:
    """End the session a new log-in in the same browser replaces, and record it as a log-out.

    The browser drops that session's cookie, but a copy of it must not live on.
    """
    sessions.end(record, sessions.REPLACED_BY_LOG_IN)
    audit.record("auth.logout", user, session_id=record.id, reason=sessions.REPLACED_BY_LOG_IN)
    db.session.commit()


def failed_log_in(username: str, remote_addr: str) -> None:
    """Record a failed log-in (audited, and counted by the throttle)."""
    audit.record("auth.login_failed", None, username=username)
    count_failed_attempt(username, remote_addr)


def refused_form(username: str, reason: str) -> None:
    """Audit a log-in form refused before any password was checked (``reason`` says why)."""
    audit.record(
        "auth.login_failed", None, username=username[:64], length=len(username), reason=reason
    )
    db.session.commit()


def count_failed_attempt(username: str, remote_addr: str) -> None:
    """Count a wrong password towards the log-in throttle (no audit event)."""
    db.session.add(LoginAttempt(username=username, remote_addr=remote_addr[:45]))
    db.session.commit()


def note_session_use(record: UserSession) -> None:
    """Write the session's last use, every few minutes at most (see ``sessions.TOUCH_EVERY``)."""
    if sessions.needs_touch(record):
        sessions.touch(record)
        commit_keeping_loaded()  # the signed-in user and their roles stay loaded


# Every API call runs it: built once, with its cache key.
_BEARER_USER = (
    select(User, ApiToken.id, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
    .options(joinedload(User.roles))
)


def bearer_user(secret: str) -> User | None:
    """Return the active user (roles loaded) of a valid API token; else None.

    One statement per call; the token's last use is written every few minutes at most, like a
    session's (``sessions.TOUCH_EVERY``), not on every call.
    """
    found = db.session.execute(_BEARER_USER, {"token_hash": ApiToken.hash(secret)}).unique().first()
    if found is None:
        return None
    user, token_id, last_used_at = found
    now = utcnow()
    if last_used_at is None or now - last_used_at >= sessions.TOUCH_EVERY:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        commit_keeping_loaded()
    return user
