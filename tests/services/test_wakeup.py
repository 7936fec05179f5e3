"""When the worker wakes: the sleep computed from the earliest due time at an explicit ``now``,
a sooner timer written meanwhile shortening it, and (PostgreSQL) a NOTIFY ending the wait."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.conftest import STEP1
from webapp.extensions import db
from webapp.models import InstanceStatus, ProcessInstance
from webapp.models.types import utcnow
from webapp.services import wakeup, worker_loop
from webapp.services.instances import start_instance

from .worker_support import PROCESS_ID, user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STANDARD = timedelta(minutes=30)  # step 2's time standard: a case started at t is due at t+30m
NOTIFY_LIMIT = 30  # seconds: a bound that turns a missing NOTIFY into a failure, never a wait


def _start(app, at: datetime) -> int:
    """Start one case with the clock at ``at``: its step-2 standard falls due at ``at`` + 30m."""
    with app.app_context(), time_machine.travel(at, tick=False):
        row, _new = start_instance(PROCESS_ID, user("unit1"), dict(STEP1))
        instance_id = row.id
        db.session.remove()  # hold no transaction while a worker or a listener runs
    return instance_id


@pytest.mark.parametrize(
    ("due_in", "expected"),
    [
        (None, 15.0),  # nothing armed: the interval
        (timedelta(seconds=3.25), 3.25),  # due before the interval ends: exactly until then
        (timedelta(minutes=5), 15.0),  # due after it: the interval
        (timedelta(0), 0.0),  # due now
        (-timedelta(seconds=40), 0.0),  # overdue: no sleep at all
    ],
)
def test_the_worker_sleeps_until_the_earliest_due_time_or_the_interval(due_in, expected):
    earliest = None if due_in is None else NOW + due_in
    assert wakeup.sleep_seconds(NOW, earliest, 15.0) == expected


def test_earliest_timer_is_that_of_a_case_the_sweep_would_take(app):
    first, second = _start(app, NOW), _start(app, NOW)
    later = _start(app, NOW + timedelta(minutes=7))
    with app.app_context():
        assert wakeup.earliest_timer() == NOW + STANDARD
        for suspended in (first, second):
            db.session.get(ProcessInstance, suspended).status = InstanceStatus.SUSPENDED
        db.session.commit()
        assert wakeup.earliest_timer() == NOW + timedelta(minutes=7) + STANDARD
        db.session.get(ProcessInstance, later).status = InstanceStatus.SUSPENDED
        db.session.commit()
        assert wakeup.earliest_timer() is None


class ScriptedWaker(wakeup.Waker):
    """A waker that never sleeps: it records each wait and runs the test's step instead."""

    listens = True

    def __init__(self, steps):
        super().__init__(poll=1.0)
        self.steps = list(steps)
        self.asked: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.asked.append(seconds)
        return self.steps.pop(0)()


def test_a_sooner_timer_written_while_the_worker_sleeps_ends_its_sleep(app):
    woken = []

    def arm_an_overdue_timer() -> bool:
        _start(app, utcnow() - timedelta(hours=1))  # a writer arms a timer already due
        return True

    waker = ScriptedWaker([arm_an_overdue_timer])
    with app.app_context():
        assert wakeup.earliest_timer() is None
        worker_loop.sleep_until_due(waker, 15.0, threading.Event(), lambda: woken.append(1))
    # Nothing was due: the worker meant to sleep its whole interval, then woke and, reading the
    # earliest due time again, found the new timer due and left the sleep without a second wait.
    assert len(waker.asked) == 1 and waker.asked[0] > 14.0, waker.asked
    assert woken == [1]


def test_a_polling_worker_reads_the_due_time_again_after_each_poll(app):
    def arm_a_timer_due_now() -> bool:
        _start(app, utcnow() - timedelta(hours=1))
        return False  # no NOTIFY where the database has none: the poll finds it

    waker = ScriptedWaker([arm_a_timer_due_now])
    waker.listens = False
    with app.app_context():
        worker_loop.sleep_until_due(waker, 15.0, threading.Event())
    assert len(waker.asked) == 1, waker.asked


def test_a_stop_signal_ends_the_sleep(app):
    stop = threading.Event()

    def stop_the_worker() -> bool:
        stop.set()
        return False

    waker = ScriptedWaker([stop_the_worker])
    with app.app_context():
        worker_loop.sleep_until_due(waker, 15.0, stop)
    assert len(waker.asked) == 1


def test_a_database_that_cannot_say_means_a_sleep_of_one_interval(app, monkeypatch):
    def unreachable():
        raise OperationalError("SELECT min(next_timer_at)", {}, ConnectionError("gone"))

    monkeypatch.setattr(wakeup, "earliest_timer", unreachable)
    with app.app_context():
        assert worker_loop._pause(15.0) == 15.0  # the loop goes on; the next sweep says why


def test_the_poll_is_never_longer_than_a_second():
    assert wakeup.Waker(poll=30).poll == 1.0
    assert wakeup.Waker(poll=0.2).poll == 0.2


@pytest.fixture
def listening(app):
    """A worker's LISTEN connection on PostgreSQL (the other databases poll instead)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite and MariaDB are polled")
        waker = wakeup.waker_for(db.engine, poll=1.0)
        assert isinstance(waker, wakeup.ListeningWaker)
        waker.poll = NOTIFY_LIMIT  # one wait, bounded: a working NOTIFY ends it at once
        waker.wait(0)  # LISTEN now, before anything is written
        try:
            yield waker
        finally:
            waker.close()


def _hear_all(app, waker: wakeup.ListeningWaker) -> list[str]:
    """Every payload heard up to now: a last NOTIFY of our own marks the end (commit order)."""
    with app.app_context():
        db.session.execute(text("SELECT pg_notify(:channel, 'end')"), {"channel": wakeup.CHANNEL})
        db.session.commit()
    while "end" not in waker.heard:
        assert waker.wait(NOTIFY_LIMIT) is True, list(waker.heard)
    return list(waker.heard)[:-1]


def _move_timer(app, instance_id: int, by: timedelta, commit: bool = True) -> None:
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        row.next_timer_at = row.next_timer_at + by
        db.session.flush()
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def test_a_sooner_timer_notifies_a_listening_worker_at_commit_and_only_then(app, listening):
    instance_id = _start(app, utcnow())  # armed where none was: sooner
    _move_timer(app, instance_id, timedelta(hours=1))  # later: the worker need not know
    _move_timer(app, instance_id, -timedelta(hours=2), commit=False)  # rolled back: never sent
    _move_timer(app, instance_id, -timedelta(minutes=10))  # sooner, committed
    # NOTIFYs arrive in commit order: had the later or the rolled-back change sent one, it would
    # stand between these two.
    assert _hear_all(app, listening) == ["timer", "timer"]


def test_queuing_a_service_call_notifies_a_listening_worker(app, actions, listening):
    actions.run_to("end")  # started (a timer armed), steps done, the deployment queued
    heard = _hear_all(app, listening)
    assert heard[0] == "timer", heard  # the start
    assert heard[-1].split(",")[0] == "call", heard  # the passed test queued the deployment
    assert sum("call" in payload for payload in heard) == 1, heard
