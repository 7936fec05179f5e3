"""The applicant's lane, private cases and the notice to the applicant (issue 12 items 2, 3, 6).

``tests/data/starter_lane.bpmn``: the applicant (lane Pemohon, marked ``sopStarterLane``) asks,
an officer (Petugas) checks, the applicant completes the file, then ``notify_case`` tells the
starter. Pemohon is an external role: its members see only their own cases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from webapp.engine.spec import parse_process
from webapp.extensions import db
from webapp.models import (
    HumanTask,
    Notification,
    NotificationDelivery,
    ProcessInstance,
    Role,
    TaskStatus,
    User,
)
from webapp.services import processes, service_calls, users
from webapp.services.timers import fire_due_timers

DATA = Path(__file__).resolve().parents[1] / "data"
PID = "starter_lane"
BPMN = (DATA / f"{PID}.bpmn").read_bytes()
FORMS = {"catatan.schema.json": (DATA / "starter_lane_forms" / "catatan.schema.json").read_bytes()}
PEOPLE = {
    "pemohon1": "Pemohon",
    "pemohon2": "Pemohon",
    "petugas1": "Petugas",
    "petugas2": "Petugas",
}


@pytest.fixture
def office(app, actions):
    """The test SOP published, Pemohon an external role, two applicants and two officers."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin1"))
        users.create_role(admin, "Pemohon", external=True)
        users.create_role(admin, "Petugas")
        for username, role in PEOPLE.items():
            user = User(username=username, full_name=username.title(), email=f"{username}@x.id")
            user.set_password("demo")
            user.roles = [db.session.scalar(select(Role).where(Role.name == role))]
            db.session.add(user)
        processes.import_version(PID, BPMN, FORMS)
        db.session.commit()
    return actions


def start(actions, username: str = "pemohon1") -> int:
    response = actions.app.test_client().post(
        f"/api/v1/processes/{PID}/instances",
        json={"data": {"catatan": "KTP dan surat permohonan"}},
        headers=actions.token(username),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def api(actions, method: str, url: str, username: str, **kwargs):
    client = actions.app.test_client()
    return client.open(url, method=method, headers=actions.token(username), **kwargs)


def at_lengkapi(actions, username: str = "pemohon1") -> tuple[int, HumanTask]:
    """Start a case as ``username`` and let an officer check it: it waits at step 3."""
    instance_id = start(actions, username)
    check = actions.open_task(instance_id, "Task_periksa")
    response = actions.complete("petugas1", check.id, {"catatan": "Perlu fotokopi KK"})
    assert response.status_code == 200, response.get_json()
    return instance_id, actions.open_task(instance_id, "Task_lengkapi")


def test_the_parser_reads_which_lanes_are_the_starters():
    process = parse_process(BPMN, PID, FORMS)
    assert process.starter_lanes == frozenset({"Pemohon"})
    assert process.is_starter_lane("Pemohon") and not process.is_starter_lane("Petugas")
    unmarked = parse_process(BPMN.replace(b'value="true"', b'value="false"'), PID, FORMS)
    assert unmarked.starter_lanes == frozenset()


def test_a_starter_lane_task_is_the_starters_alone(app, office):
    instance_id, task = at_lengkapi(office)
    with app.app_context():
        row = db.session.get(HumanTask, task.id)
        assert [c.username for c in row.candidates] == ["pemohon1"]
        assert row.assigned_user.username == "pemohon1"
    # Another applicant with the same role neither sees nor takes it, in the API ...
    listed = api(office, "GET", "/api/v1/tasks", "pemohon2").get_json()
    assert task.id not in [t["id"] for t in listed["items"]]
    assert api(office, "GET", f"/api/v1/tasks/{task.id}", "pemohon2").status_code == 403
    assert api(office, "POST", f"/api/v1/tasks/{task.id}/claim", "pemohon2").status_code == 403
    done = office.complete("pemohon2", task.id, {"catatan": "bukan milik saya"})
    assert done.status_code == 403
    # ... nor in the web UI.
    web = office.client("pemohon2")
    assert web.get(f"/tasks/{task.id}").status_code == 403
    assert f"/tasks/{task.id}" not in web.get("/").get_data(as_text=True)
    # The starter has it in the list and completes it.
    mine = api(office, "GET", "/api/v1/tasks", "pemohon1").get_json()
    assert task.id in [t["id"] for t in mine["items"]]
    done = office.complete("pemohon1", task.id, {"catatan": "KK terlampir"})
    assert done.status_code == 200, done.get_json()


def test_a_released_starter_task_stays_with_the_starter(app, office):
    _instance_id, task = at_lengkapi(office)
    assert api(office, "POST", f"/api/v1/tasks/{task.id}/release", "pemohon1").status_code == 200
    for other in ("pemohon2", "petugas1"):
        assert api(office, "POST", f"/api/v1/tasks/{task.id}/claim", other).status_code == 403
        listed = api(office, "GET", "/api/v1/tasks", other).get_json()
        assert task.id not in [t["id"] for t in listed["items"]], other
    listed = api(office, "GET", "/api/v1/tasks", "pemohon1").get_json()
    assert task.id in [t["id"] for t in listed["items"]]
    assert api(office, "POST", f"/api/v1/tasks/{task.id}/claim", "pemohon1").status_code == 200


def test_an_applicant_reads_only_their_own_cases(app, office):
    own, _task = at_lengkapi(office, "pemohon1")
    other = start(office, "pemohon2")
    # pemohon2 holds the same external role as the lane of pemohon1's steps 1 and 3.
    for url in (f"/api/v1/instances/{own}", f"/api/v1/instances/{own}/report.html"):
        response = api(office, "GET", url, "pemohon2")
        assert response.status_code == 403 and response.is_json, url
        assert "KTP" not in response.get_data(as_text=True)
    page = office.client("pemohon2").get(f"/cases/{own}")
    assert page.status_code == 403 and "KTP" not in page.get_data(as_text=True)
    assert api(office, "GET", f"/api/v1/instances/{other}", "pemohon2").status_code == 200
    assert api(office, "GET", f"/api/v1/instances/{own}", "pemohon1").status_code == 200
    # Staff of a lane with a task in the case read it; staff of the office's other lanes do not.
    assert api(office, "GET", f"/api/v1/instances/{own}", "petugas2").status_code == 200
    assert api(office, "GET", f"/api/v1/instances/{own}", "tim1").status_code == 403
    cases = office.client("pemohon2").get("/cases/").get_data(as_text=True)
    assert f"/cases/{other}" in cases and f"/cases/{own}" not in cases


def test_an_applicant_cannot_read_another_applicants_finished_step(app, office):
    instance_id, _task = at_lengkapi(office)
    with app.app_context():
        asked = db.session.scalar(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "Task_ajukan"
            )
        )
    response = api(office, "GET", f"/api/v1/tasks/{asked}", "pemohon2")
    assert response.status_code == 403 and "KTP" not in response.get_data(as_text=True)
    assert office.client("pemohon2").get(f"/tasks/{asked}").status_code == 403
    assert api(office, "GET", f"/api/v1/tasks/{asked}", "pemohon1").status_code == 200
    assert api(office, "GET", f"/api/v1/tasks/{asked}", "petugas2").status_code == 200


def test_an_applicant_given_a_task_reads_that_case(app, office):
    instance_id, task = at_lengkapi(office)
    assert api(office, "GET", f"/api/v1/instances/{instance_id}", "pemohon2").status_code == 403
    with app.app_context():
        row = db.session.get(HumanTask, task.id)
        row.assigned_user = db.session.scalar(select(User).where(User.username == "pemohon2"))
        db.session.commit()
    assert api(office, "GET", f"/api/v1/instances/{instance_id}", "pemohon2").status_code == 200


def test_notify_case_tells_the_starter_and_nobody_else(app, office):
    app.config["SMTP"] = dict(app.config["SMTP"], host="mail.invalid")
    instance_id, task = at_lengkapi(office)
    assert office.complete("pemohon1", task.id, {"catatan": "KK terlampir"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Notification).where(Notification.kind == "case")) is None
        assert service_calls.run_queued() == 1
        notes = db.session.scalars(select(Notification).where(Notification.kind == "case")).all()
        assert [(n.user.username, n.instance_id) for n in notes] == [("pemohon1", instance_id)]
        assert notes[0].title == f"Berkas lengkap (#{instance_id})"
        assert notes[0].body == "Berkas Anda lengkap: KK terlampir"
        deliveries = db.session.scalars(
            select(NotificationDelivery.channel).where(
                NotificationDelivery.notification_id == notes[0].id
            )
        ).all()
        assert deliveries == ["email"]  # the outbox sends it by e-mail
        assert db.session.get(ProcessInstance, instance_id).status == "completed"
        assert (
            db.session.scalar(select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)) is None
        )


def test_a_breach_notice_addressed_to_the_starter_reaches_the_requester_alone(app, actions):
    sop = Path(__file__).resolve().parents[2] / "processes" / "pemeliharaan_sistem_informasi"
    bpmn = (sop / "pemeliharaan_sistem_informasi.bpmn").read_text(encoding="utf-8")
    # Escalate_2 (step 2's breach notice) is addressed to the case's starter only.
    head, step2, tail = bpmn.partition("""value='"Task_2_analisa"' />""")
    assert step2, "Escalate_2 names its step"
    tail = tail.replace("""value='"assignee, role:Ketua Tim"'""", """value='"starter"'""", 1)
    forms = {p.name: p.read_bytes() for p in (sop / "forms").iterdir()}
    with app.app_context():
        version, new = processes.import_version(
            "pemeliharaan_sistem_informasi", (head + step2 + tail).encode(), forms
        )
        db.session.commit()
        assert new and version.version == 2
    start_at = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start_at, tick=False):
        instance_id = actions.start("unit1")["id"]
    with time_machine.travel(start_at + timedelta(minutes=31), tick=False):
        with app.app_context():
            assert fire_due_timers().breaches == 1
            told = db.session.scalars(
                select(Notification).where(Notification.kind == "sla_breach")
            ).all()
            assert [(n.user.username, n.instance_id) for n in told] == [("unit1", instance_id)]
