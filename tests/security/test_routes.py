"""Every route of the app, generated from ``app.url_map``, against the table in policy.py.

For each route x method x (anonymous + every demo user): anonymous callers are sent to log in
(HTML) or get 401 JSON (API); a user the policy does not allow gets 403 (404 for someone
else's notification); an allowed user is never refused; nothing answers 500.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update as sa_update

from tests.conftest import PNG, STEP1, Actions
from tests.security.policy import (
    ADMIN,
    BEARER,
    BEARER_POLICY,
    CASE_STRANGERS,
    OBJECT,
    OBJECT_RULES,
    POLICY,
    PUBLIC,
    USERS,
    allowed,
    build_url,
    effective,
    missing_policy,
    refusal_status,
    routes,
    seeded_app,
)
from webapp.extensions import db
from webapp.models import Attachment, Notification, Role, User

PROCESS_ID = "pemeliharaan_sistem_informasi"
ROUTES = routes()
ENDPOINTS = sorted({endpoint for endpoint, _rule, _method in ROUTES})
PRINCIPALS = [None, *USERS]


# -- the table itself --------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_route_has_a_policy(endpoint):
    rule = next(r for e, r, _m in ROUTES if e == endpoint)
    assert endpoint in POLICY, missing_policy(endpoint, rule)
    if POLICY[endpoint] == BEARER:
        assert endpoint in BEARER_POLICY, f"{endpoint}: add its rule to BEARER_POLICY"
        assert rule.startswith("/api/"), f"{endpoint} is BEARER but not under /api/"
    elif rule.startswith("/api/"):
        assert POLICY[endpoint] == PUBLIC, f"{endpoint}: an /api/ route is BEARER (or PUBLIC)"
    if effective(endpoint) == OBJECT:
        assert endpoint in OBJECT_RULES, f"{endpoint}: say who has no relation in OBJECT_RULES"


def test_the_policy_names_no_route_that_is_gone():
    stale = (set(POLICY) | set(BEARER_POLICY) | set(OBJECT_RULES)) - set(ENDPOINTS)
    assert not stale, f"policy.py names routes the app no longer has: {sorted(stale)}"


# -- the seeded app ------------------------------------------------------------------------------


@dataclass
class Seeded:
    app: Flask
    actions: Actions
    values: dict
    clients: dict[str, FlaskClient]


@pytest.fixture(scope="module")
def seeded(database_url, tmp_path_factory):
    """One app per backend for the whole matrix: a case of unit1 waiting at step 2 with a
    screenshot, its open task, a notification of unit1, and a spare user to administer."""
    with seeded_app(database_url, str(tmp_path_factory.mktemp("attachments"))) as app:
        actions = Actions(app)
        response = actions.client("unit1").post(
            f"/start/{PROCESS_ID}",
            data=dict(STEP1, lampiran=(io.BytesIO(PNG), "layar.png")),
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.data[:500]
        instance_id = int(urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1])
        task = actions.open_task(instance_id, "Task_2_analisa")
        with app.app_context():
            attachment_id = db.session.scalar(
                select(Attachment.id).where(Attachment.instance_id == instance_id)
            )
            unit1 = db.session.scalar(select(User).where(User.username == "unit1"))
            note = Notification(
                user_id=unit1.id,
                kind="test",
                title="Uji",
                body="Uji",
                instance_id=instance_id,
                human_task_id=task.id,
            )
            spare = User(username="sasaran", full_name="Pengguna Sasaran")
            spare.set_password("sasaran-rahasia-1")
            db.session.add_all([note, spare])
            db.session.commit()
            values = {
                "instance_id": instance_id,
                "task_id": task.id,
                "attachment_id": attachment_id,
                "notification_id": note.id,
                "user_id": spare.id,
                "role_id": db.session.scalar(select(Role.id).where(Role.name == "Tim")),
                "process_id": PROCESS_ID,
                "number": 1,
                "version": 1,
                "fmt": "html",
                "code": "id",
                "name": "bpmn-viewer.js",
            }
        assert attachment_id is not None
        clients = {username: actions.client(username) for username in USERS}
        yield Seeded(app, actions, values, clients)


# Harmless bodies: each POST by an allowed user is refused by validation or a stale version
# check, or does something the rest of the matrix does not depend on.
HTML_BODIES = {
    "admin_instances.suspend": {"version": "999999"},
    "admin_instances.resume": {"version": "999999"},
    "admin_instances.terminate": {"reason": "uji keamanan", "version": "999999"},
    "admin_instances.reassign": {"username": "", "assignee": "999999"},
    "admin_instances.release": {"assignee": "999999"},
    "admin_users.password": {"password": "", "password_confirm": ""},
    "instances.skip_service": {"reason": ""},
    "processes.create_role": {"name": ""},
    "admin_users.role_external": {"external": "0"},  # Tim is the office's own already
}
JSON_POSTS = {"processes.save_draft", "processes.preview_form"}
API_BODIES = {"api.start": {"data": {}}, "api.complete": {"data": {}}}


def _call(seeded: Seeded, endpoint: str, method: str, who: str | None, url: str):
    if POLICY.get(endpoint) == BEARER or url.startswith("/api/"):
        client = seeded.app.test_client()  # no cookies: the API is bearer-only
        headers = seeded.actions.token(who) if who else {}
        if method == "GET":
            return client.get(url, headers=headers)
        return client.open(url, method=method, json=API_BODIES.get(endpoint, {}), headers=headers)
    if who is None:
        client = seeded.app.test_client()
    elif endpoint == "auth.logout":
        client = seeded.actions.client(who)  # a session of its own: logging out ends it
    else:
        client = seeded.clients[who]
    if method == "GET":
        return client.get(url)
    if endpoint in JSON_POSTS:
        return client.open(url, method=method, json={})
    return client.open(url, method=method, data=HTML_BODIES.get(endpoint, {}))


def _to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# Known bugs, reported to the webapp/ owners (strict: the test turns red when fixed).
# Known failures of the matrix, (endpoint, principal) -> reason; keep it empty.
XFAIL: dict[tuple[str, str], str] = {}


def _cases():
    for endpoint, rule, method in ROUTES:
        for who in PRINCIPALS:
            marks = []
            reason = XFAIL.get((endpoint, who or "anonymous"))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            yield pytest.param(
                endpoint,
                rule,
                method,
                who,
                id=f"{endpoint}-{method}-{who or 'anonymous'}",
                marks=marks,
            )


@pytest.mark.parametrize("endpoint, rule, method, who", list(_cases()))
def test_access(seeded, endpoint, rule, method, who):
    if endpoint not in POLICY:
        pytest.fail(missing_policy(endpoint, rule))
    url = build_url(seeded.app, endpoint, seeded.values)
    response = _call(seeded, endpoint, method, who, url)
    status = response.status_code
    where = f"{method} {url} as {who or 'anonymous'} -> {status}"
    assert status != 500, where
    if endpoint == "sop_sheet.sheet_pdf" and status == 503:
        pass  # WeasyPrint missing: said plainly, not a crash
    else:
        assert status < 500, where
    api = POLICY[endpoint] == BEARER
    if who is None:
        if POLICY[endpoint] == PUBLIC:
            assert status not in (401, 403) and not _to_login(response), where
        elif api:
            assert status == 401 and response.is_json, where
            assert response.get_json().get("message"), where
        else:
            assert _to_login(response), f"{where}: anonymous must be sent to /login"
        return
    if endpoint == "auth.logout":
        # Success is the log-in page, and the session is over.
        assert _to_login(response), where
        return
    if allowed(endpoint, who):
        assert status not in (401, 403) and not _to_login(response), f"{where}: allowed user"
        if effective(endpoint) == OBJECT:
            assert status != refusal_status(endpoint), f"{where}: allowed user"
        return
    expected = refusal_status(endpoint)
    assert status == expected, f"{where}: expected {expected} for a user outside the policy"
    if api:
        assert response.is_json and response.get_json().get("message"), where
    else:
        assert response.mimetype == "text/html", where


def test_a_bearer_token_does_not_open_the_html_pages(seeded):
    headers = seeded.actions.token("admin1")
    client = seeded.app.test_client()
    for url in ("/", "/admin/cases/", f"/cases/{seeded.values['instance_id']}"):
        assert _to_login(client.get(url, headers=headers)), url


def test_a_non_admin_cannot_skip_a_step_even_with_a_reason(seeded):
    url = f"/cases/{seeded.values['instance_id']}/service/skip"
    for username in ("unit1", "ketua1", "owner1"):
        response = seeded.clients[username].post(url, data={"reason": "uji keamanan"})
        assert response.status_code == 403, username


def test_a_non_owner_cannot_upload_a_real_diagram(seeded):
    from tests.security.policy import ROOT_PROCESSES

    bpmn = (ROOT_PROCESSES / PROCESS_ID / f"{PROCESS_ID}.bpmn").read_bytes()
    bpmn = bpmn.replace(b"</bpmn:definitions>", b"<!-- non-owner --></bpmn:definitions>")
    client = seeded.app.test_client()
    for username in ("unit1", "tim1"):
        response = client.post(
            f"/api/v1/processes/{PROCESS_ID}/versions",
            data={"bpmn": (io.BytesIO(bpmn), "x.bpmn")},
            headers=seeded.actions.token(username),
            content_type="multipart/form-data",
        )
        assert response.status_code == 403 and response.is_json, username
    with seeded.app.app_context():
        from webapp.models import ProcessVersion

        assert db.session.scalar(select(db.func.count()).select_from(ProcessVersion)) == 1


@pytest.mark.parametrize(
    "url, data",
    [
        ("/login?next={target}", {"username": "unit1", "password": "demo"}),
        ("/lang/id", {"next": "{target}"}),
        ("/processes/roles", {"name": "", "back": "{target}"}),
        ("/admin/cases/{instance_id}/terminate", {"reason": "", "back": "{target}"}),
    ],
)
@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "/\\evil.example/x", "/%5Cevil.example", "https://evil.example/x"],
)
def test_redirects_after_a_form_stay_on_this_site(seeded, url, data, target):
    who = {"/login": None, "/lang/": "unit1", "/processes/roles": "owner1"}
    username = next((u for prefix, u in who.items() if url.startswith(prefix)), "admin1")
    client = seeded.actions.client(username) if username else seeded.app.test_client()
    url = url.format(target=target, instance_id=seeded.values["instance_id"])
    body = {k: v.format(target=target) for k, v in data.items()}
    response = client.post(url, data=body)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location, location  # browsers read /\host as //host


def test_a_deactivated_user_loses_the_session_and_the_api_token(seeded):
    app = seeded.app
    with app.app_context():
        user = User(username="keluar", full_name="Akan Dinonaktifkan")
        user.set_password("demo")
        from webapp.models import Role

        user.roles = [db.session.scalar(select(Role).where(Role.name == "Tim"))]
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    session = seeded.actions.client("keluar")
    token = seeded.actions.token("keluar")
    assert session.get("/").status_code == 200
    assert app.test_client().get("/api/v1/tasks", headers=token).status_code == 200
    response = seeded.clients["admin1"].post(f"/admin/users/{user_id}/deactivate")
    assert response.status_code == 302
    assert _to_login(session.get("/"))
    response = app.test_client().get("/api/v1/tasks", headers=token)
    assert response.status_code == 401 and response.is_json
    relogin = app.test_client().post("/login", data={"username": "keluar", "password": "demo"})
    assert relogin.status_code == 401


def test_the_sla_page_shows_titles_only_of_cases_the_reader_may_open(seeded):
    from datetime import timedelta

    from webapp.models import HumanTask, ProcessInstance
    from webapp.models.types import utcnow

    instance_id = seeded.values["instance_id"]
    with seeded.app.app_context():
        title = db.session.get(ProcessInstance, instance_id).title
        db.session.execute(
            sa_update(HumanTask)
            .where(HumanTask.id == seeded.values["task_id"])
            .values(due_at=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
    admin_page = seeded.clients["admin1"].get("/sla").get_data(as_text=True)
    assert title in admin_page  # the overdue case is listed for those who may open it
    for username in sorted(CASE_STRANGERS):
        assert seeded.clients[username].get(f"/cases/{instance_id}").status_code == 403
        page = seeded.clients[username].get("/sla")
        assert page.status_code == 200
        assert title not in page.get_data(as_text=True), f"{username} reads the title on /sla"


# Every route that reads a case or what it holds, by the seeded values it needs.
CASE_READING = [
    "instances.detail",
    "instances.diagram",
    "instances.calls",
    "instances.report",
    "instances.attachment",
    "api.instance",
    "api.history",
    "api.report",
]


def test_every_case_reading_route_is_listed_here():
    reading = {e for e, r, _m in ROUTES if "<int:instance_id>" in r and POLICY[e] != ADMIN}
    reading -= {"instances.retry_service", "instances.skip_service"}  # actions, admin only
    assert reading == set(CASE_READING)


@pytest.mark.parametrize("endpoint", CASE_READING)
def test_an_applicant_cannot_read_another_applicants_case(seeded, endpoint):
    # pemohon2 holds the same external role as the requester unit1 and the lane of its step 1.
    url = build_url(seeded.app, endpoint, seeded.values)
    refused = _call(seeded, endpoint, "GET", "pemohon2", url)
    assert refused.status_code == 403, f"{url}: {refused.status_code}"
    assert b"layar.png" not in refused.data and STEP1["judul"].encode() not in refused.data
    # The requester is let through (a report not written yet is "not found", never refused).
    assert _call(seeded, endpoint, "GET", "unit1", url).status_code != 403, url


def test_an_applicant_does_not_see_another_applicants_case_in_lists(seeded):
    instance_id = seeded.values["instance_id"]
    for url in ("/cases/", "/sla", "/", "/notifications"):
        page = seeded.clients["pemohon2"].get(url)
        assert page.status_code == 200, url
        assert f"/cases/{instance_id}" not in page.get_data(as_text=True), url
    listed = seeded.app.test_client().get("/api/v1/tasks", headers=seeded.actions.token("pemohon2"))
    assert all(t["instance_id"] != instance_id for t in listed.get_json()["items"])
