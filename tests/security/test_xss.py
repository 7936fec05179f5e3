"""Stored XSS: a payload typed into every free-text field of every step, through the real
forms, to the end of the case (deployment faked, report generated); every page that shows
the data escapes it, the JSON carries it as a string, the PDF prints it as text, and the
CSV export does not let a spreadsheet run a typed formula."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

import service_tasks
from tests.conftest import PNG, STEP1, STEP2, STEP3, STEP4_PASS, Actions, missing
from tests.security.policy import ROOT_PROCESSES, FakeDeployment, seeded_app
from webapp.extensions import db
from webapp.models import HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User
from webapp.models.types import utcnow
from webapp.services import service_calls
from webapp.services.processes import parsed, published_version

PROCESS_ID = "pemeliharaan_sistem_informasi"
PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
# What must never reach a page unescaped (any of these would run or break out of an attribute).
RAW = (PAYLOAD, "<script>alert(1)", "<img src=x", "\"'><img", "<svg onload")
# An attachment whose file name is markup (step 1's screenshot).
FILENAME = "<svg onload=alert(4)>.png"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
FORMS = ROOT_PROCESSES / PROCESS_ID / "forms"
# Step, who works it, and the valid data the payload goes into.
STEPS = [
    ("Task_1_pesan_perbaikan", "unit1", STEP1),
    ("Task_2_analisa", "ketua1", STEP2),
    ("Task_3_troubleshooting", "tim1", STEP3),
    ("Task_4_uji_implementasi", "tim1", STEP4_PASS),
]


def free_text_fields(schema: dict) -> dict[str, str]:
    """Every plain string property (no enum/oneOf/format) the payload fits: name -> value."""
    result = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") != "string" or {"enum", "oneOf", "const", "format"} & set(prop):
            continue
        value = PAYLOAD
        if len(value) < prop.get("minLength", 0):
            value = value.ljust(prop["minLength"], "x")
        value = value[: prop.get("maxLength", len(value))]
        if "<script>" not in value:
            continue  # too short to carry the payload
        if "pattern" in prop and not re.search(prop["pattern"], value):
            continue  # e.g. rilis: the schema already forbids markup there
        result[name] = value
    return result


def _schemas() -> dict[str, dict]:
    """Step id -> its form's JSON Schema, as the published diagram names them."""
    version = published_version(PROCESS_ID)
    result = {}
    for step in parsed(version).steps.values():
        if step.form_schema_file:
            result[step.bpmn_id] = json.loads((FORMS / step.form_schema_file).read_text())
    return result


def _clean(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} is on the page unescaped"


def _shown(html: str, where: str) -> None:
    _clean(html, where)
    assert ESCAPED in html, f"{where}: the escaped payload is missing where the field is shown"


@dataclass
class Case:
    app: Flask
    actions: Actions
    instance_id: int  # every field carries the payload; completed, with its report
    overdue_id: int  # title "=" + payload, its step 2 overdue
    fields: dict[str, dict[str, str]]
    start_page: str  # the page after starting: with the "sent" flash message
    invalid_page: str  # the start form shown again with an error and what was typed
    clients: dict[str, FlaskClient]


def _form_data(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture(scope="module")
def case(database_url, tmp_path_factory):
    with (
        seeded_app(database_url, str(tmp_path_factory.mktemp("attachments"))) as app,
        pytest.MonkeyPatch.context() as patch,
    ):
        record = dataclasses.replace(
            service_tasks.REGISTRY["deploy_to_colocation"], function=FakeDeployment()
        )
        patch.setitem(service_tasks.REGISTRY, "deploy_to_colocation", record)
        actions = Actions(app)
        with app.app_context():
            schemas = _schemas()
        assert set(schemas) == {bpmn_id for bpmn_id, _u, _d in STEPS}
        fields = {bpmn_id: free_text_fields(schemas[bpmn_id]) for bpmn_id, _u, _d in STEPS}
        assert "judul" in fields["Task_1_pesan_perbaikan"] and "rilis" not in str(fields)
        clients = {u: actions.client(u) for u in ("unit1", "ketua1", "tim1", "admin1")}

        first, *rest = STEPS
        start = f"/start/{PROCESS_ID}"
        data = dict(first[2], **fields[first[0]])
        invalid = clients["unit1"].post(start, data=dict(data, aplikasi="tidak_ada"))
        assert invalid.status_code == 422
        response = clients["unit1"].post(
            start,
            data=dict(data, lampiran=(io.BytesIO(PNG), FILENAME)),
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.data[:300]
        instance_id = int(urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1])
        start_page = clients["unit1"].get(response.headers["Location"]).get_data(as_text=True)
        for bpmn_id, username, valid in rest:
            task = actions.open_task(instance_id, bpmn_id)
            data = dict(valid, **fields[bpmn_id])
            response = clients[username].post(f"/tasks/{task.id}", data=_form_data(data))
            assert response.status_code == 302, (bpmn_id, response.data[:500])
        with app.app_context():
            assert service_calls.run_queued() == 2  # the deployment, then the report
            assert db.session.get(ProcessInstance, instance_id).status == InstanceStatus.COMPLETED

        overdue_id = actions.start("unit1", dict(STEP1, judul="=" + PAYLOAD))["id"]
        with app.app_context():
            db.session.execute(
                update(HumanTask)
                .where(HumanTask.instance_id == overdue_id)
                .values(due_at=utcnow() - timedelta(hours=2))
            )
            db.session.commit()
        yield Case(
            app,
            actions,
            instance_id,
            overdue_id,
            fields,
            start_page,
            invalid.get_data(as_text=True),
            clients,
        )


def test_every_free_text_field_was_filled_with_the_payload(case):
    with case.app.app_context():
        row = db.session.get(ProcessInstance, case.instance_id)
        assert row.title == PAYLOAD
        done = {
            t.bpmn_id: t.form_data
            for t in db.session.scalars(
                select(HumanTask).where(HumanTask.instance_id == case.instance_id)
            )
            if t.status == TaskStatus.COMPLETED
        }
    for bpmn_id, fields in case.fields.items():
        for name in fields:
            stored = done[bpmn_id].get(name)
            assert stored == PAYLOAD, (bpmn_id, name, stored)
    assert sum(len(f) for f in case.fields.values()) >= 9


def test_the_start_form_and_its_messages_escape_the_payload(case):
    _shown(case.invalid_page, "start form shown again (422)")
    _shown(case.start_page, "case page after starting, with its flash message")


def test_task_pages_escape_the_payload(case):
    with case.app.app_context():
        tasks = [
            (t.id, t.bpmn_id, t.completed_by.username)
            for t in db.session.scalars(
                select(HumanTask).where(HumanTask.instance_id == case.instance_id)
            )
            if t.status == TaskStatus.COMPLETED
        ]
    assert sorted(bpmn_id for _id, bpmn_id, _u in tasks) == sorted(b for b, _u, _d in STEPS)
    for task_id, bpmn_id, username in tasks:
        response = case.clients[username].get(f"/tasks/{task_id}")
        assert response.status_code == 200, (bpmn_id, response.status_code)
        _shown(response.get_data(as_text=True), f"/tasks/{task_id} ({bpmn_id}) as {username}")


@pytest.mark.parametrize(
    "username, url",
    [
        ("unit1", "/cases/{instance_id}"),
        ("admin1", "/cases/{instance_id}"),
        ("ketua1", "/cases/{overdue_id}"),
        ("unit1", "/cases/"),
        ("ketua1", "/"),
        ("admin1", "/admin/cases/"),
        ("admin1", "/admin/dashboard/"),
        ("admin1", "/sla"),
        ("unit1", "/notifications"),
        ("ketua1", "/notifications"),
    ],
)
def test_pages_escape_the_payload(case, username, url):
    url = url.format(instance_id=case.instance_id, overdue_id=case.overdue_id)
    response = case.clients[username].get(url)
    assert response.status_code == 200, url
    _shown(response.get_data(as_text=True), f"{url} as {username}")


def test_the_case_page_shows_every_field_escaped(case):
    html = case.clients["admin1"].get(f"/cases/{case.instance_id}").get_data(as_text=True)
    fields = sum(len(f) for f in case.fields.values())
    assert html.count(ESCAPED) >= fields, "some free-text field is not shown on the case page"


def test_the_diagram_json_carries_the_payload_as_a_string(case):
    response = case.clients["unit1"].get(f"/cases/{case.instance_id}/diagram.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    history = response.get_json()["history"]
    for bpmn_id, fields in case.fields.items():
        [entry] = history[bpmn_id]
        for name in fields:
            assert entry["data"][name] == PAYLOAD, (bpmn_id, name)


def test_the_report_page_escapes_the_payload(case):
    response = case.clients["unit1"].get(f"/cases/{case.instance_id}/report.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    _shown(response.get_data(as_text=True), "report.html")
    # The same file for systems holding a token.
    api = case.app.test_client().get(
        f"/api/v1/instances/{case.instance_id}/report.html", headers=case.actions.token("unit1")
    )
    assert api.status_code == 200 and api.mimetype == "text/html"
    assert "default-src 'none'" in api.headers["Content-Security-Policy"]
    _shown(api.get_data(as_text=True), "/api/v1/.../report.html")


def test_the_report_pdf_prints_the_payload_as_text(case, tmp_path):
    response = case.clients["unit1"].get(f"/cases/{case.instance_id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    tool = shutil.which("pdftotext")
    if tool is None:
        message = "pdftotext (Debian poppler-utils) is not on PATH: the PDF text is not checked"
        missing(message)
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(
        [tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", PAYLOAD) in flat, "the PDF does not show the typed text literally"
    assert "&lt;" not in text  # not escaped twice


def test_the_dashboard_csv_quotes_a_typed_formula(case):
    response = case.clients["admin1"].get("/admin/dashboard/export.csv?kind=overdue")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    [row] = [r for r in rows[1:] if r[0] == str(case.overdue_id)]
    assert row[1] == "'=" + PAYLOAD
    for other in rows[1:]:
        assert not other[1].startswith(("=", "+", "-", "@")), other


def test_no_user_was_created_or_changed_by_the_payload(case):
    with case.app.app_context():
        assert db.session.scalar(select(User).where(User.username.contains("<"))) is None
