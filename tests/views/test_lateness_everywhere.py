"""One step's lateness reads the same on the dashboard, the SLA page, the case page, the repair
report, the CSV export and the admin list: each asks services/lateness.py.

The office counts working hours (Friday closes at 16:30 WIB). The upload (step 5, 30 minutes)
becomes ready Friday 16:15, so 15 minutes are left for Monday from 07:30: it is due Monday 07:45,
when its boundary timer fires and escalates. On Saturday it is not late anywhere (a wall-clock
count would say so on the case page); from Monday 07:45 on it is late everywhere, whether a
worker runs it or it still waits in the queue; and it kept its standard or not by when it
finished. Step 2 (30 minutes) is done in 45: late on every page too.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import STEP2, STEP3, STEP4_PASS
from webapp.engine.calendar import WorkingHoursCalendar
from webapp.engine.timers import waiting_timers
from webapp.extensions import db
from webapp.models import AuditEvent, ProcessInstance, ServiceCall
from webapp.services import reports, runtime, service_calls, timers

PROCESS = "pemeliharaan_sistem_informasi"
STEP_2 = "Task_2_analisa"
UPLOAD = "Task_5_upload_colocation"
UPLOAD_TIMER = "Timer_5_mutu_baku"
WIB = timedelta(hours=7)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """A time of November 2026 in Jakarta, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - WIB


FRIDAY_START = wib(20, 10)
UPLOAD_STARTS = wib(20, 16, 15)
SATURDAY = wib(21, 10)
DUE = wib(23, 7, 45)
MONDAY = wib(23, 8)
LATER = wib(23, 9)


@pytest.fixture
def office(app):
    """The suite's app counting working hours (no public holidays, so the dates stay put)."""
    app.config["SLA_CALENDAR"] = WorkingHoursCalendar(country=None)
    return app


def _at(at: datetime, actions, username: str = "admin1"):
    """A client logged in at ``at`` (a session signed in the future is refused)."""
    with time_machine.travel(at, tick=False):
        return actions.client(username)


def _get(client, at: datetime, url: str):
    with time_machine.travel(at, tick=False):
        response = client.get(url)
    assert response.status_code == 200, (url, response.data[:300])
    return response


def _complete(actions, instance_id: int, step: str, username: str, data: dict, at: datetime):
    task = actions.open_task(instance_id, step)
    with time_machine.travel(at, tick=False):
        assert actions.complete(username, task.id, data).status_code == 200


def _reach_the_upload(actions, instance_id: int) -> None:
    """Work steps 3 and 4: the upload becomes ready (queued) at UPLOAD_STARTS."""
    _complete(actions, instance_id, "Task_3_troubleshooting", "tim1", STEP3, wib(20, 11))
    _complete(actions, instance_id, "Task_4_uji_implementasi", "tim1", STEP4_PASS, UPLOAD_STARTS)


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _call_card(case_page: str, call_id: int) -> str:
    """The case page's card of one automatic step's call, as first drawn (before live.js)."""
    card = re.search(rf'data-call-id="{call_id}">(.*?)</article>', case_page, re.S)
    return card.group(1)


def _running_late(actions, instance_id: int, at: datetime) -> dict[str, bool]:
    """Whether the running upload is late at ``at``, as each page tells it."""
    admin = _at(at, actions)
    query = f"?process={PROCESS}"
    dash = _get(admin, at, f"/admin/dashboard/data.json{query}").get_json()
    [row] = [r for r in dash["running_by_step"] if r["bpmn_id"] == UPLOAD]
    sla_page = _get(admin, at, f"/sla{query}").get_data(as_text=True)
    sla_row = re.search(rf'<tr data-step="{UPLOAD}">(.*?)</tr>', sla_page, re.S).group(1)
    sla_late = re.search(r'data-label="Terlambat kini" class="num[^"]*">(\d+)<', sla_row)
    calls = _get(admin, at, f"/cases/{instance_id}/calls.json").get_json()["calls"]
    [upload_call] = [
        c for c in calls if c["operator"] == "deploy_to_colocation" and not c["finished_at"]
    ]
    case_page = _get(admin, at, f"/cases/{instance_id}").get_data(as_text=True)
    upload_card = _call_card(case_page, upload_call["id"])
    diagram = _get(admin, at, f"/cases/{instance_id}/diagram.json").get_json()
    export = _csv(_get(admin, at, f"/admin/dashboard/export.csv{query}&kind=overdue"))
    steps_export = _csv(_get(admin, at, f"/admin/dashboard/export.csv{query}&kind=steps"))
    [steps_row] = [r for r in steps_export if r["ID langkah"] == UPLOAD]
    listed = _get(admin, at, "/admin/cases/?overdue=1").get_data(as_text=True)
    return {
        "dashboard list": any(
            t["bpmn_id"] == UPLOAD and t["instance_id"] == instance_id for t in dash["overdue"]
        ),
        "dashboard running table": row["overdue"] == 1,
        "dashboard card": dash["cards"]["overdue"] == 1,
        "SLA page": sla_late.group(1) == "1",
        "SLA page list": f'<tr data-call-step="{UPLOAD}">' in sla_page,
        "calls.json": upload_call["late"],
        "case page": "melewati mutu baku" in upload_card,
        "case diagram": UPLOAD in diagram["overdue"],
        "CSV overdue": any(
            r["ID langkah"] == UPLOAD and r["Kasus"] == str(instance_id) for r in export
        ),
        "CSV steps": steps_row["Terlambat kini"] == "1",
        "admin list": f'<tr data-instance-id="{instance_id}">' in listed,
    }


def _finished_kept(actions, instance_id: int, at: datetime) -> dict[str, dict[str, bool]]:
    """Whether each finished step kept its standard, as each page tells it."""
    admin = _at(at, actions)
    query = f"?process={PROCESS}"
    dash = _get(admin, at, f"/admin/dashboard/data.json{query}").get_json()
    sla_page = _get(admin, at, f"/sla{query}").get_data(as_text=True)
    steps_export = _csv(_get(admin, at, f"/admin/dashboard/export.csv{query}&kind=steps"))
    report = _get(admin, at, f"/cases/{instance_id}/report.html").get_data(as_text=True)
    case_page = _get(admin, at, f"/cases/{instance_id}").get_data(as_text=True)
    diagram = _get(admin, at, f"/cases/{instance_id}/diagram.json").get_json()
    calls = _get(admin, at, f"/cases/{instance_id}/calls.json").get_json()["calls"]
    said = {}
    for bpmn_id, number in ((STEP_2, "2"), (UPLOAD, "5")):
        [compliance] = [c for c in dash["compliance"] if c["bpmn_id"] == bpmn_id]
        [durations] = [d for d in dash["durations"] if d["bpmn_id"] == bpmn_id]
        sla_row = re.search(rf'<tr data-step="{bpmn_id}">(.*?)</tr>', sla_page, re.S).group(1)
        sla_met = re.search(r'data-label="Memenuhi" class="num">(\d+) ', sla_row)
        [csv_row] = [r for r in steps_export if r["ID langkah"] == bpmn_id]
        report_row = re.search(rf'<tr data-step="{number}">(.*?)</tr>', report, re.S).group(1)
        assert (sum(compliance["completed"]), durations["completed"], csv_row["Selesai"]) == (
            1,
            1,
            "1",
        )
        said[bpmn_id] = {
            "dashboard weekly": sum(compliance["met"]) == 1,
            "dashboard durations": durations["met"] == 1,
            "SLA page": sla_met.group(1) == "1",
            "CSV steps": csv_row["Memenuhi"] == "1",
            "repair report": "memenuhi" in report_row and "melewati" not in report_row,
            "case diagram": bpmn_id not in diagram["late"],
        }
    # The case page says it of the person's step in words, and of the upload on its live card.
    step_2 = re.search(rf'data-element="{STEP_2}">(.*?)</article>', case_page, re.S).group(1)
    said[STEP_2]["case page"] = "sesuai mutu baku" in step_2 and "melewati" not in step_2
    [upload_call] = [c for c in calls if c["operator"] == "deploy_to_colocation"]
    said[UPLOAD]["calls.json"] = not upload_call["late"]
    # On a finished case live.js no longer polls: the card says it from the server.
    upload_card = _call_card(case_page, upload_call["id"])
    said[UPLOAD]["case page"] = "sesuai mutu baku" in upload_card and "melewati" not in upload_card
    return said


@pytest.mark.parametrize(
    ("finished", "kept"),
    [(DUE - timedelta(minutes=5), True), (DUE, True), (MONDAY, False)],
    ids=["before-due", "at-due", "after-due"],
)
def test_one_steps_lateness_is_the_same_on_every_page(office, actions, deployment, finished, kept):
    with time_machine.travel(FRIDAY_START, tick=False):
        instance_id = actions.start()["id"]
    # Step 2 in 45 minutes of its 30: late; the others at once.
    _complete(actions, instance_id, STEP_2, "ketua1", STEP2, FRIDAY_START + timedelta(minutes=45))
    _reach_the_upload(actions, instance_id)
    with time_machine.travel(UPLOAD_STARTS, tick=False), office.app_context():
        call_id = service_calls.claim_next().id

    saturday = _running_late(actions, instance_id, SATURDAY)
    assert saturday == dict.fromkeys(saturday, False)
    at_due = _running_late(actions, instance_id, DUE)
    assert at_due == dict.fromkeys(at_due, True)  # its timer fires now: no page says on time
    monday = _running_late(actions, instance_id, MONDAY)
    assert monday == dict.fromkeys(monday, True)

    with time_machine.travel(finished, tick=False), office.app_context():
        call = db.session.get(ServiceCall, call_id)
        result, error, output, exit_code = service_calls.execute(call, reports.case_context)
        service_calls.finish(call_id, result, error, output, exit_code)
        assert service_calls.run_queued() == 1  # the report
    said = _finished_kept(actions, instance_id, LATER)
    assert said[STEP_2] == dict.fromkeys(said[STEP_2], False)
    assert said[UPLOAD] == dict.fromkeys(said[UPLOAD], kept)


def _escalated(app, instance_id: int) -> list[str]:
    """The steps whose breach of standard was escalated on this case."""
    with app.app_context():
        return [
            e.detail.get("step")
            for e in db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.instance_id == instance_id, AuditEvent.action == "sla.escalated"
                )
            )
        ]


def test_an_upload_waiting_for_a_worker_is_due_when_its_timer_fires(office, actions, deployment):
    """No worker runs: the upload waits in the queue from Friday 16:15. Its due time is its
    boundary timer's, and when that timer fires and escalates, every page says it is late."""
    with time_machine.travel(FRIDAY_START, tick=False):
        instance_id = actions.start()["id"]
    _complete(actions, instance_id, STEP_2, "ketua1", STEP2, FRIDAY_START + timedelta(minutes=10))
    _reach_the_upload(actions, instance_id)
    with office.app_context():
        [call] = db.session.scalars(
            select(ServiceCall).where(
                ServiceCall.instance_id == instance_id, ServiceCall.bpmn_id == UPLOAD
            )
        )
        assert (call.status, call.started_at) == ("queued", None)
        engine = runtime.load(db.session.get(ProcessInstance, instance_id))
        [timer] = [t for t in waiting_timers(engine.workflow) if t.bpmn_id == UPLOAD_TIMER]
    # The due time stored when it was queued is the timer's own, by the office's calendar.
    assert call.due_at == timer.due == DUE

    with time_machine.travel(SATURDAY, tick=False), office.app_context():
        assert timers.fire_due_timers().timers_fired == 0
    saturday = _running_late(actions, instance_id, SATURDAY)
    assert saturday == dict.fromkeys(saturday, False)
    assert _escalated(office, instance_id) == []

    # The timer fires at its due time and escalates; at that instant every page says late.
    with time_machine.travel(DUE, tick=False), office.app_context():
        assert timers.fire_due_timers().timers_fired == 1
    assert _escalated(office, instance_id) == [UPLOAD]
    at_due = _running_late(actions, instance_id, DUE)
    assert at_due == dict.fromkeys(at_due, True)
    monday = _running_late(actions, instance_id, MONDAY)
    assert monday == dict.fromkeys(monday, True)


def test_an_upload_skipped_when_its_case_was_terminated_is_not_late_for_ever(
    office, actions, deployment
):
    """Terminating a case skips its queued upload, which keeps no finish time: the case page
    and calls.json do not call it running late from its due time on."""
    with time_machine.travel(FRIDAY_START, tick=False):
        instance_id = actions.start()["id"]
    _complete(actions, instance_id, STEP_2, "ketua1", STEP2, FRIDAY_START + timedelta(minutes=10))
    _reach_the_upload(actions, instance_id)
    admin = _at(SATURDAY, actions)
    with time_machine.travel(SATURDAY, tick=False):
        response = admin.post(f"/admin/cases/{instance_id}/terminate", data={"reason": "batal"})
    assert response.status_code in (200, 302)
    admin = _at(LATER, actions)
    [upload_call] = [
        c
        for c in _get(admin, LATER, f"/cases/{instance_id}/calls.json").get_json()["calls"]
        if c["operator"] == "deploy_to_colocation"
    ]
    assert (upload_call["status"], upload_call["finished_at"]) == ("skipped", None)
    assert upload_call["late"] is False
    case_page = _get(admin, LATER, f"/cases/{instance_id}").get_data(as_text=True)
    assert "melewati mutu baku" not in _call_card(case_page, upload_call["id"])
