"""One worker runs several service calls at once (``--concurrency``), each exactly once.

The overlap is proven, not timed: the deployment connector waits on a barrier that only opens
when every expected call is inside the connector at the same moment. On SQLite too: the
threads of one worker claim a call with an update conditional on it still being queued, so a
call two threads read at once still runs once.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import service_tasks
from tests.conftest import deadline
from webapp.extensions import db
from webapp.models import Incident, ServiceCall, ServiceCallStatus
from webapp.services import service_calls, worker_loop

DEPLOY = "deploy_to_colocation"
REPORT = "generate_repair_report"
BARRIER_SECONDS = 60  # a bound that turns "never together" into a failure, not a wait
HANG_SECONDS = 180


class Rendezvous:
    """A deployment that returns only once ``parties`` deployments are running together."""

    def __init__(self, parties: int, stop: threading.Event):
        self.barrier = threading.Barrier(parties, timeout=BARRIER_SECONDS)
        self.stop = stop
        self.threads: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, aplikasi, rilis, *, on_output=None):
        with self.lock:
            self.threads[threading.current_thread().name] += 1
        self.barrier.wait()  # BrokenBarrierError (the call fails) unless all are here at once
        self.stop.set()  # everyone met: the runners leave after the call they are running
        return {"target": "colo:/var/www/app", "exit_code": 0, "log": "ok"}


@pytest.fixture
def rendezvous(monkeypatch):
    def install(parties: int, stop: threading.Event) -> Rendezvous:
        fake = Rendezvous(parties, stop)
        record = dataclasses.replace(service_tasks.REGISTRY[DEPLOY], function=fake)
        monkeypatch.setitem(service_tasks.REGISTRY, DEPLOY, record)
        return fake

    return install


def _calls(app) -> list[ServiceCall]:
    with app.app_context():
        rows = list(db.session.scalars(select(ServiceCall).order_by(ServiceCall.id)))
        db.session.expunge_all()
    return rows


@pytest.mark.parametrize("threads", [2, 3])
def test_two_queued_deployments_run_at_the_same_time_each_exactly_once(
    app, actions, rendezvous, threads
):
    cases = [actions.run_to("end"), actions.run_to("end")]  # each waits on its deployment
    stop = threading.Event()
    fake = rendezvous(len(cases), stop)
    runners = worker_loop.CallRunners(app, threads, poll=0.05, stop=stop)
    with deadline(HANG_SECONDS):
        runners.start().join()

    assert fake.barrier.broken is False
    # Two different threads were inside the connector together, each once.
    assert sorted(fake.threads.values()) == [1, 1], fake.threads
    assert runners.take_count() == len(cases)
    deployments = [c for c in _calls(app) if c.operator == DEPLOY]
    assert sorted(c.instance_id for c in deployments) == sorted(cases)
    for call in deployments:
        assert (call.status, call.attempt) == (ServiceCallStatus.SUCCEEDED, 1), call.error
        assert call.worker == service_calls.WORKER_ID
    # The runners stopped after the deployments: each case's report is queued, none ran twice.
    reports = [c for c in _calls(app) if c.operator == REPORT]
    assert sorted(c.instance_id for c in reports) == sorted(cases)
    assert {c.status for c in reports} == {ServiceCallStatus.QUEUED}
    with app.app_context():
        assert db.session.scalars(select(Incident)).all() == []


@pytest.mark.parametrize("bad", ["0", "-1", "33", "many"])
def test_worker_refuses_a_concurrency_out_of_range(app, bad):
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--concurrency", bad])
    assert result.exit_code == 2, result.output
    assert "--concurrency" in result.output


class Held:
    """A deployment that stays inside the connector until the test releases it."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, aplikasi, rilis, *, on_output=None):
        self.entered.set()
        if not self.release.wait(BARRIER_SECONDS):
            raise TimeoutError("the test never released the deployment")
        return {"target": "colo:/var/www/app", "exit_code": 0, "log": "ok"}


def test_a_quiet_call_running_on_a_thread_is_not_taken_for_a_dead_one(app, actions, monkeypatch):
    """The sweep beside the runners renews the heartbeat of the calls this process runs."""
    held = Held()
    record = dataclasses.replace(service_tasks.REGISTRY[DEPLOY], function=held)
    monkeypatch.setitem(service_tasks.REGISTRY, DEPLOY, record)
    instance_id = actions.run_to("end")
    stop = threading.Event()
    runners = worker_loop.CallRunners(app, 1, poll=0.05, stop=stop).start()
    try:
        with deadline(HANG_SECONDS):
            assert held.entered.wait(BARRIER_SECONDS), "the runner never started the deployment"
            with app.app_context():
                [call] = db.session.scalars(select(ServiceCall)).all()
                silent_since = call.heartbeat_at - timedelta(
                    seconds=service_calls.HEARTBEAT_TIMEOUT_SECONDS + 60
                )
                call.heartbeat_at = silent_since  # no output for longer than the timeout
                db.session.commit()
                assert service_calls.mark_interrupted() == 0
                db.session.refresh(call)
                assert call.status == ServiceCallStatus.RUNNING
                assert call.heartbeat_at > silent_since
    finally:
        held.release.set()
        stop.set()
        runners.join()
    [call] = [c for c in _calls(app) if c.operator == DEPLOY]
    assert (call.instance_id, call.status) == (instance_id, ServiceCallStatus.SUCCEEDED)
    with app.app_context():
        assert db.session.scalars(select(Incident)).all() == []


def test_a_deadlock_victim_records_the_end_of_its_call_again_without_rerunning_it(
    app, actions, monkeypatch
):
    """Calls finishing at once may deadlock (InnoDB picks a victim): the victim's recording is
    rolled back and done again; the connector ran once."""
    held = Held()
    held.release.set()  # returns at once, counting its calls by its entries
    ran = []
    record = dataclasses.replace(
        service_tasks.REGISTRY[DEPLOY], function=lambda **kw: ran.append(kw) or held(**kw)
    )
    monkeypatch.setitem(service_tasks.REGISTRY, DEPLOY, record)
    instance_id = actions.run_to("end")
    real_finish = service_calls.finish
    victims = []

    def finish_once_a_victim(*args, **kwargs):
        if not victims:
            victims.append(args[0])
            raise OperationalError("UPDATE process_instance …", {}, Exception(1213, "Deadlock"))
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(service_calls, "finish", finish_once_a_victim)
    with app.app_context():
        assert service_calls.run_next() is True
    [call] = [c for c in _calls(app) if c.operator == DEPLOY]
    assert victims == [call.id]
    assert (call.instance_id, call.status, call.attempt) == (
        instance_id,
        ServiceCallStatus.SUCCEEDED,
        1,
    )
    assert len(ran) == 1
    with app.app_context():
        assert db.session.scalars(select(Incident)).all() == []
