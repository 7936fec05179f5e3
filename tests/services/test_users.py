"""One way to add a role, for both callers: the administrators' role page and the process owners'
"create the role this lane needs" button. A taken name is refused the same clear way whether
the check sees it or the unique index does (a race), never as a server error."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Role, User
from webapp.services import users
from webapp.services.errors import Forbidden, Invalid


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _roles() -> int:
    return db.session.scalar(select(func.count()).select_from(Role))


def _flashes(page: str) -> str:
    found = re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(" ".join(found))


@pytest.fixture
def race(monkeypatch):
    """Let the name check miss a role, as when another request adds it just after the check."""
    monkeypatch.setattr(users, "_role_taken", lambda name: False)


@pytest.mark.parametrize("actor", ["admin1", "owner1"])
@pytest.mark.parametrize("name", ["Tim", "tim", "  Tim "])
def test_a_taken_name_is_refused_with_a_clear_message(app, actor, name):
    with app.app_context():
        before = _roles()
        with pytest.raises(Invalid) as refused:
            users.create_role(_user(actor), name)
        taken = f"Peran '{name.strip()}' sudah ada."
        assert refused.value.message == taken
        assert refused.value.errors == {"name": taken}
        assert _roles() == before


@pytest.mark.usefixtures("race")
def test_a_name_taken_in_a_race_is_the_same_clear_refusal(app):
    with app.app_context():
        before = _roles()
        with pytest.raises(Invalid) as refused:
            users.create_role(_user("admin1"), "Tim")
        assert refused.value.message == "Peran 'Tim' sudah ada."
        assert refused.value.errors == {"name": "Peran 'Tim' sudah ada."}
        # The session was rolled back and goes on working.
        assert _roles() == before
        assert users.create_role(_user("admin1"), "Verifikator").name == "Verifikator"


def test_a_role_without_description_is_described_as_its_lane(app):
    with app.app_context():
        lane = users.create_role(_user("owner1"), " Tim   Aplikasi ")
        given = users.create_role(_user("admin1"), "Verifikator", "  Lane SOP baru ")
        blank = users.create_role(_user("admin1"), "Penelaah", "")
        assert (lane.name, lane.description) == ("Tim Aplikasi", "Lane: Tim Aplikasi")
        assert (given.name, given.description) == ("Verifikator", "Lane SOP baru")
        assert blank.description == ""


@pytest.mark.parametrize("actor", ["unit1", "tim1"])
def test_only_administrators_and_process_owners_add_roles(app, actor):
    with app.app_context():
        before = _roles()
        with pytest.raises(Forbidden):
            users.create_role(_user(actor), "Verifikator")
        assert _roles() == before


@pytest.mark.parametrize(
    ("name", "message"), [("x", "Nama peran 2–100 karakter."), ("Tim", "Peran 'Tim' sudah ada.")]
)
def test_the_process_owners_button_says_why_a_role_was_not_added(app, actions, name, message):
    with app.app_context():
        before = _roles()
    page = actions.client("owner1").post(
        "/processes/roles", data={"name": name, "back": "/processes/"}, follow_redirects=True
    )
    assert page.status_code == 200
    assert message in _flashes(page.get_data(as_text=True))
    with app.app_context():
        assert _roles() == before


@pytest.mark.usefixtures("race")
@pytest.mark.parametrize(
    ("actor", "path", "status"),
    [("owner1", "/processes/roles", 302), ("admin1", "/admin/users/roles", 422)],
)
def test_both_pages_answer_a_race_with_the_refusal_not_a_server_error(
    app, actions, actor, path, status
):
    client = actions.client(actor)
    response = client.post(path, data={"name": "Tim", "back": "/processes/"})
    assert response.status_code == status
    if status == 302:
        response = client.get(response.headers["Location"])
    assert "Peran 'Tim' sudah ada." in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Role.name == "Tim")) == 1
