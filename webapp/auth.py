"""Log-in with hashed passwords (sessions) and bearer tokens (API)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
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
from .models import LoginAttempt, User, UserSession
from .models.types import utcnow
from .services import auth as auth_svc
from .services import password_login, sessions, sso
from .services import users as users_svc
from .services.errors import Invalid

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=200)])


# The session cookie's key holding the server-side session secret (see services/sessions.py).
SESSION_KEY = "sid"
# Requests that never need the signed-in user: no session lookup for them.
NO_SESSION_ENDPOINTS = {"static", "assets.vendor", "health.health", "health.ready"}

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


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the worklist."""
    # Only local paths: never redirect to another site after log-in. Browsers read a backslash
    # as a slash ('/\\evil.example' goes to evil.example), so none is let through.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
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
        wait = _throttled(username.lower(), request.remote_addr or "")
        if wait:
            flash(
                _(
                    "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(m)s menit.",
                    m=wait,
                ),
                "error",
            )
            return _login_page(form), 429
        if not password_login.form_shown():
            flash(_("Masuk dengan nama pengguna dan kata sandi tidak tersedia di sini."), "error")
            return _login_page(form), 403
        try:
            # A local account (if SOPFLOW_LOCAL_LOGIN lets it), else the office directory.
            user = password_login.check(username, form.password.data, request.remote_addr or "")
        except password_login.LoginRefused as refused:
            flash(refused.message, "error")
            return _login_page(form), refused.status
        return finish_log_in(user, request.args.get("next"))
    if form.is_submitted():
        # The page's fields carry no browser checks (novalidate): say what is wrong rather than
        # show the form again in silence. A name or password longer than any account's is
        # nobody's: it reads as a wrong one, never cut to fit someone else's.
        typed = (form.username.data or "").strip()
        if typed and form.password.data:
            # Audited like a wrong password, with why (no account was looked at).
            too_long = len(form.username.data) > 64 or len(form.password.data) > 200
            auth_svc.refused_form(typed.lower(), "too_long" if too_long else "form_invalid")
            flash(_("Nama pengguna atau kata sandi salah."), "error")
            return _login_page(form), 401
        flash(_("Isi nama pengguna dan kata sandi."), "error")
        return _login_page(form), 400
    return _login_page(form)


def finish_log_in(user: User, next_url: str | None, *, id_token: str | None = None):
    """Open ``user``'s session in this browser and send them to ``next_url`` (a local path only).

    The one end of every log-in (password, directory, single sign-on): the session is recorded
    and audited on the server, the browser's old session is dropped whole (no fixation) and,
    if it was a live one, ended on the server as a log-out ends it; and
    ``id_token`` (single sign-on) is kept so that log-out can end the provider's session too.
    """
    if current_user.is_authenticated and g.get("user_session") is not None:
        # A log-in completed over a live session (a single sign-on started in another tab):
        # the old session ends on the server, not only in this browser's cookie.
        auth_svc.end_replaced(current_user._get_current_object(), g.user_session)
    record, secret = auth_svc.log_in(user)
    # A new session for the new person: nothing of the anonymous one carries over.
    session.clear()
    _carry_session(record, secret)
    if id_token is not None:
        sso.remember(id_token)
    login_user(user)
    if user.auth_source != "local" and not user.roles:
        # An account from the directory or single sign-on in no mapped group: in, but with
        # nothing to do yet.
        flash(
            _(
                "Anda sudah masuk, tetapi akun Anda belum mempunyai peran di sopflow, jadi "
                "belum ada tugas untuk Anda. Minta administrator memberi peran."
            ),
            "info",
        )
    return redirect(safe_next(next_url))


def _login_page(form: LoginForm) -> str:
    return render_template(
        "auth/login.html",
        form=form,
        password_form=password_login.form_shown(),
        directory_login=password_login.directory_configured(),
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign the user out and end this session on the server (its cookie is then worthless);
    after a single sign-on, end the provider's session too when it offers that."""
    provider_logout = sso.end_session_url(current_app.config["BASE_URL"] + url_for("auth.login"))
    auth_svc.log_out(current_user._get_current_object(), g.get("user_session"))
    logout_user()
    session.clear()
    if provider_logout:
        return render_template("auth/sso_logout.html", url=provider_logout)
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language (Indonesian or English)."""
    if code in ("id", "en"):
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")))


def _carry_session(record: UserSession, secret: str) -> None:
    """Make the server-side session ``record`` this browser's (its secret goes in the cookie)."""
    session[SESSION_KEY] = secret
    session.permanent = True
    g.user_session = record


def reissue_session(user: User) -> None:
    """After the user ended all their own sessions: carry on in this browser with a new one.

    The old cookie of this browser stays ended too, so a copy taken earlier is worthless.
    """
    _carry_session(*auth_svc.reissue(user))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # Only a live server-side session counts: a cookie without one (replayed after log-out, or
    # Flask-Login's remember-me cookie, which sopflow never sets) is anonymous.
    found = sessions.find(user_id, session.get(SESSION_KEY))
    if found is None:
        return None
    user, g.user_session = found
    return user


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password: every other session ends, API tokens are revoked, and this
    browser continues under a new session."""
    user = current_user._get_current_object()
    errors: dict[str, str] = {}
    if user.auth_source != "local":
        # The password lives in the office directory or the SSO provider, not here.
        if request.method == "POST":
            flash(_("Kata sandi akun ini tidak dikelola oleh sopflow."), "error")
            return _password_page(errors), 403
        return _password_page(errors)
    if request.method == "GET":
        return _password_page(errors)
    addr = (request.remote_addr or "")[:45]
    wait = _throttled(user.username, addr)
    if wait:
        flash(
            _("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(m)s menit.", m=wait),
            "error",
        )
        return _password_page(errors), 429
    try:
        ended = users_svc.change_own_password(
            user,
            request.form.get("current_password", "")[:300],
            request.form.get("password", "")[:300],
            request.form.get("password_confirm", "")[:300],
        )
    except Invalid as exc:
        db.session.rollback()
        if "current_password" in exc.errors and request.form.get("current_password"):
            # A wrong password counts as a failed log-in: no guessing through this form.
            auth_svc.count_failed_attempt(user.username, addr)
        flash(exc.message, "error")
        return _password_page(exc.errors), 422
    reissue_session(user)
    message = _("Kata sandi Anda diganti. Sesi Anda di perangkat lain telah diakhiri.")
    if ended["tokens_revoked"]:
        message += " " + _(
            "%(n)s token API Anda dicabut; minta token baru kepada administrator.",
            n=ended["tokens_revoked"],
        )
    flash(message, "success")
    return redirect(url_for("auth.password"))


def _password_page(errors: dict[str, str]) -> str:
    return render_template(
        "auth/password.html",
        errors=errors,
        min_password=users_svc.MIN_PASSWORD,
        source=current_user.auth_source,
    )


def user_from_bearer(req) -> User | None:
    """Return the user of a valid ``Authorization: Bearer <token>`` header, else None.

    The API accepts only this: a session cookie never authenticates an API call, so the API
    needs no CSRF token and a page on another site cannot act through a logged-in browser.
    """
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    secret = header[len("Bearer ") :].strip()
    return auth_svc.bearer_user(secret)


def init_app(app: Flask) -> None:
    """Register the log-in views and how unauthenticated requests are answered."""
    app.register_blueprint(bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Silakan masuk untuk melanjutkan.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @app.before_request
    def _note_session_use():
        # Load the user at the start of the request (one indexed query) and, every few minutes,
        # note the session's last use while nothing else is pending in the transaction.
        if request.endpoint in NO_SESSION_ENDPOINTS or request.blueprint == "api":
            return
        if current_user.is_authenticated:
            record = g.get("user_session")
            if record is not None:
                auth_svc.note_session_use(record)

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
