"""Commit an action's transaction and keep what it loaded for the answer.

A plain commit expires every loaded object, so the answer built right after it reads each row
again (and each relationship lazily): a dozen statements for data the action has just written.
The action holds its rows locked until the commit, so what it has in memory is what was
committed; its answer may use it.
"""

from __future__ import annotations

from ..extensions import db


def commit_keeping_loaded() -> None:
    """Commit the session's transaction without expiring the objects it holds."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
