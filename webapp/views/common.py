"""Helpers shared by the HTML views."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ..models import User
from ..services.attachments import Upload


def me() -> User:
    """Return the signed-in user as a model object (not the proxy)."""
    return current_user._get_current_object()


def uploads_from_request(names: list[str]) -> dict[str, Upload]:
    """Read the files posted for the given file fields (empty inputs are ignored)."""
    result = {}
    for name in names:
        storage = request.files.get(name)
        if storage is not None and storage.filename:
            result[name] = Upload(filename=storage.filename, content=storage.read())
    return result


def role_required(*roles: str):
    """Allow a view only to signed-in users holding one of ``roles``; 403 otherwise."""
    from functools import wraps

    from flask import abort
    from flask_login import login_required

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(r) for r in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
