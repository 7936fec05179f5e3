"""Log-in with hashed passwords (sessions) and bearer tokens (API)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .extensions import db, login_manager
from .models import ApiToken, LoginAttempt, User
from .models.types import utcnow
from .services import audit

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=200)])


# A username gets MAX_PER_USER failed tries and an address MAX_PER_ADDR within WINDOW.
WINDOW = timedelta(minutes=15)
MAX_PER_USER = 5
MAX_PER_ADDR = 30


def _throttled(username: str, addr: str) -> int:
    """Minutes to wait before this username or address may try again (0: go ahead)."""
    since = utcnow() - WINDOW
    recent = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    by_user = db.session.scalar(recent.where(LoginAttempt.username == username))
    by_addr = db.session.scalar(recent.where(LoginAttempt.remote_addr == addr[:45]))
    if by_user < MAX_PER_USER and by_addr < MAX_PER_ADDR:
        return 0
    oldest = db.session.scalar(
        select(func.min(LoginAttempt.at)).where(
            LoginAttempt.at >= since,
            (LoginAttempt.username == username) | (LoginAttempt.remote_addr == addr[:45]),
        )
    )
    remaining = (oldest + WINDOW - utcnow()).total_seconds() if oldest else WINDOW.total_seconds()
    return max(1, int(remaining // 60) + 1)


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect to another site after log-in.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("tasks.worklist")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the log-in form and sign a user in."""
    if current_user.is_authenticated:
        return redirect(url_for("tasks.worklist"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()[:64]
        wait = _throttled(username, request.remote_addr or "")
        if wait:
            flash(
                _(
                    "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(m)s menit.",
                    m=wait,
                ),
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and user.active and user.check_password(form.password.data):
            session.clear()
            login_user(user)
            session.permanent = True
            audit.record("auth.login", user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit.record("auth.login_failed", None, username=username)
        db.session.add(
            LoginAttempt(username=username, remote_addr=(request.remote_addr or "")[:45])
        )
        db.session.commit()
        flash(_("Nama pengguna atau kata sandi salah."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign the user out."""
    audit.record("auth.logout", current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language (Indonesian or English)."""
    if code in ("id", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


def user_from_bearer(req) -> User | None:
    """Return the user of a valid ``Authorization: Bearer <token>`` header, else None.

    The API accepts only this: a session cookie never authenticates an API call, so the API
    needs no CSRF token and a page on another site cannot act through a logged-in browser.
    """
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    secret = header[len("Bearer ") :].strip()
    token = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == ApiToken.hash(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user


def init_app(app: Flask) -> None:
    """Register the log-in views and how unauthenticated requests are answered."""
    app.register_blueprint(bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Silakan masuk untuk melanjutkan.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return jsonify(message=_("Token API tidak ada atau tidak sah.")), 401
        if request.method == "POST":
            flash(
                _(
                    "Sesi Anda telah berakhir. Silakan masuk kembali; isian Anda tersimpan "
                    "di peramban ini."
                ),
                "error",
            )
        else:
            flash(_("Silakan masuk untuk melanjutkan."), "info")
        return redirect(url_for("auth.login", next=request.path))
