"""Red-team findings 2 and 3: a process owner's diagram can neither stop a worker nor freeze a
web process. Each test publishes a hostile variant of the SOP, as an owner could, and runs a
case on it next to a healthy one, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import STEP1, STEP2, STEP3, STEP4_PASS, deadline
from tests.services.worker_support import Worker, start_due_cases, worker_env
from webapp.engine import sandbox
from webapp.engine.spec import DiagramError
from webapp.extensions import db
from webapp.models import (
    HumanTask,
    Incident,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
    TaskStatus,
    WorkerStatus,
)
from webapp.models.types import utcnow
from webapp.services import workers
from webapp.services.processes import add_version, content_hash, import_version, published_version

PROCESS_ID = "pemeliharaan_sistem_informasi"
ESCALATE_2 = (
    '<bpmn:serviceTask id="Escalate_2" name="Eskalasi keterlambatan langkah 2">\n'
    "      <bpmn:extensionElements>\n"
)
TUESDAY_0900_WIB = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # working hours: timers count
GATEWAY_FAILED = 'hasil_uji == "gagal"'
STEP_1_FORM = "langkah_1_pesan_perbaikan.schema.json"


def publish_variant(app, change_bpmn=None, change_forms=None, *, lint: bool = True) -> int:
    """Publish the SOP with its XML or forms changed; ``lint=False`` stores it as a version
    published before today's checks would (the runtime must hold on its own)."""
    with app.app_context():
        current = published_version(PROCESS_ID)
        bpmn = current.bpmn_xml
        forms = json.loads(current.forms_json)
        if change_bpmn:
            changed = change_bpmn(bpmn)
            assert changed != bpmn, "the variant changed nothing"
            bpmn = changed
        if change_forms:
            change_forms(forms)
        if lint:
            version, _new = import_version(
                PROCESS_ID,
                bpmn.encode(),
                {k: v.encode() for k, v in forms.items()},
            )
        else:
            digest = content_hash(bpmn.encode(), {k: v.encode() for k, v in forms.items()})
            # Published after the current version even under a clock moved into the past.
            at = max(utcnow(), current.published_at + timedelta(seconds=1))
            version = add_version(current.definition, bpmn, forms, digest, published_at=at)
        db.session.commit()
        return version.version


def with_pre_script(script: str):
    """Put a pre-script on step 2's escalation (it runs when the 30-minute standard fires)."""

    def change(bpmn: str) -> str:
        return bpmn.replace(
            ESCALATE_2,
            ESCALATE_2 + f"        <spiffworkflow:preScript>{script}</spiffworkflow:preScript>\n",
        )

    return change


def _instance(app, instance_id: int) -> ProcessInstance:
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        db.session.expunge(row)
        return row


def _only_call(instance_id: int) -> ServiceCall:
    [call] = db.session.scalars(select(ServiceCall).where(ServiceCall.instance_id == instance_id))
    return call


def _incidents(app, instance_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(Incident.message).where(Incident.instance_id == instance_id))
        )


# -- finding 2: a diagram cannot stop a worker ------------------------------------------------


@pytest.mark.parametrize("name", ["SystemExit", "KeyboardInterrupt", "GeneratorExit"])
def test_upload_refuses_a_script_raising_a_process_exit(app, name):
    with pytest.raises(DiagramError, match=name) as info:
        publish_variant(app, with_pre_script(f"raise {name}(0)"))
    assert "Escalate_2" in str(info.value)


def test_system_exit_on_a_timer_path_is_an_incident_and_the_sweep_goes_on(app, actions):
    with time_machine.travel(TUESDAY_0900_WIB, tick=False):
        healthy = actions.start()["id"]  # on the version before
        publish_variant(app, with_pre_script("raise SystemExit(0)"), lint=False)
        hostile = actions.start()["id"]
    with time_machine.travel(TUESDAY_0900_WIB + timedelta(hours=1), tick=False):
        with app.app_context():
            result = workers.sweep_once()
    assert result.timers.failed == [hostile]
    assert result.timers.breaches == 1 and result.errors == []
    assert _instance(app, hostile).status == InstanceStatus.ERROR
    [message] = _incidents(app, hostile)
    assert "SystemExit" in message
    assert "Escalate_2 (Eskalasi keterlambatan langkah 2)" in message  # where to look
    with app.app_context():
        [incident] = db.session.scalars(select(Incident).where(Incident.instance_id == hostile))
        assert incident.element == "Escalate_2"
    assert _instance(app, healthy).status == InstanceStatus.WAITING
    assert _incidents(app, healthy) == []
    with app.app_context():
        [status] = db.session.scalars(select(WorkerStatus)).all()
        assert (status.sweeps, status.failed_cases, status.errors) == (1, 1, 0)


def test_worker_process_survives_a_diagram_that_raises_system_exit(app, database_url, tmp_path):
    # The red team's worker died on this diagram and every restart died again within seconds.
    publish_variant(app, with_pre_script("raise SystemExit(0)"), lint=False)
    hostile, other = start_due_cases(app, 2)
    env = worker_env(database_url, tmp_path)
    for run in range(2):  # a restart meets the same case (now in error) and lives on too
        sweep = Worker(env, tmp_path, f"worker-{run}", "--once").sweep()
        assert sweep["errors"] == 0
        assert sweep["failed"] == (2 if run == 0 else 0)
    for instance_id in (hostile, other):
        assert _instance(app, instance_id).status == InstanceStatus.ERROR
        assert any("SystemExit" in m for m in _incidents(app, instance_id))


def test_a_phase_that_fails_is_counted_and_the_next_phases_still_run(app, actions, monkeypatch):
    with time_machine.travel(TUESDAY_0900_WIB, tick=False):
        late = actions.start()["id"]
    sent = []

    def broken_queue(*args, **kwargs):
        raise RuntimeError("database went away mid-sweep")

    monkeypatch.setattr(workers, "run_queued", broken_queue)
    monkeypatch.setattr(workers, "send_deliveries", lambda: sent.append(1) or 0)
    with time_machine.travel(TUESDAY_0900_WIB + timedelta(hours=1), tick=False):
        with app.app_context():
            result = workers.sweep_once()
            again = workers.sweep_once()
    assert result.timers.breaches == 1  # the phase before ran
    assert sent == [1, 1]  # the phase after ran, in both sweeps
    assert result.errors == ["service_calls: RuntimeError: database went away mid-sweep"]
    assert len(again.errors) == 1
    with app.app_context():
        [status] = db.session.scalars(select(WorkerStatus)).all()
        assert (status.sweeps, status.errors) == (2, 2)
        assert "database went away" in status.last_error
    # Administrators see it on the case list (that same morning).
    with time_machine.travel(TUESDAY_0900_WIB + timedelta(hours=1, minutes=1), tick=False):
        page = actions.client("admin1").get("/admin/cases/").get_data(as_text=True)
    assert "Pekerja latar" in page and "database went away mid-sweep" in page
    assert _instance(app, late).status == InstanceStatus.WAITING


def test_case_list_warns_when_no_worker_is_running(actions):
    page = actions.client("admin1").get("/admin/cases/").get_data(as_text=True)
    assert "Tidak ada pekerja latar yang aktif" in page


def test_system_exit_after_a_service_task_fails_the_call_instead_of_leaving_it_running(
    app, actions, monkeypatch
):
    import dataclasses

    import service_tasks
    from webapp.services import service_calls

    record = service_tasks.REGISTRY["deploy_to_colocation"]
    monkeypatch.setitem(
        service_tasks.REGISTRY,
        "deploy_to_colocation",
        dataclasses.replace(record, function=lambda aplikasi, rilis, **kw: {"exit_code": 0}),
    )

    def post_script(bpmn: str) -> str:
        anchor = '<spiffworkflow:serviceTaskOperator id="deploy_to_colocation"'
        return bpmn.replace(
            anchor,
            "<spiffworkflow:postScript>raise SystemExit(0)</spiffworkflow:postScript>\n" + anchor,
        )

    publish_variant(app, post_script, lint=False)
    instance_id = actions.run_to("end")
    with app.app_context():
        assert service_calls.run_queued() == 1
        call = _only_call(instance_id)
        assert call.status == ServiceCallStatus.FAILED
        assert "SystemExit" in call.error
    assert _instance(app, instance_id).status == InstanceStatus.ERROR


# -- finding 3: bounded expressions and patterns -------------------------------------------


def _run_to_step_4(actions) -> tuple[int, HumanTask]:
    instance_id = actions.start()["id"]
    for step, who, data in (
        ("Task_2_analisa", "ketua1", STEP2),
        ("Task_3_troubleshooting", "tim1", STEP3),
    ):
        task = actions.open_task(instance_id, step)
        assert actions.complete(who, task.id, data).status_code == 200
    return instance_id, actions.open_task(instance_id, "Task_4_uji_implementasi")


def test_huge_power_on_a_gateway_is_refused_at_once_and_saves_nothing(app, actions):
    # Red team: `7**(10**7) % 10 == 1` held the request (and /healthz) for 21 s. It passes
    # upload (it only depends on arithmetic), and the guard refuses it before computing.
    publish_variant(app, lambda x: x.replace(GATEWAY_FAILED, "7**(10**7) % 10 == 1"))
    instance_id, step4 = _run_to_step_4(actions)
    with deadline(30):
        response = actions.complete("tim1", step4.id, STEP4_PASS)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "number too large" in message and "Gateway" in message  # names the element
    assert actions.open_task(instance_id, "Task_4_uji_implementasi").id == step4.id
    assert app.test_client().get("/healthz").status_code == 200


def test_runaway_expression_is_ended_by_the_time_budget(app, actions):
    # Work the guards cannot see (a C builtin over a big list, ten thousand times): only the
    # hard time limit ends it. The budget is lowered so the test does not wait 2 s.
    burn = "len([max(a) for a in [[0] * 10**6] * 10000]) == 0"
    publish_variant(app, lambda x: x.replace(GATEWAY_FAILED, burn))
    instance_id, step4 = _run_to_step_4(actions)
    sandbox.configure(seconds=0.5)
    try:
        with deadline(60):
            response = actions.complete("tim1", step4.id, STEP4_PASS)
    finally:
        sandbox.configure(seconds=app.config["SCRIPT_TIME_LIMIT"])
    assert response.status_code == 400
    assert "time budget of 0.5 s" in response.get_json()["message"]
    assert actions.open_task(instance_id, "Task_4_uji_implementasi").status == TaskStatus.OPEN
    # The web process answers on: the runaway ended in the sandbox, not here.
    assert app.test_client().get("/healthz").status_code == 200


def test_backtracking_form_pattern_answers_at_once(app, actions):
    # Red team: pattern ^(a+)+$ with a 27-character value took 7.6 s per submission under
    # Python's re. RE2 answers in linear time; 200 characters would take Python's re for ever.
    def evil_pattern(forms: dict) -> None:
        schema = json.loads(forms[STEP_1_FORM])
        schema["properties"]["judul"]["pattern"] = "^(a+)+$"
        forms[STEP_1_FORM] = json.dumps(schema)

    publish_variant(app, change_forms=evil_pattern)
    client = app.test_client()
    url = f"/api/v1/processes/{PROCESS_ID}/instances"
    with deadline(30):
        refused = client.post(
            url, json={"data": dict(STEP1, judul="a" * 199 + "!")}, headers=actions.token("unit1")
        )
        accepted = client.post(
            url, json={"data": dict(STEP1, judul="a" * 200)}, headers=actions.token("unit1")
        )
    assert refused.status_code == 422
    assert "judul" in refused.get_json()["errors"]
    assert accepted.status_code == 201


def test_pattern_that_needs_backtracking_is_refused_at_upload(app):
    def backreference(forms: dict) -> None:
        schema = json.loads(forms[STEP_1_FORM])
        schema["properties"]["judul"]["pattern"] = r"^(\w+) \1$"
        forms[STEP_1_FORM] = json.dumps(schema)

    with pytest.raises(DiagramError, match="form-pattern") as info:
        publish_variant(app, change_forms=backreference)
    [finding] = info.value.findings
    assert (finding["code"], finding["params"]["pattern"]) == ("form-pattern", r"^(\w+) \1$")


def test_service_parameter_over_budget_fails_the_call_with_its_cause(app, actions):
    # A parameter expression is evaluated when the step becomes ready; if it is refused, the
    # worker reports that cause (not a misleading "undeclared parameter") and calls nothing.
    from webapp.services import service_calls

    publish_variant(app, lambda x: x.replace('value="rilis"', 'value="str(7**(10**7))"'))
    instance_id = actions.run_to("end")
    with app.app_context():
        assert service_calls.run_queued() == 1
        call = _only_call(instance_id)
        assert call.status == ServiceCallStatus.FAILED
        assert "number too large" in call.error and "Task_5_upload_colocation" in call.error
        assert call.parameters == {} and call.log == ""
    assert _instance(app, instance_id).status == InstanceStatus.ERROR


def test_worker_list_shows_the_last_day_only_and_marks_silent_workers_gone(app):
    now = utcnow()
    with app.app_context():
        for worker_id, seen, stopped in (
            ("host:1", now - timedelta(seconds=5), None),
            ("host:2", now - timedelta(hours=2), None),
            ("host:3", now - timedelta(hours=3), now - timedelta(hours=3)),
            ("host:4", now - timedelta(days=2), None),
        ):
            db.session.add(
                WorkerStatus(id=worker_id, started_at=seen, last_seen_at=seen, stopped_at=stopped)
            )
        db.session.commit()
        shown = {w.id: w.state for w in workers.overview(interval_seconds=15, now=now)}
    assert shown == {"host:1": "active", "host:2": "gone", "host:3": "stopped"}
