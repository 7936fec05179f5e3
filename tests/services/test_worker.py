"""The timer worker: each breach recorded exactly once by competing or killed worker processes;
breach e-mails reach a real SMTP server, and a dead one leaves the in-app notification."""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tests.conftest import STEP1, deadline
from webapp.extensions import db
from webapp.models import HumanTask, Notification, NotificationDelivery, WorkerStatus
from webapp.services.notifications import notify, unread_count
from webapp.services.outbox import send_due
from webapp.services.timers import fire_due_timers

from .worker_support import (
    MAX_ONCE_RUNS,
    MAX_POLLS,
    POLL_SECONDS,
    PROCESS_TIMEOUT,
    STEP_2,
    STEP_2_NAME,
    HeldStep,
    Worker,
    assert_each_breach_recorded_once,
    breached_count,
    due_count,
    free_port,
    start_cases,
    start_due_cases,
    user,
    wait_until_blocked,
    worker_env,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BEFORE_HELD = 20  # cases the killed worker commits before it reaches the held one
KETUA_MAIL = "ketua1@dinas.example"


@pytest.fixture
def server_app(request, database_url):
    """The app, on PostgreSQL or MariaDB only (skipped before the database is seeded)."""
    if database_url.startswith("sqlite"):
        pytest.skip("SKIP LOCKED race needs a server database")
    return request.getfixturevalue("app")


def _run_once_until_idle(env, tmp_path, name: str) -> list[dict[str, int]]:
    """Run ``worker --once`` until a run finds nothing and nothing is due; return every sweep."""
    sweeps = []
    for run in range(MAX_ONCE_RUNS):
        sweep = Worker(env, tmp_path, f"{name}-{run}", "--once").sweep()
        sweeps.append(sweep)
        if sweep["instances"] == 0 and due_count() == 0:
            break
    return sweeps


@pytest.mark.slow
def test_two_worker_processes_record_each_breach_exactly_once(server_app, database_url, tmp_path):
    ids = start_due_cases(server_app, 300)
    env = worker_env(database_url, tmp_path)
    sweeps: dict[str, list[dict[str, int]]] = {"a": [], "b": []}
    with server_app.app_context():
        assert due_count() == len(ids)
        for run in range(MAX_ONCE_RUNS):
            # Both processes exist before either is waited on: they sweep the same rows at once.
            workers = {name: Worker(env, tmp_path, f"{name}-{run}", "--once") for name in sweeps}
            try:
                results = {name: w.sweep() for name, w in workers.items()}
            finally:
                for w in workers.values():
                    w.stop()
            for name, result in results.items():
                sweeps[name].append(result)
            if all(r["instances"] == 0 for r in results.values()) and due_count() == 0:
                break

        every = sweeps["a"] + sweeps["b"]
        assert sum(s["failed"] for s in every) == 0, sweeps
        assert sum(s["breaches"] for s in every) == len(ids), sweeps
        assert sum(s["notifications"] for s in every) == len(ids), sweeps
        assert_each_breach_recorded_once(ids)


@pytest.mark.slow
def test_worker_killed_mid_sweep_loses_no_timer_and_doubles_none(
    server_app, database_url, tmp_path
):
    ids = start_due_cases(server_app, 200)
    env = worker_env(database_url, tmp_path)
    # The sweep takes cases in id order (all are due at the same moment): the first BEFORE_HELD
    # commit, then it waits on the held case, provably mid-sweep, however fast the machine.
    held = HeldStep(database_url, ids[BEFORE_HELD])
    try:
        with server_app.app_context(), deadline(2 * PROCESS_TIMEOUT):
            worker = Worker(env, tmp_path, "doomed", "--interval", "0.2")
            try:
                wait_until_blocked(worker, held)
                assert breached_count() == BEFORE_HELD
                os.kill(worker.pid, signal.SIGKILL)
                assert worker.process.wait(30) == -signal.SIGKILL
            finally:
                worker.stop()
    finally:
        held.release()
    with server_app.app_context():
        # The held case's transaction died with the worker: nothing of it was committed.
        committed = breached_count()
        assert committed == BEFORE_HELD, f"{committed}/{len(ids)} committed after the kill"

        sweeps = _run_once_until_idle(env, tmp_path, "after")
        assert sweeps[-1]["instances"] == 0, sweeps
        assert sum(s["failed"] for s in sweeps) == 0, sweeps
        # The killed worker's last, uncommitted instance was rolled back and redone.
        assert sum(s["breaches"] for s in sweeps) == len(ids) - committed, sweeps
        assert_each_breach_recorded_once(ids)


def _wait_for(condition, what: str) -> None:
    """Poll the database for work the workers do (bounded): a hang fails, never stalls."""
    for _ in range(MAX_POLLS):
        if condition():
            return
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"still waiting for {what} after {PROCESS_TIMEOUT}s")


def _workers_seen() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(WorkerStatus))


@pytest.mark.slow
def test_sleeping_workers_woken_by_new_due_cases_record_each_breach_exactly_once(
    server_app, database_url, tmp_path
):
    """Two looping workers (not --once), asleep for their whole interval, are woken by the cases
    written meanwhile (NOTIFY on PostgreSQL, the poll on MariaDB) and race for them."""
    env = worker_env(database_url, tmp_path)
    workers = [
        Worker(env, tmp_path, name, "--interval", "600", "--concurrency", "2")
        for name in ("a", "b")
    ]
    try:
        with server_app.app_context(), deadline(3 * PROCESS_TIMEOUT):
            _wait_for(lambda: _workers_seen() == len(workers), "each worker's first sweep")
            ids = start_due_cases(server_app, 150)  # due already: any wake-up must fire them
            _wait_for(lambda: breached_count() == len(ids), "every breach")
            for worker in workers:
                worker.process.send_signal(signal.SIGTERM)
            for worker in workers:
                assert worker.wait() == 0, worker.stderr[-3000:]
            assert_each_breach_recorded_once(ids)
            db.session.rollback()
            stopped = db.session.scalars(select(WorkerStatus.stopped_at)).all()
            assert len(stopped) == 2 and all(stopped), "a worker left without saying so"
    finally:
        for worker in workers:
            worker.stop()


class Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def _breach_one_case(app, port: int) -> int:
    """Give ketua1 an address, point the app at an SMTP port, breach step 2 of one new case."""
    app.config["SMTP"] = {**app.config["SMTP"], "host": "127.0.0.1", "port": port}
    with app.app_context():
        user("ketua1").email = KETUA_MAIL
        db.session.commit()
    [instance_id] = start_cases(app, 1, T0)
    with app.app_context():
        with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
            result = fire_due_timers()
        assert (result.instances, result.breaches, result.notifications) == (1, 1, 1), result
        task = db.session.scalar(select(HumanTask).where(HumanTask.bpmn_id == STEP_2))
        assert task.breached_at == T0 + timedelta(minutes=30)
    return instance_id


def _notification() -> Notification:
    db.session.rollback()
    [row] = db.session.scalars(select(Notification)).all()
    return row


def _email_delivery() -> NotificationDelivery:
    db.session.rollback()
    [row] = db.session.scalars(
        select(NotificationDelivery).where(NotificationDelivery.channel == "email")
    ).all()
    return row


def test_breach_email_reaches_the_smtp_server(app, smtp_inbox):
    port, inbox = smtp_inbox
    instance_id = _breach_one_case(app, port)
    with app.app_context():
        delivery = _email_delivery()
        assert (delivery.notification_id, delivery.status) == (_notification().id, "pending")
        assert send_due() == 1

        [envelope] = inbox.envelopes
        assert envelope.rcpt_tos == [KETUA_MAIL]
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert message["To"] == KETUA_MAIL
        subject = str(message["Subject"])
        assert STEP_2_NAME in subject
        assert re.search(rf"#{instance_id}\b", subject), subject
        body = message.get_body(("plain",)).get_content()
        assert STEP1["judul"] in body

        row = _notification()
        assert row.user_id == user("ketua1").id
        assert row.emailed_at is not None
        assert row.email_pending is False
        assert row.email_error == ""
        assert (_email_delivery().status, _email_delivery().attempts) == ("sent", 1)

        assert send_due() == 0
        assert len(inbox.envelopes) == 1


def test_unreachable_smtp_server_keeps_the_in_app_notification(app):
    _breach_one_case(app, free_port())  # nobody listens there
    with app.app_context():
        assert send_due() == 0
        row = _notification()
        ketua = user("ketua1")
        assert row.user_id == ketua.id
        assert row.email_error != ""
        assert row.emailed_at is None
        assert row.read_at is None
        assert unread_count(ketua) == 1
        delivery = _email_delivery()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.last_error == row.email_error
        assert send_due() == 0  # retried later (back-off), not in a loop
        assert _email_delivery().attempts == 1


def test_an_email_queued_by_the_old_outbox_is_still_sent(app, smtp_inbox):
    port, inbox = smtp_inbox
    app.config["SMTP"] = {**app.config["SMTP"], "host": "127.0.0.1", "port": port}
    with app.app_context():
        ketua = user("ketua1")
        ketua.email = KETUA_MAIL
        # What the outbox before per-channel deliveries left: a flag on the notification.
        [row] = notify([ketua], "sla_breach", "Langkah terlambat", "Isi")
        db.session.flush()
        db.session.query(NotificationDelivery).delete()
        row.email_pending = True
        db.session.commit()
        assert send_due() == 1
        assert send_due() == 0
        [envelope] = inbox.envelopes
        assert envelope.rcpt_tos == [KETUA_MAIL]
        row = _notification()
        assert (row.email_pending, row.emailed_at is not None) == (False, True)


def test_worker_once_prints_what_it_did(app, database_url, tmp_path):
    [instance_id] = start_due_cases(app, 1)
    worker = Worker(worker_env(database_url, tmp_path), tmp_path, "once", "--once")
    sweep = worker.sweep()
    assert "breaches=1" in worker.stdout
    assert (sweep["instances"], sweep["timers"], sweep["breaches"]) == (1, 1, 1), sweep
    assert (sweep["notifications"], sweep["failed"]) == (1, 0), sweep
    with app.app_context():
        task = db.session.scalar(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == STEP_2
            )
        )
        assert task.breached_at is not None
