"""Time standards: due times in working hours, the sweep, breaches, escalation, SLA figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine
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
from webapp.services.timers import fire_due_timers

WIB = timedelta(hours=7)
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
            f"/api/v1/instances/{instance_id}", headers=actions.token("unit1")
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
    assert cells[3] == "2" and cells[4] == "1 (50.0%)"
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
