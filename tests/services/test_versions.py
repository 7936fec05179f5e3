"""Process owners revise the SOP: drafts with findings, publish, new cases on the new version,
running cases migrated one by one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import STEP2, STEP3
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, ProcessInstance, Role, TaskStatus, User
from webapp.services import versions
from webapp.services.processes import import_version

PID = "pemeliharaan_sistem_informasi"
SOP_DIR = Path(__file__).resolve().parents[2] / "processes" / PID
SOP = (SOP_DIR / f"{PID}.bpmn").read_bytes()
PT3H = SOP.replace(b'"PT2H"', b'"PT3H"')
API = f"/api/v1/processes/{PID}/versions"


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def upload(app, actions, content: bytes, user: str = "owner1", forms=None):
    data = {"bpmn": (io.BytesIO(content), "sop.bpmn")}
    if forms:
        data["forms"] = [(io.BytesIO(c), n) for n, c in forms.items()]
    return app.test_client().post(
        API, data=data, headers=actions.token(user), content_type="multipart/form-data"
    )


def test_upload_saves_a_draft_with_findings_and_publish_makes_new_cases_use_it(app, actions):
    response = upload(app, actions, PT3H)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 2 and body["published_at"] is None and body["findings"] == []
    # Until published, new cases still start on version 1.
    assert actions.start()["version"] == 1
    published = app.test_client().post(f"{API}/2/publish", headers=actions.token("owner1"))
    assert published.status_code == 200 and published.get_json()["published_at"]
    instance_id = actions.start()["id"]
    task = actions.open_task(instance_id, "Task_2_analisa")
    assert actions.start()["version"] == 2
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action)).all()
    assert "process.draft_saved" in events and "process.published" in events
    assert task.due_at is not None


def test_same_content_again_is_not_a_new_version(app, actions):
    assert upload(app, actions, PT3H).status_code == 201
    again = upload(app, actions, PT3H)
    assert again.status_code == 200 and again.get_json()["version"] == 2


def test_one_content_is_one_version_whichever_way_it_came_first(app, actions):
    # The import at setup stored version 1: the same diagram uploaded is that row.
    same = upload(app, actions, SOP)
    assert same.status_code == 200 and same.get_json()["version"] == 1
    # A draft uploaded first is the row an import of the same files finds.
    assert upload(app, actions, PT3H).status_code == 201
    folder = SOP_DIR / "forms"
    forms = {f.name: f.read_bytes() for f in sorted(folder.glob("*.json"))}
    with app.app_context():
        version, new = import_version(PID, PT3H, forms, publish=False)
        assert (version.version, new) == (2, False)
        version, new = import_version(PID, PT3H.replace(b"PT3H", b"PT4H"), forms, publish=False)
        assert (version.version, new) == (3, True)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not xml at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
        b"<a><b></a>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
    ids=["empty", "text", "png", "broken-xml", "xxe"],
)
def test_a_file_that_cannot_be_a_draft_gets_422_with_findings_never_a_500(app, actions, content):
    response = upload(app, actions, content)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] and body["findings"][0]["level"] == "error"
    assert "root:" not in str(body)  # nothing from /etc/passwd


def test_publish_is_refused_while_lint_finds_errors(app, actions):
    broken = SOP.replace(b'id="deploy_to_colocation"', b'id="deploy_ke_mars"')
    response = upload(app, actions, broken)
    assert response.status_code == 201
    codes = {f["code"] for f in response.get_json()["findings"]}
    assert "operator-unknown" in codes
    refused = app.test_client().post(f"{API}/2/publish", headers=actions.token("owner1"))
    assert refused.status_code == 422 and refused.get_json()["findings"]
    assert actions.start()["version"] == 1


def test_a_deployment_given_config_path_and_script_cannot_be_published(app, actions):
    # Red-team finding: the diagram chose the deploy config (an attachment) and the script.
    rilis = b'<spiffworkflow:parameter id="rilis" type="str" value="rilis" />'
    evil = SOP.replace(
        rilis,
        rilis
        + b'<spiffworkflow:parameter id="config_path" type="str" value="lampiran" />'
        + b'<spiffworkflow:parameter id="script" type="str" value=\'"/usr/bin/env"\' />',
    )
    response = upload(app, actions, evil)
    assert response.status_code == 201
    undeclared = [f for f in response.get_json()["findings"] if f["code"] == "parameter-undeclared"]
    assert {(f["level"], f["element"], f["fix"]["parameter"]) for f in undeclared} == {
        ("error", "Task_5_upload_colocation", "config_path"),
        ("error", "Task_5_upload_colocation", "script"),
    }
    refused = app.test_client().post(f"{API}/2/publish", headers=actions.token("owner1"))
    assert refused.status_code == 422
    assert {f["code"] for f in refused.get_json()["findings"]} >= {"parameter-undeclared"}
    assert actions.start()["version"] == 1


def test_camunda_style_timer_is_normalized_on_upload(app, actions):
    camunda = SOP.replace(b'"PT2H"', b"PT2H")
    body = upload(app, actions, camunda).get_json()
    assert any(f["code"] == "timer-normalized" for f in body["findings"])
    with app.app_context():
        stored = versions.get_version(PID, 2).bpmn_xml
    assert '"PT2H"' in stored


def test_new_lane_offers_to_create_its_role(app, actions):
    renamed = SOP.replace(b'name="Tim"', b'name="Tim Aplikasi"')
    body = upload(app, actions, renamed).get_json()
    finding = next(f for f in body["findings"] if f["code"] == "lane-no-role")
    assert finding["fix"] == {"create_role": "Tim Aplikasi"}
    owner = actions.client("owner1")
    owner.post("/processes/roles", data={"name": "Tim Aplikasi", "back": "/processes/"})
    with app.app_context():
        assert db.session.scalar(select(Role).where(Role.name == "Tim Aplikasi")) is not None
    published = app.test_client().post(f"{API}/2/publish", headers=actions.token("owner1"))
    assert published.status_code == 200


@pytest.mark.parametrize("user", ["unit1", "ketua1", "tim1"])
def test_only_process_owners_upload_and_publish(app, actions, user):
    assert upload(app, actions, PT3H, user=user).status_code == 403
    assert (
        app.test_client().post(f"{API}/1/publish", headers=actions.token(user)).status_code == 403
    )
    assert actions.client(user).get("/processes/").status_code == 403
    assert actions.client(user).get(f"/processes/{PID}/modeler").status_code == 403


def test_diff_against_the_published_version_names_the_changed_standard(app, actions):
    upload(app, actions, PT3H.replace(b'name="Uji implementasi aplikasi"', b'name="Uji aplikasi"'))
    model = actions.client("owner1").get(f"/processes/{PID}/v/2/model.json").get_json()
    changes = {c["element"]: c for c in model["changes"]}
    assert any("PT3H" in d for d in changes["Task_3_troubleshooting"]["details"])
    assert changes["Task_4_uji_implementasi"]["kind"] == "changed"
    page = actions.client("owner1").get(f"/processes/{PID}/v/2").get_data(as_text=True)
    assert "PT2H → PT3H" in page


def test_running_cases_finish_on_their_version_until_an_admin_migrates_them(app, actions):
    movable = actions.run_to("Task_3_troubleshooting")
    upload(app, actions, PT3H)
    app.test_client().post(f"{API}/2/publish", headers=actions.token("owner1"))
    before = actions.open_task(movable, "Task_3_troubleshooting")
    with app.app_context():
        assert db.session.get(ProcessInstance, movable).version.version == 1
        plan = versions.migration_plan(versions.get_version(PID, 2))
        assert [(p.instance.id, p.possible) for p in plan] == [(movable, True)]
        with pytest.raises(versions.Forbidden):
            versions.migrate(_user("owner1"), versions.get_version(PID, 2), [movable])
    response = actions.client("admin1").post(
        f"/processes/{PID}/v/2/migrate", data={"instance": [str(movable)]}
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(ProcessInstance, movable)
        assert row.version.version == 2
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "instance.migrated")
        ).detail == {"from_version": 1, "to_version": 2}
    after = actions.open_task(movable, "Task_3_troubleshooting")
    assert (after.id, after.spiff_task_id, after.due_at) == (
        before.id,
        before.spiff_task_id,
        before.due_at,
    )  # the open task and its armed time standard stay
    assert actions.complete("tim1", after.id, STEP3).status_code == 200


def test_a_case_whose_current_step_was_removed_cannot_move_and_says_why(app, actions):
    stuck = actions.run_to("Task_2_analisa")
    without_step2 = SOP.replace(b"Task_2_analisa", b"Task_2_baru")
    assert upload(app, actions, without_step2).status_code == 201
    app.test_client().post(f"{API}/2/publish", headers=actions.token("owner1"))
    with app.app_context():
        [item] = versions.migration_plan(versions.get_version(PID, 2))
        outcome = versions.migrate(_user("admin1"), versions.get_version(PID, 2), [stuck])
    assert not item.possible and "Task_2_analisa" in item.reason
    assert "Task_2_analisa" in outcome[stuck]
    with app.app_context():
        assert db.session.get(ProcessInstance, stuck).version.version == 1
    task = actions.open_task(stuck, "Task_2_analisa")
    assert actions.complete("ketua1", task.id, STEP2).status_code == 200
    with app.app_context():
        open_rows = db.session.scalars(
            select(HumanTask.bpmn_id).where(
                HumanTask.instance_id == stuck, HumanTask.status == TaskStatus.OPEN
            )
        ).all()
    assert open_rows == ["Task_3_troubleshooting"]


def test_library_page_shows_published_version_drafts_and_running_counts(app, actions):
    actions.start()
    upload(app, actions, PT3H)
    html = actions.client("owner1").get("/processes/").get_data(as_text=True)
    assert "Pemeliharaan Sistem Informasi" in html and "v2" in html and "v1: 1" in html
    detail = actions.client("owner1").get(f"/processes/{PID}/").get_data(as_text=True)
    assert 'data-version="2"' in detail and "draf" in detail


def test_download_returns_the_stored_diagram(app, actions):
    response = actions.client("owner1").get(f"/processes/{PID}/v/1/diagram.bpmn")
    assert response.status_code == 200 and b"pemeliharaan_sistem_informasi" in response.data
    assert "attachment" in response.headers["Content-Disposition"]


def test_form_preview_renders_fields_or_says_what_is_wrong(app, actions):
    owner = actions.client("owner1")
    good = owner.post(
        "/processes/forms/preview",
        json={
            "schema": '{"type":"object","properties":{"x":{"type":"string","title":"Nama <b>"}}}',
            "ui_schema": "{}",
        },
    ).get_json()
    assert good["errors"] == [] and "Nama &lt;b&gt;" in good["html"]
    bad = owner.post(
        "/processes/forms/preview", json={"schema": '{"type": 5}', "ui_schema": "{}"}
    ).get_json()
    assert bad["errors"] and bad["html"] == ""
    broken = owner.post(
        "/processes/forms/preview", json={"schema": "{", "ui_schema": ""}
    ).get_json()
    assert "JSON" in broken["errors"][0]


def test_json_nested_thousands_deep_is_refused_by_every_owner_endpoint_not_a_500(app, actions):
    # Python's json parser recurses per level: 5,000 levels raised RecursionError (a 500).
    owner = actions.client("owner1")
    deep = "[" * 5000 + "]" * 5000
    preview = owner.post("/processes/forms/preview", json={"schema": deep, "ui_schema": "{}"})
    assert preview.status_code == 200
    assert "JSON" in preview.get_json()["errors"][0]
    draft = owner.post(
        "/processes/pemeliharaan_sistem_informasi/drafts",
        data='{"xml": ' + deep + "}",
        content_type="application/json",
    )
    assert draft.status_code == 422
    assert "JSON" in draft.get_json()["message"]


def test_creating_a_lanes_role_lints_the_waiting_draft_again_so_it_can_be_published(app, actions):
    renamed = SOP.replace(b'name="Tim"', b'name="Tim Aplikasi"')
    body = upload(app, actions, renamed).get_json()
    assert [f["code"] for f in body["findings"] if f["level"] == "error"] == ["lane-no-role"]
    client = actions.client("owner1")
    assert client.post("/processes/roles", data={"name": "Tim Aplikasi"}).status_code == 302
    with app.app_context():
        draft = versions.get_version(PID, body["version"])
        assert not [f for f in draft.findings if f["level"] == "error"]
    published = client.post(f"{API}/{body['version']}/publish", headers=actions.token("owner1"))
    assert published.status_code == 200, published.get_json()
