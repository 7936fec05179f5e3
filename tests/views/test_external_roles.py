"""Administrators mark a role external (applicants: only their own cases) on the roles page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, Role, User
from webapp.services import users as svc
from webapp.services.errors import Forbidden, Invalid


def role(app, name: str) -> Role:
    with app.app_context():
        found = db.session.scalar(select(Role).where(Role.name == name))
        db.session.expunge(found)
        return found


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def test_create_role_marks_it_external_when_asked(app):
    with app.app_context():
        created = svc.create_role(user("admin1"), "Pemohon", external=True)
        plain = svc.create_role(user("owner1"), "Front Office")
        assert (created.external, plain.external) == (True, False)


def test_a_system_role_cannot_be_external(app):
    with app.app_context():
        with pytest.raises(Invalid):
            svc.set_role_external(user("admin1"), role(app, "admin").id, True)
        db.session.rollback()
        with pytest.raises(Forbidden):
            svc.set_role_external(user("owner1"), role(app, "Tim").id, True)


def test_the_roles_page_creates_an_external_role_and_shows_the_flag(app, actions):
    admin = actions.client("admin1")
    response = admin.post("/admin/users/roles", data={"name": "Pemohon", "external": "1"})
    assert response.status_code == 302
    assert role(app, "Pemohon").external
    page = admin.get("/admin/users/roles").get_data(as_text=True)
    row = page.split('data-role="Pemohon"', 1)[1].split("</tr>", 1)[0]
    assert 'data-external="yes"' in row and "hanya kasus sendiri" in row


def test_an_admin_marks_an_existing_role_external_and_back_with_an_audit_event(app, actions):
    admin = actions.client("admin1")
    tim = role(app, "Tim")
    url = f"/admin/users/roles/{tim.id}/external"
    assert admin.post(url, data={"external": "1"}).status_code == 302
    assert role(app, "Tim").external
    assert admin.post(url, data={"external": "0"}).status_code == 302
    assert not role(app, "Tim").external
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "role.external")
        ).all()
        assert len(events) == 2


def test_only_an_admin_changes_the_flag(app, actions):
    tim = role(app, "Tim")
    for username in ("owner1", "tim1", "unit1"):
        response = actions.client(username).post(
            f"/admin/users/roles/{tim.id}/external", data={"external": "1"}
        )
        assert response.status_code == 403, username
    assert not role(app, "Tim").external
