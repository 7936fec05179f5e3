"""The SOP sheet of a process, printable and as PDF, generated from its published diagram."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services import sop_sheet as svc
from .errors import refuse

bp = Blueprint("sop_sheet", __name__)

# The sheet is our own escaped HTML: no scripts, no outside resources, inline styles only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# Drafts are not the office's procedure yet: only those who edit processes may preview them.
DRAFT_READERS = ("process_owner", "admin")


def _version(process_id: str):
    raw = request.args.get("version")
    number = None
    if raw is not None:
        if not raw.isdigit():
            abort(404)
        number = int(raw)
    version = svc.find_version(process_id, number)
    if version is None:
        abort(404)
    if version.published_at is None and not any(current_user.has_role(r) for r in DRAFT_READERS):
        abort(404)
    return version


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _reader_required() -> None:
    # The SOP is the office's public procedure: anyone signed in who holds a role reads it.
    if not current_user.roles:
        abort(403)


@bp.route("/processes/<process_id>/sop")
@login_required
def sheet(process_id: str):
    """The SOP sheet as one printable page (A4 landscape)."""
    _reader_required()
    version = _version(process_id)
    html = svc.render_html(svc.sheet(version))
    return _secure(Response(html, mimetype="text/html"))


@bp.route("/processes/<process_id>/sop.pdf")
@login_required
def sheet_pdf(process_id: str):
    """The same page printed to PDF by WeasyPrint."""
    _reader_required()
    version = _version(process_id)
    data = svc.sheet(version)
    try:
        pdf = svc.pdf_of(data)
    except svc.PdfUnavailable as exc:
        # The reason (a library's own words) goes to the log; the reader is told what to do.
        current_app.logger.warning("SOP sheet PDF unavailable: %s", exc)
        refuse(
            503,
            _(
                "PDF lembar SOP belum dapat dibuat di server ini. Buka lembarnya lalu cetak "
                "dari peramban (A4 lanskap)."
            ),
        )
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{data.pdf_filename}"'
    return _secure(response)
