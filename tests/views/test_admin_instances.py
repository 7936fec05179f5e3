"""Administrators' instance list and actions: filters in the URL, each action checked and safe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from tests.conftest import STEP1, STEP2
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, InstanceStatus, ProcessInstance, TaskStatus
from webapp.services.timers import fire_due_timers

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def listed(client, query: str = "") -> list[int]:
    html = client.get(f"/admin/cases/?{query}").get_data(as_text=True)
    return [int(x) for x in re.findall(r'<tr data-instance-id="(\d+)">', html)]


@pytest.fixture
def cases(app, actions):
    """Three cases: one waiting for the Ketua Tim, one with tim1 (overdue), one suspended."""
    with time_machine.travel(T0, tick=False):
        waiting = actions.start(data=dict(STEP1, judul="Portal lambat sekali"))["id"]
        late = actions.run_to("Task_3_troubleshooting")
        held = actions.start(data=dict(STEP1, judul="Cetak izin gagal"))["id"]
    with app.app_context():
        db.session.get(ProcessInstance, held).status = InstanceStatus.SUSPENDED
        db.session.commit()
    return {"waiting": waiting, "late": late, "held": held}


@pytest.mark.parametrize("username", ["unit1", "ketua1", "tim1", "owner1"])
def test_instance_list_and_actions_are_for_administrators_only(actions, cases, username):
    client = actions.client(username)
    assert client.get("/admin/cases/").status_code == 403
    assert client.post(f"/admin/cases/{cases['waiting']}/suspend").status_code == 403
    assert client.post(f"/admin/cases/{cases['held']}/resume").status_code == 403
    assert (
        client.post(f"/admin/cases/{cases['waiting']}/terminate", data={"reason": "x"}).status_code
        == 403
    )
    task = actions.open_task(cases["waiting"], "Task_2_analisa")
    assert (
        client.post(
            f"/admin/cases/tasks/{task.id}/reassign", data={"username": "ketua1"}
        ).status_code
        == 403
    )


def test_filters_narrow_the_list_and_live_in_the_url(app, actions, cases):
    admin = actions.client("admin1")
    assert sorted(listed(admin)) == sorted(cases.values())
    assert listed(admin, "status=suspended") == [cases["held"]]
    assert listed(admin, "lane=Tim") == [cases["late"]]
    assert listed(admin, "assignee=tim1") == [cases["late"]]
    assert listed(admin, "q=lambat") == [cases["waiting"]]
    assert listed(admin, "q=rina") != []  # the requester's name (demo unit1 is Rina)
    assert listed(admin, f"q=%23{cases['held']}") == [cases["held"]]
    assert listed(admin, "step=pemecahan+masalah") == [cases["late"]]
    assert listed(admin, "since=2026-11-25") == []
    assert sorted(listed(admin, "since=2026-11-24&until=2026-11-24")) == sorted(cases.values())
    assert listed(admin, "process=pemeliharaan_sistem_informasi&version=1") != []
    assert listed(admin, "version=9") == []
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        # A session cookie signed "in the future" is refused: log in inside the moved clock.
        late_admin = actions.client("admin1")
        overdue = sorted(listed(late_admin, "overdue=1"))
    assert overdue == sorted(cases.values())  # the held case is late too
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        assert listed(actions.client("admin1"), "overdue=1") == []
    html = admin.get("/admin/cases/?lane=Tim&sort=title&order=asc").get_data(as_text=True)
    assert "lane=Tim" in html and "sort=title" in html  # page links keep the filters
    assert listed(admin, "q=%25") == []  # a LIKE wildcard typed by a person matches literally


def test_sorting_by_id_ascending_and_descending(actions, cases):
    admin = actions.client("admin1")
    ids = sorted(cases.values())
    assert listed(admin, "sort=id&order=asc") == ids
    assert listed(admin, "sort=id&order=desc") == ids[::-1]


def test_suspend_stops_timers_and_work_and_resume_lets_them_go_on(app, actions, cases):
    admin = actions.client("admin1")
    instance_id = cases["waiting"]
    assert admin.post(f"/admin/cases/{instance_id}/suspend").status_code == 302
    task = actions.open_task(instance_id, "Task_2_analisa")
    assert actions.complete("ketua1", task.id, STEP2).status_code == 409
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        with app.app_context():
            assert fire_due_timers().timers_fired == 0
    assert admin.post(f"/admin/cases/{instance_id}/resume").status_code == 302
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        with app.app_context():
            result = fire_due_timers()
    assert result.breaches == 1  # the standard that ran out meanwhile is recorded now
    assert actions.complete("ketua1", task.id, STEP2).status_code == 200
    with app.app_context():
        actions_done = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)
        ).all()
    assert "instance.suspended" in actions_done and "instance.resumed" in actions_done


def test_terminate_needs_a_reason_and_cancels_open_tasks(app, actions, cases):
    admin = actions.client("admin1")
    instance_id = cases["late"]
    admin.post(f"/admin/cases/{instance_id}/terminate", data={"reason": ""})
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).status == InstanceStatus.WAITING
    admin.post(f"/admin/cases/{instance_id}/terminate", data={"reason": "permintaan ganda"})
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        assert row.status == InstanceStatus.TERMINATED and row.next_timer_at is None
        statuses = db.session.scalars(
            select(HumanTask.status).where(HumanTask.instance_id == instance_id)
        ).all()
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "instance.terminated")
        )
    assert TaskStatus.OPEN not in statuses and event.detail == {"reason": "permintaan ganda"}
    assert "data-task-id" not in actions.client("tim1").get("/").get_data(as_text=True)


def test_a_too_long_reason_is_refused_never_cut(app, actions, cases):
    """Without the page's script the server refuses 1,001 characters instead of keeping 1,000."""
    admin = actions.client("admin1")
    instance_id = cases["late"]
    response = admin.post(
        f"/admin/cases/{instance_id}/terminate", data={"reason": "x" * 1001}, follow_redirects=True
    )
    assert "Terlalu panjang: 1001 karakter, paling banyak 1000." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).status == InstanceStatus.WAITING


@pytest.mark.parametrize("action", ["terminate", "service/retry", "service/skip"])
def test_a_non_administrator_with_an_over_long_reason_is_forbidden_not_told_its_length(
    app, actions, cases, action
):
    """The role is checked before the reason: someone who may not act at all learns that,
    not that the reason is too long (as if a shorter one would do)."""
    instance_id = cases["late"]
    path = (
        f"/admin/cases/{instance_id}/terminate"
        if action == "terminate"
        else (f"/cases/{instance_id}/{action}")
    )
    response = actions.client("tim1").post(path, data={"reason": "x" * 1001})
    assert response.status_code == 403
    assert "1001 karakter" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).status == InstanceStatus.WAITING


def test_reassign_gives_the_task_to_a_lane_member_who_then_sees_it(app, actions, cases):
    task = actions.open_task(cases["late"], "Task_3_troubleshooting")
    assert task.assigned_user_id is not None  # tim1, chosen at step 2
    admin = actions.client("admin1")
    seen = str(task.assigned_user_id)
    admin.post(
        f"/admin/cases/tasks/{task.id}/reassign", data={"username": "unit1", "assignee": seen}
    )
    assert actions.open_task(cases["late"], "Task_3_troubleshooting").assigned_user_id == int(seen)
    admin.post(
        f"/admin/cases/tasks/{task.id}/reassign", data={"username": "tim2", "assignee": seen}
    )
    assert f'data-task-id="{task.id}"' in actions.client("tim2").get("/").get_data(as_text=True)
    assert f'data-task-id="{task.id}"' not in actions.client("tim1").get("/").get_data(as_text=True)


def test_an_admin_acting_on_a_stale_page_gets_a_clear_conflict(app, actions, cases):
    task = actions.open_task(cases["waiting"], "Task_2_analisa")
    # The page was loaded when nobody held the task; meanwhile ketua1 claimed it.
    assert actions.client("ketua1").post(f"/tasks/{task.id}/claim").status_code == 302
    admin = actions.client("admin1")
    response = admin.post(
        f"/admin/cases/tasks/{task.id}/reassign",
        data={"username": "ketua1", "assignee": ""},
        follow_redirects=True,
    )
    assert "baru saja diambil" in response.get_data(as_text=True)
    with app.app_context():
        version = db.session.get(ProcessInstance, cases["waiting"]).version_counter
    response = admin.post(
        f"/admin/cases/{cases['waiting']}/suspend", data={"version": str(version - 1)}
    )
    assert response.status_code == 409
    assert "baru saja diubah" in response.get_data(as_text=True)


def test_redirect_after_an_action_stays_on_this_site(actions, cases):
    response = actions.client("admin1").post(
        f"/admin/cases/{cases['waiting']}/suspend", data={"back": "//evil.example/x"}
    )
    assert response.headers["Location"] == f"/cases/{cases['waiting']}"


def _end(app, instance_id: int, status: str, outcome: tuple[str, str] | None) -> None:
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        row.status = status
        row.outcome_id, row.outcome_name = outcome or (None, None)
        db.session.commit()


def test_outcome_filter_offers_the_published_end_events_and_narrows_to_completed_cases(
    app, actions, cases
):
    _end(app, cases["waiting"], InstanceStatus.COMPLETED, ("EndEvent_selesai", "Selesai <b>"))
    _end(app, cases["late"], InstanceStatus.COMPLETED, ("End_lain", "Berkas dikembalikan"))
    admin = actions.client("admin1")
    sop = "process=pemeliharaan_sistem_informasi"

    assert listed(admin, f"{sop}&outcome=EndEvent_selesai") == [cases["waiting"]]
    assert listed(admin, "outcome=End_lain") == [cases["late"]]
    assert listed(admin, "outcome=EndEvent_eskalasi_1") == []
    # A running case that somehow carries an outcome id is not a completed case.
    _end(app, cases["held"], InstanceStatus.SUSPENDED, ("EndEvent_selesai", "x"))
    assert listed(admin, f"{sop}&outcome=EndEvent_selesai") == [cases["waiting"]]

    html = admin.get(f"/admin/cases/?{sop}").get_data(as_text=True)
    select_html = re.search(r'<select name="outcome".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select_html) == ["", "EndEvent_selesai"]
    assert "Permasalahan selesai" in select_html and "Eskalasi tercatat" not in select_html
    # The list shows each completed case's outcome, escaped.
    assert "Selesai &lt;b&gt;" in html and "Selesai <b>" not in html

    unfiltered = admin.get("/admin/cases/").get_data(as_text=True)
    select_html = re.search(r'<select name="outcome"[^>]*>', unfiltered).group(0)
    assert "disabled" in select_html


def test_outcome_filter_is_one_index_range_on_sqlite(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    from webapp.services import instance_list

    with app.app_context():
        filters = instance_list.Filters(process="p", outcome="End_izin_terbit")
        stmt = instance_list.query(filters)
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_process_instance_outcome" in details, details
