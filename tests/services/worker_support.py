"""Helpers for the worker tests: due cases, real worker processes, an SMTP inbox, invariants."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import time_machine
from sqlalchemy import func, select

from tests.conftest import STEP1
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    HumanTask,
    Incident,
    InstanceStatus,
    Notification,
    ProcessInstance,
    User,
)
from webapp.models.types import utcnow
from webapp.services.instances import start_instance
from webapp.services.timers import SWEEPABLE

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.prefix) / "bin" / "flask"
PROCESS_ID = "pemeliharaan_sistem_informasi"
STEP_2 = "Task_2_analisa"
STEP_2_NAME = "Menerima dan menganalisa"
SWEEP_LINE = re.compile(r"^sweep: (.+)$", re.MULTILINE)
# Bounds that turn a hang into a failure rather than a stuck suite.
PROCESS_TIMEOUT = 120
MAX_ONCE_RUNS = 10
# MariaDB refreshes its InnoDB lock tables only when they were left unread for 0.1 s: polled
# more often, they keep showing what they showed first.
POLL_SECONDS = 0.25
MAX_POLLS = int(PROCESS_TIMEOUT / POLL_SECONDS)
# The server's own id of a connection, and the transactions waiting for a lock that one holds
# (asked from another connection: PostgreSQL keeps one snapshot of its statistics per transaction).
CONNECTION_ID = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
LOCK_WAITERS = {
    "postgresql": "SELECT count(*) FROM pg_stat_activity"
    " WHERE :holder = ANY(pg_blocking_pids(pid))",
    "mysql": "SELECT count(*) FROM information_schema.innodb_lock_waits w"
    " JOIN information_schema.innodb_trx b ON b.trx_id = w.blocking_trx_id"
    " WHERE b.trx_mysql_thread_id = :holder",
}


def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, username
    return found


def start_cases(app, count: int, at: datetime) -> list[int]:
    """Start ``count`` cases (step 1 done, step 2 open) with the clock frozen at ``at``."""
    with app.app_context():
        with time_machine.travel(at, tick=False):
            unit = user("unit1")
            for i in range(count):
                start_instance(PROCESS_ID, unit, dict(STEP1, judul=f"{STEP1['judul']} ({i})"))
        ids = list(db.session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id)))
        db.session.remove()  # hold no transaction while workers run
    assert len(ids) == count
    return ids


def start_due_cases(app, count: int) -> list[int]:
    """Start cases two hours ago: step 2's PT30M standard is due in the real past."""
    return start_cases(app, count, utcnow() - timedelta(hours=2))


def free_port() -> int:
    """A port nobody listens on (bound once by us, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a worker process on the test database; no inherited sopflow setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPFLOW_", "FLASK_"))}
    env.update(
        SOPFLOW_DATABASE_URL=database_url,
        SOPFLOW_SLA_CALENDAR="calendar",
        SOPFLOW_ATTACHMENT_DIR=str(tmp_path / "attachments"),
        SOPFLOW_SMTP_HOST="",
    )
    return env


class Worker:
    """One ``flask --app webapp worker`` OS process; output goes to files (no pipe can fill)."""

    def __init__(self, env: dict[str, str], tmp_path: Path, name: str, *args: str):
        self.out = tmp_path / f"{name}.out"
        self.err = tmp_path / f"{name}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [str(FLASK), "--app", "webapp", "worker", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                text=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self) -> int:
        try:
            return self.process.wait(PROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def stdout(self) -> str:
        return self.out.read_text()

    @property
    def stderr(self) -> str:
        return self.err.read_text()

    def sweep(self) -> dict[str, int]:
        """Wait for a ``--once`` run and return the numbers of its one sweep line."""
        code = self.wait()
        assert code == 0, f"worker exited {code}:\n{self.stdout}\n{self.stderr[-3000:]}"
        return parse_sweep(self.stdout)


def parse_sweep(stdout: str) -> dict[str, int]:
    lines = SWEEP_LINE.findall(stdout)
    assert len(lines) == 1, stdout
    return {key: int(value) for key, value in (part.split("=") for part in lines[0].split())}


def due_count() -> int:
    """Instances whose timer is due now and that a sweep would still pick up."""
    db.session.rollback()  # a fresh snapshot (MariaDB reads REPEATABLE READ)
    return db.session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(ProcessInstance.next_timer_at <= utcnow(), ProcessInstance.status.in_(SWEEPABLE))
    )


def breached_count() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).select_from(HumanTask).where(HumanTask.breached_at.is_not(None))
    )


def _per_instance(query) -> dict[int, int]:
    return {instance_id: n for instance_id, n in db.session.execute(query)}


def assert_each_breach_recorded_once(ids: list[int]) -> None:
    """Every case: one breached step 2, one timer.fired, one sla.escalated, one notification
    to ketua1; nothing failed, nothing left due."""
    db.session.rollback()
    once = {i: 1 for i in ids}
    step_2_rows = _per_instance(
        select(HumanTask.instance_id, func.count())
        .where(HumanTask.bpmn_id == STEP_2)
        .group_by(HumanTask.instance_id)
    )
    assert step_2_rows == once, "a step-2 task row was duplicated or lost"
    breached = _per_instance(
        select(HumanTask.instance_id, func.count())
        .where(HumanTask.bpmn_id == STEP_2, HumanTask.breached_at.is_not(None))
        .group_by(HumanTask.instance_id)
    )
    missing = sorted(set(ids) - set(breached))
    assert breached == once, f"instances without a recorded breach: {missing[:20]}"
    for action in ("timer.fired", "sla.escalated"):
        events = _per_instance(
            select(AuditEvent.instance_id, func.count())
            .where(AuditEvent.action == action)
            .group_by(AuditEvent.instance_id)
        )
        doubled = sorted(i for i, n in events.items() if n != 1)
        assert events == once, f"{action}: missing {sorted(set(ids) - set(events))[:20]}, " + (
            f"doubled {doubled[:20]}"
        )
    ketua = user("ketua1")
    notified = _per_instance(
        select(Notification.instance_id, func.count())
        .where(Notification.user_id == ketua.id)
        .group_by(Notification.instance_id)
    )
    assert notified == once
    total = db.session.scalar(select(func.count()).select_from(Notification))
    assert total == len(ids), "someone besides ketua1 was notified"
    incidents = db.session.scalars(select(Incident.message)).all()
    assert incidents == []
    statuses = set(db.session.scalars(select(ProcessInstance.status)))
    assert statuses == {InstanceStatus.WAITING}
    now = utcnow()
    pending = [
        (i, at)
        for i, at in db.session.execute(select(ProcessInstance.id, ProcessInstance.next_timer_at))
        if at is not None and at <= now
    ]
    assert pending == [], "instances still due after the sweep"


class HeldStep:
    """Step 2's task row of one case, locked FOR UPDATE by the test in a connection of its own.

    A sweep that reaches this case waits for the lock inside the case's transaction (its
    UPDATE of ``breached_at`` cannot proceed); the cases swept before it stay committed.
    """

    def __init__(self, database_url: str, instance_id: int):
        self.engine = sa.create_engine(database_url)
        self.conn = self.engine.connect()
        self.observer = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        dialect = self.engine.dialect.name
        self.waiting = sa.text(LOCK_WAITERS[dialect])
        self.transaction = self.conn.begin()
        self.holder = self.conn.execute(sa.text(CONNECTION_ID[dialect])).scalar_one()
        locked = self.conn.execute(
            select(HumanTask.id)
            .where(HumanTask.instance_id == instance_id, HumanTask.bpmn_id == STEP_2)
            .with_for_update()
        ).all()
        assert len(locked) == 1, locked

    def waiters(self) -> int:
        """How many transactions the server shows waiting for this lock."""
        return self.observer.execute(self.waiting, {"holder": self.holder}).scalar_one()

    def release(self) -> None:
        self.transaction.rollback()
        self.conn.close()
        self.observer.close()
        self.engine.dispose()


def wait_until_blocked(worker: Worker, held: HeldStep) -> None:
    """Return once the worker waits on ``held``'s lock; fail if it dies or never gets there.

    Polls the server's lock table between waits for the worker to exit, which is what the
    pause between polls is spent on: the worker cannot pass the held case, so the condition,
    once true, stays true until the test kills the worker or releases the lock.
    """
    for _ in range(MAX_POLLS):
        if held.waiters() > 0:
            return
        try:
            code = worker.process.wait(POLL_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"worker exited {code} on its own:\n{worker.stderr}")
    raise AssertionError(
        f"the worker never reached the held case ({breached_count()} cases committed):\n"
        f"{worker.stderr}"
    )
