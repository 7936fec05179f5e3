"""Accounts that log in elsewhere (single sign-on, the office directory): create or update them.

Single sign-on (OpenID Connect, ``webapp/oidc.py``) and directory log-in (LDAP) both end in
:func:`provision`: it finds the sopflow account of the person the provider vouched for, creates it
on their first log-in, brings their name, e-mail and roles up to date, and commits. The caller
then opens the session with ``finish_log_in`` (webapp/auth.py), the one end of every log-in
(it audits the log-in itself).

Rules, decided once for both sources:

- An account is found by ``(source, external_id)``: the provider's stable id (for OIDC
  ``"<issuer>|<sub>"``), never by a name the person can change at the provider alone.
- Else by username, but only an account of the same source that is not yet linked to another
  external id (sopflow itself creates none such: every account it creates for a source is
  linked at once; one may come from a row added to the database by hand). A *local*
  account (password in sopflow) or another source's account with the same username is never
  taken over: :class:`IdentityConflict`, with a message for the person and the administrator.
- The username is set on creation and then kept (diagrams and assignments refer to it); the
  full name and e-mail follow the provider on every log-in.
- Roles follow the role map: every role the map gives for the person's groups is granted; a role
  the map *could* give but their groups no longer do is removed; a role the map never names
  (given by an administrator by hand) is left alone. A role the map names but sopflow does not
  have is not created (a typo in a setting must not invent a lane): it is skipped and logged.
  Groups match case-insensitively (directory group names are case-insensitive).
- A person with no role at all may still log in: they see an empty worklist and a message asking
  the administrator for a role (the log-in views say so), rather than a refusal that would look
  like a broken log-in.
- An account deactivated in sopflow is refused (:class:`IdentityRefused`), whatever the provider
  says.
- What does not fit a column is refused, never cut to fit: an external id over 255 characters
  or a username over 64 (cut, two people's ids or names could become one account). A name over
  200 characters is shortened (it identifies no one); an e-mail address that is too long or not
  an address is not kept (the same limits as an administrator's form, ``services/users.py``).
- A username the caller does not vouch for (``username_trusted=False``: taken from an e-mail
  address the provider has not verified) neither creates an account nor links one by name.
- Every refusal is audited (``auth.identity_refused`` with its ``reason``, or
  ``auth.identity_conflict``) and leaves nothing else behind.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from typing import NoReturn

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Role, User
from . import audit
from .errors import ServiceError
from .users import EMAIL_MAX, EMAIL_RE, FULL_NAME_MAX

log = logging.getLogger(__name__)

SOURCES = ("oidc", "ldap")
# The columns' sizes (models/user.py): a longer value is refused, never cut into someone else's.
USERNAME_MAX = 64
EXTERNAL_ID_MAX = 255
# Usernames from a provider: lower case; letters, digits and . _ - @ + (an e-mail address as
# Azure AD's preferred_username is allowed).
USERNAME_RE = re.compile(r"[a-z0-9._@+-]{1,64}")


class IdentityRefused(ServiceError):
    """The provider vouched for this person, but sopflow will not let them in; ``message`` says
    why in words for them (no internals), ``reason`` is a short code for the audit trail."""

    status = 403

    def __init__(self, message: str, reason: str = "refused") -> None:
        super().__init__(message)
        self.reason = reason


class IdentityConflict(IdentityRefused):
    """Another sopflow account (a local one, or another source's) already has this username."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, "conflict")


def parse_role_map(text: str) -> dict[str, list[str]]:
    """Read a role map setting: ``group=Role,Other role;group2=Role`` → ``{group: [roles]}``.

    Entries are separated by ``;`` (or new lines); in each, the group is everything before the
    LAST ``=`` (so an LDAP group DN such as ``cn=ketua,ou=groups,dc=kantor,dc=go,dc=id`` works)
    and the roles after it, separated by ``,`` (role names may contain spaces, not commas).
    Spaces around names are dropped; a group named twice gets the roles of both entries.
    Raises ``ValueError`` with the entry at fault.
    """
    mapping: dict[str, list[str]] = {}
    for raw in re.split(r"[;\n]", text or ""):
        entry = raw.strip()
        if not entry:
            continue
        group, sep, roles_text = entry.rpartition("=")
        group = group.strip()
        roles = [r.strip() for r in roles_text.split(",") if r.strip()]
        if not sep or not group or not roles:
            raise ValueError(f"role map entry {entry!r}: expected group=Role[,Role…]")
        targets = mapping.setdefault(group, [])
        targets.extend(r for r in roles if r not in targets)
    return mapping


def mapped_roles(
    groups: Iterable[str], role_map: dict[str, list[str]]
) -> tuple[set[str], set[str]]:
    """The role names the map gives for ``groups``, and every role name the map can give."""
    have = {g.strip().casefold() for g in groups if isinstance(g, str) and g.strip()}
    given: set[str] = set()
    targets: set[str] = set()
    for group, roles in role_map.items():
        targets.update(roles)
        if group.strip().casefold() in have:
            given.update(roles)
    return given, targets


def normalize_username(raw: str) -> str:
    """The sopflow username for a provider's name: trimmed, lower case; refused if unusable."""
    username = (raw or "").strip()
    # Checked before lower(): the Kelvin sign "\u212a" lowers to an ASCII "k", so
    # "\u212aetua1" would become someone else's "ketua1".
    username = username.lower() if username.isascii() else ""
    if not USERNAME_RE.fullmatch(username):
        raise IdentityRefused(
            _(
                "Penyedia identitas tidak memberikan nama pengguna yang dapat dipakai (huruf, "
                "angka dan . _ - @ +, paling banyak 64 karakter). Hubungi administrator."
            ),
            "username",
        )
    return username


def _clean_email(email: str) -> str:
    """The address, or "" when it is not one sopflow would accept from an administrator."""
    email = (email or "").strip()
    return email if len(email) <= EMAIL_MAX and EMAIL_RE.fullmatch(email) else ""


def provision(
    source: str,
    external_id: str,
    *,
    username: str,
    full_name: str,
    email: str,
    groups: Iterable[str] | None,
    role_map: dict[str, list[str]],
    username_trusted: bool = True,
) -> User:
    """Find, create or update the account of the person ``source`` vouched for; commit; return it.

    See the module's docstring for the rules. ``groups`` None: the provider did not give them
    (refused when a role map is set, rather than read as no group). ``username_trusted`` False
    (a username taken from an e-mail address the provider has not verified): the person may
    only reach an account already linked to ``external_id``; the username creates or links
    nothing. Raises :class:`IdentityConflict` when the username belongs to another account
    sopflow must not take over, :class:`IdentityRefused` when the account is deactivated here
    or the provider's id, username or groups are unusable (each refusal audited, nothing
    created). Does not open a session:
    call ``finish_log_in`` (webapp/auth.py) next.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown identity source {source!r}")
    if not external_id or len(external_id) > EXTERNAL_ID_MAX:
        # Cut to fit, two long ids sharing their first 255 characters would be one account.
        _refuse(
            IdentityRefused(
                _(
                    "Penyedia identitas memberikan tanda pengenal akun yang terlalu panjang "
                    "untuk sopflow; hubungi administrator."
                ),
                "external_id",
            ),
            source=source,
            external_id=external_id[:100],
            length=len(external_id),
        )
    if groups is None and role_map:
        # The provider says the person's groups are elsewhere (Azure AD's "overage" past 200
        # groups): read as none, every mapped role would silently go.
        _refuse(
            IdentityRefused(
                _(
                    "Penyedia identitas tidak mengirim daftar grup Anda, jadi peran Anda di "
                    "sopflow tidak dapat ditentukan; hubungi administrator."
                ),
                "groups_missing",
            ),
            source=source,
            username=(username or "")[:100],
        )
    groups = list(groups or [])
    args = (source, external_id, username, full_name, email, groups, role_map, username_trusted)
    try:
        return _provision(*args)
    except IntegrityError:
        # Two first log-ins of the same person at once: the other one created the account.
        db.session.rollback()
        return _provision(*args)


def _refuse(refused: IdentityRefused, user: User | None = None, **detail) -> NoReturn:
    """Audit a refusal (nothing else of the log-in is kept) and raise it."""
    db.session.rollback()
    # In the journal too: where the IT team looks first when someone "cannot log in".
    log.warning("log-in refused (%s): %s", refused.reason, detail)
    audit.record("auth.identity_refused", user, reason=refused.reason, **detail)
    db.session.commit()
    raise refused


def _same_external_id(source: str, stored: str | None, given: str) -> bool:
    """Whether the ``stored`` id of an account found for ``given`` is the same person's.

    A provider's id must match exactly (Azure AD's pairwise sub is case-sensitive); a
    directory's may differ in letter case only (a DN, which the directory compares ignoring
    case), never in accents, spaces or width, which MariaDB's comparison also ignores.
    """
    if stored == given:
        return True
    return source == "ldap" and stored is not None and stored.lower() == given.lower()


def _provision(
    source: str,
    external_id: str,
    username: str,
    full_name: str,
    email: str,
    groups: list[str],
    role_map: dict[str, list[str]],
    username_trusted: bool,
) -> User:
    user = db.session.scalar(
        select(User).where(User.auth_source == source, User.external_id == external_id)
    )
    if user is not None and not _same_external_id(source, user.external_id, external_id):
        # MariaDB compares text ignoring case, trailing spaces, accents and full-width forms:
        # "AbC" found "abc", "cn=José Garcia" found "cn=Jose Garcia", another person's id.
        # Never theirs to enter, and the unique index would refuse a second row.
        _refuse(
            IdentityRefused(
                _(
                    "Akun Anda di penyedia identitas tidak dapat dibedakan dari akun lain di "
                    "sopflow; hubungi administrator."
                ),
                "external_id_clash",
            ),
            source=source,
            external_id=external_id[:100],
            clashing_user_id=user.id,
        )
    created = False
    if user is None:
        if not username_trusted:
            _refuse(
                IdentityRefused(
                    _(
                        "Alamat surel Anda belum diverifikasi oleh penyedia identitas, jadi "
                        "tidak dapat dipakai sebagai nama pengguna; verifikasi dulu alamat itu "
                        "atau hubungi administrator."
                    ),
                    "email_unverified",
                ),
                source=source,
                username=(username or "")[:100],
            )
        try:
            name = normalize_username(username)
        except IdentityRefused as refused:
            _refuse(refused, source=source, username=(username or "")[:100])
        user = db.session.scalar(select(User).where(User.username == name))
        if user is not None and (user.auth_source != source or user.external_id is not None):
            log.warning(
                "log-in refused (conflict): %s username %r belongs to a %s account",
                source,
                name,
                user.auth_source,
            )
            audit.record(
                "auth.identity_conflict",
                None,
                username=name,
                source=source,
                existing_source=user.auth_source,
            )
            db.session.commit()
            raise IdentityConflict(_conflict_message(name, user.auth_source))
        if user is None:
            user = User(
                username=name,
                auth_source=source,
                active=True,
                # Never usable: werkzeug refuses a hash without a method, so no password works.
                password_hash="!" + secrets.token_hex(16),
            )
            db.session.add(user)
            created = True
        user.external_id = external_id
    if not user.active:
        _refuse(
            IdentityRefused(
                _("Akun Anda di sopflow dinonaktifkan. Hubungi administrator."), "deactivated"
            ),
            user,
            source=source,
        )
    user.full_name = (full_name or "").strip()[:FULL_NAME_MAX] or user.full_name or user.username
    user.email = _clean_email(email) or ("" if created else user.email)
    granted, removed = _sync_roles(user, groups, role_map)
    db.session.flush()
    if created:
        audit.record(
            "auth.account_created",
            user,
            source=source,
            roles=sorted(user.role_names),
        )
    elif granted or removed:
        audit.record("auth.roles_synced", user, source=source, granted=granted, removed=removed)
    db.session.commit()
    return user


def _sync_roles(
    user: User, groups: list[str], role_map: dict[str, list[str]]
) -> tuple[list[str], list[str]]:
    """Grant the mapped roles of ``groups``, remove the mapped ones they no longer give."""
    given, targets = mapped_roles(groups, role_map)
    if not targets:
        return [], []
    existing = {
        r.name: r for r in db.session.scalars(select(Role).where(Role.name.in_(sorted(targets))))
    }
    unknown = sorted(set(targets) - set(existing))
    if unknown:
        log.warning("role map names roles sopflow does not have: %s", ", ".join(unknown))
    have = user.role_names
    granted = sorted(name for name in given if name in existing and name not in have)
    removed = sorted(name for name in have if name in targets and name not in given)
    for name in granted:
        user.roles.append(existing[name])
    for role in [r for r in user.roles if r.name in removed]:
        user.roles.remove(role)
    return granted, removed


def _conflict_message(username: str, existing_source: str) -> str:
    where = {
        "local": _("akun dengan kata sandi sopflow"),
        "oidc": _("akun SSO lain"),
        "ldap": _("akun direktori"),
    }.get(existing_source, existing_source)
    return _(
        "Nama pengguna '%(u)s' sudah dipakai oleh %(where)s. Demi keamanan akun itu tidak "
        "diambil alih; hubungi administrator untuk menautkan atau mengganti namanya.",
        u=username,
        where=where,
    )
