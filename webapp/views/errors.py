"""Error pages: what a failed request answers, as HTML or (under /api/) as JSON."""

from __future__ import annotations

from typing import NoReturn

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services.errors import ServiceError

bp = Blueprint("errors", __name__)


class Reason(str):
    """A refusal's reason worded for the reader, as opposed to werkzeug's English defaults."""


def refuse(status: int, message: str) -> NoReturn:
    """Abort with ``status``; the error page (or the API's JSON) says ``message`` as it is."""
    abort(status, description=Reason(message))


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_page(status: int, message: str):
    if _wants_json():
        return jsonify(message=message), status
    return render_template("error.html", status=status, message=message), status


@bp.app_errorhandler(ServiceError)
def service_error(exc: ServiceError):
    """Answer a refused service action with its status and message; nothing is saved."""
    db.session.rollback()
    if _wants_json():
        body = {"message": exc.message}
        body.update(exc.extra)
        return jsonify(body), exc.status
    return _error_page(exc.status, exc.message)


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    """Send an expired session back to log-in, otherwise explain the stale form."""
    if not current_user.is_authenticated:
        flash(
            _(
                "Sesi Anda telah berakhir. Silakan masuk kembali; isian Anda tersimpan di "
                "peramban ini."
            ),
            "error",
        )
        # Back to the same form after log-in: its draft is restored from the browser.
        return redirect(url_for("auth.login", next=request.path))
    return _error_page(
        400,
        _(
            "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu "
            "kirim lagi; isian Anda tersimpan di peramban ini."
        ),
    )


MESSAGES = {
    400: _l("Permintaan tidak sah."),
    401: _l("Anda perlu masuk lebih dulu."),
    403: _l("Anda tidak berhak membuka halaman ini."),
    404: _l("Halaman atau data tidak ditemukan."),
    405: _l("Metode tidak diizinkan."),
    409: _l("Data ini baru saja diubah orang lain. Muat ulang halaman lalu coba lagi."),
    410: _l("Halaman atau data ini sudah tidak ada."),
    413: _l("Berkas atau isian terlalu besar."),
    415: _l("Jenis isi permintaan tidak didukung."),
    429: _l("Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi."),
    500: _l("Terjadi kesalahan pada server. Kejadian ini sudah dicatat."),
    503: _l("Layanan sedang tidak tersedia. Coba lagi sebentar lagi."),
}


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Answer an HTTP error with a plain message in the user's language."""
    status = exc.code or 500
    # werkzeug's descriptions and names are English: only the app's own reason is shown.
    if isinstance(exc.description, Reason):
        return _error_page(status, str(exc.description))
    fallback = _("Permintaan tidak dapat dilayani (kode %(code)s).", code=status)
    return _error_page(status, str(MESSAGES.get(status, fallback)))


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(InterfaceError)
def database_unavailable(exc: Exception):
    """The database connection dropped: nothing was saved; say so and ask to try again."""
    db.session.rollback()
    current_app.logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.path,
        str(exc).splitlines()[0][:200],
    )
    response = make_response(
        _error_page(
            503,
            _("Basis data sedang tidak dapat dihubungi; tidak ada yang tersimpan. Coba lagi."),
        )
    )
    response.headers["Retry-After"] = "5"
    return response


@bp.app_errorhandler(Exception)
def unexpected(exc: Exception):
    """Log an unhandled error; the user sees a plain message, never a stack trace."""
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _error_page(500, str(MESSAGES[500]))
