"""CSRF with protection on, as in production: every form POST (generated from the url_map)
without a token is refused and changes nothing; the API needs no token because a session
cookie never authenticates it."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import STEP1, Actions, csrf_token
from tests.security.policy import (
    BEARER,
    POLICY,
    ROOT_PROCESSES,
    USERS,
    allowed,
    build_url,
    missing_policy,
    routes,
    seeded_app,
)
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    HumanTask,
    Notification,
    ProcessInstance,
    ProcessVersion,
    Role,
    User,
)

PROCESS_ID = "pemeliharaan_sistem_informasi"
END = b"</bpmn:definitions>"
ROUTES = routes()
FORM_POSTS = [
    (endpoint, rule)
    for endpoint, rule, method in ROUTES
    if method == "POST" and not rule.startswith("/api/")
]
API_ROUTES = [(e, r, m) for e, r, m in ROUTES if r.startswith("/api/") and POLICY.get(e) == BEARER]
# Who posts each form: someone the policy allows, so only the missing token can refuse it.
POSTERS = ("ketua1", "unit1", "owner1", "admin1", "tim1", "tim2")
# Bodies that would succeed with a token: a refused POST really prevented something.
BODIES = {
    "tasks.start": STEP1,
    "admin_instances.terminate": {"reason": "uji CSRF"},
    "admin_instances.reassign": {"username": "ketua1"},
    "admin_users.new": {
        "username": "csrfbaru",
        "full_name": "Dibuat lewat CSRF",
        "password": "rahasia-panjang-1",
        "password_confirm": "rahasia-panjang-1",
    },
    "admin_users.edit": {"full_name": "Diubah lewat CSRF", "email": ""},
    "admin_users.password": {
        "password": "rahasia-panjang-2",
        "password_confirm": "rahasia-panjang-2",
    },
    "admin_users.roles": {"name": "Peran CSRF", "description": "x"},
    "admin_users.role_external": {"external": "1"},
    "admin_users.end_sessions": {},
    "admin_users.channels": {"phone": "081234567890", "channels": "whatsapp"},
    "notifications.channels": {"phone": "081234567890", "channels": "whatsapp"},
    "auth.password": {
        "current_password": "demo",
        "password": "rahasia-panjang-3",
        "password_confirm": "rahasia-panjang-3",
    },
    "processes.create_role": {"name": "Peran CSRF 2"},
    "instances.skip_service": {"reason": "uji CSRF"},
    "instances.retry_service": {"reason": "uji CSRF"},
    # A reviewed one-step table confirmed: with a token this creates a draft.
    "sop_import.upload": {"text": "No\tUraian\tTim\n1\tLangkah\t√"},
    "sop_import.review": {
        "table": json.dumps(
            {
                "name": "Impor CSRF",
                "header": {},
                "lanes": ["Tim"],
                "rows": [{"no": 1, "uraian": "Langkah", "kind": "task", "lane": "Tim"}],
            }
        ),
        "name": "Impor CSRF",
        "lanes": "Tim",
        "row-0-uraian": "Langkah",
        "row-0-kind": "task",
        "row-0-lane": "Tim",
        "action": "confirm",
    },
}


def login(app: Flask, username: str) -> FlaskClient:
    """Log in like a browser: fetch the form, post it with its token."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": username, "password": "demo", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"
    return client


@dataclass
class Seeded:
    app: Flask
    actions: Actions
    values: dict
    clients: dict[str, FlaskClient]


@pytest.fixture(scope="module")
def seeded(database_url, tmp_path_factory):
    with seeded_app(
        database_url,
        str(tmp_path_factory.mktemp("attachments")),
        TESTING=False,
        WTF_CSRF_ENABLED=True,
    ) as app:
        assert app.config["WTF_CSRF_ENABLED"]
        actions = Actions(app)  # its helpers use the API: bearer tokens, no CSRF token
        instance_id = actions.start("unit1")["id"]
        task = actions.open_task(instance_id, "Task_2_analisa")
        bpmn = (ROOT_PROCESSES / PROCESS_ID / f"{PROCESS_ID}.bpmn").read_bytes()
        draft = app.test_client().post(
            f"/api/v1/processes/{PROCESS_ID}/versions",
            data={"bpmn": (io.BytesIO(bpmn.replace(END, b"<!-- v2 -->" + END)), "v2.bpmn")},
            headers=actions.token("owner1"),
            content_type="multipart/form-data",
        )
        assert draft.status_code == 201, draft.get_json()
        with app.app_context():
            unit1 = db.session.scalar(select(User).where(User.username == "unit1"))
            note = Notification(
                user_id=unit1.id, kind="test", title="Uji", body="Uji", instance_id=instance_id
            )
            spare = User(username="sasaran", full_name="Pengguna Sasaran")
            spare.set_password("sasaran-rahasia-1")
            db.session.add_all([note, spare])
            db.session.commit()
            values = {
                "instance_id": instance_id,
                "task_id": task.id,
                "notification_id": note.id,
                "user_id": spare.id,
                "role_id": db.session.scalar(select(Role.id).where(Role.name == "Tim")),
                "process_id": PROCESS_ID,
                "number": draft.get_json()["version"],
                "code": "en",
                "fmt": "html",
            }
        clients = {username: login(app, username) for username in USERS}
        yield Seeded(app, actions, values, clients)


def snapshot(app: Flask) -> dict:
    """What a state-changing form could touch."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name not in ("api_token",)
        }
        return {
            "counts": counts,
            "audit": db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all(),
            "instances": db.session.execute(
                select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.title)
            ).all(),
            "tasks": db.session.execute(
                select(HumanTask.id, HumanTask.status, HumanTask.assigned_user_id)
            ).all(),
            "versions": db.session.execute(
                select(ProcessVersion.version, ProcessVersion.published_at)
            ).all(),
            "users": db.session.execute(
                select(User.username, User.full_name, User.active, User.password_hash)
            ).all(),
            "notifications": db.session.execute(
                select(Notification.id, Notification.read_at)
            ).all(),
            "roles": db.session.execute(select(Role.name, Role.external)).all(),
        }


def _poster(endpoint: str) -> str:
    if POLICY[endpoint] == "public":
        return "ketua1"
    return next(u for u in POSTERS if allowed(endpoint, u))


@pytest.mark.parametrize("endpoint, rule", FORM_POSTS, ids=[e for e, _r in FORM_POSTS])
def test_a_form_post_without_token_is_refused_and_changes_nothing(seeded, endpoint, rule):
    if endpoint not in POLICY:
        pytest.fail(missing_policy(endpoint, rule))
    username = _poster(endpoint)
    client = seeded.clients[username]
    url = build_url(seeded.app, endpoint, seeded.values)
    before = snapshot(seeded.app)
    if endpoint in ("processes.save_draft", "processes.preview_form"):
        response = client.post(url, json={"xml": "<x/>", "schema": "{}"})
    else:
        response = client.post(url, data=BODIES.get(endpoint, {}))
    assert response.status_code == 400, f"POST {url} as {username} -> {response.status_code}"
    assert snapshot(seeded.app) == before, f"POST {url} without a token changed the database"
    # Still signed in (even the log-out form needs its token) and the language unchanged.
    page = client.get("/")
    assert page.status_code == 200 and '<html lang="id">' in page.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", ["auth.login", "auth.set_language"])
def test_public_forms_without_token_are_refused_for_visitors(seeded, endpoint):
    client = seeded.app.test_client()
    url = build_url(seeded.app, endpoint, seeded.values)
    response = client.post(url, data={"username": "unit1", "password": "demo", "next": "/"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert urlsplit(client.get("/").headers["Location"]).path == "/login"  # not signed in
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="id">' in page  # language not switched


def test_a_state_changing_form_with_its_token_works(seeded):
    """The control: the same claim as above goes through once the page's token is sent."""
    client = seeded.clients["ketua1"]
    task_id = seeded.values["task_id"]
    token = csrf_token(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    assert client.post(f"/tasks/{task_id}/claim").status_code == 400
    response = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    assert response.status_code == 302
    with seeded.app.app_context():
        task = db.session.get(HumanTask, task_id)
        ketua1 = db.session.scalar(select(User).where(User.username == "ketua1"))
        assert task.assigned_user_id == ketua1.id
    # The token belongs to its session: another user's session refuses it.
    response = seeded.clients["admin1"].post(
        f"/admin/cases/{seeded.values['instance_id']}/suspend", data={"csrf_token": token}
    )
    assert response.status_code == 400


def test_the_api_needs_no_csrf_token_with_a_bearer_token(seeded):
    client = seeded.app.test_client()
    response = client.post(
        f"/api/v1/processes/{PROCESS_ID}/instances",
        json={"data": dict(STEP1, judul="Dimulai lewat API tanpa token CSRF")},
        headers=seeded.actions.token("unit1"),
    )
    assert response.status_code == 201, response.get_json()
    assert not client.get_cookie("session")  # nothing but the bearer token


@pytest.mark.parametrize(
    "endpoint, rule, method", API_ROUTES, ids=[f"{e}-{m}" for e, _r, m in API_ROUTES]
)
def test_a_session_cookie_alone_does_not_authenticate_the_api(seeded, endpoint, rule, method):
    client = seeded.clients["admin1"]  # signed in, with a valid CSRF token at hand
    token = csrf_token(client.get("/admin/cases/").get_data(as_text=True))
    values = dict(seeded.values, version=seeded.values["number"])
    url = build_url(seeded.app, endpoint, values)
    before = snapshot(seeded.app)
    response = client.open(
        url, method=method, json={"data": dict(STEP1)}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 401 and response.is_json, f"{method} {url}"
    assert snapshot(seeded.app) == before
