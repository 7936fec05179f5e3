"""JSON API v1 over real HTTP and a real database; every answer is checked against OpenAPI."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select

from tests.conftest import PNG, STEP1, STEP2, STEP3, STEP4_FAIL, STEP4_PASS, csrf_token
from webapp.extensions import db
from webapp.models import (
    ApiToken,
    Attachment,
    AuditEvent,
    HumanTask,
    ProcessInstance,
    Role,
    TaskStatus,
    User,
)
from webapp.services import service_calls
from webapp.views.openapi import openapi_document

PROCESS = "pemeliharaan_sistem_informasi"
START = f"/api/v1/processes/{PROCESS}/instances"
DOC = openapi_document()
DOC_URI = "urn:sopflow:openapi"
REGISTRY = Registry().with_resource(DOC_URI, Resource.from_contents(DOC, DRAFT202012))


# --- the OpenAPI check every response goes through -------------------------------------


def operation_for(method: str, path: str) -> tuple[str, dict]:
    """Return the path template and operation of the document that serve this request."""
    for template, item in DOC["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method in item:
            return template, item[method]
    raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI document")


def check_body(method: str, template: str, status: int, body) -> dict:
    """Assert that ``status`` is documented for the operation and ``body`` fits its schema."""
    responses = DOC["paths"][template][method]["responses"]
    assert str(status) in responses, f"{status} not documented for {method.upper()} {template}"
    parts = ["paths", template, method, "responses", str(status), "content", "application/json"]
    pointer = "/".join(p.replace("~", "~0").replace("/", "~1") for p in [*parts, "schema"])
    validator = Draft202012Validator(
        {"$ref": f"{DOC_URI}#/{pointer}"},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{method.upper()} {template} {status} outside the schema: {errors}"
    return responses[str(status)]


def conforms(response) -> dict:
    """Check a real response against the document; return its JSON body."""
    method = response.request.method.lower()
    template, _op = operation_for(method, response.request.path)
    assert response.mimetype == "application/json", response.data[:200]
    body = response.get_json()
    spec = check_body(method, template, response.status_code, body)
    for header in spec.get("headers", {}):
        assert header in response.headers, f"missing header {header}"
    return body


@pytest.fixture
def api(client, actions):
    """Call the API as a user and return the checked JSON body: ``api("get", path, "unit1")``."""

    def call(method: str, path: str, user: str | None = None, expect: int = 200, **kwargs):
        headers = actions.token(user) if user else {}
        headers.update(kwargs.pop("headers", {}))
        response = client.open(path, method=method.upper(), headers=headers, **kwargs)
        assert response.status_code == expect, (response.status_code, response.get_json())
        return conforms(response)

    return call


# --- helpers ------------------------------------------------------------------------


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def add_user(app, username: str, full_name: str, role: str) -> None:
    with app.app_context():
        user = User(username=username, full_name=full_name)
        user.set_password("demo")
        user.roles.append(Role.get_or_create(role))
        db.session.add(user)
        db.session.commit()


def data_url(content: bytes, name: str, kind: str = "image/png") -> str:
    return f"data:{kind};name={name};base64,{base64.b64encode(content).decode()}"


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def step2_task(api, data: dict | None = None) -> int:
    """Start a case through the API and return the id of its open step-2 task."""
    body = api("post", START, "unit1", 201, json={"data": data or STEP1})
    return body["current_tasks"][0]["id"]


def worklist(api, user: str) -> list[dict]:
    return api("get", "/api/v1/tasks", user)["items"]


TASK = {
    "id": 1,
    "instance_id": 1,
    "name": "Analisa",
    "step": "Task_2_analisa",
    "lane": "Ketua Tim",
    "status": "open",
    "assignee": None,
    "candidates": [],
    "ready_at": "2026-11-25T08:00:00+00:00",
    "due_at": "2026-11-25T08:30:00+00:00",
    "breached_at": None,
    "completed_at": None,
    "completed_by": None,
}


# --- the document -------------------------------------------------------------------


def test_document_is_valid_openapi_31_and_served_without_token(api):
    validate(DOC)
    assert DOC["openapi"].startswith("3.1")
    assert api("get", "/api/v1/openapi.json") == DOC


def test_schema_check_accepts_a_well_formed_answer():
    check_body("get", "/api/v1/tasks", 200, {"items": [TASK]})


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"items": [{"id": "not-an-int"}]}),  # wrong body
        (200, {"items": [dict(TASK, ready_at="gestern")]}),  # not a date-time
        (200, {"items": [dict(TASK, assignee=7)]}),  # neither string nor null
        (500, {"message": "boom"}),  # undocumented status
        (404, {"errors": {}}),  # error without message
    ],
)
def test_schema_check_rejects_answers_outside_the_document(status, body):
    with pytest.raises(AssertionError):
        check_body("get", "/api/v1/tasks", status, body)


def test_every_api_route_is_documented(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert rules
    for rule in rules:
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in DOC["paths"][template], f"{method} {template}"


# --- processes ----------------------------------------------------------------------


@pytest.mark.parametrize(("user", "listed"), [("unit1", True), ("tim1", False), ("ketua1", False)])
def test_list_processes_shows_only_what_the_caller_may_start(api, user, listed):
    ids = [p["id"] for p in api("get", "/api/v1/processes", user)["items"]]
    assert (PROCESS in ids) is listed


def test_process_detail_carries_start_form_with_step1_required_fields(api):
    body = api("get", f"/api/v1/processes/{PROCESS}", "unit1")
    assert body["start_lane"] == "Unit Kerja/Koordinator"
    assert {"aplikasi", "judul", "deskripsi", "urgensi"} <= set(body["start_form"]["required"])
    assert "lampiran" in body["start_form"]["properties"]


def test_unknown_process_is_404_json(api):
    assert api("get", "/api/v1/processes/tidak_ada", "unit1", 404)["message"]
    assert api("post", "/api/v1/processes/tidak_ada/instances", "unit1", 404, json={"data": {}})


# --- starting a case ----------------------------------------------------------------


def test_start_returns_201_location_and_waiting_step2_due_in_30_minutes(api, client, actions):
    response = client.post(START, json={"data": STEP1}, headers=actions.token("unit1"))
    assert response.status_code == 201
    body = conforms(response)
    assert response.headers["Location"].endswith(f"/api/v1/instances/{body['id']}")
    assert body["status"] == "waiting"
    assert body["title"] == STEP1["judul"]
    assert body["started_by"] == "unit1"
    [task] = body["current_tasks"]
    assert (task["step"], task["lane"], task["status"]) == ("Task_2_analisa", "Ketua Tim", "open")
    delta = when(task["due_at"]) - when(task["ready_at"])
    assert abs(delta - timedelta(minutes=30)) < timedelta(seconds=5)
    assert api("get", response.headers["Location"], "unit1")["id"] == body["id"]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({}, {"aplikasi", "judul", "deskripsi", "urgensi"}),
        ({"kontak": "0812"}, {"aplikasi", "judul", "deskripsi", "urgensi"}),
        ({**STEP1, "judul": "abc"}, {"judul"}),
        ({**STEP1, "urgensi": "besok"}, {"urgensi"}),
    ],
)
def test_start_with_invalid_fields_is_422_naming_them_and_creates_nothing(app, api, data, fields):
    body = api("post", START, "unit1", 422, json={"data": data})
    assert fields <= set(body["errors"])
    assert count(app, ProcessInstance) == 0
    assert count(app, HumanTask) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "judul=x", "content_type": "application/x-www-form-urlencoded"},
        {"data": "{not json", "content_type": "application/json"},
        {"json": ["data"]},
        {"json": {"judul": "tanpa data"}},
        {"json": {"data": "teks"}},
        {"json": {"data": [STEP1]}},
    ],
    ids=["form", "broken-json", "list", "no-data", "data-string", "data-list"],
)
def test_start_with_body_not_json_data_object_is_422_message(app, api, kwargs):
    body = api("post", START, "unit1", 422, **kwargs)
    assert "data" in body["message"]
    assert count(app, ProcessInstance) == 0


@pytest.mark.parametrize("user", ["tim1", "ketua1", "owner1", "admin1"])
def test_start_by_someone_outside_the_start_lane_is_403(app, api, user):
    body = api("post", START, user, 403, json={"data": STEP1})
    assert "Unit Kerja/Koordinator" in body["message"]
    assert count(app, ProcessInstance) == 0
    assert count(app, AuditEvent, AuditEvent.action == "instance.start_forbidden") == 1


def test_start_with_png_data_url_stores_attachment_and_history_holds_its_id(app, api):
    data = {**STEP1, "lampiran": data_url(PNG, "layar.png")}
    body = api("post", START, "unit1", 201, json={"data": data})
    with app.app_context():
        [row] = db.session.scalars(select(Attachment)).all()
        assert (row.instance_id, row.field) == (body["id"], "lampiran")
        assert (row.filename, row.content_type, row.size) == ("layar.png", "image/png", len(PNG))
        folder = Path(app.config["ATTACHMENT_DIR"])
    assert (folder / row.id[:2] / row.id).read_bytes() == PNG
    history = api("get", f"/api/v1/instances/{body['id']}/history", "unit1")["items"]
    assert history[0]["data"]["lampiran"] == row.id


@pytest.mark.parametrize(
    "lampiran",
    [
        data_url(PNG, "program.exe", "application/octet-stream"),
        data_url(b"MZ\x90\x00 not a picture", "layar.png"),
        data_url(b"", "kosong.png"),
        "data:image/png;name=layar.png;base64,@@@bukan-base64@@@",
    ],
    ids=["exe", "png-name-wrong-bytes", "empty", "bad-base64"],
)
def test_start_with_disallowed_data_url_is_422_on_lampiran(app, api, lampiran):
    body = api("post", START, "unit1", 422, json={"data": {**STEP1, "lampiran": lampiran}})
    assert set(body["errors"]) == {"lampiran"}
    assert count(app, Attachment) == 0
    assert count(app, ProcessInstance) == 0


# --- task lists and task access -----------------------------------------------------


def test_tasks_for_ketua1_sorted_by_due_at_and_only_his_lane(app, api, actions):
    first = step2_task(api)
    second = step2_task(api)
    later = actions.run_to("Task_3_troubleshooting")  # a Tim task exists too
    with app.app_context():
        task = db.session.get(HumanTask, first)
        task.due_at = task.due_at + timedelta(hours=1)  # the older case is now due last
        db.session.commit()
    items = worklist(api, "ketua1")
    ids = [t["id"] for t in items]
    assert ids.index(second) < ids.index(first)
    assert [t["due_at"] for t in items] == sorted(t["due_at"] for t in items)
    assert {t["lane"] for t in items} == {"Ketua Tim"}
    assert later not in {t["instance_id"] for t in items}
    assert [t["step"] for t in worklist(api, "tim1")] == ["Task_3_troubleshooting"]


@pytest.mark.parametrize(("limit", "expected"), [("1", 1), ("0", 1), ("2", 2), ("x", 3)])
def test_tasks_limit_is_clamped(api, actions, limit, expected):
    for _ in range(3):
        step2_task(api)
    assert len(api("get", f"/api/v1/tasks?limit={limit}", "ketua1")["items"]) == expected


@pytest.mark.parametrize("user", ["tim1", "unit1", "owner1"])
def test_get_task_of_another_lane_is_403_and_audited(app, api, actions, user):
    task_id = step2_task(api)
    api("get", f"/api/v1/tasks/{task_id}", user, 403)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "task.forbidden")
        ).all()
        owner = db.session.scalar(select(User).where(User.username == user))
        assert [(e.human_task_id, e.user_id) for e in events] == [(task_id, owner.id)]


def test_get_task_for_its_lane_has_form_schema(api, actions):
    task_id = step2_task(api)
    body = api("get", f"/api/v1/tasks/{task_id}", "ketua1")
    assert body["step"] == "Task_2_analisa"
    assert "anggota_tim" in body["schema"]["required"]
    assert body["data"] is None


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/v1/tasks/999999", {}),
        ("post", "/api/v1/tasks/999999/claim", {}),
        ("post", "/api/v1/tasks/999999/release", {}),
        ("post", "/api/v1/tasks/999999/complete", {"json": {"data": STEP2}}),
        ("get", "/api/v1/instances/999999", {}),
    ],
)
def test_unknown_task_or_instance_is_404_json(api, method, path, kwargs):
    assert api(method, path, "ketua1", 404, **kwargs)["message"]


# --- claim, release, complete ----------------------------------------------------------


def test_claim_conflict_and_release(app, api, actions):
    add_user(app, "ketua2", "Joko Ketua Tim", "Ketua Tim")
    task_id = step2_task(api)
    url = f"/api/v1/tasks/{task_id}"
    assert api("post", f"{url}/claim", "ketua1")["assignee"] == "ketua1"
    assert "Budi Ketua Tim" in api("post", f"{url}/claim", "ketua2", 409)["message"]
    assert api("post", f"{url}/release", "ketua2", 409)["message"]
    assert api("post", f"{url}/complete", "ketua2", 409, json={"data": STEP2})["message"]
    assert api("post", f"{url}/release", "ketua1")["assignee"] is None
    assert api("post", f"{url}/claim", "ketua2")["assignee"] == "ketua2"


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({**STEP2, "anggota_tim": []}, {"anggota_tim"}),
        ({**STEP2, "anggota_tim": ["ketua1"]}, {"anggota_tim"}),
        ({**STEP2, "kategori": "lain"}, {"kategori"}),
        ({"analisis": "pendek"}, {"kategori", "prioritas", "analisis", "anggota_tim"}),
    ],
)
def test_complete_with_invalid_data_is_422_and_task_stays_open(api, actions, data, fields):
    task_id = step2_task(api)
    body = api("post", f"/api/v1/tasks/{task_id}/complete", "ketua1", 422, json={"data": data})
    assert fields <= set(body["errors"])
    task = api("get", f"/api/v1/tasks/{task_id}", "ketua1")
    assert (task["status"], task["completed_by"]) == ("open", None)
    assert [t["id"] for t in worklist(api, "ketua1")] == [task_id]


def test_complete_moves_the_case_to_step3(api, actions):
    task_id = step2_task(api)
    body = api("post", f"/api/v1/tasks/{task_id}/complete", "ketua1", json={"data": STEP2})
    assert (body["status"], body["completed_by"]) == ("completed", "ketua1")
    assert [t["step"] for t in body["instance"]["current_tasks"]] == ["Task_3_troubleshooting"]


@pytest.mark.parametrize("second", ["ketua1", "ketua2"])
def test_complete_twice_is_409_naming_who_completed(app, api, actions, second):
    add_user(app, "ketua2", "Joko Ketua Tim", "Ketua Tim")
    task_id = step2_task(api)
    url = f"/api/v1/tasks/{task_id}/complete"
    api("post", url, "ketua1", json={"data": STEP2})
    body = api("post", url, second, 409, json={"data": STEP2})
    assert "Budi Ketua Tim" in body["message"]
    assert count(app, HumanTask, HumanTask.bpmn_id == "Task_3_troubleshooting") == 1


# --- the team leader's choice, the test's outcome --------------------------------------


@pytest.mark.parametrize(
    ("chosen", "assignee"),
    [(["tim1"], "tim1"), (["tim2"], "tim2"), (["tim1", "tim2"], None)],
)
def test_team_leader_choice_decides_who_gets_step3(api, actions, chosen, assignee):
    task_id = step2_task(api)
    done = api(
        "post",
        f"/api/v1/tasks/{task_id}/complete",
        "ketua1",
        json={"data": {**STEP2, "anggota_tim": chosen}},
    )
    [step3] = done["instance"]["current_tasks"]
    assert (sorted(step3["candidates"]), step3["assignee"]) == (sorted(chosen), assignee)
    for user in ("tim1", "tim2"):
        sees = step3["id"] in [t["id"] for t in worklist(api, user)]
        assert sees is (user in chosen)
        if user not in chosen:
            url = f"/api/v1/tasks/{step3['id']}"
            api("get", url, user, 403)
            api("post", f"{url}/complete", user, 403, json={"data": STEP3})
    api("post", f"/api/v1/tasks/{step3['id']}/complete", chosen[-1], json={"data": STEP3})


def test_failed_test_sends_the_case_back_to_troubleshooting(api, actions):
    instance_id = actions.run_to("Task_4_uji_implementasi")
    task = actions.open_task(instance_id, "Task_4_uji_implementasi")
    body = conforms(actions.complete("tim1", task.id, STEP4_FAIL))
    assert body["instance"]["status"] == "waiting"
    [back] = body["instance"]["current_tasks"]
    assert (back["step"], back["assignee"]) == ("Task_3_troubleshooting", "tim1")
    assert [t["step"] for t in worklist(api, "tim1")] == ["Task_3_troubleshooting"]


def test_passed_test_leaves_case_running_the_upload_with_no_human_task(app, api, actions):
    instance_id = actions.run_to("Task_4_uji_implementasi")
    task = actions.open_task(instance_id, "Task_4_uji_implementasi")
    body = conforms(actions.complete("tim1", task.id, STEP4_PASS))["instance"]
    assert body["status"] == "running"
    assert "Upload ke server colocation" in body["current_step"]
    assert body["current_tasks"] == []
    assert api("get", f"/api/v1/instances/{instance_id}", "unit1")["current_tasks"] == []
    assert count(app, HumanTask, HumanTask.status == TaskStatus.OPEN) == 0
    assert worklist(api, "tim1") == []


# --- instances ----------------------------------------------------------------------


HISTORY_STEPS = ["Task_1_pesan_perbaikan", "Task_2_analisa", "Task_3_troubleshooting"]


@pytest.mark.parametrize("user", ["unit1", "ketua1", "tim1", "admin1"])
def test_instance_history_lists_steps_in_order_with_their_data(api, actions, user):
    instance_id = actions.run_to("Task_4_uji_implementasi")
    body = api("get", f"/api/v1/instances/{instance_id}/history", user)
    assert [h["step"] for h in body["items"]] == HISTORY_STEPS
    assert [h["completed_by"] for h in body["items"]] == ["unit1", "ketua1", "tim1"]
    assert [h["data"] for h in body["items"]] == [STEP1, STEP2, STEP3]
    assert body["next"] is None
    case = api("get", f"/api/v1/instances/{instance_id}", user)
    assert [t["step"] for t in case["current_tasks"]] == ["Task_4_uji_implementasi"]


def test_instance_answers_without_history_unless_asked(api, actions):
    instance_id = actions.run_to("Task_4_uji_implementasi")
    lean = api("get", f"/api/v1/instances/{instance_id}", "unit1")
    assert "history" not in lean
    full = api("get", f"/api/v1/instances/{instance_id}?include=history", "unit1")
    assert [h["step"] for h in full["history"]] == HISTORY_STEPS
    assert [h["data"] for h in full["history"]] == [STEP1, STEP2, STEP3]
    assert {k: v for k, v in full.items() if k != "history"} == lean


def test_history_pages_follow_each_other_to_the_end(api, actions):
    instance_id = actions.run_to("Task_4_uji_implementasi")
    path = f"/api/v1/instances/{instance_id}/history?per_page=2"
    first = api("get", path, "ketua1")
    assert [h["step"] for h in first["items"]] == HISTORY_STEPS[:2]
    assert (first["page"], first["per_page"]) == (1, 2)
    following = urlsplit(first["next"])
    second = api("get", f"{following.path}?{following.query}", "ketua1")
    assert second["page"] == 2
    assert [h["step"] for h in second["items"]] == HISTORY_STEPS[2:]
    assert second["next"] is None


def test_a_history_page_past_the_end_is_empty_even_an_absurd_one(api, actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    for page in (3, 10**30):
        body = api("get", f"/api/v1/instances/{instance_id}/history?page={page}", "unit1")
        assert (body["items"], body["next"]) == ([], None)


def test_history_of_a_case_one_may_not_read_is_403_and_audited(app, api, actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    api("get", f"/api/v1/instances/{instance_id}/history", "owner1", 403)
    assert count(app, AuditEvent, AuditEvent.action == "instance.forbidden") == 1


def test_completing_answers_with_the_summary_and_next_tasks_not_the_history(api, actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(instance_id, "Task_3_troubleshooting")
    body = api("post", f"/api/v1/tasks/{task.id}/complete", "tim1", json={"data": STEP3})
    assert (body["status"], body["completed_by"]) == ("completed", "tim1")
    case = body["instance"]
    assert "history" not in case and "incidents" not in case
    assert case["started_by"] == "unit1"
    assert [t["step"] for t in case["current_tasks"]] == ["Task_4_uji_implementasi"]


def test_instance_for_a_user_with_no_relation_is_403(app, api, actions):
    instance_id = actions.start()["id"]
    api("get", f"/api/v1/instances/{instance_id}", "owner1", 403)
    assert count(app, AuditEvent, AuditEvent.action == "instance.forbidden") == 1


# --- authentication -----------------------------------------------------------------

ROUTES = [
    ("get", "/api/v1/processes", {}),
    ("get", f"/api/v1/processes/{PROCESS}", {}),
    ("post", START, {"json": {"data": STEP1}}),
    ("get", "/api/v1/tasks", {}),
    ("get", "/api/v1/tasks/1", {}),
    ("post", "/api/v1/tasks/1/claim", {}),
    ("post", "/api/v1/tasks/1/release", {}),
    ("post", "/api/v1/tasks/1/complete", {"json": {"data": STEP2}}),
    ("get", "/api/v1/instances/1", {}),
    ("get", "/api/v1/instances/1/history", {}),
]


def bad_token(app, actions, kind: str) -> dict[str, str]:
    """Headers that must not authenticate."""
    if kind == "missing":
        return {}
    if kind == "wrong":
        return {"Authorization": "Bearer sop_tidak-sah"}
    if kind == "not-bearer":
        return {"Authorization": "Basic " + base64.b64encode(b"unit1:demo").decode()}
    headers = actions.token("unit1")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "unit1"))
        if kind == "revoked":
            for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
                token.revoked_at = token.created_at
        else:  # inactive user
            user.active = False
        db.session.commit()
    return headers


@pytest.mark.parametrize("kind", ["missing", "wrong", "not-bearer", "revoked", "inactive-user"])
def test_requests_without_a_valid_token_are_401_json(app, client, actions, kind):
    headers = bad_token(app, actions, kind)
    for method, path, kwargs in ROUTES:
        response = client.open(path, method=method.upper(), headers=headers, **kwargs)
        assert response.status_code == 401, (method, path)
        assert conforms(response)["message"]
    assert count(app, ProcessInstance) == 0


def test_a_session_cookie_does_not_authenticate_the_api(actions):
    browser = actions.client("unit1")
    response = browser.post(START, json={"data": STEP1})
    assert response.status_code == 401
    assert conforms(response)["message"]


def test_start_repeated_with_the_same_idempotency_key_returns_the_first_instance(app, actions):
    path = "/api/v1/processes/pemeliharaan_sistem_informasi/instances"
    client = app.test_client()

    def start(user: str):
        headers = dict(actions.token(user), **{"Idempotency-Key": "portal-req-42"})
        return client.post(path, json={"data": STEP1}, headers=headers)

    first, again = start("unit1"), start("unit1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert conforms(first)["id"] == conforms(again)["id"]
    # The key belongs to its caller: another caller with the same key starts its own case.
    add_user(app, "unit2", "Unit Dua", "Unit Kerja/Koordinator")
    third = start("unit2")
    assert third.status_code == 201 and conforms(third)["id"] != first.get_json()["id"]


# --- outcomes -----------------------------------------------------------------------


def test_outcome_is_null_while_running_and_the_end_event_reached_once_completed(
    app, api, actions, deployment
):
    instance_id = actions.run_to("end")
    path = f"/api/v1/instances/{instance_id}"
    assert api("get", path, "unit1")["outcome"] is None
    with app.app_context():
        assert service_calls.run_queued() == 2
    body = api("get", path, "unit1")
    assert body["status"] == "completed"
    # The escalation ends beside each step ("Eskalasi tercatat") are never the outcome.
    assert body["outcome"] == {"id": "EndEvent_selesai", "name": "Permasalahan selesai"}
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        assert (row.outcome_id, row.outcome_name) == ("EndEvent_selesai", "Permasalahan selesai")


def test_a_terminated_case_has_no_outcome(app, api, actions):
    instance_id = actions.start()["id"]
    admin = actions.client("admin1")
    page = admin.get(f"/admin/cases/{instance_id}").get_data(as_text=True)
    response = admin.post(
        f"/admin/cases/{instance_id}/terminate",
        data={"reason": "permintaan ganda", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    body = api("get", f"/api/v1/instances/{instance_id}", "unit1")
    assert (body["status"], body["outcome"]) == ("terminated", None)


# --- roles --------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["owner1", "admin1"])
def test_owners_and_admins_create_a_role_through_the_api(app, api, user):
    body = api(
        "post", "/api/v1/roles", user, 201, json={"name": "Seksi  Survei", "description": "Survei"}
    )
    assert (body["name"], body["description"], body["external"]) == (
        "Seksi Survei",
        "Survei",
        False,
    )
    with app.app_context():
        role = db.session.get(Role, body["id"])
        assert role.name == "Seksi Survei"
        assert (
            db.session.scalar(
                select(AuditEvent).where(AuditEvent.action == "role.created")
            ).user.username
            == user
        )


def test_a_role_without_description_is_described_as_its_lane_and_external_is_accepted(api):
    body = api("post", "/api/v1/roles", "owner1", 201, json={"name": "Pemohon", "external": True})
    assert body["description"] == "Lane: Pemohon"


@pytest.mark.parametrize("user", ["unit1", "ketua1", "tim1"])
def test_creating_a_role_is_403_for_everyone_else(app, api, user):
    body = api("post", "/api/v1/roles", user, 403, json={"name": "Seksi Survei"})
    assert "pemilik proses" in body["message"]
    assert count(app, Role, Role.name == "Seksi Survei") == 0


def test_a_role_name_taken_is_422_saying_so(app, api):
    api("post", "/api/v1/roles", "owner1", 201, json={"name": "Kepala Dinas"})
    body = api("post", "/api/v1/roles", "admin1", 422, json={"name": "kepala dinas"})
    assert "sudah ada" in body["message"] and "name" in body["errors"]
    assert count(app, Role, Role.name == "Kepala Dinas") == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "name"),
        ({"name": 7}, "name"),
        ({"name": "Seksi", "description": ["x"]}, "description"),
        ({"name": "Seksi", "external": "ya"}, "external"),
        ({"name": "x"}, "name"),
        ({"name": "Seksi\u0000"}, "name"),
        ({"name": "Seksi\ud800"}, "name"),
        ({"name": "Seksi", "description": "a\u0000b"}, "description"),
    ],
)
def test_a_malformed_role_is_422_naming_the_field(app, api, payload, field):
    body = api("post", "/api/v1/roles", "owner1", 422, json=payload)
    assert field in body["errors"]
    assert count(app, Role, Role.name == "Seksi") == 0
