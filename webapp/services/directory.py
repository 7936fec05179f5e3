"""Log-in against the office directory (OpenLDAP, Active Directory) with ldap3.

The password check is the directory's own: the person's entry is searched (with the service
account of ``SOPFLOW_LDAP_BIND_DN``, or anonymously), then a second connection binds *as that
entry* with the typed password. Nothing here stores or compares a password.

Then, on that person's entry:

- **disabled**: Active Directory's ``userAccountControl`` ACCOUNTDISABLE bit (0x2) always
  refuses; for other directories ``SOPFLOW_LDAP_DISABLED_FILTER`` (for example
  ``(pwdAccountLockedTime=*)`` with the ppolicy overlay, or ``(employeeType=nonaktif)``) is
  tested against the entry. It is checked only after the password proved right, so the message
  "disabled" tells nothing to someone guessing (AD itself refuses a disabled account's bind,
  which then reads as a wrong password).
- **groups**: ``memberOf`` of the entry, or a search (``SOPFLOW_LDAP_GROUP_FILTER``, by default
  ``groupOfNames`` whose ``member`` is the entry). Each group is given by its whole DN and by its
  ``cn``, so the role map may name either.
- **stable id**: AD's ``objectGUID``, else OpenLDAP's ``entryUUID``, else the entry's DN.

The typed username goes into the filter escaped (RFC 4515, ``escape_filter_chars``), so
``*)(uid=*`` is a literal name that matches no one. An empty password is refused before any
bind: many directories treat a DN with an empty password as an anonymous bind that "succeeds".
"""

from __future__ import annotations

import logging
import math
import ssl
import uuid
from dataclasses import dataclass, field

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPCommunicationError, LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

log = logging.getLogger(__name__)

ACCOUNTDISABLE = 0x2
ENTRY_ATTRIBUTES = [
    "cn",
    "displayName",
    "mail",
    "memberOf",
    "userAccountControl",
    "objectGUID",
    "entryUUID",
]


class DirectoryError(Exception):
    """Directory log-in did not succeed."""


class DirectoryUnreachable(DirectoryError):
    """The directory did not answer (down, timed out, TLS failed, service account refused)."""


class DirectoryRefused(DirectoryError):
    """The directory answered: no such person, wrong password, or the account is disabled.

    ``reason`` is ``"credentials"`` or ``"disabled"``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class DirectoryAccount:
    """The person the directory vouched for."""

    dn: str
    external_id: str
    full_name: str
    email: str
    groups: list[str] = field(default_factory=list)


def configured(settings: dict) -> bool:
    """Whether directory log-in is set up (``SOPFLOW_LDAP_URL``)."""
    return bool(settings.get("urls"))


def _servers(settings: dict) -> list[Server]:
    timeout = settings["timeout"]
    tls = None
    urls = settings["urls"]
    if (
        settings["start_tls"]
        or settings["ca_file"]
        or any(u.lower().startswith("ldaps") for u in urls)
    ):
        tls = Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=settings["ca_file"] or None,
            version=ssl.PROTOCOL_TLS_CLIENT,
        )
    return [Server(u, get_info=NONE, connect_timeout=timeout, tls=tls) for u in urls]


def _connect(settings: dict, user: str | None, password: str | None) -> tuple[Connection, bool]:
    """Open (and StartTLS) a connection and bind; return it and whether the bind succeeded.

    The servers are tried in the given order, once each: the first that answers is used. (Not
    ldap3's ServerPool: when none answers it sleeps 10 s before giving up, a web worker held
    per log-in while the directory is down.) Raises DirectoryUnreachable when none answers.
    """
    failures = []
    for server in _servers(settings):
        conn = Connection(
            server,
            user=user,
            password=password,
            # ldap3 packs this one into a socket option: whole seconds only.
            receive_timeout=max(1, math.ceil(settings["timeout"])),
            auto_referrals=False,
            read_only=True,
            raise_exceptions=False,
        )
        try:
            conn.open()
            if settings["start_tls"] and not conn.start_tls():
                raise DirectoryUnreachable(f"StartTLS refused: {conn.result}")
            bound = conn.bind()
        except (LDAPException, DirectoryUnreachable) as exc:
            # No answer, a hang past the timeout, TLS failing: the next server, if any.
            _unbind(conn)
            log.warning("directory server %s did not answer: %s", server.host, exc)
            failures.append(f"{server.host}: {exc}")
            continue
        return conn, bound
    raise DirectoryUnreachable("; ".join(failures) or "no directory server configured")


def _unbind(conn: Connection) -> None:
    """Close ``conn``; a socket that already broke (LDAPSocketSendError) changes nothing."""
    try:
        conn.unbind()
    except LDAPException as exc:
        log.info("directory connection to %s not closed cleanly: %s", conn.server.host, exc)


def _search(
    conn: Connection, base: str, flt: str, scope, attributes, complete: bool = False
) -> list[dict]:
    """The entries a search finds. ``complete``: the answer decides roles or a refusal, so a
    partial or refused search is an error (DirectoryUnreachable), never an empty answer."""
    try:
        conn.search(
            base, flt, search_scope=scope, attributes=attributes, size_limit=0 if complete else 50
        )
    except LDAPCommunicationError as exc:
        raise DirectoryUnreachable(str(exc)) from exc
    except LDAPException as exc:  # a malformed filter from the settings
        raise DirectoryUnreachable(f"search {flt!r} under {base!r}: {exc}") from exc
    if conn.result.get("result") not in (0, 4, 32):  # success, size limit, no such object
        if conn.result.get("result") in (51, 52, 80, 81):  # busy, unavailable, other, down
            raise DirectoryUnreachable(str(conn.result))
        if complete:
            raise DirectoryUnreachable(f"search {flt!r} under {base!r}: {conn.result}")
        log.warning("directory search %r under %r: %s", flt, base, conn.result)
    return [r for r in (conn.response or []) if r.get("type") == "searchResEntry"]


def _first(entry: dict, name: str) -> str:
    value = entry.get("attributes", {}).get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value or "").strip()


def _external_id(entry: dict) -> str:
    raw = entry.get("raw_attributes", {})
    guid = raw.get("objectGUID") or raw.get("objectguid")
    if guid and len(guid[0]) == 16:
        return str(uuid.UUID(bytes_le=guid[0]))  # AD stores the GUID little-endian
    entry_uuid = _first(entry, "entryUUID")
    return entry_uuid or entry["dn"]


def _disabled_by_uac(entry: dict) -> bool:
    value = _first(entry, "userAccountControl")
    try:
        return bool(int(value) & ACCOUNTDISABLE) if value else False
    except ValueError:
        return False


def _cn(dn: str) -> str:
    try:
        parts = parse_dn(dn, escape=False)
    except LDAPException:
        return ""
    return parts[0][1] if parts and parts[0][0].lower() == "cn" else ""


def _groups(settings: dict, conn: Connection, entry: dict, username: str) -> list[str]:
    if settings["groups"] == "memberof":
        dns = entry.get("attributes", {}).get("memberOf") or []
        dns = [dns] if isinstance(dns, str) else list(dns)
    else:
        flt = settings["group_filter"].format(
            dn=escape_filter_chars(entry["dn"]), username=escape_filter_chars(username)
        )
        found = _search(conn, settings["group_base_dn"], flt, SUBTREE, ["cn"], complete=True)
        dns = [g["dn"] for g in found]
    groups: list[str] = []
    for dn in dns:
        groups.append(dn)
        cn = _cn(dn)
        if cn:
            groups.append(cn)
    return groups


def authenticate(settings: dict, username: str, password: str) -> DirectoryAccount:
    """Check ``username``/``password`` against the directory; return who it is.

    Raises DirectoryRefused (``credentials`` or ``disabled``) or DirectoryUnreachable.
    """
    if not username or not password:
        raise DirectoryRefused("credentials")
    search_conn, bound = _connect(
        settings, settings["bind_dn"] or None, settings["bind_password"] or None
    )
    try:
        if not bound:
            # The service account is refused: a setting is wrong, not the person's password.
            log.error("directory refused the service account: %s", search_conn.result)
            raise DirectoryUnreachable("service bind refused")
        flt = settings["user_filter"].format(username=escape_filter_chars(username))
        entries = _search(search_conn, settings["base_dn"], flt, SUBTREE, ENTRY_ATTRIBUTES)
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("directory filter %r matches %d entries", flt, len(entries))
            raise DirectoryRefused("credentials")
        entry = entries[0]
        user_conn, ok = _connect(settings, entry["dn"], password)
        try:
            if not ok:
                raise DirectoryRefused("credentials")
            # Read what follows with the service account if there is one, else as the person.
            reader = search_conn if settings["bind_dn"] else user_conn
            if _disabled_by_uac(entry) or (
                settings["disabled_filter"]
                and _search(
                    reader, entry["dn"], settings["disabled_filter"], BASE, ["1.1"], complete=True
                )
            ):
                raise DirectoryRefused("disabled")
            return DirectoryAccount(
                dn=entry["dn"],
                external_id=_external_id(entry),
                full_name=_first(entry, "displayName") or _first(entry, "cn"),
                email=_first(entry, "mail"),
                groups=_groups(settings, reader, entry, username),
            )
        finally:
            _unbind(user_conn)
    finally:
        _unbind(search_conn)
