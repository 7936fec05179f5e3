"""Administrators: people, their roles and lanes.

The rules live in :mod:`webapp.services.users`; these views read the form, call the service and
show its messages next to the fields.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import reissue_session
from ..extensions import db
from ..models import SYSTEM_ROLES
from ..services import contacts, sessions
from ..services import users as svc
from ..services.errors import Conflict, Forbidden, Invalid
from .common import form_text, me, role_required
from .notifications import channel_form, channel_page_context

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")

ACTIVE_FILTERS = {"1": True, "0": False}


def _role_ids() -> list[str]:
    return request.form.getlist("roles")


def _render_form(user, values: dict, errors: dict, status: int = 200, channels=None):
    if user is not None and channels is None:
        channels = (
            {"phone": user.phone, "telegram_chat_id": user.telegram_chat_id},
            contacts.parse_channels(user.notify_channels),
            {},
        )
    return render_template(
        "admin/users_form.html",
        channel_page=channel_page_context(user, *channels) if user is not None else None,
        target=user,
        values=values,
        errors=errors,
        roles=svc.ordered_roles(),
        system_roles=SYSTEM_ROLES,
        open_tasks=svc.open_tasks_held(user) if user is not None else 0,
        live_sessions=sessions.live_sessions(user) if user is not None else [],
        live_tokens=sessions.live_token_count(user) if user is not None else 0,
        is_self=user is not None and user.id == me().id,
        min_password=svc.MIN_PASSWORD,
    ), status


@bp.route("/")
@role_required("admin")
def index():
    """List users, filtered by text, role and state (kept in the URL), 50 a page."""
    text = request.args.get("q", "").strip()[:100]
    role_arg = request.args.get("role", "")
    role_id = int(role_arg) if role_arg.isdigit() else None
    active_arg = request.args.get("active", "")
    active = ACTIVE_FILTERS.get(active_arg)
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = svc.list_users(text, role_id, active, page)
    return render_template(
        "admin/users.html",
        users=rows,
        total=total,
        page=page,
        page_size=svc.PAGE_SIZE,
        roles=svc.ordered_roles(),
        q=text,
        role_id=role_id,
        active=active_arg if active is not None else "",
        # The filters, kept in the pager's links; empty ones left out of the URL.
        filter_args={
            k: v
            for k, v in {"q": text, "role": role_id, "active": active_arg}.items()
            if v not in ("", None) and (k != "active" or active is not None)
        },
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    """Create a user with an initial password and roles."""
    values: dict = {"roles": []}
    if request.method == "POST":
        values = {
            "username": form_text("username"),
            "full_name": form_text("full_name"),
            "email": form_text("email"),
            "roles": _role_ids(),
        }
        try:
            user = svc.create_user(
                me(),
                values["username"],
                values["full_name"],
                values["email"],
                form_text("password"),
                form_text("password_confirm"),
                values["roles"],
            )
        except Invalid as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _render_form(None, values, exc.errors, 422)
        flash(_("Pengguna %(name)s dibuat.", name=user.username), "success")
        return redirect(url_for("admin_users.edit", user_id=user.id))
    return _render_form(None, values, {})


def _values_of(user) -> dict:
    return {
        "full_name": user.full_name,
        "email": user.email,
        "roles": [str(r.id) for r in user.roles],
    }


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(user_id: int):
    """Change a user's name, e-mail and roles."""
    user = svc.get_user(user_id)
    if request.method == "POST":
        values = {
            "full_name": form_text("full_name"),
            "email": form_text("email"),
            "roles": _role_ids(),
        }
        try:
            svc.update_user(me(), user_id, values["full_name"], values["email"], values["roles"])
        except Invalid as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _render_form(svc.get_user(user_id), values, exc.errors, 422)
        flash(_("Perubahan pada %(name)s disimpan.", name=user.username), "success")
        return redirect(url_for("admin_users.edit", user_id=user_id))
    return _render_form(user, _values_of(user), {})


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@role_required("admin")
def deactivate(user_id: int):
    """Stop a user from signing in (the user and their history stay)."""
    try:
        user = svc.deactivate_user(me(), user_id)
    except (Conflict, Forbidden) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin_users.edit", user_id=user_id))
    message = _("%(name)s dinonaktifkan: tidak dapat masuk lagi.", name=user.username)
    message += " " + _("Semua sesinya diakhiri dan token API-nya dicabut.")
    held = svc.open_tasks_held(user)
    if held:
        message += " " + _(
            "Ia masih memegang %(n)s tugas terbuka; alihkan lewat halaman kasus.", n=held
        )
    flash(message, "success")
    return redirect(url_for("admin_users.edit", user_id=user_id))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@role_required("admin")
def reactivate(user_id: int):
    """Let a deactivated user sign in again."""
    try:
        user = svc.reactivate_user(me(), user_id)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin_users.edit", user_id=user_id))
    flash(_("%(name)s diaktifkan kembali.", name=user.username), "success")
    return redirect(url_for("admin_users.edit", user_id=user_id))


@bp.route("/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def password(user_id: int):
    """Set a new password for a user."""
    try:
        user = svc.reset_password(
            me(), user_id, form_text("password"), form_text("password_confirm")
        )
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
        user = svc.get_user(user_id)
        return _render_form(user, _values_of(user), exc.errors, 422)
    if user.id == me().id:
        reissue_session(user)  # the other sessions ended, this browser carries on
    flash(
        _(
            "Kata sandi %(name)s diganti. Sampaikan kata sandi baru secara langsung.",
            name=user.username,
        )
        + " "
        + _("Semua sesinya diakhiri dan token API-nya dicabut."),
        "success",
    )
    return redirect(url_for("admin_users.edit", user_id=user_id))


@bp.route("/<int:user_id>/channels", methods=["POST"])
@role_required("admin")
def channels(user_id: int):
    """Set a person's WhatsApp number, Telegram chat id and notification channels."""
    user = svc.get_user(user_id)
    values, chosen = channel_form()
    try:
        contacts.save_channels(me(), user, values["phone"], values["telegram_chat_id"], chosen)
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
        user = svc.get_user(user_id)
        return _render_form(user, _values_of(user), {}, 422, channels=(values, chosen, exc.errors))
    flash(_("Saluran notifikasi %(name)s disimpan.", name=user.username), "success")
    return redirect(url_for("admin_users.edit", user_id=user_id) + "#channels")


@bp.route("/<int:user_id>/sessions/end", methods=["POST"])
@role_required("admin")
def end_sessions(user_id: int):
    """Sign a user out everywhere (e.g. a lost laptop); their API tokens are left alone."""
    user, count = svc.end_sessions(me(), user_id)
    if user.id == me().id:
        reissue_session(user)
    flash(_("%(n)s sesi %(name)s diakhiri.", n=count, name=user.username), "success")
    return redirect(url_for("admin_users.edit", user_id=user_id))


@bp.route("/roles", methods=["GET", "POST"])
@role_required("admin")
def roles():
    """List roles with their members; add a role (e.g. the lane of a new SOP)."""
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = {
            "name": form_text("name"),
            "description": form_text("description"),
            "external": request.form.get("external") == "1",
        }
        try:
            role = svc.create_role(
                me(), values["name"], values["description"], external=values["external"]
            )
        except Invalid as exc:
            db.session.rollback()
            flash(exc.message, "error")
            errors, status = exc.errors, 422
        else:
            flash(_("Peran '%(name)s' ditambahkan.", name=role.name), "success")
            return redirect(url_for("admin_users.roles"))
    return render_template(
        "admin/users_roles.html",
        roles=svc.ordered_roles(),
        counts=svc.role_member_counts(),
        system_roles=SYSTEM_ROLES,
        values=values,
        errors=errors,
    ), status


@bp.route("/roles/<int:role_id>/external", methods=["POST"])
@role_required("admin")
def role_external(role_id: int):
    """Mark a role external (its members see only their own cases) or the office's own."""
    external = request.form.get("external") == "1"
    try:
        role = svc.set_role_external(me(), role_id, external)
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        if role.external:
            message = _(
                "Peran '%(name)s' kini eksternal: anggotanya hanya melihat kasus mereka sendiri.",
                name=role.name,
            )
        else:
            message = _("Peran '%(name)s' kini peran kantor.", name=role.name)
        flash(message, "success")
    return redirect(url_for("admin_users.roles"))
