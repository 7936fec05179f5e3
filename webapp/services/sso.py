"""Single sign-on with OpenID Connect, through Authlib's Flask client.

The authorization code flow with PKCE (S256): :func:`begin` sends the browser to the provider
with a fresh ``state``, ``nonce`` and code challenge (kept in the signed session cookie);
:func:`finish` checks the ``state`` that comes back, trades the code for tokens, verifies the ID
token's signature against the provider's published keys (JWKS), its issuer, audience, expiry and
``nonce``, and returns the person's claims; :func:`provision` turns them into a sopflow account
(``identities.provision``), and the view opens the session as the password log-in does.

Everything the provider is asked goes through the discovery document
``<issuer>/.well-known/openid-configuration``, read on first use and kept (the keys are read
again when a token names a key not seen yet). Every failure becomes :class:`SsoFailed` with a
plain message for the log-in page; the details go to the log, never to the person.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, session
from flask_babel import gettext as _
from joserfc.errors import JoseError

from ..extensions import db
from ..models import User
from . import audit, identities

log = logging.getLogger(__name__)

CLIENT = "sso"
EXTENSION = "sopflow.sso"
CALLBACK_PATH = "/login/oidc/callback"
# After an SSO log-in the session remembers the ID token, so that log-out can name it to the
# provider (``id_token_hint``). A very large token (hundreds of groups) would overflow the
# cookie: then only the mark is kept and log-out names the client instead.
ID_TOKEN_KEY = "oidc_id_token"
ID_TOKEN_MAX = 1800
MARK = "oidc"


class SsoFailed(Exception):
    """The single sign-on did not complete; ``message`` is for the person, ``reason`` a short
    code for the log and the audit trail."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def init_app(app: Flask) -> None:
    """Register the provider's client when single sign-on is configured."""
    settings = app.config["OIDC"]
    if not settings.get("issuer"):
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=settings["client_id"],
        client_secret=settings["client_secret"] or None,
        server_metadata_url=settings["issuer"] + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings["scopes"],
            "code_challenge_method": "S256",
            "default_timeout": settings["timeout"],
            "token_endpoint_auth_method": (
                "client_secret_basic" if settings["client_secret"] else "none"
            ),
        },
    )
    app.extensions[EXTENSION] = oauth


def enabled() -> bool:
    return EXTENSION in current_app.extensions


def button_label() -> str:
    return current_app.config["OIDC"]["button_label"] or _("Masuk dengan SSO kantor")


def redirect_uri() -> str:
    """Where the provider sends the browser back: register it at the provider as is."""
    return current_app.config["BASE_URL"] + CALLBACK_PATH


def _client():
    return current_app.extensions[EXTENSION].create_client(CLIENT)


def _unreachable() -> SsoFailed:
    return SsoFailed(
        _(
            "Layanan SSO kantor sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi, "
            "atau hubungi administrator."
        ),
        "unreachable",
    )


def _metadata(client) -> dict[str, Any]:
    """The provider's discovery document, read once; its issuer must be the configured one."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        log.warning("OIDC discovery failed: %s", _short(exc))
        raise _unreachable() from exc
    expected = current_app.config["OIDC"]["issuer"]
    if str(metadata.get("issuer", "")).rstrip("/") != expected:
        # A provider answering for another issuer: its tokens would not be ours to trust.
        log.error("OIDC discovery names issuer %r, not %r", metadata.get("issuer"), expected)
        client.server_metadata.pop("_loaded_at", None)
        raise SsoFailed(_("Pengaturan SSO tidak cocok; hubungi administrator."), "issuer")
    return metadata


def begin():
    """A redirect to the provider's log-in, with state, nonce and a PKCE (S256) challenge."""
    client = _client()
    _metadata(client)
    try:
        return client.authorize_redirect(redirect_uri())
    except requests.RequestException as exc:  # pragma: no cover - discovery read just above
        log.warning("OIDC authorization request failed: %s", _short(exc))
        raise _unreachable() from exc


def finish(args) -> tuple[dict[str, Any], str]:
    """Complete the flow from the provider's answer ``args``; return (claims, id_token)."""
    client = _client()
    error = args.get("error")
    if error:
        log.info("OIDC provider answered %s: %s", error, args.get("error_description", ""))
        if error in ("access_denied", "consent_required", "interaction_required"):
            raise SsoFailed(
                _("Masuk dengan SSO dibatalkan atau ditolak di penyedia identitas."), "denied"
            )
        raise SsoFailed(_("Penyedia identitas menolak permintaan masuk."), "provider_error")
    metadata = _metadata(client)
    if args.get("iss") and args["iss"].rstrip("/") != current_app.config["OIDC"]["issuer"]:
        # RFC 9207: an answer naming another issuer is a mix-up, not ours to complete.
        log.warning("OIDC answer from issuer %r", args["iss"])
        raise SsoFailed(_("Tanda masuk dari penyedia identitas tidak sah."), "issuer")
    try:
        token = client.authorize_access_token()
    except MismatchingStateError as exc:
        raise SsoFailed(
            _(
                "Permintaan masuk tidak dikenali atau sudah kedaluwarsa (state tidak cocok). "
                "Silakan mulai lagi dari halaman masuk."
            ),
            "state",
        ) from exc
    except requests.RequestException as exc:
        log.warning("OIDC token request failed: %s", _short(exc))
        raise _unreachable() from exc
    except (OAuthError, JoseError, ValueError, KeyError, RuntimeError) as exc:
        # A refused code, a bad signature, a wrong audience, nonce or issuer, an expired token.
        log.warning("OIDC token refused: %s", _short(exc))
        raise SsoFailed(_("Tanda masuk dari penyedia identitas tidak sah."), "token") from exc
    claims = token.get("userinfo")
    if not claims or "id_token" not in token:
        log.warning("OIDC token answer without an ID token")
        raise SsoFailed(_("Tanda masuk dari penyedia identitas tidak sah."), "token")
    claims = dict(claims)
    settings = current_app.config["OIDC"]
    wanted = [settings["username_claim"], settings["groups_claim"] or settings["username_claim"]]
    if any(_claim(claims, name) is None for name in wanted) and metadata.get("userinfo_endpoint"):
        claims = _with_userinfo(client, token, claims)
    return claims, token["id_token"]


def _with_userinfo(client, token: dict, claims: dict[str, Any]) -> dict[str, Any]:
    """Add the claims the ID token lacks from the userinfo endpoint (same ``sub`` only)."""
    try:
        info = dict(client.userinfo(token=token))
    except requests.RequestException as exc:
        log.warning("OIDC userinfo request failed: %s", _short(exc))
        raise _unreachable() from exc
    except (OAuthError, ValueError) as exc:
        log.warning("OIDC userinfo refused: %s", _short(exc))
        return claims
    if info.get("sub") != claims.get("sub"):
        log.warning("OIDC userinfo names another subject")
        raise SsoFailed(_("Tanda masuk dari penyedia identitas tidak sah."), "token")
    return {**info, **claims}


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested objects (``realm_access.roles``)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _groups(claims: dict[str, Any]) -> list[str] | None:
    """The person's groups; None when the provider says they are elsewhere (a distributed
    claim, as Azure AD sends past 200 groups) rather than in the token."""
    name = current_app.config["OIDC"]["groups_claim"]
    value = _claim(claims, name) if name else None
    elsewhere = claims.get("_claim_names")
    if value is None and name and isinstance(elsewhere, dict) and name in elsewhere:
        log.warning(
            "OIDC: the %r claim is not in the token but at a distributed source (Azure AD: "
            "more than 200 groups; emit only the groups assigned to the application)",
            name,
        )
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [g for g in value if isinstance(g, str)]
    return []


def email_verified(claims: dict[str, Any]) -> bool:
    """Whether the provider says it verified the ``email`` claim (Cognito sends "true")."""
    flag = claims.get("email_verified")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def provision(claims: dict[str, Any]) -> User:
    """Create or update the account of the person the ``claims`` describe; return it.

    Raises ``identities.IdentityRefused`` (or its ``IdentityConflict``) when sopflow refuses
    them. The session is opened by the caller (``webapp/auth.py``'s ``finish_log_in``).
    """
    settings = current_app.config["OIDC"]
    username = _claim(claims, settings["username_claim"])
    full_name = claims.get("name") or " ".join(
        str(claims.get(k, "")) for k in ("given_name", "family_name") if claims.get(k)
    )
    # An address the provider says it has not verified is not used for notifications (one
    # that says nothing, as Azure AD, is the tenant's own and kept).
    email = claims.get("email") if "email_verified" not in claims or email_verified(claims) else ""
    return identities.provision(
        "oidc",
        f"{settings['issuer']}|{claims['sub']}",
        username=username if isinstance(username, str) else "",
        full_name=str(full_name or ""),
        email=email if isinstance(email, str) else "",
        groups=_groups(claims),
        role_map=settings["role_map"],
        # As Keycloak's brokering does without "Trust Email": an address the provider has not
        # verified (or does not say it has) is anyone's to type, so as a username it neither
        # creates nor links an account; a person already linked by issuer and subject still
        # logs in.
        username_trusted=username_trusted(claims, settings["username_claim"]),
    )


def username_trusted(claims: dict[str, Any], username_claim: str) -> bool:
    """Whether the username claim may create or link an account (not an unverified address).

    The ``email`` claim is trusted only when verified. Any other claim that is the token's
    e-mail address (Keycloak's "email as username" puts it in ``preferred_username``) is
    untrusted when the provider says that address is not verified.
    """
    if username_claim == "email":
        return email_verified(claims)
    username = _claim(claims, username_claim)
    email = claims.get("email")
    if (
        isinstance(username, str)
        and isinstance(email, str)
        and username.strip().lower() == email.strip().lower()
        and "email_verified" in claims
    ):
        return email_verified(claims)
    return True


def remember(id_token: str) -> None:
    """Note in the new session that it came through SSO (log-out then ends it there too)."""
    session[MARK] = True
    if len(id_token) <= ID_TOKEN_MAX:
        session[ID_TOKEN_KEY] = id_token


def end_session_url(post_logout_redirect_uri: str) -> str | None:
    """The provider's log-out address for this SSO session (RP-initiated logout), or None when
    the session did not come through SSO or the provider offers no ``end_session_endpoint``.

    Read before the local session is cleared.
    """
    if not enabled() or not session.get(MARK):
        return None
    client = _client()
    try:
        metadata = _metadata(client)
    except SsoFailed:
        return None  # the local session ends all the same
    if not metadata.get("end_session_endpoint"):
        return None
    hint = session.get(ID_TOKEN_KEY)
    params = {"post_logout_redirect_uri": post_logout_redirect_uri}
    if hint:
        params["id_token_hint"] = hint
    else:
        params["client_id"] = current_app.config["OIDC"]["client_id"]
    # No state: the way back is the log-in page, which acts on nothing it is given.
    return add_params_to_uri(metadata["end_session_endpoint"], params)


def record_failure(reason: str) -> None:
    """Audit a single sign-on that did not end in a log-in."""
    db.session.rollback()
    audit.record("auth.sso_failed", None, reason=reason)
    db.session.commit()


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
