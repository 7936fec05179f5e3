"""Helpers shared by the HTML views."""

from __future__ import annotations

from functools import wraps
from typing import Any, NamedTuple

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import User
from ..services.attachments import Upload

PAGE_SIZE = 50


def me() -> User:
    """Return the signed-in user as a model object (not the proxy)."""
    return current_user._get_current_object()


class Page(NamedTuple):
    """One page of a list: its rows, its number (from 1), and how many rows the list has."""

    rows: list[Any]
    page: int
    total: int
    page_size: int


def paginate(query: Select, page_size: int = PAGE_SIZE) -> Page:
    """Return the page of ``query`` named by the ``page`` URL argument (1 when absent)."""
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return Page(list(rows), page, total, page_size)


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

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(r) for r in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


REASON_MAX = 1000

# Far above every text field's own limit: a posted value is read whole up to here, so a refused
# form shows back what was typed, and what is cut here is refused by the field's limit anyway.
FORM_TEXT_CAP = 10_000


def form_text(name: str) -> str:
    """The posted text field ``name`` as typed (only a flood past FORM_TEXT_CAP is cut)."""
    return request.form.get(name, "")[:FORM_TEXT_CAP]


def form_reason(limit: int = REASON_MAX) -> tuple[str, str | None]:
    """The posted ``reason`` and, when it is longer than ``limit``, the refusal to show.

    A too-long reason is refused, never cut: an administrator's words are kept in the record
    as written or not at all.
    """
    reason = request.form.get("reason", "").strip()
    if len(reason) > limit:
        return reason, _(
            "Terlalu panjang: %(n)s karakter, paling banyak %(max)s. Persingkat isian ini; "
            "tidak ada yang dipotong.",
            n=len(reason),
            max=limit,
        )
    return reason, None
