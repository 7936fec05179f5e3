"""Transactions: one winner when two people act on the same task at once; nothing half-done."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.conftest import STEP2, STEP3, STEP4_FAIL, STEP4_PASS
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User
from webapp.services import instances as svc
from webapp.services.errors import Conflict


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _race(app, fn, n: int = 2):
    """Run fn(i) in n threads started together; return the results or exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = fn(i)
            except Exception as exc:  # noqa: BLE001 - collected for the assertions
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_people_completing_the_same_task_at_once_one_wins(app, actions):
    # Two Ketua Tim members submit step 2 of the same case at the same moment.
    with app.app_context():
        second = User(username="ketua2", full_name="Kedua")
        second.set_password("demo")
        second.roles = list(_user("ketua1").roles)
        db.session.add(second)
        db.session.commit()
    instance_id = actions.start()["id"]
    task_id = actions.open_task(instance_id, "Task_2_analisa").id
    with app.app_context():
        counter = db.session.get(ProcessInstance, instance_id).version_counter
    names = ["ketua1", "ketua2"]

    def complete(i: int):
        return svc.complete_task(_user(names[i]), task_id, dict(STEP2, analisis=f"Analisa {i} ..."))

    results = _race(app, complete)
    winners = [r for r in results if isinstance(r, HumanTask)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "sudah diselesaikan" in losers[0].message
    with app.app_context():
        rows = db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
        ).all()
        # Exactly one step-3 task exists: the loser's engine run left nothing behind.
        assert [t.bpmn_id for t in rows].count("Task_3_troubleshooting") == 1
        completed = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "task.completed")
        )
        assert completed == 2  # step 1 and the one winner of step 2
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.version_counter == counter + 1  # one completion, not two


def test_two_people_claiming_at_once_one_wins(app, actions):
    with app.app_context():
        second = User(username="ketua2", full_name="Kedua")
        second.set_password("demo")
        second.roles = list(_user("ketua1").roles)
        db.session.add(second)
        db.session.commit()
    task_id = actions.open_task(actions.start()["id"], "Task_2_analisa").id
    names = ["ketua1", "ketua2"]
    results = _race(app, lambda i: svc.claim_task(_user(names[i]), task_id))
    assert sum(isinstance(r, HumanTask) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1


def test_failed_engine_step_rolls_back_everything(app, actions, monkeypatch):
    instance_id = actions.start()["id"]
    task_id = actions.open_task(instance_id, "Task_2_analisa").id
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        before, counter = row.state, row.version_counter

    from webapp.engine import instance as engine_instance

    def explode(self, task_id, data):
        raise engine_instance.EngineError("simulated crash in the engine")

    monkeypatch.setattr(engine_instance.ProcessInstance, "complete_user_task", explode)
    response = actions.complete("ketua1", task_id, STEP2)
    assert response.status_code == 400
    assert "simulated crash" in response.get_json()["message"]
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        assert row.state == before and row.version_counter == counter
        assert db.session.get(HumanTask, task_id).status == TaskStatus.OPEN


def test_loop_keeps_one_open_task_and_history_in_order(app, actions):
    instance_id = actions.run_to("Task_4_uji_implementasi")
    for _ in range(3):
        task = actions.open_task(instance_id, "Task_4_uji_implementasi")
        assert actions.complete("tim1", task.id, STEP4_FAIL).status_code == 200
        task = actions.open_task(instance_id, "Task_3_troubleshooting")
        assert actions.complete("tim1", task.id, STEP3).status_code == 200
    task = actions.open_task(instance_id, "Task_4_uji_implementasi")
    assert actions.complete("tim1", task.id, STEP4_PASS).status_code == 200
    with app.app_context():
        rows = db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
        ).all()
        assert [t.bpmn_id[:6] for t in rows] == ["Task_1", "Task_2"] + ["Task_3", "Task_4"] * 4
        assert all(t.status == TaskStatus.COMPLETED for t in rows)
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance.status == InstanceStatus.RUNNING
        assert instance.current_step == "Upload ke server colocation"
        assert instance.next_timer_at is not None  # the upload step's own time standard


@pytest.mark.parametrize("field", ["anggota_tim"])
def test_team_member_who_left_is_not_offered_and_is_refused(app, actions, field):
    with app.app_context():
        _user("tim2").active = False
        db.session.commit()
    instance_id = actions.start()["id"]
    task = actions.open_task(instance_id, "Task_2_analisa")
    response = actions.complete("ketua1", task.id, dict(STEP2, **{field: ["tim2"]}))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_double_click_on_claim_claims_once_and_records_once(app, actions):
    task_id = actions.open_task(actions.start()["id"], "Task_2_analisa").id
    results = _race(app, lambda i: svc.claim_task(_user("ketua1"), task_id))
    assert all(isinstance(r, HumanTask) for r in results), results
    with app.app_context():
        claimed = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "task.claimed")
        )
        assert claimed == 1
        assert db.session.get(HumanTask, task_id).assigned_user_id == _user("ketua1").id
