"""Property-based fuzzing of JSON API v1 with schemathesis, against the document the app serves.

Every operation of ``/api/v1/openapi.json`` gets generated requests (valid and invalid ones),
sent through the WSGI app (no network) to a seeded database of each backend, as a user fit for
the operation. Each answer must not be a server error, must have a documented status code and
content type, and its body and headers must conform to the document.

Generation is derandomized and bounded (``EXAMPLES`` per operation and mode), so CI sees the same
requests every run. ``SOPFLOW_FUZZ_EXAMPLES`` raises the bound for a deeper local run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import STEP1, STEP2, STEP3
from webapp.views.openapi import openapi_document

PROCESS = "pemeliharaan_sistem_informasi"
BPMN = (
    Path(__file__).resolve().parents[2] / "processes" / PROCESS / f"{PROCESS}.bpmn"
).read_bytes()
EXAMPLES = int(os.environ.get("SOPFLOW_FUZZ_EXAMPLES", "25"))
# Each multipart upload lints a diagram: fewer examples keep a backend's run short.
SLOW = {("POST", "/api/v1/processes/{process_id}/versions"): max(EXAMPLES // 3, 5)}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def caller_of(method: str, path: str) -> str:
    """Who calls an operation: the process owner revises SOPs, the unit starts and follows
    cases, the team lead works the worklist (step 2) and everything else."""
    if "/versions" in path or path == "/api/v1/roles":
        return "owner1"
    if path.startswith(("/api/v1/processes", "/api/v1/instances")):
        return "unit1"
    return "ketua1"


def _operations() -> list[tuple[str, str, bool]]:
    """(METHOD, path, has inputs to negate) of every operation in the document, in order."""
    schema = schemathesis.openapi.from_dict(openapi_document())
    found = []
    for result in schema.get_all_operations():
        op = result.ok()
        inputs = bool(len(op.path_parameters) or len(op.query) or len(op.body))
        found.append((op.method.upper(), op.path, inputs))
    return sorted(found)


OPERATIONS = _operations()


def _params():
    """Each operation in both modes; negative mode only where there is an input to break."""
    for method, path, inputs in OPERATIONS:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not inputs:
                continue
            yield pytest.param(method, path, mode, id=f"{mode.value} {method} {path}")


def _seed(actions) -> dict[str, list]:
    """Cases in several states; return real values for each path parameter."""
    first = actions.start()
    second = actions.start()
    third = actions.start()
    # The third case moves on: its step 2 is completed, step 3 is open for the team.
    step2 = actions.open_task(third["id"], "Task_2_analisa")
    response = actions.complete("ketua1", step2.id, STEP2)
    assert response.status_code == 200, response.get_json()
    step3 = actions.open_task(third["id"], "Task_3_troubleshooting")
    # The team lead holds the second case's step 2, so releasing it can succeed.
    claimed = actions.app.test_client().post(
        f"/api/v1/tasks/{second['current_tasks'][0]['id']}/claim", headers=actions.token("ketua1")
    )
    assert claimed.status_code == 200, claimed.get_json()
    tasks = [first["current_tasks"][0]["id"], second["current_tasks"][0]["id"], step2.id, step3.id]
    return {
        "process_id": [PROCESS],
        "task_id": tasks,
        "instance_id": [first["id"], second["id"], third["id"]],
        "version": [1, 2],
        "fmt": ["html", "pdf"],
    }


def _strategy(operation, mode: GenerationMode, known: dict[str, list], step2_id: int):
    """Generated cases, plus cases aimed at real rows (and, for the happy paths, valid bodies)."""
    names = [p.name for p in operation.path_parameters if p.name in known]
    strategies = [operation.as_strategy(mode)]
    if names:
        combos = [{}]
        for name in names:
            combos = [dict(c, **{name: value}) for c in combos for value in known[name]]
        strategies += [operation.as_strategy(mode, path_parameters=c) for c in combos]
    if mode is GenerationMode.POSITIVE:
        label = (operation.method.upper(), operation.path)
        if label == ("POST", "/api/v1/processes/{process_id}/instances"):
            body = {"data": STEP1}
            strategies.append(
                operation.as_strategy(mode, path_parameters={"process_id": PROCESS}, body=body)
            )
        elif label == ("POST", "/api/v1/processes/{process_id}/versions"):
            # The published diagram (same content: 200) and a revision of it (a new draft: 201).
            revised = BPMN.replace(b"</bpmn:definitions>", b"<!-- fuzz -->\n</bpmn:definitions>")
            revised = revised.replace(b'name="', b'name="Rev ', 1)
            for content in (BPMN, revised):
                body = {"bpmn": content, "note": "fuzz"}
                strategies.append(
                    operation.as_strategy(
                        mode,
                        path_parameters={"process_id": PROCESS},
                        body=body,
                        media_type="multipart/form-data",
                    )
                )
        elif label == ("POST", "/api/v1/tasks/{task_id}/complete"):
            for task_id, data in ((step2_id, STEP2), (known["task_id"][-1], STEP3)):
                strategies.append(
                    operation.as_strategy(
                        mode, path_parameters={"task_id": task_id}, body={"data": data}
                    )
                )
    return st.one_of(strategies)


@pytest.fixture
def api_schema(app):
    """The document as the app serves it, bound to the app for WSGI calls."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("method, path, mode", list(_params()))
def test_operation_conforms(api_schema, actions, method, path, mode):
    operation = api_schema[path][method]
    known = _seed(actions)
    headers = actions.token(caller_of(method, path))
    strategy = _strategy(operation, mode, known, known["task_id"][0])

    @given(case=strategy)
    @settings(
        max_examples=SLOW.get((method, path), EXAMPLES),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def test_parametrized_operations_are_the_served_ones(client):
    """The test ids come from the document in code; the app must serve exactly that one."""
    served = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = sorted(
        (method.upper(), path)
        for path, item in served.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )
    assert operations == [(method, path) for method, path, _inputs in OPERATIONS]


def test_a_version_uploads_note_carries_the_length_the_server_enforces(client):
    """The upload refuses a note over 2,000 characters; the document says so, so that a
    client generated from it checks the same limit."""
    upload = client.get("/api/v1/openapi.json").get_json()["paths"][
        "/api/v1/processes/{process_id}/versions"
    ]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["note"] == {"type": "string", "maxLength": 2000}


ID_OPERATIONS = [
    ("GET", "/api/v1/tasks/{id}"),
    ("POST", "/api/v1/tasks/{id}/claim"),
    ("POST", "/api/v1/tasks/{id}/release"),
    ("POST", "/api/v1/tasks/{id}/complete"),
    ("GET", "/api/v1/instances/{id}"),
    ("GET", "/api/v1/instances/{id}/report.pdf"),
    ("POST", f"/api/v1/processes/{PROCESS}/versions/{{id}}/publish"),
]


@pytest.mark.parametrize("value", [2**31, 2**63], ids=["2^31", "2^63"])
@pytest.mark.parametrize(
    "method, template", ID_OPERATIONS, ids=[f"{m} {p}" for m, p in ID_OPERATIONS]
)
def test_out_of_range_id_is_not_found(app, actions, method, template, value):
    """An integer id the database cannot store names no row: 404 with the Error body."""
    user = caller_of(method, template)
    response = app.test_client().open(
        template.format(id=value),
        method=method,
        headers=actions.token(user),
        json={"data": {}} if method == "POST" else None,
    )
    assert response.status_code == 404, (response.status_code, response.get_json())
    assert response.mimetype == "application/json"
    assert isinstance(response.get_json().get("message"), str)
