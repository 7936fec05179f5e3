"""Who a username and password on the log-in form sign in: a local account or the directory.

Precedence (decided once, for the form at ``/login``):

1. A sopflow account with this username and ``auth_source='local'`` is checked against its own
   password here, and only if ``SOPFLOW_LOCAL_LOGIN`` lets it: ``on`` everyone, ``admins`` only
   members of the admin role (the break-glass administrator), ``off`` no one. The directory is
   never asked about a local account, so local log-in works while the directory is down.
2. An account of another source (``oidc``) never logs in with a password.
3. Anyone else (an unknown username, or a directory account, ``auth_source='ldap'``) is checked
   against the directory when ``SOPFLOW_LDAP_URL`` is set, and on success their account is
   created or brought up to date by :func:`identities.provision` (roles from groups).

Every refusal that may be a guess (unknown name, wrong password, a disabled directory account)
is audited and counted by the log-in throttle, exactly like a wrong local password; a directory
that does not answer is not the person's fault and is not counted.
"""

from __future__ import annotations

import logging
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User
from . import auth as auth_svc
from . import directory, identities
from .errors import ServiceError
from .users import ADMIN

log = logging.getLogger(__name__)


class LoginRefused(ServiceError):
    """The form's credentials do not sign anyone in; ``message`` is for the person."""

    def __init__(self, message: str, *, status: int = 401, counted: bool = True) -> None:
        super().__init__(message)
        self.status = status
        # Whether it counts as a failed attempt (audited and throttled): a possible guess.
        self.counted = counted


def _wrong() -> LoginRefused:
    return LoginRefused(_("Nama pengguna atau kata sandi salah."))


def local_allowed(user: User) -> bool:
    """Whether ``SOPFLOW_LOCAL_LOGIN`` lets this local account log in with its password."""
    mode = current_app.config.get("LOCAL_LOGIN", "on")
    return mode == "on" or (mode == "admins" and user.has_role(ADMIN))


def form_shown() -> bool:
    """Whether the log-in page offers the username and password form at all."""
    return current_app.config.get("LOCAL_LOGIN", "on") != "off" or directory.configured(
        current_app.config.get("LDAP", {})
    )


def directory_configured() -> bool:
    return directory.configured(current_app.config.get("LDAP", {}))


def check(username: str, password: str, remote_addr: str) -> User:
    """Return the active user these credentials sign in, or raise LoginRefused.

    Does not open a session (the view does, with ``finish_log_in``).
    """
    try:
        return _check(username, password)
    except LoginRefused as refused:
        if refused.counted:
            auth_svc.failed_log_in(username.lower(), remote_addr)  # as throttled
        raise


# A hash no password matches, per method: checked when no local account is, so that an unknown
# name takes as long to refuse as a known one (no telling which names exist by the time).
_dummy_hashes: dict[str, str] = {}


def _check_dummy(password: str) -> None:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(16), method=method)
    check_password_hash(_dummy_hashes[method], password)


def _check(username: str, password: str) -> User:
    # Every sopflow username is lower case (users.py, identities.py): "Budi" is budi on every
    # database, not only on MariaDB, whose comparison ignores case.
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is not None and user.auth_source == "local":
        # The password first: a deactivated account is refused in the same time as any other.
        if not user.check_password(password) or not user.active:
            raise _wrong()
        if not local_allowed(user):
            # The password was right: say why, it tells a guesser nothing.
            raise LoginRefused(
                _(
                    "Masuk dengan kata sandi sopflow tidak diizinkan untuk akun ini. "
                    "Gunakan akun kantor Anda."
                ),
                status=403,
                counted=False,
            )
        return user
    _check_dummy(password)
    settings = current_app.config.get("LDAP", {})
    if (user is not None and user.auth_source != "ldap") or not directory.configured(settings):
        raise _wrong()
    try:
        account = directory.authenticate(settings, username, password)
    except directory.DirectoryUnreachable as exc:
        log.warning("directory log-in of %r: directory unreachable: %s", username, exc)
        refused = LoginRefused(
            _(
                "Direktori kantor tidak dapat dihubungi, jadi akun kantor belum dapat diperiksa. "
                "Coba lagi beberapa saat lagi; bila berlanjut, hubungi administrator."
            ),
            status=503,
            counted=False,
        )
        raise refused from exc
    except directory.DirectoryRefused as exc:
        if exc.reason == "disabled":
            raise LoginRefused(
                _("Akun Anda di direktori kantor dinonaktifkan. Hubungi administrator."),
                status=403,
            ) from exc
        raise _wrong() from exc
    try:
        return identities.provision(
            "ldap",
            account.external_id,
            username=username,
            full_name=account.full_name,
            email=account.email,
            groups=account.groups,
            role_map=settings.get("role_map", {}),
        )
    except identities.IdentityRefused as exc:
        raise LoginRefused(exc.message, status=exc.status, counted=False) from exc
