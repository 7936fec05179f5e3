"""Administering users and roles: who may, what each form checks, and what cannot be undone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditEvent, Role, User
from webapp.services import users as svc
from webapp.services.errors import Conflict, Forbidden, Invalid

NEW_USER = {
    "username": "dewi.p",
    "full_name": "Dewi Pratiwi",
    "email": "dewi@jabarprov.go.id",
    "password": "rahasia-123",
    "password_confirm": "rahasia-123",
}


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def role_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Role.id).where(Role.name == name))


def load(app, username: str) -> dict:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            return {}
        return {
            "id": user.id,
            "full_name": user.full_name,
            "email": user.email,
            "active": user.active,
            "roles": sorted(user.role_names),
            "password_hash": user.password_hash,
        }


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def events(app, action: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [dict(r.detail or {}, _user_id=r.user_id) for r in rows]


def login(app, username: str, password: str):
    return app.test_client().post("/login", data={"username": username, "password": password})


def field(html: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">.*?</div>', html, re.S)
    assert match, f"no field {name}"
    return match.group(0)


def flashes(html: str) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', html, re.S))


def with_second_admin(app, active: bool = True) -> int:
    """Add admin2 (password 'demo'); return its id."""
    with app.app_context():
        user = User(username="admin2", full_name="Admin Dua", active=active)
        user.set_password("demo")
        user.roles = [db.session.scalar(select(Role).where(Role.name == "admin"))]
        db.session.add(user)
        db.session.commit()
        return user.id


ROUTES = [
    ("GET", "/admin/users/"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}/deactivate"),
    ("POST", "/admin/users/{id}/reactivate"),
    ("POST", "/admin/users/{id}/password"),
    ("GET", "/admin/users/roles"),
    ("POST", "/admin/users/roles"),
]
ATTEMPT = dict(NEW_USER, full_name="Diubah", roles=[], name="Peran Baru", description="x")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_non_admins_get_403_and_change_nothing(app, actions, method, path):
    target = user_id(app, "tim2")
    url = path.format(id=target)
    before = load(app, "tim2")
    for username in ("unit1", "ketua1", "tim1", "owner1"):
        client = actions.client(username)
        response = client.open(url, method=method, data=ATTEMPT if method == "POST" else None)
        assert response.status_code == 403, (username, method, url)
    assert load(app, "tim2") == before
    assert load(app, NEW_USER["username"]) == {}
    assert role_id(app, "Peran Baru") is None


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_users_are_redirected_to_login(app, client, method, path):
    url = path.format(id=user_id(app, "tim2"))
    response = client.open(url, method=method, data=ATTEMPT if method == "POST" else None)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_index_lists_users_sorted_by_username_with_roles_and_state(app, actions):
    response = actions.client("admin1").get("/admin/users/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    names = re.findall(r'data-username="([^"]+)"', html)
    assert names == sorted(names) == ["admin1", "ketua1", "owner1", "tim1", "tim2", "unit1"]
    row = re.search(r'data-username="ketua1".*?</tr>', html, re.S).group(0)
    assert "Budi Ketua Tim" in row and "Ketua Tim" in row and "aktif" in row
    assert 'href="/admin/users/new"' in html and "Tambah pengguna" in html


def test_create_user_can_log_in_with_the_new_password_and_has_the_chosen_roles(app, actions):
    roles = [role_id(app, "Tim"), role_id(app, "process_owner")]
    response = actions.client("admin1").post(
        "/admin/users/new", data=dict(NEW_USER, roles=[str(r) for r in roles])
    )
    assert response.status_code == 302
    created = load(app, "dewi.p")
    assert created["roles"] == ["Tim", "process_owner"]
    assert created["full_name"] == "Dewi Pratiwi" and created["email"] == "dewi@jabarprov.go.id"
    assert created["active"] is True
    assert response.headers["Location"] == f"/admin/users/{created['id']}"
    assert login(app, "dewi.p", "rahasia-123").status_code == 302
    assert login(app, "dewi.p", "salah-sekali").status_code == 401
    (event,) = events(app, "user.created")
    assert event["username"] == "dewi.p" and event["roles"] == ["Tim", "process_owner"]
    assert event["_user_id"] == user_id(app, "admin1")
    assert "rahasia-123" not in str(event)


def test_create_form_lists_all_roles_lane_roles_first_with_descriptions(app, actions):
    html = actions.client("admin1").get("/admin/users/new").get_data(as_text=True)
    order = re.findall(r'name="roles" value="(\d+)"', html)
    names = {role_id(app, n): n for n in ("Unit Kerja/Koordinator", "Ketua Tim", "Tim")}
    names.update({role_id(app, n): n for n in ("admin", "process_owner")})
    listed = [names[int(i)] for i in order]
    assert set(listed) == set(names.values())
    assert listed[-2:] == ["admin", "process_owner"]
    assert "Pemilik proses" in html and "Administrator" in html
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize(
    ("change", "field_name", "message"),
    [
        ({"username": "tim1"}, "username", "sudah dipakai"),
        ({"username": "TIM1"}, "username", "huruf kecil"),
        ({"username": "ab"}, "username", "3–64"),
        ({"email": "bukan-surel"}, "email", "tidak sah"),
        ({"password": "pendek", "password_confirm": "pendek"}, "password", "minimal 8"),
        ({"password_confirm": "lain-lain-123"}, "password_confirm", "tidak sama"),
        ({"full_name": "  "}, "full_name", "wajib"),
    ],
)
def test_invalid_create_shows_errors_next_to_fields_and_creates_nothing(
    app, actions, change, field_name, message
):
    before = user_count(app)
    tim = str(role_id(app, "Tim"))
    response = actions.client("admin1").post(
        "/admin/users/new", data=dict(NEW_USER, roles=[tim], **change)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field(html, field_name).lower() or message in field(html, field_name)
    assert 'aria-invalid="true"' in field(html, field_name)
    assert user_count(app) == before
    assert events(app, "user.created") == []
    # Nothing typed is lost except the passwords.
    if field_name != "full_name":
        assert 'value="Dewi Pratiwi"' in html
    assert f'name="roles" value="{tim}" checked' in html
    assert "rahasia-123" not in html


def test_a_refused_user_form_shows_back_exactly_what_was_typed_and_names_the_limit(app, actions):
    before = user_count(app)
    typed = {"full_name": "Dewi " + "p" * 395, "email": "dewi@" + "k" * 340 + ".go.id"}
    response = actions.client("admin1").post("/admin/users/new", data=dict(NEW_USER, **typed))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{typed["full_name"]}"' in field(html, "full_name")
    assert "Paling banyak 200 karakter." in field(html, "full_name")
    assert f'value="{typed["email"]}"' in field(html, "email")
    assert "Paling banyak 254 karakter." in field(html, "email")
    assert user_count(app) == before

    edited = actions.client("admin1").post(
        f"/admin/users/{user_id(app, 'tim2')}", data={"full_name": typed["full_name"]}
    )
    assert edited.status_code == 422
    assert f'value="{typed["full_name"]}"' in field(edited.get_data(as_text=True), "full_name")


def test_a_flood_past_the_hard_cap_is_refused_with_the_fields_limit(app, actions):
    response = actions.client("admin1").post(
        "/admin/users/new", data=dict(NEW_USER, full_name="p" * 50_000)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Paling banyak 200 karakter." in field(html, "full_name")
    assert "p" * 10_001 not in html


def test_edit_changes_name_and_email_audited_with_before_and_after(app, actions):
    target = user_id(app, "tim2")
    tim = str(role_id(app, "Tim"))
    response = actions.client("admin1").post(
        f"/admin/users/{target}",
        data={"full_name": "Dedi Baru", "email": "dedi@jabarprov.go.id", "roles": [tim]},
    )
    assert response.status_code == 302
    after = load(app, "tim2")
    assert after["full_name"] == "Dedi Baru" and after["email"] == "dedi@jabarprov.go.id"
    (event,) = events(app, "user.updated")
    assert event["full_name"] == {"before": "Dedi Anggota Tim", "after": "Dedi Baru"}
    assert events(app, "user.roles_changed") == []  # roles unchanged: no role event


def test_role_changes_are_audited_with_before_and_after(app, actions):
    target = user_id(app, "tim2")
    roles = [str(role_id(app, "Ketua Tim")), str(role_id(app, "process_owner"))]
    response = actions.client("admin1").post(
        f"/admin/users/{target}", data={"full_name": "Dedi Anggota Tim", "roles": roles}
    )
    assert response.status_code == 302
    assert load(app, "tim2")["roles"] == ["Ketua Tim", "process_owner"]
    (event,) = events(app, "user.roles_changed")
    assert event["before"] == ["Tim"]
    assert event["after"] == ["Ketua Tim", "process_owner"]
    assert event["removed"] == ["Tim"] and event["added"] == ["Ketua Tim", "process_owner"]
    assert event["_user_id"] == user_id(app, "admin1")
    assert events(app, "user.updated") == []


def test_removing_own_admin_role_as_the_only_admin_is_refused_and_nothing_changes(app, actions):
    me = user_id(app, "admin1")
    before = load(app, "admin1")
    response = actions.client("admin1").post(
        f"/admin/users/{me}",
        data={"full_name": "Nama Lain", "roles": [str(role_id(app, "Tim"))]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "administrator aktif terakhir" in field(html, "roles")
    assert load(app, "admin1") == before
    assert events(app, "user.roles_changed") == [] and events(app, "user.updated") == []


def test_an_inactive_second_admin_does_not_count_as_another_admin(app, actions):
    with_second_admin(app, active=False)
    me = user_id(app, "admin1")
    response = actions.client("admin1").post(f"/admin/users/{me}", data={"full_name": "X"})
    assert response.status_code == 422
    assert load(app, "admin1")["roles"] == ["admin"]


def test_removing_own_admin_role_is_allowed_while_another_admin_is_active(app, actions):
    with_second_admin(app)
    me = user_id(app, "admin1")
    client = actions.client("admin1")
    response = client.post(f"/admin/users/{me}", data={"full_name": "Admin Sistem"})
    assert response.status_code == 302
    assert load(app, "admin1")["roles"] == []
    assert client.get("/admin/users/").status_code == 403  # no longer an administrator


def test_deactivating_self_is_refused_with_a_message_and_nothing_changes(app, actions):
    with_second_admin(app)  # even when another admin exists
    me = user_id(app, "admin1")
    client = actions.client("admin1")
    response = client.post(f"/admin/users/{me}/deactivate")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tidak dapat menonaktifkan akun Anda sendiri" in flashes(html)
    assert load(app, "admin1")["active"] is True
    assert events(app, "user.deactivated") == []


def test_deactivating_the_only_active_admin_is_refused_and_nothing_changes(app):
    # Through the web an admin can only reach the last admin as themselves (refused above);
    # the rule itself holds for any caller of the service, e.g. a script.
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner1"))
        admin = db.session.scalar(select(User).where(User.username == "admin1"))
        with pytest.raises(Conflict, match="administrator aktif terakhir"):
            svc.deactivate_user(owner, admin.id)
        with pytest.raises(Forbidden):
            svc.deactivate_user(admin, admin.id)
    assert load(app, "admin1")["active"] is True
    assert events(app, "user.deactivated") == []


def test_last_admin_rule_in_the_service_also_protects_against_another_admin(app):
    second = with_second_admin(app, active=True)
    with app.app_context():
        admin1 = db.session.scalar(select(User).where(User.username == "admin1"))
        svc.deactivate_user(admin1, second)  # fine: admin1 stays
        admin2 = db.session.get(User, second)
        with pytest.raises(Conflict):
            svc.deactivate_user(admin2, admin1.id)
        with pytest.raises(Invalid) as exc:
            svc.update_user(admin2, admin1.id, "Admin Sistem", "", [])
        assert "roles" in exc.value.errors
    assert load(app, "admin1")["active"] is True and load(app, "admin1")["roles"] == ["admin"]


def test_deactivated_user_cannot_log_in_and_their_api_token_is_refused(app, actions):
    headers = actions.token("tim1")  # issued before deactivation
    assert app.test_client().get("/api/v1/tasks", headers=headers).status_code == 200
    session_client = actions.client("tim1")
    target = user_id(app, "tim1")
    response = actions.client("admin1").post(f"/admin/users/{target}/deactivate")
    assert response.status_code == 302
    assert load(app, "tim1")["active"] is False
    assert login(app, "tim1", "demo").status_code == 401
    assert app.test_client().get("/api/v1/tasks", headers=headers).status_code == 401
    # A session opened before is no longer accepted either.
    assert session_client.get("/").status_code == 302
    (event,) = events(app, "user.deactivated")
    assert event["username"] == "tim1"
    # Never deleted: still listed, as inactive.
    html = actions.client("admin1").get("/admin/users/?active=0").get_data(as_text=True)
    assert re.findall(r'data-username="([^"]+)"', html) == ["tim1"]


def test_deactivate_form_asks_for_confirmation(app, actions):
    html = (
        actions.client("admin1").get(f"/admin/users/{user_id(app, 'tim1')}").get_data(as_text=True)
    )
    form = re.search(r'<form[^>]*action="/admin/users/\d+/deactivate"[^>]*>', html).group(0)
    assert "data-confirm=" in form


def test_reactivate_lets_the_user_log_in_again(app, actions):
    headers = actions.token("tim1")
    target = user_id(app, "tim1")
    admin = actions.client("admin1")
    admin.post(f"/admin/users/{target}/deactivate")
    response = admin.post(f"/admin/users/{target}/reactivate")
    assert response.status_code == 302
    assert load(app, "tim1")["active"] is True
    assert login(app, "tim1", "demo").status_code == 302
    # Deactivation revoked the API tokens for good: other systems need new ones.
    assert app.test_client().get("/api/v1/tasks", headers=headers).status_code == 401
    assert len(events(app, "user.reactivated")) == 1
    # Reactivating an active user changes nothing.
    html = admin.get(admin.post(f"/admin/users/{target}/reactivate").headers["Location"])
    assert "sudah aktif" in flashes(html.get_data(as_text=True))
    assert len(events(app, "user.reactivated")) == 1


def test_password_reset_old_password_fails_new_works_and_is_not_audited(app, actions):
    target = user_id(app, "tim1")
    response = actions.client("admin1").post(
        f"/admin/users/{target}/password",
        data={"password": "baru-sekali-9", "password_confirm": "baru-sekali-9"},
    )
    assert response.status_code == 302
    assert login(app, "tim1", "demo").status_code == 401
    assert login(app, "tim1", "baru-sekali-9").status_code == 302
    (event,) = events(app, "user.password_reset")
    assert event["username"] == "tim1"
    assert "baru-sekali-9" not in str(event)


def test_password_reset_refuses_short_or_unconfirmed_passwords(app, actions):
    target = user_id(app, "tim1")
    before = load(app, "tim1")["password_hash"]
    admin = actions.client("admin1")
    response = admin.post(
        f"/admin/users/{target}/password", data={"password": "pendek", "password_confirm": "pendek"}
    )
    assert response.status_code == 422
    assert "minimal 8" in field(response.get_data(as_text=True), "password")
    response = admin.post(
        f"/admin/users/{target}/password",
        data={"password": "panjang-sekali", "password_confirm": "lain-sekali"},
    )
    assert response.status_code == 422
    assert "tidak sama" in field(response.get_data(as_text=True), "password_confirm")
    assert load(app, "tim1")["password_hash"] == before
    assert events(app, "user.password_reset") == []


def _listed(client, query: str) -> list[str]:
    html = client.get(f"/admin/users/{query}").get_data(as_text=True)
    return re.findall(r'data-username="([^"]+)"', html)


def test_filters_by_text_role_and_state_return_the_right_rows(app, actions):
    with app.app_context():
        tim2 = db.session.scalar(select(User).where(User.username == "tim2"))
        tim2.email = "dedi@Contoh.go.id"
        tim2.active = False
        db.session.commit()
    admin = actions.client("admin1")
    assert _listed(admin, "?q=ANGGOTA") == ["tim1", "tim2"]  # full name, case-insensitive
    assert _listed(admin, "?q=contoh.GO") == ["tim2"]  # e-mail
    assert _listed(admin, "?q=ketua") == ["ketua1"]  # username and name
    assert _listed(admin, "?q=%25") == []  # LIKE wildcards are literal
    assert _listed(admin, f"?role={role_id(app, 'Tim')}") == ["tim1", "tim2"]
    assert _listed(admin, f"?role={role_id(app, 'Tim')}&active=1") == ["tim1"]
    assert _listed(admin, "?active=0") == ["tim2"]
    assert len(_listed(admin, "?active=1")) == 5
    html = admin.get(f"/admin/users/?q=anggota&role={role_id(app, 'Tim')}&active=0").get_data(
        as_text=True
    )
    assert 'value="anggota"' in html  # the filters stay in the form
    assert f'<option value="{role_id(app, "Tim")}" selected>' in html
    assert '<option value="0" selected>' in html


def test_index_pages_by_50_and_keeps_filters_in_the_pager(app, actions):
    with app.app_context():
        hashed = db.session.scalar(select(User.password_hash).where(User.username == "tim1"))
        for i in range(55):
            db.session.add(User(username=f"staf{i:02d}", full_name="Staf", password_hash=hashed))
        db.session.commit()
    admin = actions.client("admin1")
    html = admin.get("/admin/users/?q=staf").get_data(as_text=True)
    assert re.findall(r'data-username="([^"]+)"', html) == [f"staf{i:02d}" for i in range(50)]
    assert 'href="/admin/users/?page=2&amp;q=staf"' in html or "q=staf&amp;page=2" in html
    assert _listed(admin, "?q=staf&page=2") == [f"staf{i:02d}" for i in range(50, 55)]


def test_created_role_is_listed_with_counts_and_usable_on_the_user_form(app, actions):
    admin = actions.client("admin1")
    response = admin.post(
        "/admin/users/roles", data={"name": "Verifikator", "description": "Lane SOP baru"}
    )
    assert response.status_code == 302
    new_role = role_id(app, "Verifikator")
    assert new_role is not None
    (event,) = events(app, "role.created")
    assert event["name"] == "Verifikator"
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert f'name="roles" value="{new_role}"' in form and "Lane SOP baru" in form
    response = admin.post(
        f"/admin/users/{user_id(app, 'tim1')}",
        data={"full_name": "Sari Anggota Tim", "roles": [str(role_id(app, "Tim")), str(new_role)]},
    )
    assert response.status_code == 302
    assert load(app, "tim1")["roles"] == ["Tim", "Verifikator"]
    page = admin.get("/admin/users/roles").get_data(as_text=True)
    row = re.search(r'data-role="Verifikator".*?</tr>', page, re.S).group(0)
    assert re.findall(r'class="num">(\d+)<', row) == ["1", "1"]
    row = re.search(r'data-role="Tim".*?</tr>', page, re.S).group(0)
    assert re.findall(r'class="num">(\d+)<', row) == ["2", "2"]


@pytest.mark.parametrize(
    ("name", "message"), [("Tim", "sudah ada"), ("tim", "sudah ada"), ("x", "2–100")]
)
def test_invalid_role_is_refused_next_to_the_field(app, actions, name, message):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Role))
    response = actions.client("admin1").post("/admin/users/roles", data={"name": name})
    assert response.status_code == 422
    assert message in field(response.get_data(as_text=True), "name")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Role)) == before


def test_output_is_escaped_on_the_index(app, actions):
    target = user_id(app, "tim2")
    admin = actions.client("admin1")
    admin.post(f"/admin/users/{target}", data={"full_name": "<script>x</script>", "roles": []})
    assert load(app, "tim2")["full_name"] == "<script>x</script>"
    html = admin.get("/admin/users/").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html


def test_unknown_user_is_404(app, actions):
    assert actions.client("admin1").get("/admin/users/999999").status_code == 404
