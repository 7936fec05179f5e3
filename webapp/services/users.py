"""Administering people and roles: every rule lives here, every change is one audited commit.

Each function that changes something takes the acting administrator, checks the rules, records
an audit event and commits. Bad input raises :class:`Invalid` with one message per field; a
change that would leave the office without an active administrator raises :class:`Conflict`;
an administrator acting on their own account where that is not allowed raises :class:`Forbidden`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SYSTEM_ROLES, HumanTask, Role, TaskStatus, User, user_role
from . import audit, sessions
from .errors import Conflict, Forbidden, Invalid, NotFound

ADMIN = "admin"
PROCESS_OWNER = "process_owner"
PAGE_SIZE = 50
USERNAME_RE = re.compile(r"[a-z0-9._-]{3,64}")
# Deliberately basic: one "@", no spaces, a dot in the domain. The mail server decides the rest.
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MIN_PASSWORD = 8
MAX_PASSWORD = 200
FULL_NAME_MAX = 200
EMAIL_MAX = 254
ROLE_NAME_MIN, ROLE_NAME_MAX = 2, 100
ROLE_DESCRIPTION_MAX = 255


# --- reading -----------------------------------------------------------------------------


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Pengguna tidak ditemukan."))
    return user


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_users(
    text: str = "",
    role_id: int | None = None,
    active: bool | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> tuple[list[User], int]:
    """Users matching the filters, sorted by username, one page of them; and how many match."""
    query = select(User)
    text = (text or "").strip()
    if text:
        pattern = f"%{_like_escape(text.lower())}%"
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (User.username, User.full_name, User.email)
                )
            )
        )
    if role_id is not None:
        query = query.where(User.roles.any(Role.id == role_id))
    if active is not None:
        query = query.where(User.active.is_(active))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    rows = db.session.scalars(
        query.order_by(User.username, User.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(rows), total


def ordered_roles() -> list[Role]:
    """All roles: lane roles first (by name), then the system roles in their usual order."""
    roles = db.session.scalars(select(Role).order_by(Role.name)).all()
    system_order = list(SYSTEM_ROLES)
    lanes = [r for r in roles if r.name not in SYSTEM_ROLES]
    system = sorted(
        (r for r in roles if r.name in SYSTEM_ROLES), key=lambda r: system_order.index(r.name)
    )
    return lanes + system


def is_system_role(role: Role) -> bool:
    return role.name in SYSTEM_ROLES


def role_member_counts() -> dict[int, tuple[int, int]]:
    """For each role id: (members, active members)."""
    rows = db.session.execute(
        select(
            user_role.c.role_id,
            func.count(),
            func.sum(case((User.active.is_(True), 1), else_=0)),
        )
        .join(User, User.id == user_role.c.user_id)
        .group_by(user_role.c.role_id)
    ).all()
    return {role_id: (int(total), int(active or 0)) for role_id, total, active in rows}


def open_tasks_held(user: User) -> int:
    """Open tasks this user has claimed or was assigned (they wait on them while inactive)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(HumanTask)
            .where(HumanTask.assigned_user_id == user.id, HumanTask.status == TaskStatus.OPEN)
        )
        or 0
    )


# --- checks --------------------------------------------------------------------------------


def _check_profile(full_name: str, email: str, errors: dict[str, str]) -> None:
    if not full_name:
        errors["full_name"] = _("Nama lengkap wajib diisi.")
    elif len(full_name) > FULL_NAME_MAX:
        errors["full_name"] = _("Paling banyak %(n)s karakter.", n=FULL_NAME_MAX)
    if email:
        if len(email) > EMAIL_MAX:
            errors["email"] = _("Paling banyak %(n)s karakter.", n=EMAIL_MAX)
        elif not EMAIL_RE.fullmatch(email):
            errors["email"] = _("Alamat surel tidak sah (contoh: nama@jabarprov.go.id).")


def _check_password(password: str, confirm: str, errors: dict[str, str]) -> None:
    if len(password) < MIN_PASSWORD:
        errors["password"] = _("Kata sandi minimal %(n)s karakter.", n=MIN_PASSWORD)
    elif len(password) > MAX_PASSWORD:
        errors["password"] = _("Kata sandi paling banyak %(n)s karakter.", n=MAX_PASSWORD)
    elif password != confirm:
        errors["password_confirm"] = _("Konfirmasi kata sandi tidak sama.")


def _roles_from_ids(role_ids: Iterable, errors: dict[str, str]) -> list[Role]:
    ids = set()
    for value in role_ids:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            errors["roles"] = _("Peran tidak dikenal.")
            return []
    if not ids:
        return []
    roles = db.session.scalars(select(Role).where(Role.id.in_(ids)).order_by(Role.name)).all()
    if len(roles) != len(ids):
        errors["roles"] = _("Peran tidak dikenal; muat ulang halaman.")
    return list(roles)


def _username_taken(username: str) -> bool:
    # Case-insensitive on every backend (MariaDB's collation already is; PostgreSQL is not).
    return (
        db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
        is not None
    )


def _other_active_admins(user: User) -> int:
    """Active administrators other than ``user``, counted under a lock.

    Two administrators removing each other at the same moment must not both succeed: the admin
    role row serves as the lock, then a locking read sees what was committed meanwhile.
    """
    admin = db.session.scalar(select(Role).where(Role.name == ADMIN).with_for_update())
    if admin is None:
        return 0
    ids = db.session.scalars(
        select(User.id)
        .join(user_role, user_role.c.user_id == User.id)
        .where(user_role.c.role_id == admin.id, User.active.is_(True), User.id != user.id)
        .with_for_update()
    ).all()
    return len(ids)


@contextmanager
def _unique_or_invalid(field: str, message: str) -> Iterator[None]:
    """Refuse a name a unique index turned down (someone took it a moment ago) as Invalid."""
    try:
        yield
    except IntegrityError as exc:
        db.session.rollback()
        raise Invalid(message, {field: message}) from exc


def _insert_audited(
    row: User | Role,
    unique: tuple[str, str],
    event: str,
    actor: User | None,
    id_key: str,
    **details: object,
) -> None:
    """Add ``row``, record ``event`` with its new id under ``id_key`` and ``details``, commit.

    ``unique`` is (field, message): a name someone took a moment ago (the unique index) is
    Invalid on that field, and nothing is kept."""
    db.session.add(row)
    field, message = unique
    with _unique_or_invalid(field, message):
        db.session.flush()
        audit.record(event, actor, **{id_key: row.id}, **details)
        db.session.commit()


def _role_taken(name: str) -> bool:
    # Case-insensitive, like usernames: "Tim" and "tim" would be two lanes nobody can tell apart.
    return (
        db.session.scalar(select(Role.id).where(func.lower(Role.name) == name.lower())) is not None
    )


# --- changes -------------------------------------------------------------------------------


def create_user(
    actor: User,
    username: str,
    full_name: str,
    email: str,
    password: str,
    password_confirm: str,
    role_ids: Iterable = (),
) -> User:
    """Create an active user with an initial password and the chosen roles."""
    username, full_name, email = username.strip(), full_name.strip(), email.strip()
    taken = _("Nama pengguna '%(name)s' sudah dipakai.", name=username)
    errors: dict[str, str] = {}
    if not USERNAME_RE.fullmatch(username):
        errors["username"] = _(
            "Nama pengguna 3–64 karakter: huruf kecil a–z, angka, titik, garis bawah atau "
            "tanda hubung."
        )
    elif _username_taken(username):
        errors["username"] = taken
    _check_profile(full_name, email, errors)
    _check_password(password, password_confirm, errors)
    roles = _roles_from_ids(role_ids, errors)
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    user = User(username=username, full_name=full_name, email=email, active=True)
    user.set_password(password)
    user.roles = roles
    _insert_audited(
        user,
        ("username", taken),
        "user.created",
        actor,
        "user_id",
        username=username,
        full_name=full_name,
        email=email,
        roles=sorted(r.name for r in roles),
    )
    return user


def update_user(
    actor: User, user_id: int, full_name: str, email: str, role_ids: Iterable = ()
) -> User:
    """Change a user's name, e-mail and roles; the last active administrator keeps 'admin'."""
    user = get_user(user_id)
    full_name, email = full_name.strip(), email.strip()
    errors: dict[str, str] = {}
    _check_profile(full_name, email, errors)
    roles = _roles_from_ids(role_ids, errors)
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    before_roles = sorted(user.role_names)
    after_roles = sorted(r.name for r in roles)
    if (
        ADMIN in before_roles
        and ADMIN not in after_roles
        and user.active
        and _other_active_admins(user) == 0
    ):
        message = _(
            "Peran admin tidak dapat dicabut dari %(name)s: ia administrator aktif terakhir. "
            "Beri peran admin kepada pengguna lain terlebih dahulu. Tidak ada yang diubah.",
            name=user.username,
        )
        db.session.rollback()  # release the lock taken by the count
        raise Invalid(message, {"roles": message})
    changes = {}
    if user.full_name != full_name:
        changes["full_name"] = {"before": user.full_name, "after": full_name}
    if user.email != email:
        changes["email"] = {"before": user.email, "after": email}
    if changes:
        user.full_name, user.email = full_name, email
        audit.record("user.updated", actor, user_id=user.id, username=user.username, **changes)
    if before_roles != after_roles:
        user.roles = roles
        audit.record(
            "user.roles_changed",
            actor,
            user_id=user.id,
            username=user.username,
            before=before_roles,
            after=after_roles,
            added=sorted(set(after_roles) - set(before_roles)),
            removed=sorted(set(before_roles) - set(after_roles)),
        )
    db.session.commit()
    return user


def deactivate_user(actor: User, user_id: int) -> User:
    """Stop a user from signing in; their sessions end and API tokens are revoked.

    Users are never deleted."""
    user = get_user(user_id)
    if user.id == actor.id:
        raise Forbidden(
            _("Anda tidak dapat menonaktifkan akun Anda sendiri. Tidak ada yang diubah.")
        )
    if not user.active:
        raise Conflict(_("%(name)s sudah nonaktif.", name=user.username))
    if user.has_role(ADMIN) and _other_active_admins(user) == 0:
        db.session.rollback()  # release the lock taken by the count
        raise Conflict(
            _(
                "%(name)s adalah administrator aktif terakhir dan tidak dapat dinonaktifkan. "
                "Tidak ada yang diubah.",
                name=user.username,
            )
        )
    user.active = False
    ended = sessions.end_access(user, sessions.DEACTIVATED)
    audit.record(
        "user.deactivated",
        actor,
        user_id=user.id,
        username=user.username,
        open_tasks_held=open_tasks_held(user),
        **ended,
    )
    db.session.commit()
    return user


def reactivate_user(actor: User, user_id: int) -> User:
    """Let a deactivated user sign in again with their old password.

    Their API tokens stay revoked (deactivation revoked them): other systems need new ones."""
    user = get_user(user_id)
    if user.active:
        raise Conflict(_("%(name)s sudah aktif.", name=user.username))
    user.active = True
    audit.record("user.reactivated", actor, user_id=user.id, username=user.username)
    db.session.commit()
    return user


def _replace_password(actor: User, user: User, password: str, reason: str, event: str) -> dict:
    """Set a password and end every session and API token of the user; audit, commit.

    Returns how many sessions and tokens were ended."""
    user.set_password(password)
    ended = sessions.end_access(user, reason)
    audit.record(event, actor, user_id=user.id, username=user.username, **ended)
    db.session.commit()
    return ended


def reset_password(actor: User, user_id: int, password: str, password_confirm: str) -> User:
    """Set a new password chosen by the administrator (never written to the audit trail).

    Every session of the user ends and their API tokens are revoked: whoever held the old
    password, a session cookie or a token has no access left. (When an administrator resets
    their own password, the view gives their browser a new session.)
    """
    user = get_user(user_id)
    errors: dict[str, str] = {}
    _check_password(password, password_confirm, errors)
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    _replace_password(actor, user, password, sessions.PASSWORD_RESET, "user.password_reset")
    return user


def change_own_password(user: User, current: str, password: str, password_confirm: str) -> dict:
    """A user changes their own password, proving the current one.

    Every session of the user ends (the view gives the current browser a new one) and their
    API tokens are revoked. Returns how many sessions and tokens were ended.
    """
    errors: dict[str, str] = {}
    if not current or not user.check_password(current):
        errors["current_password"] = _("Kata sandi saat ini salah.")
    else:
        _check_password(password, password_confirm, errors)
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    return _replace_password(
        user, user, password, sessions.PASSWORD_CHANGED, "user.password_changed"
    )


def end_sessions(actor: User, user_id: int) -> tuple[User, int]:
    """An administrator ends every session of a user (API tokens are left alone).

    Returns the user and how many sessions were live. On their own account the view gives the
    administrator's browser a new session.
    """
    user = get_user(user_id)
    count = sessions.end_all(user, sessions.ENDED_BY_ADMIN)
    audit.record(
        "user.sessions_ended", actor, user_id=user.id, username=user.username, sessions_ended=count
    )
    db.session.commit()
    return user, count


def create_role(
    actor: User, name: str, description: str | None = None, external: bool = False
) -> Role:
    """Add a role, e.g. for the lane of a new SOP (the role name must equal the lane name).

    Without a description the role is described as its lane, as an imported diagram's lanes
    are. A name already taken, or taken by someone else a moment ago, is refused (Invalid).
    ``external`` marks a role of people outside the office (applicants): its members see only
    the cases they started or were given a task in.
    """
    # Administrators manage roles; process owners add the roles their new lanes need.
    if not (actor.has_role(ADMIN) or actor.has_role(PROCESS_OWNER)):
        raise Forbidden(_("Hanya pemilik proses yang dapat mengubah diagram SOP."))
    name = " ".join(name.split())
    description = f"Lane: {name}" if description is None else description.strip()
    taken = _("Peran '%(name)s' sudah ada.", name=name)
    errors: dict[str, str] = {}
    if not ROLE_NAME_MIN <= len(name) <= ROLE_NAME_MAX:
        errors["name"] = _(
            "Nama peran %(min)s–%(max)s karakter.", min=ROLE_NAME_MIN, max=ROLE_NAME_MAX
        )
    elif _role_taken(name):
        errors["name"] = taken
    if len(description) > ROLE_DESCRIPTION_MAX:
        errors["description"] = _("Paling banyak %(n)s karakter.", n=ROLE_DESCRIPTION_MAX)
    if external and name in SYSTEM_ROLES:
        errors["external"] = _("Peran sistem tidak dapat ditandai eksternal.")
    if errors:
        # One problem is said as itself: a page without the form (the lint finding's button)
        # shows only this message.
        message = errors["name"] if list(errors) == ["name"] else None
        raise Invalid(message or _("Periksa kembali isian yang ditandai."), errors)
    role = Role(name=name, description=description, external=bool(external))
    _insert_audited(
        role,
        ("name", taken),
        "role.created",
        actor,
        "role_id",
        name=name,
        description=description,
        external=role.external,
    )
    return role


def set_role_external(actor: User, role_id: int, external: bool) -> Role:
    """Mark a role external (applicants: only their own cases) or the office's own again."""
    if not actor.has_role(ADMIN):
        raise Forbidden(_("Hanya administrator yang dapat mengubah peran."))
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound(_("Peran tidak ditemukan."))
    if external and role.name in SYSTEM_ROLES:
        raise Invalid(_("Peran sistem tidak dapat ditandai eksternal."), {})
    if role.external != bool(external):
        role.external = bool(external)
        audit.record("role.external", actor, role_id=role.id, name=role.name, external=external)
    db.session.commit()
    return role
