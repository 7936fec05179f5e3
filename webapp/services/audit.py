"""Append audit events inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent, HumanTask, ProcessInstance, User


def record(
    action: str,
    user: User | None = None,
    instance: ProcessInstance | None = None,
    task: HumanTask | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session (committed with the action it describes)."""
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None and getattr(user, "id", None) else None,
        instance_id=instance.id if instance is not None else (task.instance_id if task else None),
        human_task_id=task.id if task is not None else None,
        detail=detail or None,
        remote_addr=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(event)
    return event
