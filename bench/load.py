"""Load test: 50 staff working the demo SOP at once through gunicorn, the worker finishing cases.

Usage: .venv/bin/python bench/load.py [--duration 300] [--units 10] [--leads 5] [--team 35]

Creates its own PostgreSQL database, runs ``flask --app webapp setup --demo`` against it, adds
staff per lane with API tokens, then starts ``gunicorn -w 4`` and ``flask --app webapp worker
--interval 2`` (calendar time standards, the demo deploy targets) and lets simulated staff work
without think time for ``--duration`` seconds:

- unit users start cases (POST /api/v1/processes/…/instances) and look one of theirs up;
- team leads list /api/v1/tasks, claim a step 2 and complete it, assigning a team member;
- team members list their tasks, claim and complete step 3 and step 4 (the test fails now and
  then, so the case loops back to step 3); the worker then deploys and reports.

Prints completed cases and task completions per second, p50/p95/p99 latency per endpoint, the
409 races (expected: several leads claim the same task), errors (any other non-2xx or transport
failure; must be 0) and the most database connections seen; the last line is ``errors: <n>``.
Everything started is stopped and the database dropped at the end. Requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import STEP1, STEP2, STEP3, STEP4_FAIL, STEP4_PASS  # noqa: E402

BIN = Path(sys.executable).parent
PROCESS = "pemeliharaan_sistem_informasi"
START = f"/api/v1/processes/{PROCESS}/instances"
ADMIN_URL = os.environ.get(
    "SOPFLOW_BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LANES = {"unit": "Unit Kerja/Koordinator", "lead": "Ketua Tim", "team": "Tim"}
FAIL_RATE = 0.25  # share of step-4 tests that fail and send the case back to step 3
IDLE_PAUSE = 0.1  # a user whose worklist is empty looks again after this pause
REQUEST_TIMEOUT = 60


class Stats:
    """Latencies and status codes per endpoint (method + path template), shared by threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.errors: list[str] = []
        self.completions = 0
        self.started = 0

    def record(self, endpoint: str, status: int, elapsed: float, detail: str = "") -> None:
        with self.lock:
            self.latency[endpoint].append(elapsed)
            self.status[endpoint][status] += 1
            if not (200 <= status < 300 or status == 409):
                self.errors.append(f"{endpoint} -> {status} {detail[:300]}")


class Staff:
    """One simulated person: a token and a connection of their own."""

    def __init__(self, username: str, token: str, port: int, stats: Stats) -> None:
        self.username = username
        self.headers = {"Authorization": f"Bearer {token}"}
        self.port = port
        self.stats = stats
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)

    def call(self, method: str, path: str, endpoint: str, body: dict | None = None):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            self.stats.record(endpoint, 599, time.perf_counter() - t0, f"transport: {exc!r}")
            return 599, None
        elapsed = time.perf_counter() - t0
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = None
        detail = "" if response.status < 300 else raw.decode("utf-8", "replace")
        self.stats.record(endpoint, response.status, elapsed, detail)
        return response.status, payload


def unit_loop(staff: Staff, deadline: float) -> None:
    mine: list[int] = []
    n = 0
    while time.monotonic() < deadline:
        n += 1
        data = dict(STEP1, judul=f"{STEP1['judul']} #{staff.username}-{n}")
        status, body = staff.call(
            "POST", START, "POST /api/v1/processes/{process_id}/instances", {"data": data}
        )
        if status == 201:
            mine.append(body["id"])
            mine = mine[-20:]
            with staff.stats.lock:
                staff.stats.started += 1
        if mine and time.monotonic() < deadline:
            staff.call(
                "GET",
                f"/api/v1/instances/{random.choice(mine)}",
                "GET /api/v1/instances/{instance_id}",
            )


def work_loop(staff: Staff, deadline: float, steps: set[str], team: list[str]) -> None:
    """List the worklist, claim one task of ``steps`` and complete it; again until deadline."""
    while time.monotonic() < deadline:
        status, body = staff.call("GET", "/api/v1/tasks?limit=50", "GET /api/v1/tasks")
        if status != 200:
            continue
        mine = [
            t
            for t in body["items"]
            if t["step"] in steps and t["assignee"] in (None, staff.username)
        ]
        if not mine:
            time.sleep(IDLE_PAUSE)
            continue
        task = random.choice(mine)
        status, _ = staff.call(
            "POST", f"/api/v1/tasks/{task['id']}/claim", "POST /api/v1/tasks/{task_id}/claim"
        )
        if status != 200 or time.monotonic() >= deadline:
            continue
        if task["step"] == "Task_2_analisa":
            data = dict(STEP2, anggota_tim=[random.choice(team)])
        elif task["step"] == "Task_3_troubleshooting":
            data = STEP3
        else:
            data = STEP4_FAIL if random.random() < FAIL_RATE else STEP4_PASS
        status, _ = staff.call(
            "POST",
            f"/api/v1/tasks/{task['id']}/complete",
            "POST /api/v1/tasks/{task_id}/complete",
            {"data": data},
        )
        if status == 200:
            with staff.stats.lock:
                staff.stats.completions += 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_staff(url: str, counts: dict[str, int]) -> dict[str, list[tuple[str, str]]]:
    """Add ``counts`` users per lane with one API token each; return (username, token) per lane."""
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import ApiToken, Role, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    staff: dict[str, list[tuple[str, str]]] = {}
    with app.app_context():
        for lane, count in counts.items():
            role = Role.get_or_create(LANES[lane])
            users = []
            for i in range(1, count + 1):
                user = User(username=f"load_{lane}{i}", full_name=f"Load {lane} {i}")
                user.set_password(uuid.uuid4().hex)
                user.roles.append(role)
                db.session.add(user)
                users.append(user)
            db.session.flush()
            staff[lane] = [(u.username, ApiToken.issue(u, "load")[1]) for u in users]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return staff


def wait_ready(port: int, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn not ready after {timeout} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen | None, name: str, timeout: float = 30) -> str:
    if process is None or process.poll() is not None:
        return f"{name}: exited {process.returncode if process else '-'}"
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
        return f"{name}: stopped ({process.returncode})"
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return f"{name}: killed after {timeout} s"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--units", type=int, default=10, help="unit users (start cases)")
    parser.add_argument("--leads", type=int, default=5, help="team leads (step 2)")
    parser.add_argument("--team", type=int, default=35, help="team members (steps 3, 4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="sopflow-load-"))
    name = f"sopflow_load_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    server = worker = None
    stats = Stats()
    samples: list[int] = []
    lines: list[str] = []
    try:
        from webapp.cli import write_demo_deploy_target

        env = dict(
            os.environ,
            SOPFLOW_DATABASE_URL=url,
            SOPFLOW_SLA_CALENDAR="calendar",
            SOPFLOW_DEPLOY_CONFIG=write_demo_deploy_target(str(tmp)),
            SOPFLOW_ATTACHMENT_DIR=str(tmp / "attachments"),
            SOPFLOW_SECRET_KEY=uuid.uuid4().hex,
        )
        subprocess.run(
            [str(BIN / "flask"), "--app", "webapp", "setup", "--demo"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        os.environ.update(SOPFLOW_SLA_CALENDAR="calendar")
        counts = {"unit": args.units, "lead": args.leads, "team": args.team}
        staff = create_staff(url, counts)
        port = free_port()
        server_log, worker_log = tmp / "gunicorn.log", tmp / "worker.log"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "webapp:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=server_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(
            [str(BIN / "flask"), "--app", "webapp", "worker", "--interval", "2"],
            env=env,
            cwd=ROOT,
            stdout=worker_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_ready(port, server, server_log)

        team = [u for u, _ in staff["team"]]
        t0 = time.monotonic()
        deadline = t0 + args.duration
        threads = []
        for username, token in staff["unit"]:
            person = Staff(username, token, port, stats)
            threads.append(threading.Thread(target=unit_loop, args=(person, deadline)))
        for username, token in staff["lead"]:
            person = Staff(username, token, port, stats)
            target_args = (person, deadline, {"Task_2_analisa"}, team)
            threads.append(threading.Thread(target=work_loop, args=target_args))
        for username, token in staff["team"]:
            person = Staff(username, token, port, stats)
            steps = {"Task_3_troubleshooting", "Task_4_uji_implementasi"}
            threads.append(threading.Thread(target=work_loop, args=(person, deadline, steps, team)))
        for thread in threads:
            thread.start()

        count_sql = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
        with admin.connect() as conn:
            while any(t.is_alive() for t in threads):
                samples.append(conn.execute(count_sql, {"name": name}).scalar_one())
                time.sleep(0.5)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - t0

        db = sa.create_engine(url)
        with db.connect() as conn:
            by_status = dict(
                conn.execute(
                    sa.text("SELECT status, count(*) FROM process_instance GROUP BY status")
                ).all()
            )
            tasks_done = conn.execute(
                sa.text("SELECT count(*) FROM human_task WHERE status = 'completed'")
            ).scalar_one()
            calls = dict(
                conn.execute(sa.text("SELECT status, count(*) FROM service_call GROUP BY status"))
                .tuples()
                .all()
            )
        db.dispose()

        completed = by_status.get("completed", 0)
        conflicts = sum(c[409] for c in stats.status.values())
        total = sum(len(v) for v in stats.latency.values())
        lines += [
            f"sopflow load: {elapsed:.0f} s, {len(threads)} staff "
            f"({args.units} unit, {args.leads} ketua, {args.team} tim), "
            f"gunicorn -w {args.workers}, worker --interval 2, PostgreSQL",
            f"requests: {total} ({total / elapsed:.1f}/s)",
            f"cases started: {stats.started}; by status: "
            + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())),
            f"completed SOP instances: {completed} ({completed / elapsed:.2f}/s)",
            f"task completions (API): {stats.completions} ({stats.completions / elapsed:.2f}/s);"
            f" human tasks completed in db: {tasks_done}",
            "service calls: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())),
            "",
            f"{'endpoint':<48} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'409':>5}",
        ]
        for endpoint in sorted(stats.latency):
            values = stats.latency[endpoint]
            p50, p95, p99 = (percentile(values, q) * 1000 for q in (50, 95, 99))
            lines.append(
                f"{endpoint:<48} {len(values):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}"
                f" {stats.status[endpoint][409]:>5}"
            )
        lines += [
            "",
            "status codes: "
            + "; ".join(
                f"{e.split(' ', 1)[0]} {e.split(' ', 1)[1]}: "
                + ", ".join(f"{s}×{n}" for s, n in sorted(c.items()))
                for e, c in sorted(stats.status.items())
            ),
            f"409 conflicts (expected claim races): {conflicts}",
            f"database connections (pg_stat_activity, max of {len(samples)} samples): "
            f"{max(samples) if samples else 0}",
        ]
        for error in stats.errors[:20]:
            lines.append(f"error: {error}")
    finally:
        shutdown = [stop(server, "gunicorn"), stop(worker, "worker")]
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
        lines.append(f"shutdown: {'; '.join(shutdown)}; database {name} dropped")
        for line in lines:
            print(line)
        print(f"errors: {len(stats.errors)}", flush=True)
    return 1 if stats.errors else 0


if __name__ == "__main__":
    sys.exit(main())
