"""A submission keeps only its form's fields, bounded in depth and size (security findings 4, 6).

Finding 4: tim1 completed step 3 with the extra keys ``aplikasi`` and ``anggota_tim``; they
were merged into the case, so step 5 deployed another application and step 4 went to tim2.
Finding 6: data nested 600 levels deep was accepted at start and every later save failed with
``RecursionError`` (500 for ever); a body 1,200 levels deep answered 500 at once.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import STEP1, STEP2, STEP3, STEP4_PASS, deadline
from tests.views.test_api import START, conforms
from webapp.engine.instance import MAX_STATE_DATA_DEPTH
from webapp.engine.instance import ProcessInstance as EngineInstance
from webapp.engine.nesting import (
    MAX_DATA_DEPTH,
    TooDeep,
    loads,
    schema_depth,
    text_depth,
    value_depth,
)
from webapp.extensions import db
from webapp.models import HumanTask, ProcessInstance, ServiceCall, TaskStatus
from webapp.services import submissions
from webapp.services.errors import Invalid, TooLarge
from webapp.services.processes import parsed

PID = "pemeliharaan_sistem_informasi"
SOP_DIR = Path(__file__).resolve().parents[2] / "processes" / PID
SOP = (SOP_DIR / f"{PID}.bpmn").read_bytes()
SMUGGLED = {"aplikasi": "portal_web", "anggota_tim": ["tim2"]}


@pytest.fixture
def api(client, actions):
    """Call the API as a user; check the status and the body against the OpenAPI document."""

    def call(method: str, path: str, user: str, expect: int, **kwargs):
        response = client.open(path, method=method.upper(), headers=actions.token(user), **kwargs)
        assert response.status_code == expect, (response.status_code, response.get_json())
        return conforms(response)

    return call


def nested(depth: int, leaf=1):
    """A value ``depth`` levels deep: [[…[leaf]…]]."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def snapshot(app, instance_id: int) -> dict:
    """What the database holds for a case: its state, version and task rows."""
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        tasks = db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
        ).all()
        return {
            "state": row.state,
            "version": row.version_counter,
            "status": row.status,
            "tasks": [(t.id, t.bpmn_id, t.status, t.form_data) for t in tasks],
        }


def engine_data(app, instance_id: int) -> dict:
    """The case data as the engine reads it back from the saved state."""
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        return EngineInstance.load(parsed(row.version), row.state).data()


def candidates(app, instance_id: int, step: str) -> list[str]:
    with app.app_context():
        task = db.session.scalar(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id,
                HumanTask.bpmn_id == step,
                HumanTask.status == TaskStatus.OPEN,
            )
        )
        return sorted(u.username for u in task.candidates)


def deploy_parameters(app, instance_id: int) -> dict:
    with app.app_context():
        call = db.session.scalar(
            select(ServiceCall).where(
                ServiceCall.instance_id == instance_id,
                ServiceCall.operator == "deploy_to_colocation",
            )
        )
        assert call is not None, "step 5 was not queued"
        return dict(call.parameters or {})


def instances_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessInstance))


def finish_to_step_5(app, actions, instance_id: int) -> None:
    """Complete step 4 (tim1, test passed): the case moves on to the deployment, step 5."""
    task = actions.open_task(instance_id, "Task_4_uji_implementasi")
    response = actions.complete("tim1", task.id, STEP4_PASS)
    assert response.status_code == 200, response.get_json()


# --- finding 4: extra keys --------------------------------------------------------------


def test_api_completion_with_other_steps_fields_is_refused_naming_them(app, actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(instance_id, "Task_3_troubleshooting")
    before = snapshot(app, instance_id)

    response = actions.complete("tim1", task.id, dict(STEP3, **SMUGGLED))

    assert response.status_code == 422
    body = conforms(response)
    assert set(body["errors"]) == {"aplikasi", "anggota_tim"}
    assert "aplikasi" in body["message"] and "anggota_tim" in body["message"]
    assert snapshot(app, instance_id) == before  # nothing saved
    # The same submission without the extra keys goes through; the case keeps its data.
    assert actions.complete("tim1", task.id, STEP3).status_code == 200
    assert candidates(app, instance_id, "Task_4_uji_implementasi") == ["tim1"]
    finish_to_step_5(app, actions, instance_id)
    assert deploy_parameters(app, instance_id)["aplikasi"] == STEP1["aplikasi"]


def test_api_start_with_fields_not_in_the_start_form_is_refused(app, actions, api):
    body = api("post", START, "unit1", 422, json={"data": dict(STEP1, anggota_tim=["tim2"])})
    assert list(body["errors"]) == ["anggota_tim"]
    assert instances_count(app) == 0


def test_web_form_drops_posted_fields_the_form_does_not_have(app, actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(instance_id, "Task_3_troubleshooting")

    response = actions.client("tim1").post(
        f"/tasks/{task.id}", data=dict(STEP3, aplikasi="portal_web", anggota_tim="tim2")
    )

    assert response.status_code == 302
    with app.app_context():
        # The stored submission is the form's fields, exactly what reached the workflow.
        assert db.session.get(HumanTask, task.id).form_data == STEP3
    data = engine_data(app, instance_id)
    assert data["aplikasi"] == STEP1["aplikasi"] and data["anggota_tim"] == ["tim1"]
    assert candidates(app, instance_id, "Task_4_uji_implementasi") == ["tim1"]
    finish_to_step_5(app, actions, instance_id)
    assert deploy_parameters(app, instance_id)["aplikasi"] == STEP1["aplikasi"]


def test_stored_submission_matches_what_reached_the_workflow(app, actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    with app.app_context():
        step2 = db.session.scalar(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "Task_2_analisa"
            )
        )
        assert step2.form_data == STEP2
    data = engine_data(app, instance_id)
    assert {k: data[k] for k in STEP2} == STEP2


# --- nested objects and arrays: closed the same way ---------------------------------------

NESTED_SCHEMA = {
    "type": "object",
    "properties": {
        "alamat": {
            "type": "object",
            "properties": {"jalan": {"type": "string"}, "kota": {"type": "string"}},
        },
        "barang": {
            "type": "array",
            "items": {"$ref": "#/$defs/barang"},
        },
        "bebas": {"type": "object", "additionalProperties": {"type": "string"}},
        "apa_saja": True,
        "gabungan": {
            "allOf": [
                {"properties": {"a": {"type": "string"}}},
                {"properties": {"b": {"type": "string"}}},
            ]
        },
    },
    "additionalProperties": True,  # the top level stays closed all the same
    "$defs": {"barang": {"type": "object", "properties": {"nama": {"type": "string"}}}},
}


@pytest.mark.parametrize(
    "data, unknown",
    [
        ({"alamat": {"jalan": "Jl. Merdeka", "kota": "Kupang"}}, []),
        ({"alamat": {"jalan": "x", "anggota_tim": ["tim2"]}}, ["alamat.anggota_tim"]),
        ({"barang": [{"nama": "a"}, {"nama": "b", "harga": 1}]}, ["barang[1].harga"]),
        ({"bebas": {"apa": "saja", "boleh": "ya"}}, []),
        ({"apa_saja": {"x": {"y": [1]}}}, []),
        ({"gabungan": {"a": "1", "b": "2"}}, []),
        ({"gabungan": {"a": "1", "c": "3"}}, ["gabungan.c"]),
        ({"aplikasi": "portal_web"}, ["aplikasi"]),
    ],
)
def test_nested_levels_keep_only_declared_keys(data, unknown):
    assert submissions.unknown_fields(NESTED_SCHEMA, data) == unknown


def test_check_refuses_nested_smuggling_and_names_the_path(app):
    with app.test_request_context():
        with pytest.raises(Invalid) as caught:
            submissions.check(NESTED_SCHEMA, {"alamat": {"kota": "Kupang", "admin": True}}, [])
    assert caught.value.status == 422
    assert caught.value.errors == {"alamat.admin": "Isian tidak dikenal."}


# --- finding 6: depth and size ----------------------------------------------------------


def test_start_with_data_600_deep_is_refused_and_nothing_is_saved(app, actions, api):
    body = api("post", START, "unit1", 422, json={"data": dict(STEP1, x=nested(600))})
    assert str(MAX_DATA_DEPTH) in body["message"]
    # Even inside a field the form has, too deep is too deep.
    api("post", START, "unit1", 422, json={"data": dict(STEP1, judul=nested(600))})
    assert instances_count(app) == 0
    # A case started afterwards runs to the end.
    instance_id = actions.run_to("Task_4_uji_implementasi")
    finish_to_step_5(app, actions, instance_id)


@pytest.mark.parametrize("depth", [MAX_DATA_DEPTH, MAX_DATA_DEPTH + 1])
def test_depth_limit_is_exact(app, api, depth):
    # ``data`` is level 1; the extra key's value adds the rest. At the limit the key is
    # refused for being unknown, one level deeper for the depth, before anything else.
    data = dict(STEP1, x=nested(depth - 1))
    body = api("post", START, "unit1", 422, json={"data": data})
    if depth > MAX_DATA_DEPTH:
        assert str(MAX_DATA_DEPTH) in body["message"]
    else:
        assert body["errors"] == {"x": "Isian tidak dikenal."}


@pytest.mark.parametrize("depth", [1_200, 100_000])
def test_body_nested_beyond_the_parser_is_422_not_500(app, actions, depth):
    raw = '{"data": ' + "[" * depth + "]" * depth + "}"
    response = app.test_client().post(
        START, data=raw, content_type="application/json", headers=actions.token("unit1")
    )
    assert response.status_code == 422
    assert str(MAX_DATA_DEPTH) in conforms(response)["message"]
    # Unbalanced (never closed) is refused the same way, before the parser recurses.
    response = app.test_client().post(
        START, data="[" * depth, content_type="application/json", headers=actions.token("unit1")
    )
    assert response.status_code == 422
    conforms(response)


def test_deep_body_on_task_completion_is_422(app, actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(instance_id, "Task_3_troubleshooting")
    before = snapshot(app, instance_id)
    raw = '{"data": {"akar_masalah": ' + "[" * 1_200 + "]" * 1_200 + "}}"
    response = app.test_client().post(
        f"/api/v1/tasks/{task.id}/complete",
        data=raw,
        content_type="application/json",
        headers=actions.token("tim1"),
    )
    assert response.status_code == 422
    conforms(response)
    assert snapshot(app, instance_id) == before


def test_body_larger_than_the_request_limit_is_413(app, actions):
    limit = app.config["MAX_CONTENT_LENGTH"]
    raw = json.dumps({"data": dict(STEP1, deskripsi="x" * (limit + 10))})
    response = app.test_client().post(
        START, data=raw, content_type="application/json", headers=actions.token("unit1")
    )
    assert response.status_code == 413
    assert conforms(response)["message"]
    assert instances_count(app) == 0


def test_data_larger_than_a_submission_may_be_is_413(app, actions, api):
    text = "x" * (submissions.MAX_DATA_BYTES + 1)
    body = api("post", START, "unit1", 413, json={"data": dict(STEP1, deskripsi=text)})
    assert f"{submissions.MAX_DATA_BYTES // 1024} KiB" in body["message"]
    assert instances_count(app) == 0


def test_web_form_too_large_says_so_on_the_form(app, actions):
    client = actions.client("unit1")
    text = "x" * (submissions.MAX_DATA_BYTES + 1)
    response = client.post(f"/start/{PID}", data=dict(STEP1, deskripsi=text))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "terlalu besar" in html and 'name="judul"' in html  # the form, with its message
    assert instances_count(app) == 0


def test_web_request_larger_than_the_limit_is_a_413_page(app, actions):
    client = actions.client("unit1")
    text = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post(f"/start/{PID}", data=dict(STEP1, deskripsi=text))
    assert response.status_code == 413
    assert "terlalu besar" in response.get_data(as_text=True)
    assert instances_count(app) == 0


# --- a script that builds deep data: the action is refused, the case still loads ------------

SCRIPT = """dalam = 0
if arahan_pengembangan.startswith("DALAM"):
    for i in range(200):
        dalam = [dalam]
"""


def sop_with_deep_script() -> bytes:
    """The SOP with a script task between steps 2 and 3 that can build data 200 levels deep."""
    script = (
        '<bpmn:scriptTask id="Script_dalam" name="Bangun data">'
        "<bpmn:incoming>Flow_2_ke_3</bpmn:incoming>"
        "<bpmn:outgoing>Flow_dalam_ke_3</bpmn:outgoing>"
        f"<bpmn:script>{SCRIPT}</bpmn:script></bpmn:scriptTask>"
    )
    content = SOP.replace(
        b'<bpmn:sequenceFlow id="Flow_2_ke_3" sourceRef="Task_2_analisa" '
        b'targetRef="Task_3_troubleshooting" />',
        b'<bpmn:sequenceFlow id="Flow_2_ke_3" sourceRef="Task_2_analisa" '
        b'targetRef="Script_dalam" />'
        b'<bpmn:sequenceFlow id="Flow_dalam_ke_3" sourceRef="Script_dalam" '
        b'targetRef="Task_3_troubleshooting" />' + script.encode(),
    )
    content = content.replace(
        b"<bpmn:incoming>Flow_2_ke_3</bpmn:incoming>\n      <bpmn:incoming>Flow_uji_gagal",
        b"<bpmn:incoming>Flow_dalam_ke_3</bpmn:incoming>\n      <bpmn:incoming>Flow_uji_gagal",
    )
    content = content.replace(
        b"<bpmn:flowNodeRef>Task_2_analisa</bpmn:flowNodeRef>",
        b"<bpmn:flowNodeRef>Task_2_analisa</bpmn:flowNodeRef>"
        b"<bpmn:flowNodeRef>Script_dalam</bpmn:flowNodeRef>",
    )
    assert content.count(b"Script_dalam") == 4
    return content


def publish(app, actions, content: bytes) -> None:
    path = f"/api/v1/processes/{PID}/versions"
    client = app.test_client()
    response = client.post(
        path,
        data={"bpmn": (io.BytesIO(content), "sop.bpmn")},
        headers=actions.token("owner1"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["version"]
    published = client.post(f"{path}/{number}/publish", headers=actions.token("owner1"))
    assert published.status_code == 200, published.get_json()


def test_script_building_deep_data_is_refused_and_the_case_still_loads(app, actions):
    publish(app, actions, sop_with_deep_script())
    instance_id = actions.start()["id"]
    task = actions.open_task(instance_id, "Task_2_analisa")
    before = snapshot(app, instance_id)

    response = actions.complete("ketua1", task.id, dict(STEP2, arahan_pengembangan="DALAM sekali"))

    assert response.status_code == 422, response.get_json()
    body = conforms(response)
    assert "'dalam'" in body["message"] and str(MAX_STATE_DATA_DEPTH) in body["message"]
    assert snapshot(app, instance_id) == before  # nothing saved
    engine_data(app, instance_id)  # the saved state loads
    # The case is not stuck: the same step with ordinary data moves on.
    assert actions.complete("ketua1", task.id, STEP2).status_code == 200
    assert actions.open_task(instance_id, "Task_3_troubleshooting")
    assert engine_data(app, instance_id)["dalam"] == 0


def test_web_completion_building_deep_data_shows_the_refusal_on_the_form(app, actions):
    publish(app, actions, sop_with_deep_script())
    instance_id = actions.start()["id"]
    task = actions.open_task(instance_id, "Task_2_analisa")
    before = snapshot(app, instance_id)

    response = actions.client("ketua1").post(
        f"/tasks/{task.id}", data=dict(STEP2, arahan_pengembangan="DALAM sekali")
    )

    assert response.status_code == 422
    assert "bersarang" in response.get_data(as_text=True)
    assert snapshot(app, instance_id) == before


# --- form schemas at upload: none may ask for deeper data than a submission may hold -------

STEP3_FORM = "langkah_3_troubleshooting.schema.json"


def deep_form(levels: int) -> bytes:
    """Step 3's form with one more field holding objects ``levels`` deep (data level 1 is the
    form itself)."""
    schema = json.loads((SOP_DIR / "forms" / STEP3_FORM).read_text(encoding="utf-8"))
    field: dict = {"type": "string"}
    for _ in range(levels - 1):
        field = {"type": "object", "properties": {"isi": field}}
    schema["properties"]["dalam"] = field
    return json.dumps(schema).encode()


def upload_form(app, actions, content: bytes):
    return app.test_client().post(
        f"/api/v1/processes/{PID}/versions",
        data={
            "bpmn": (io.BytesIO(SOP.replace(b'"PT2H"', b'"PT3H"')), "sop.bpmn"),
            "forms": [(io.BytesIO(content), STEP3_FORM)],
        },
        headers=actions.token("owner1"),
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("levels", [MAX_DATA_DEPTH, MAX_DATA_DEPTH + 1])
def test_form_declaring_deeper_data_than_a_submission_may_hold_cannot_be_published(
    app, actions, levels
):
    response = upload_form(app, actions, deep_form(levels))
    assert response.status_code == 201, response.get_json()
    codes = {f["code"] for f in response.get_json()["findings"]}
    assert ("form-too-deep" in codes) == (levels > MAX_DATA_DEPTH)


def test_form_file_nested_thousands_deep_is_a_finding_not_a_crash(app, actions):
    content = b'{"type": "object", "x": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    response = upload_form(app, actions, content)
    assert response.status_code == 201, response.get_json()
    findings = response.get_json()["findings"]
    assert any(f["code"] == "form-invalid" and f["element"] == STEP3_FORM for f in findings)


# --- the measuring itself -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, depth",
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[[[", "b": "\\"[[["}', 1),
        ("[" * 5000, 5000),
    ],
)
def test_text_depth(text, depth):
    assert text_depth(text) == depth


@pytest.mark.parametrize(
    "body",
    ['"' + '\\"' * 1_000_000, '"a\\' * 1_000_000],
    ids=["escaped-quotes", "escapes-without-closing-quote"],
)
def test_measuring_a_hostile_body_stays_linear(body):
    # The measuring runs on every JSON body before parsing: one backtracking pattern took 18 s
    # on 40,000 escaped quotes with no closing quote. Two megabytes must not stall it.
    with deadline(10):
        assert text_depth("[[" + body + "]]") == 2


def test_loads_refuses_before_parsing_and_value_depth_stops_early():
    with pytest.raises(TooDeep):
        loads("[" * 10_000 + "]" * 10_000, 32)
    assert loads('{"a": [[1]]}', 3) == {"a": [[1]]}
    assert value_depth(nested(100_000), 32) == 33
    assert value_depth({"a": [1, {"b": 2}]}, 32) == 3
    cycle: list = []
    cycle.append(cycle)
    assert value_depth(cycle, 32) == 33


def test_schema_depth_follows_fields_items_and_local_refs_without_blowing_up():
    assert schema_depth({"type": "object", "properties": {"a": {"type": "string"}}}, 32) == 1
    items = {"type": "object", "properties": {"b": {"type": "string"}}}
    field = {"type": "array", "items": items}
    assert schema_depth({"type": "object", "properties": {"a": field}}, 32) == 3
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
            }
        },
        "$ref": "#/$defs/node",
    }
    assert schema_depth(tree, 32) == 2  # a tree allows depth, it does not ask for it
    # Each definition used twice by the one above: 2**40 paths, measured in a moment.
    defs: dict = {"d40": {"type": "string"}}
    for i in range(40):
        ref = {"$ref": f"#/$defs/d{i + 1}"}
        defs[f"d{i}"] = {"type": "object", "properties": {"x": ref, "y": ref}}
    assert schema_depth({"$defs": defs, "$ref": "#/$defs/d0"}, 32) == 33


def test_too_large_is_shown_like_an_invalid_form():
    assert issubclass(TooLarge, Invalid) and TooLarge.status == 413
