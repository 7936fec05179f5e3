"""Single sign-on pages: the button's start of the flow and the provider's way back.

``GET /login/oidc`` (the log-in page's "Masuk dengan SSO kantor" button) sends the browser to
the provider. It is a link, not a form: the pages' ``form-action 'self'`` would stop a form from
being redirected to the provider, and a forged start exploits nothing, since the answer must
match this browser's ``state``. ``GET /login/oidc/callback`` is where the provider sends it back
(register ``<BASE_URL>/login/oidc/callback`` at the provider). Any failure lands on the log-in
page with one plain message. Log-out is the usual ``POST /logout`` (webapp/auth.py), which
also ends the provider's session when the provider offers that.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, request, session, url_for
from flask_login import current_user

from ..auth import finish_log_in, safe_next
from ..services import identities, sso

bp = Blueprint("oidc", __name__)

NEXT_KEY = "oidc_next"


@bp.route("/login/oidc")
def start():
    """Send the browser to the office's identity provider to log in."""
    if not sso.enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("tasks.worklist"))
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return sso.begin()
    except sso.SsoFailed as failed:
        sso.record_failure(failed.reason)
        flash(failed.message, "error")
        return redirect(url_for("auth.login"))


@bp.route("/login/oidc/callback")
def callback():
    """The provider's answer: log the person in, or say plainly why not."""
    if not sso.enabled():
        abort(404)
    try:
        claims, id_token = sso.finish(request.args)
    except sso.SsoFailed as failed:
        sso.record_failure(failed.reason)
        flash(failed.message, "error")
        return redirect(url_for("auth.login"))
    target = session.get(NEXT_KEY)
    try:
        user = sso.provision(claims)
    except identities.IdentityRefused as refused:
        sso.record_failure(refused.reason)
        session.pop(NEXT_KEY, None)
        flash(refused.message, "error")
        return redirect(url_for("auth.login"))
    return finish_log_in(user, target, id_token=id_token)


def init_app(app: Flask) -> None:
    """Register the pages, and tell the log-in page whether to show the SSO button."""
    sso.init_app(app)
    app.register_blueprint(bp)

    @app.context_processor
    def _sso_button():
        if sso.enabled():
            return {"sso_button": sso.button_label()}
        return {"sso_button": None}
