"""The one lateness rule: its Python predicate and its SQL twin agree on the same steps, on
every database; finishing at the due time is on time, still open at it is late (the timer fires
then), a step without a due time never late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from webapp.engine.calendar import WallClockCalendar, WorkingHoursCalendar
from webapp.extensions import db
from webapp.models import HumanTask, ServiceCall, ServiceCallStatus, TaskStatus
from webapp.services import lateness, sla

DUE = datetime(2026, 11, 17, 2, 30, 0, 500_000, tzinfo=UTC)
TICK = timedelta(microseconds=1)
DUES = [None, DUE]
FINISHES = [None, DUE - timedelta(hours=1), DUE - TICK, DUE, DUE + TICK, DUE + timedelta(days=2)]
NOWS = [DUE - timedelta(minutes=1), DUE - TICK, DUE, DUE + TICK, DUE + timedelta(days=3)]


@pytest.mark.parametrize(
    ("due", "finished", "now", "late"),
    [
        (None, None, DUE + timedelta(days=9), False),  # no standard: never late
        (None, DUE + timedelta(days=9), DUE, False),
        (DUE, None, DUE - TICK, False),
        (DUE, None, DUE, True),  # open at its due time: its timer fires and escalates now
        (DUE, None, DUE + TICK, True),
        (DUE, DUE, DUE + timedelta(days=1), False),  # done at its due time: on time
        (DUE, DUE + TICK, DUE + TICK, True),
        (DUE, DUE - timedelta(hours=1), DUE + timedelta(days=1), False),
    ],
)
def test_the_rule(due, finished, now, late):
    assert lateness.is_late(due, finished, now) is late
    if finished is not None:
        assert lateness.kept_standard(due, finished) is not late


def test_an_automatic_steps_due_time_is_its_standard_counted_by_the_calendar():
    start = datetime(2026, 11, 20, 8, 45, tzinfo=UTC)  # Friday 15:45 in Jakarta
    assert lateness.due_time(WallClockCalendar(), "PT30M", start) == start + timedelta(minutes=30)
    # Under working hours the rest runs on Monday morning: 45 minutes left on Friday.
    assert lateness.due_time(WorkingHoursCalendar(), "PT1H", start) == datetime(
        2026, 11, 23, 0, 45, tzinfo=UTC
    )
    assert lateness.due_time(WallClockCalendar(), None, start) is None
    assert lateness.due_time(WallClockCalendar(), "PT30M", None) is None


@pytest.fixture
def steps(app, actions) -> list[int]:
    """A person's task and an automatic step for every due and finish time above, stored."""
    instance_id = actions.start()["id"]
    with app.app_context():
        for i, (due, finished) in enumerate((d, f) for d in DUES for f in FINISHES):
            db.session.add(
                HumanTask(
                    instance_id=instance_id,
                    process_id="p",
                    spiff_task_id=f"lateness-{i}",
                    bpmn_id="Task_x",
                    name="x",
                    status=TaskStatus.COMPLETED if finished else TaskStatus.OPEN,
                    ready_at=DUE - timedelta(days=1),
                    due_at=due,
                    completed_at=finished,
                )
            )
            db.session.add(
                ServiceCall(
                    instance_id=instance_id,
                    spiff_task_id=f"lateness-{i}",
                    bpmn_id="Task_x",
                    operator="x",
                    idempotency_key=f"lateness-{i}",
                    status=ServiceCallStatus.SUCCEEDED if finished else ServiceCallStatus.RUNNING,
                    started_at=DUE - timedelta(days=1),
                    due_at=due,
                    finished_at=finished,
                )
            )
        db.session.commit()
    return [instance_id]


@pytest.mark.parametrize("now", NOWS, ids=lambda n: (n - DUE).total_seconds())
def test_sql_and_python_agree_on_the_same_steps(app, steps, now):
    with app.app_context():
        for model, finished_at, ours in (
            (HumanTask, HumanTask.completed_at, HumanTask.process_id == "p"),
            (ServiceCall, ServiceCall.finished_at, ServiceCall.spiff_task_id.like("lateness-%")),
        ):
            rows = db.session.execute(
                select(
                    model.id,
                    model.due_at,
                    finished_at,
                    lateness.late_flag(model.due_at, finished_at, now),
                    lateness.late(model.due_at, finished_at, now),
                    lateness.late_unfinished(model.due_at, now),
                    lateness.late_finished(model.due_at, finished_at),
                    lateness.kept_flag(model.due_at, finished_at),
                ).where(ours)
            ).all()
            assert len(rows) == len(DUES) * len(FINISHES)
            for _id, due, finished, flag, late, unfinished, done_late, kept in rows:
                expected = lateness.is_late(due, finished, now)
                step = (model.__name__, due, finished, now)
                assert bool(flag) is expected, step
                assert bool(late) is expected, step  # NULL (no due time) reads as not late
                if finished is None:
                    assert bool(unfinished) is expected, step
                else:
                    assert bool(done_late) is expected, step
                    assert bool(kept) is lateness.kept_standard(due, finished), step
            # The same, as WHERE clauses select them (NULL must not match).
            where = set(
                db.session.scalars(
                    select(model.id).where(ours, lateness.late(model.due_at, finished_at, now))
                )
            )
            assert where == {r[0] for r in rows if lateness.is_late(r[1], r[2], now)}


@pytest.mark.parametrize("now", NOWS, ids=lambda n: (n - DUE).total_seconds())
def test_the_sla_pages_bindings_ask_the_same_rule(app, steps, now):
    with app.app_context():
        tasks = db.session.scalars(select(HumanTask).where(HumanTask.process_id == "p")).all()
        overdue = set(
            db.session.scalars(
                select(HumanTask.id).where(HumanTask.process_id == "p", sla.overdue(now))
            )
        )
        assert overdue == {
            t.id
            for t in tasks
            if t.status == TaskStatus.OPEN and lateness.is_late(t.due_at, t.completed_at, now)
        }
        met = dict(
            db.session.execute(
                select(HumanTask.id, sla.met()).where(
                    HumanTask.process_id == "p", HumanTask.status == TaskStatus.COMPLETED
                )
            ).all()
        )
        assert met == {
            t.id: int(lateness.kept_standard(t.due_at, t.completed_at))
            for t in tasks
            if t.status == TaskStatus.COMPLETED
        }
