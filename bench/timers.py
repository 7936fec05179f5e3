"""Time standards on the second: due time → escalation recorded, with real worker processes.

Usage: .venv/bin/python bench/timers.py [--backend postgresql|mariadb|sqlite] [--cases N]
       [--workers W] [--interval S]

Starts W real ``flask --app webapp worker`` processes (``make run``'s defaults: the default
interval unless --interval is given) on a fresh database, waits until each has swept once and
gone to sleep, then starts N cases of the SOP one after another, about a third of a second
apart. Each case's step 2 has a PT30M time standard; the case is started on a clock set back so
that the engine arms it to fall due 1-4 s after the moment the case is written (a real future
due time, armed by the engine as any other). The workers therefore learn of each due time only
while they sleep. Latency = the ``sla.escalated`` audit event's time minus the standard's due
time. Prints p50/p95/max and ``ratio:`` p95 over the 1 s target.

Server URLs come from SOPFLOW_TEST_POSTGRESQL_URL / SOPFLOW_TEST_MARIADB_URL; the bench works in a
database of its own on that server and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import time_machine
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import FAST_HASH, SERVER_URLS, STEP1, _own_database  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.engine.calendar import WallClockCalendar  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import AuditEvent, HumanTask, User, WorkerStatus  # noqa: E402
from webapp.models.types import utcnow  # noqa: E402
from webapp.services.instances import start_instance  # noqa: E402

FLASK = Path(sys.prefix) / "bin" / "flask"
PROCESS_ID = "pemeliharaan_sistem_informasi"
STEP_2 = "Task_2_analisa"
STANDARD = timedelta(minutes=30)  # step 2's time standard in the SOP
TARGET_SECONDS = 1.0
GAP_SECONDS = 0.33  # between two cases written
WAIT_LIMIT = 120  # seconds for every escalation to be recorded, then the bench gives up


def _database(backend: str) -> tuple[str, object]:
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="sopflow-bench-timers-")
        return f"sqlite:///{folder}/bench.db", lambda: None
    return _own_database(SERVER_URLS[backend])


def _workers(url: str, count: int, interval: float | None, logs: Path) -> list[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPFLOW_", "FLASK_"))}
    env.update(SOPFLOW_DATABASE_URL=url, SOPFLOW_SLA_CALENDAR="calendar", SOPFLOW_SMTP_HOST="")
    args = [] if interval is None else ["--interval", str(interval)]
    processes = []
    for i in range(count):
        out = (logs / f"worker-{i}.log").open("w")
        processes.append(
            subprocess.Popen(
                [str(FLASK), "--app", "webapp", "worker", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )
    return processes


def _wait_for(condition, what: str, limit: float = WAIT_LIMIT) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up waiting for {what}")
        time.sleep(0.05)


def _count(query) -> int:
    db.session.rollback()  # a fresh snapshot each time (MariaDB reads REPEATABLE READ)
    return db.session.scalar(query)


def _start_cases(count: int, seed: int) -> None:
    """Write ``count`` cases, each armed to fall due 1-4 s after it is written."""
    rng = random.Random(seed)
    unit = db.session.scalar(select(User).where(User.username == "unit1"))
    for i in range(count):
        due = utcnow() + timedelta(seconds=rng.uniform(1.0, 4.0))
        with time_machine.travel(due - STANDARD, tick=False):
            start_instance(PROCESS_ID, unit, dict(STEP1, judul=f"Bench timer {i}"))
        time.sleep(GAP_SECONDS)


def _latencies() -> list[float]:
    db.session.rollback()
    rows = db.session.execute(
        select(AuditEvent.at, HumanTask.due_at)
        .join(HumanTask, HumanTask.instance_id == AuditEvent.instance_id)
        .where(AuditEvent.action == "sla.escalated", HumanTask.bpmn_id == STEP_2)
    ).all()
    return sorted((at - due).total_seconds() for at, due in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", default="postgresql", choices=["postgresql", "mariadb", "sqlite"]
    )
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--interval", type=float, default=None, help="default: the setting's")
    parser.add_argument("--seed", type=int, default=13)
    options = parser.parse_args()

    url, drop = _database(options.backend)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "SLA_CALENDAR": WallClockCalendar(),
        }
    )
    logs = Path(tempfile.mkdtemp(prefix="sopflow-bench-timers-logs-"))
    workers: list[subprocess.Popen] = []
    try:
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["setup", "--demo"])
            assert result.exit_code == 0, result.output
            workers = _workers(url, options.workers, options.interval, logs)
            status = select(func.count()).select_from(WorkerStatus)
            _wait_for(lambda: _count(status) >= options.workers, "every worker's first sweep")
            time.sleep(0.5)  # each worker is now asleep, its next sweep 'interval' away
            _start_cases(options.cases, options.seed)
            escalated = (
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "sla.escalated")
            )
            _wait_for(lambda: _count(escalated) >= options.cases, "every escalation")
            time.sleep(1)  # a second escalation of any case would show up here
            latencies = _latencies()
            db.session.remove()
            db.engine.dispose()
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        drop()

    if len(latencies) != options.cases:
        raise SystemExit(f"bench: {len(latencies)} escalations for {options.cases} cases")
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    print(
        f"backend={options.backend} workers={options.workers} cases={options.cases} "
        f"interval={options.interval if options.interval is not None else 'default'}"
    )
    print(f"due → escalation recorded, seconds: min {latencies[0]:.3f}")
    print(f"p50 {statistics.median(latencies):.3f}  p95 {p95:.3f}  max {latencies[-1]:.3f}")
    print(f"ratio: {p95 / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
