"""Step 5 and after: queued service calls, the worker, incidents, retry, skip, the report."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

import service_tasks
from webapp.extensions import db
from webapp.models import (
    Attachment,
    AuditEvent,
    Incident,
    InstanceStatus,
    Notification,
    ProcessInstance,
    ServiceCallStatus,
    User,
)
from webapp.services import service_calls
from webapp.services.errors import Conflict, Forbidden


class FakeDeployment:
    """Stands in for the deployment connector: prints progress, then succeeds or fails."""

    def __init__(self, fail: str | None = None):
        self.fail = fail
        self.calls: list[dict] = []

    def __call__(self, aplikasi, rilis, *, on_output=None):
        self.calls.append({"aplikasi": aplikasi, "rilis": rilis})
        for line in ("[1/3] Memeriksa sumber rilis", "[2/3] Mengunggah", "[3/3] Pasca-deploy"):
            if on_output:
                on_output(line)
        if self.fail:
            error = service_tasks.ConnectorError(self.fail)
            error.cause = self.fail
            error.log = "[2/3] Mengunggah\nGAGAL: " + self.fail
            error.exit_code = 255
            raise error
        return {"target": "colo:/var/www/app", "exit_code": 0, "log": "ok"}


@pytest.fixture
def deployment(monkeypatch):
    fake = FakeDeployment()
    record = dataclasses.replace(service_tasks.REGISTRY["deploy_to_colocation"], function=fake)
    monkeypatch.setitem(service_tasks.REGISTRY, "deploy_to_colocation", record)
    return fake


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _calls(app, instance_id):
    with app.app_context():
        rows = service_calls.calls_of(instance_id)
        for row in rows:
            db.session.expunge(row)
        return rows


def _instance(app, instance_id) -> ProcessInstance:
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        db.session.expunge(row)
        return row


def test_passed_test_queues_the_deployment_with_its_parameters(app, actions, deployment):
    instance_id = actions.run_to("end")
    [call] = _calls(app, instance_id)
    assert call.status == ServiceCallStatus.QUEUED and call.operator == "deploy_to_colocation"
    assert call.parameters == {"aplikasi": "perizinan_online", "rilis": "v2.4.1"}
    assert call.idempotency_key == f"{instance_id}:{call.spiff_task_id}:1"
    assert _instance(app, instance_id).status == InstanceStatus.RUNNING
    assert deployment.calls == []  # never inside the web request


def test_worker_deploys_then_writes_the_report_and_the_case_completes(app, actions, deployment):
    instance_id = actions.run_to("end")
    with app.app_context():
        assert service_calls.run_queued() == 2  # the deployment, then the report
    deploy, report = _calls(app, instance_id)
    assert deploy.status == report.status == ServiceCallStatus.SUCCEEDED
    assert "[2/3] Mengunggah" in deploy.log and deploy.exit_code == 0
    assert deployment.calls == [{"aplikasi": "perizinan_online", "rilis": "v2.4.1"}]
    assert _instance(app, instance_id).status == InstanceStatus.COMPLETED
    body = (
        app.test_client()
        .get(f"/api/v1/instances/{instance_id}", headers=actions.token("unit1"))
        .get_json()
    )
    assert body["status"] == "completed" and body["incidents"] == []
    client = actions.client("unit1")
    html = client.get(f"/cases/{instance_id}/report.html")
    assert html.status_code == 200 and "LAPORAN HASIL PERBAIKAN" in html.get_data(as_text=True)
    assert "Halaman pendaftaran izin tidak dapat dibuka" in html.get_data(as_text=True)
    pdf = client.get(f"/cases/{instance_id}/report.pdf")
    assert body["report_pdf_url"].endswith(f"/api/v1/instances/{instance_id}/report.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    with app.app_context():
        told = sorted(
            db.session.scalars(
                select(User.username)
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.kind == "report")
            )
        )
    assert told == ["ketua1", "unit1"]  # the reporter and the Ketua Tim


def test_report_escapes_what_people_typed(app, actions, deployment):
    from tests.conftest import STEP1

    payload = "<script>alert(1)</script>"
    instance_id = actions.start(data=dict(STEP1, judul=payload + " judul"))["id"]
    from tests.conftest import STEP2, STEP3, STEP4_PASS

    for step, user, data in (
        ("Task_2_analisa", "ketua1", STEP2),
        ("Task_3_troubleshooting", "tim1", STEP3),
        ("Task_4_uji_implementasi", "tim1", STEP4_PASS),
    ):
        actions.complete(user, actions.open_task(instance_id, step).id, data)
    with app.app_context():
        service_calls.run_queued()
    html = actions.client("unit1").get(f"/cases/{instance_id}/report.html").get_data(as_text=True)
    assert payload not in html and "&lt;script&gt;" in html


def test_failed_deployment_is_an_incident_with_the_log_and_the_case_stays_at_step_5(
    app, actions, deployment
):
    deployment.fail = "server tujuan tidak dapat dihubungi atau menolak SSH"
    instance_id = actions.run_to("end")
    with app.app_context():
        service_calls.run_queued()
    [call] = _calls(app, instance_id)
    assert call.status == ServiceCallStatus.FAILED and call.exit_code == 255
    assert "GAGAL:" in call.log
    row = _instance(app, instance_id)
    assert row.status == InstanceStatus.ERROR and row.current_step == "Upload ke server colocation"
    body = (
        app.test_client()
        .get(f"/api/v1/instances/{instance_id}", headers=actions.token("unit1"))
        .get_json()
    )
    assert body["status"] == "error" and body["report_html_url"] is None
    assert body["incidents"][0]["message"] == deployment.fail
    page = actions.client("admin1").get(f"/cases/{instance_id}").get_data(as_text=True)
    assert deployment.fail in page and "GAGAL:" in page and "Ulangi" in page


def test_retry_is_a_new_attempt_and_the_case_goes_on(app, actions, deployment):
    deployment.fail = "waktu habis setelah 900 detik"
    instance_id = actions.run_to("end")
    with app.app_context():
        service_calls.run_queued()
        with pytest.raises(Forbidden):
            service_calls.retry(_user("tim1"), instance_id)
    deployment.fail = None
    response = actions.client("admin1").post(
        f"/cases/{instance_id}/service/retry", data={"reason": "server sudah hidup"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert service_calls.run_queued() == 2
        incident = db.session.scalar(select(Incident))
        assert incident.resolved_at is not None and incident.resolved_by_id is not None
        retried = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "service.retried")
        )
    first, second, _report = _calls(app, instance_id)
    assert (first.attempt, first.status) == (1, ServiceCallStatus.FAILED)
    assert (second.attempt, second.status) == (2, ServiceCallStatus.SUCCEEDED)
    assert second.idempotency_key.endswith(":2") and retried == 1
    # The same step, due when it first became ready: a retry earns no new time.
    assert first.due_at is not None and second.due_at == first.due_at
    assert len(deployment.calls) == 2
    assert _instance(app, instance_id).status == InstanceStatus.COMPLETED


def test_skip_needs_a_reason_and_finishes_the_step_without_running_it(app, actions, deployment):
    deployment.fail = "izin ditolak di server tujuan"
    instance_id = actions.run_to("end")
    with app.app_context():
        service_calls.run_queued()
        with pytest.raises(Conflict):
            service_calls.skip(_user("admin1"), instance_id, "  ")
        service_calls.skip(_user("admin1"), instance_id, "diunggah manual oleh admin")
        service_calls.run_queued()
    calls = _calls(app, instance_id)
    assert calls[0].status == ServiceCallStatus.SKIPPED
    assert calls[0].reason == "diunggah manual oleh admin"
    assert len(deployment.calls) == 1
    assert _instance(app, instance_id).status == InstanceStatus.COMPLETED


def test_retry_and_skip_are_for_administrators_only(app, actions, deployment):
    deployment.fail = "gagal"
    instance_id = actions.run_to("end")
    with app.app_context():
        service_calls.run_queued()
    for username in ("tim1", "ketua1", "unit1"):
        client = actions.client(username)
        assert client.post(f"/cases/{instance_id}/service/retry").status_code == 403
        assert (
            client.post(f"/cases/{instance_id}/service/skip", data={"reason": "x"}).status_code
            == 403
        )
    assert _calls(app, instance_id)[0].status == ServiceCallStatus.FAILED


def test_call_left_running_by_a_dead_worker_becomes_interrupted_and_is_not_rerun(
    app, actions, deployment
):
    instance_id = actions.run_to("end")
    with app.app_context():
        call = service_calls.claim_next()
        # The worker that claimed it is gone (a pid that cannot exist on this host).
        call.worker = service_calls.WORKER_ID.rsplit(":", 1)[0] + ":4194999"
        db.session.commit()
        assert service_calls.run_queued() == 0
    [call] = _calls(app, instance_id)
    assert call.status == ServiceCallStatus.INTERRUPTED
    assert deployment.calls == []
    with app.app_context():
        incident = db.session.scalar(select(Incident))
    assert incident.service_call_id == call.id and "Worker berhenti" in incident.message
    assert _instance(app, instance_id).status == InstanceStatus.ERROR


def test_live_output_endpoint_shows_the_running_log_and_elapsed_time(app, actions, deployment):
    instance_id = actions.run_to("end")
    with app.app_context():
        call = service_calls.claim_next()
        sink = service_calls._LogSink(call.id)
        sink("[1/3] Memeriksa sumber rilis <b>")
        sink.flush()
    body = actions.client("tim1").get(f"/cases/{instance_id}/calls.json").get_json()
    [item] = body["calls"]
    assert item["status"] == "running" and "[1/3] Memeriksa" in item["log"]
    assert item["standard_seconds"] == 1800 and item["elapsed_seconds"] >= 0
    assert actions.client("owner1").get(f"/cases/{instance_id}/calls.json").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_demo_target_deploys_for_real_and_the_case_completes(app, actions, monkeypatch, tmp_path):
    # The same local target `make run` sets up: the real script rsyncs into a folder.
    from webapp.cli import write_demo_deploy_target

    config = write_demo_deploy_target(str(tmp_path))
    monkeypatch.setenv("SOPFLOW_DEPLOY_CONFIG", config)
    instance_id = actions.run_to("end")
    with app.app_context():
        assert service_calls.run_queued() == 2
    deploy = _calls(app, instance_id)[0]
    assert deploy.status == ServiceCallStatus.SUCCEEDED, deploy.error
    assert "[2/3]" in deploy.log and deploy.result["release"] == "v2.4.1"
    target = tmp_path / "colocation" / "perizinan_online"
    assert (target / "public" / "index.php").is_file() and (target / "DEPLOYED_AT").is_file()
    assert _instance(app, instance_id).status == InstanceStatus.COMPLETED


def test_api_clients_download_the_report_with_their_token(app, actions, deployment):
    instance_id = actions.run_to("end")
    with app.app_context():
        service_calls.run_queued()
    client = app.test_client()
    body = client.get(f"/api/v1/instances/{instance_id}", headers=actions.token("unit1")).get_json()
    assert body["report_pdf_url"].endswith(f"/api/v1/instances/{instance_id}/report.pdf")
    pdf = client.get(
        body["report_pdf_url"].replace("http://localhost", ""), headers=actions.token("unit1")
    )
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    html = client.get(
        f"/api/v1/instances/{instance_id}/report.html", headers=actions.token("unit1")
    )
    assert b"LAPORAN HASIL PERBAIKAN" in html.data
    outsider = client.get(
        body["report_pdf_url"].replace("http://localhost", ""), headers=actions.token("owner1")
    )
    assert outsider.status_code == 403


# -- red-team finding: a diagram's parameters chose the deploy config and the script ----------


@pytest.fixture
def attack(tmp_path, monkeypatch):
    """The administrator's real (demo) config, and what a process owner tried to reach."""
    from webapp.cli import write_demo_deploy_target

    monkeypatch.setenv("SOPFLOW_DEPLOY_CONFIG", write_demo_deploy_target(str(tmp_path / "admin")))
    monkeypatch.setenv("SOPFLOW_CANARY", "rahasia-lingkungan-worker")
    shell = tmp_path / "root-shell"
    evil = tmp_path / "lampiran.toml"  # as if uploaded as an attachment
    evil.write_text(
        f'[apps.perizinan_online]\nsource = "{tmp_path}"\npath = "{tmp_path / "www"}"\n'
        f'post_deploy = "touch {shell}"\n'
    )
    return {"config_path": str(evil), "script": "/usr/bin/env", "shell": shell}


@pytest.mark.parametrize(
    "forced", [("config_path",), ("script",), ("config_path", "script")], ids="+".join
)
def test_undeclared_parameters_forced_into_a_queued_call_are_refused_by_the_worker(
    app, actions, attack, forced
):
    instance_id = actions.run_to("end")
    with app.app_context():
        [call] = service_calls.calls_of(instance_id)
        # Lint refuses such a diagram; here the row is edited behind its back.
        call.parameters = {**call.parameters, **{name: attack[name] for name in forced}}
        db.session.commit()
        assert service_calls.run_queued() == 1
        incident = db.session.scalar(select(Incident))
    [call] = _calls(app, instance_id)
    assert call.status == ServiceCallStatus.FAILED
    for name in forced:
        assert f"“{name}”" in call.error and f"“{name}”" in incident.message
    assert "deploy_to_colocation ditolak" in incident.message
    assert incident.service_call_id == call.id and incident.element == "Task_5_upload_colocation"
    assert not attack["shell"].exists()  # the attachment's post_deploy never ran
    assert "rahasia-lingkungan-worker" not in (call.log or "")  # /usr/bin/env never ran
    assert os.environ["PATH"] not in (call.log or "") and call.exit_code is None
    target = Path(os.environ["SOPFLOW_DEPLOY_CONFIG"]).parent / "colocation" / "perizinan_online"
    assert not (target / "DEPLOYED_AT").exists()  # nothing was deployed either
    assert _instance(app, instance_id).status == InstanceStatus.ERROR


@pytest.mark.parametrize(
    ("parameters", "named"),
    [({"aplikasi": "perizinan_online"}, "rilis"), ({"aplikasi": 7, "rilis": "v1"}, "aplikasi")],
)
def test_a_queued_call_missing_a_required_parameter_or_of_the_wrong_type_is_refused(
    app, actions, deployment, parameters, named
):
    instance_id = actions.run_to("end")
    with app.app_context():
        [call] = service_calls.calls_of(instance_id)
        call.parameters = parameters
        db.session.commit()
        service_calls.run_queued()
    [call] = _calls(app, instance_id)
    assert call.status == ServiceCallStatus.FAILED and f"“{named}”" in call.error
    assert deployment.calls == []


def test_a_failure_outside_the_connector_fails_the_call_and_the_worker_goes_on(
    app, actions, deployment, monkeypatch
):
    # Red-team finding 2: a failure while recording a call's end left it "running" and
    # escaped the worker loop. It now fails that call with an incident; the loop returns.
    from webapp.services import reports

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(reports, "store", disk_full)
    instance_id = actions.run_to("end")
    with app.app_context():
        assert service_calls.run_queued() == 2
    deploy, report = _calls(app, instance_id)
    assert deploy.status == ServiceCallStatus.SUCCEEDED
    assert report.status == ServiceCallStatus.FAILED
    assert "No space left on device" in report.error
    assert _instance(app, instance_id).status == InstanceStatus.ERROR
    with app.app_context():
        [incident] = db.session.scalars(
            select(Incident).where(Incident.instance_id == instance_id)
        ).all()
        assert incident.service_call_id == report.id
