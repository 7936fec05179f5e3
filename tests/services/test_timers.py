"""Time standards: due times in working hours, the sweep, breaches, escalation, SLA figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import time_machine
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.conftest import STEP2, STEP3
from webapp.engine.calendar import make_calendar
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    HumanTask,
    Incident,
    InstanceStatus,
    Notification,
    ProcessInstance,
    TaskStatus,
    User,
)
from webapp.services.processes import import_version
from webapp.services.sla import step_figures
from webapp.services.timers import fire_due_timers
from webapp.views.findings import message

WIB = timedelta(hours=7)
SOP_DIR = Path(__file__).resolve().parents[2] / "processes" / "pemeliharaan_sistem_informasi"
FRIDAY_1530_WIB = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)  # 15:30 WIB, a normal Friday


def _task(app, task_id: int) -> HumanTask:
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        db.session.expunge(task)
        return task


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_step3_opened_friday_1530_is_due_monday_0830_in_working_hours(app, actions):
    app.config["SLA_CALENDAR"] = make_calendar("working-hours", "Asia/Jakarta", None, "", "ID")
    with time_machine.travel(FRIDAY_1530_WIB, tick=False):
        instance_id = actions.run_to("Task_3_troubleshooting")
        task = actions.open_task(instance_id, "Task_3_troubleshooting")
        listed = app.test_client().get("/api/v1/tasks", headers=actions.token("tim1")).get_json()
    monday_0830_wib = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert task.due_at == monday_0830_wib
    assert listed["items"][0]["due_at"] == monday_0830_wib.isoformat()
    with app.app_context():
        # The sweep agrees with the due time shown: nothing fires before it, it fires at it.
        assert db.session.get(ProcessInstance, instance_id).next_timer_at == monday_0830_wib
        assert fire_due_timers(monday_0830_wib - timedelta(seconds=1)).timers_fired == 0
    with time_machine.travel(monday_0830_wib + timedelta(seconds=1), tick=False):
        with app.app_context():
            assert fire_due_timers().breaches == 1


def test_breach_is_recorded_escalated_once_and_the_task_stays_open(app, actions):
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        instance_id = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(instance_id, "Task_3_troubleshooting")
    assert task.due_at == start + timedelta(hours=2)
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        with app.app_context():
            result = fire_due_timers()
            again = fire_due_timers()
    assert (result.instances, result.timers_fired, result.breaches) == (1, 1, 1)
    assert (again.instances, again.timers_fired) == (0, 0)
    breached = _task(app, task.id)
    assert breached.status == TaskStatus.OPEN and breached.breached_at == task.due_at
    assert breached.due_at == task.due_at  # the due time shown does not change
    with app.app_context():
        told = db.session.scalars(
            select(User.username).join(Notification, Notification.user_id == User.id)
        ).all()
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.next_timer_at is None and instance.status == InstanceStatus.WAITING
    assert sorted(told) == ["ketua1", "tim1"]  # the assignee and the Ketua Tim role
    assert _count(app, AuditEvent, AuditEvent.action == "sla.escalated") == 1
    # The late task goes on: completing it moves the case to step 4 with its own standard.
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert actions.complete("tim1", task.id, STEP3).status_code == 200
        step4 = actions.open_task(instance_id, "Task_4_uji_implementasi")
    assert step4.due_at == start + timedelta(hours=4) and step4.breached_at is None


def test_api_task_and_history_carry_due_at_and_breached_at(app, actions):
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        instance_id = actions.start()["id"]
    step2 = actions.open_task(instance_id, "Task_2_analisa")
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        with app.app_context():
            fire_due_timers()
        client = app.test_client()
        task = client.get(f"/api/v1/tasks/{step2.id}", headers=actions.token("ketua1")).get_json()
        assert task["breached_at"] == (start + timedelta(minutes=30)).isoformat()
        assert actions.complete("ketua1", step2.id, STEP2).status_code == 200
        body = client.get(
            f"/api/v1/instances/{instance_id}?include=history", headers=actions.token("unit1")
        ).get_json()
    history = {h["step"]: h for h in body["history"]}
    assert history["Task_2_analisa"]["breached_at"] == (start + timedelta(minutes=30)).isoformat()
    assert history["Task_1_pesan_perbaikan"]["breached_at"] is None
    assert body["current_tasks"][0]["breached_at"] is None


def test_a_failing_instance_is_marked_and_skipped_and_the_sweep_goes_on(app, actions):
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        broken = actions.start()["id"]
        healthy = actions.start()["id"]
    with app.app_context():
        db.session.get(ProcessInstance, broken).state = '{"not": "a workflow"}'
        db.session.commit()
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        with app.app_context():
            result = fire_due_timers()
            again = fire_due_timers()
    assert result.failed == [broken] and result.instances == 1 and result.breaches == 1
    assert again.failed == [] and again.instances == 0  # the broken one left the sweep
    with app.app_context():
        assert db.session.get(ProcessInstance, broken).status == InstanceStatus.ERROR
        assert db.session.get(ProcessInstance, healthy).status == InstanceStatus.WAITING
        incident = db.session.scalar(select(Incident))
        assert incident.instance_id == broken and incident.kind == "timer"


def test_suspended_instance_fires_no_timer(app, actions):
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        instance_id = actions.start()["id"]
    with app.app_context():
        db.session.get(ProcessInstance, instance_id).status = InstanceStatus.SUSPENDED
        db.session.commit()
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        with app.app_context():
            assert fire_due_timers().timers_fired == 0
    assert _count(app, Notification) == 0


def test_sweep_query_uses_the_indexed_next_timer_at_column(app):
    with app.app_context():
        indexes = sa.inspect(db.engine).get_indexes("process_instance")
    assert any(ix["column_names"] == ["next_timer_at"] for ix in indexes)


def test_sla_page_counts_met_standard_median_and_overdue_now(app, actions):
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    # Case A: step 2 done in 10 minutes (met). Case B: step 2 done after 50 minutes (missed).
    # Case C: step 2 still open and overdue.
    for minutes in (10, 50):
        with time_machine.travel(start, tick=False):
            instance_id = actions.start()["id"]
        task = actions.open_task(instance_id, "Task_2_analisa")
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert actions.complete("ketua1", task.id, STEP2).status_code == 200
    with time_machine.travel(start, tick=False):
        late = actions.start()["id"]
    late_task = actions.open_task(late, "Task_2_analisa")
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        html = (
            actions.client("ketua1")
            .get("/sla?from=2026-11-01&to=2026-11-30")
            .get_data(as_text=True)
        )
    row = html[html.index('data-step="Task_2_analisa"') :].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("</td")[0].strip() for c in row.split("<td")[1:]]
    # name, lane, standard, completed, met, median, p90, open, overdue now
    assert cells[2] == "30 menit"
    assert cells[3] == "2" and cells[4] == "1 (50,0\xa0%)"
    assert cells[5] == "30 m" and cells[7] == "1" and cells[8] == "1"
    assert f'data-task-id="{late_task.id}"' in html


def test_notification_count_in_header_and_opening_marks_read(app, actions):
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        instance_id = actions.start()["id"]
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        with app.app_context():
            fire_due_timers()
    ketua = actions.client("ketua1")
    assert 'class="count">1</span>' in ketua.get("/").get_data(as_text=True)
    page = ketua.get("/notifications").get_data(as_text=True)
    assert f"#{instance_id}" in page and "Melewati mutu baku" in page
    with app.app_context():
        notification_id = db.session.scalar(select(Notification.id))
    response = ketua.post(f"/notifications/{notification_id}/open")
    task = actions.open_task(instance_id, "Task_2_analisa")
    assert response.headers["Location"] == f"/tasks/{task.id}"
    assert 'class="count"' not in ketua.get("/").get_data(as_text=True)
    # Someone else's notification is not theirs to open.
    assert actions.client("tim1").post(f"/notifications/{notification_id}/open").status_code == 404


def _publish_step3_standard(app, iso: str, waktu: str) -> None:
    """Publish the SOP again with step 3's time standard set to ``iso`` (and sopWaktu)."""
    sop = SOP_DIR / "pemeliharaan_sistem_informasi.bpmn"
    bpmn = sop.read_bytes().replace(b'"PT2H"', f'"{iso}"'.encode())
    bpmn = bpmn.replace(
        b'name="sopWaktu" value="2 jam"', f'name="sopWaktu" value="{waktu}"'.encode()
    )
    forms = {f.name: f.read_bytes() for f in sorted((SOP_DIR / "forms").glob("*.json"))}
    with app.app_context():
        version, new = import_version("pemeliharaan_sistem_informasi", bpmn, forms, publish=True)
        assert new and version.published_at is not None
        db.session.commit()


def test_p3d_step_opened_friday_is_due_three_working_days_later_and_fires_then(app, actions):
    app.config["SLA_CALENDAR"] = make_calendar("working-hours", "Asia/Jakarta", None, "", "ID")
    _publish_step3_standard(app, "P3D", "3 hari")
    friday_1000_wib = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with time_machine.travel(friday_1000_wib, tick=False):
        instance_id = actions.run_to("Task_3_troubleshooting")
        task = actions.open_task(instance_id, "Task_3_troubleshooting")
    # Monday, Tuesday, Wednesday: due Wednesday 25 November 10:00 WIB, not 72 working hours on.
    wednesday_1000_wib = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert task.due_at == wednesday_1000_wib
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).next_timer_at == wednesday_1000_wib
    # A microsecond before its due time the timer does not fire.
    with time_machine.travel(wednesday_1000_wib - timedelta(microseconds=1), tick=False):
        with app.app_context():
            assert fire_due_timers().timers_fired == 0
    assert _task(app, task.id).breached_at is None
    # At its due time it fires (the step counts as late from that instant on), once.
    with time_machine.travel(wednesday_1000_wib, tick=False):
        with app.app_context():
            fired = fire_due_timers()
    assert (fired.timers_fired, fired.breaches) == (1, 1)
    with time_machine.travel(wednesday_1000_wib + timedelta(seconds=1), tick=False):
        with app.app_context():
            again = fire_due_timers()
    assert (again.instances, again.timers_fired, again.breaches) == (0, 0, 0)
    assert _count(app, AuditEvent, AuditEvent.action == "sla.escalated") == 1
    breached = _task(app, task.id)
    assert breached.breached_at == wednesday_1000_wib and breached.status == TaskStatus.OPEN


def test_p1d_armed_on_a_friday_evening_counts_from_monday_morning(app, actions):
    app.config["SLA_CALENDAR"] = make_calendar(
        "working-hours", "Asia/Jakarta", None, "2026-12-24", "ID"
    )
    _publish_step3_standard(app, "P1D", "1 hari")
    wednesday_evening_wib = datetime(2026, 12, 23, 12, 0, tzinfo=UTC)  # 19:00 WIB
    with time_machine.travel(wednesday_evening_wib, tick=False):
        instance_id = actions.run_to("Task_3_troubleshooting")
        task = actions.open_task(instance_id, "Task_3_troubleshooting")
    # Counting starts when the office next opens: Thursday is cuti bersama, Friday Christmas,
    # so Monday 28th 07:30; one working day on is Tuesday 29th 07:30 WIB.
    assert task.due_at == datetime(2026, 12, 29, 0, 30, tzinfo=UTC)


def test_sla_page_and_sop_sheet_say_working_days_and_hold_p90_against_working_time(app, actions):
    app.config["SLA_CALENDAR"] = make_calendar("working-hours", "Asia/Jakarta", None, "", "ID")
    _publish_step3_standard(app, "P1D", "1 hari")
    friday_1000_wib = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    # Done Monday 11:00 WIB: 5 h on Friday and 3.5 h on Monday, past one working day (7.5 h).
    with time_machine.travel(friday_1000_wib, tick=False):
        instance_id = actions.run_to("Task_3_troubleshooting")
        task = actions.open_task(instance_id, "Task_3_troubleshooting")
    with time_machine.travel(datetime(2026, 11, 23, 4, 0, tzinfo=UTC), tick=False):
        assert actions.complete("tim1", task.id, STEP3).status_code == 200
        owner = actions.client("ketua1")
        html = owner.get("/sla?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    row = html[html.index('data-step="Task_3_troubleshooting"') :].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("</td")[0] for c in row.split("<td")[1:]]
    assert cells[2].strip() == "1 hari kerja"
    assert cells[3].strip() == "1" and cells[4].strip() == "0 (0,0\xa0%)"
    assert 'class="num late"' in row  # 8.5 working hours against a 7.5-hour working day
    with app.app_context():
        figures = {
            f.bpmn_id: f
            for f in step_figures(
                "pemeliharaan_sistem_informasi",
                friday_1000_wib,
                friday_1000_wib + timedelta(days=9),
            )
        }
    assert figures["Task_3_troubleshooting"].standard_seconds == 7.5 * 3600
    assert figures["Task_3_troubleshooting"].median_seconds == 8.5 * 3600
    sheet = actions.client("owner1").get("/processes/pemeliharaan_sistem_informasi/sop")
    assert "1 hari kerja" in sheet.get_data(as_text=True)
    app.config["SLA_CALENDAR"] = make_calendar("calendar", "Asia/Jakarta", None, "", "ID")
    sheet = actions.client("owner1").get("/processes/pemeliharaan_sistem_informasi/sop")
    assert "1 hari kerja" not in sheet.get_data(as_text=True)


def test_lint_timer_example_states_the_calendar_rule(app):
    empty = {
        "code": "timer-invalid",
        "params": {"case": "empty", "label": "B", "kind": "timeDuration"},
    }
    app.config["SLA_CALENDAR"] = make_calendar("working-hours", "Asia/Jakarta", None, "", "ID")
    with app.test_request_context():
        worded = message(empty)
        with force_locale("en"):
            english = message(empty)
    assert '"P1D" (1 hari kerja: jam yang sama pada hari kerja berikutnya)' in worded
    assert '"PT2H" (2 jam kerja)' in worded
    assert '"P1D" (1 working day: the same time on the next working day)' in english
    app.config["SLA_CALENDAR"] = make_calendar("calendar", "Asia/Jakarta", None, "", "ID")
    with app.test_request_context():
        assert '"P1D" (1 hari).' in message(empty)
