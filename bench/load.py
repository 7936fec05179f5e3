"""Load test: 50 staff working the demo SOP at once through gunicorn, the worker finishing cases.

Usage: .venv/bin/python bench/load.py [--duration 60] [--warmup 15] [--start-rate 30]
       [--units 10] [--leads 5] [--team 35] [--workers 4] [--concurrency 4]

Creates its own PostgreSQL database on the server of SOPFLOW_TEST_POSTGRESQL_URL, runs
``flask --app webapp setup --demo`` against it, adds staff per lane with API tokens, then starts
gunicorn (``bench/load_server.py``: the app with a statement counter) and one
``flask --app webapp worker`` (``--concurrency N`` when the worker accepts it) and lets simulated
staff work without think time:

- unit users start cases (POST /api/v1/processes/…/instances) at ``--start-rate`` cases a second
  between them (open loop: a server that falls behind meets the same arrivals) and look one of
  theirs up after each start;
- team leads list /api/v1/tasks, claim a step 2 and complete it, assigning a team member;
- team members list their tasks, claim and complete step 3 and step 4 (the test fails now and
  then, so the case loops back to step 3); the worker then deploys and reports.

The client is one asyncio loop (aiohttp, one connection per person), so the generator costs
the server's two cores little; its own CPU share is printed. Figures are taken over the
``--duration`` seconds after ``--warmup``: task completions and requests a second, p50/p95/p99
per endpoint, the SQL statements, SQL time and in-app time per request (headers the bench's
server adds), cases started and finished a second in the database (finished ≥ started: no
queue left growing), CPU seconds per process group (from /proc), the 409 races (expected:
several people claim the same task) and errors (any other non-2xx or transport failure; must
be 0). Everything started is stopped and the database dropped at the end. Requests go to
127.0.0.1 only; every loop is bounded by the deadline and by a count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
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

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import STEP1, STEP2, STEP3, STEP4_FAIL, STEP4_PASS  # noqa: E402

BIN = Path(sys.executable).parent
PROCESS = "pemeliharaan_sistem_informasi"
START = f"/api/v1/processes/{PROCESS}/instances"
SERVER_URL = os.environ.get(
    "SOPFLOW_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LANES = {"unit": "Unit Kerja/Koordinator", "lead": "Ketua Tim", "team": "Tim"}
FAIL_RATE = 0.25  # share of step-4 tests that fail and send the case back to step 3
IDLE_PAUSE = 0.1  # a user whose worklist is empty looks again after this pause
REQUEST_TIMEOUT = 60
MAX_ACTIONS = 200_000  # per person: a bound on every loop besides the deadline
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET = {"completions/s": 100.0, "p95 ms": 250.0}


class Stats:
    """Latencies, status codes and server costs per endpoint, inside the measured window."""

    def __init__(self) -> None:
        self.window = (math.inf, math.inf)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.statements: dict[str, list[int]] = defaultdict(list)
        self.sql_ms: dict[str, list[float]] = defaultdict(list)
        self.app_ms: dict[str, list[float]] = defaultdict(list)
        self.cpu_ms: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.completions = 0
        self.started = 0
        self.requests_total = 0

    def inside(self, at: float) -> bool:
        return self.window[0] <= at < self.window[1]

    def record(self, endpoint: str, at: float, status: int, elapsed: float, headers, detail=""):
        self.requests_total += 1
        if not (200 <= status < 300 or status == 409):
            self.errors.append(f"{endpoint} -> {status} {detail[:300]}")
        if not self.inside(at):
            return
        self.latency[endpoint].append(elapsed)
        self.status[endpoint][status] += 1
        if headers is not None and "X-Bench-Statements" in headers:
            self.statements[endpoint].append(int(headers["X-Bench-Statements"]))
            self.sql_ms[endpoint].append(float(headers["X-Bench-Sql-Ms"]))
            self.app_ms[endpoint].append(float(headers["X-Bench-App-Ms"]))
            self.cpu_ms[endpoint].append(float(headers["X-Bench-Cpu-Ms"]))


class Staff:
    """One simulated person: a token and a connection of their own."""

    def __init__(self, username: str, token: str, base: str, stats: Stats) -> None:
        self.username = username
        self.base = base
        self.stats = stats
        self.session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"},
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        )

    async def call(self, method: str, path: str, endpoint: str, body: dict | None = None):
        t0 = time.monotonic()
        try:
            async with self.session.request(method, self.base + path, json=body) as response:
                raw = await response.read()
                status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.stats.record(endpoint, t0, 599, time.monotonic() - t0, None, repr(exc))
            return 599, None
        elapsed = time.monotonic() - t0
        detail = "" if status < 300 else raw.decode("utf-8", "replace")
        self.stats.record(endpoint, t0, status, elapsed, headers, detail)
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, None


async def unit_loop(staff: Staff, deadline: float, rate: float) -> None:
    """Start cases at ``rate`` a second (exponential gaps), looking one of them up after each."""
    mine: list[int] = []
    next_at = time.monotonic() + random.expovariate(rate)
    for n in range(MAX_ACTIONS):
        pause = next_at - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        if time.monotonic() >= deadline:
            return
        next_at += random.expovariate(rate)
        data = dict(STEP1, judul=f"{STEP1['judul']} #{staff.username}-{n}")
        at = time.monotonic()
        status, body = await staff.call(
            "POST", START, "POST /api/v1/processes/{process_id}/instances", {"data": data}
        )
        if status == 201:
            mine = [*mine[-19:], body["id"]]
            staff.stats.started += staff.stats.inside(at)
        if mine and time.monotonic() < deadline:
            await staff.call(
                "GET",
                f"/api/v1/instances/{random.choice(mine)}",
                "GET /api/v1/instances/{instance_id}",
            )


async def work_loop(staff: Staff, deadline: float, steps: set[str], team: list[str]) -> None:
    """List the worklist, claim one task of ``steps`` and complete it; again until deadline."""
    for _ in range(MAX_ACTIONS):
        if time.monotonic() >= deadline:
            return
        status, body = await staff.call("GET", "/api/v1/tasks?limit=50", "GET /api/v1/tasks")
        if status != 200:
            continue
        mine = [
            t
            for t in body["items"]
            if t["step"] in steps and t["assignee"] in (None, staff.username)
        ]
        if not mine:
            await asyncio.sleep(IDLE_PAUSE)
            continue
        task = random.choice(mine)
        status, _ = await staff.call(
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
        at = time.monotonic()
        status, _ = await staff.call(
            "POST",
            f"/api/v1/tasks/{task['id']}/complete",
            "POST /api/v1/tasks/{task_id}/complete",
            {"data": data},
        )
        if status == 200:
            staff.stats.completions += staff.stats.inside(at)


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


async def wait_ready(base: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                tail = log.read_text()[-3000:]
                raise RuntimeError(f"gunicorn exited {server.returncode}:\n{tail}")
            try:
                async with session.get(base + "/api/v1/openapi.json") as response:
                    if response.status == 200:
                        return
            except (TimeoutError, aiohttp.ClientError):
                pass
            await asyncio.sleep(0.3)
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


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def cpu_by_group(groups: dict[str, int], database: str) -> dict[str, float]:
    """CPU seconds so far of each group: a process and its descendants, and the PostgreSQL
    backends serving ``database`` (their process title names it; the server's shared
    background processes and other databases are left out).

    Read from /proc; finished children count through their parent's cutime/cstime.
    """
    parent, ticks, names = {}, {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry)
        parent[pid], names[pid] = int(fields[1]), name
        ticks[pid] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    result = dict.fromkeys(groups, 0.0)
    result["postgres"] = 0.0
    for pid, tick in ticks.items():
        if names[pid] == "postgres":
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if f" {database} ".encode() in title:
                result["postgres"] += tick / CLK_TCK
            continue
        ancestor = pid
        for _ in range(50):  # bounded walk up the tree
            owner = next((g for g, root in groups.items() if root == ancestor), None)
            if owner is not None:
                result[owner] += tick / CLK_TCK
                break
            ancestor = parent.get(ancestor, 0)
            if ancestor <= 1:
                break
    return result


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def case_counts(engine) -> tuple[int, int, dict[str, int]]:
    """(cases, finished cases, cases by status) now."""
    with engine.connect() as conn:
        by_status = dict(
            conn.execute(sa.text("SELECT status, count(*) FROM process_instance GROUP BY status"))
            .tuples()
            .all()
        )
    finished = by_status.get("completed", 0) + by_status.get("terminated", 0)
    return sum(by_status.values()), finished, by_status


def sample_connections(admin, name: str, until: threading.Event, samples: list[int]) -> None:
    count_sql = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
    with admin.connect() as conn:
        for _ in range(100_000):
            if until.wait(0.5):
                return
            samples.append(conn.execute(count_sql, {"name": name}).scalar_one())


def worker_command(env: dict, concurrency: int, interval: float) -> list[str]:
    """The worker's command line, with --concurrency when this worker has the option."""
    command = [str(BIN / "flask"), "--app", "webapp", "worker", "--interval", str(interval)]
    help_text = subprocess.run(
        [*command[:4], "--help"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    if "--concurrency" in help_text:
        command += ["--concurrency", str(concurrency)]
    return command


async def drive(args, staff, base: str, stats: Stats, on_window) -> float:
    """Run every person until the deadline; call ``on_window(edge)`` at both window edges."""
    team = [u for u, _ in staff["team"]]
    t0 = time.monotonic()
    stats.window = (t0 + args.warmup, t0 + args.warmup + args.duration)
    deadline = stats.window[1]
    people = [Staff(u, t, base, stats) for lane in ("unit", "lead", "team") for u, t in staff[lane]]
    loops = []
    for person in people[: args.units]:
        loops.append(unit_loop(person, deadline, args.start_rate / max(args.units, 1)))
    for person in people[args.units : args.units + args.leads]:
        loops.append(work_loop(person, deadline, {"Task_2_analisa"}, team))
    steps = {"Task_3_troubleshooting", "Task_4_uji_implementasi"}
    for person in people[args.units + args.leads :]:
        loops.append(work_loop(person, deadline, steps, team))

    async def edges():
        for edge in stats.window:
            await asyncio.sleep(max(0.0, edge - time.monotonic()))
            await asyncio.to_thread(on_window, edge)

    try:
        await asyncio.gather(edges(), *loops)
    finally:
        for person in people:
            await person.session.close()
    return time.monotonic() - t0


def report(args, stats: Stats, marks: dict, by_status: dict, samples: list[int]) -> list[str]:
    (t1, cases1, done1, cpu1, busy1, rus1), (t2, cases2, done2, cpu2, busy2, rus2) = (
        marks[stats.window[0]],
        marks[stats.window[1]],
    )
    span = t2 - t1
    started, finished = (cases2 - cases1) / span, (done2 - done1) / span
    cores = os.cpu_count() or 1
    client = (rus2 - rus1) / (span * cores)
    ours = sum(cpu2[group] - cpu1[group] for group in cpu1) + rus2 - rus1
    others = max(0.0, busy2 - busy1 - ours) / (span * cores)
    requests = sum(len(v) for v in stats.latency.values())

    def cost(group: str, count: int) -> float:
        """CPU milliseconds of a group per ``count`` (requests, completions) in the window."""
        return (cpu2[group] - cpu1[group]) * 1000 / max(count, 1)

    pg_per_request = cost("postgres", requests)
    task_cpu = sum(
        mean(stats.cpu_ms[f"{verb} /api/v1/{path}"])
        for verb, path in (
            ("GET", "tasks"),
            ("POST", "tasks/{task_id}/claim"),
            ("POST", "tasks/{task_id}/complete"),
        )
    )
    task_total = task_cpu + 3 * pg_per_request
    conflicts = sum(c[409] for c in stats.status.values())
    lines = [
        f"sopflow load: {span:.0f} s measured after {args.warmup:.0f} s warm-up, "
        f"{args.units + args.leads + args.team} staff ({args.units} unit, {args.leads} ketua, "
        f"{args.team} tim), offered {args.start_rate:g} cases/s, gunicorn -w {args.workers}, "
        f"{marks['worker']}, PostgreSQL, {cores} cores, load average before "
        f"{marks['loadavg']:.2f}",
        f"requests: {requests} ({requests / span:.1f}/s)",
        f"task completions (API): {stats.completions} ({stats.completions / span:.1f}/s)",
        f"cases started {cases2 - cases1} ({started:.2f}/s), finished {done2 - done1} "
        f"({finished:.2f}/s) in the window; backlog (not finished) {cases1 - done1} -> "
        f"{cases2 - done2}",
        "cases by status at the end: "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())),
        "",
        f"{'endpoint':<46} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'409':>4} {'stmts':>6} {'max':>4} {'sql ms':>7} {'app ms':>7} {'cpu ms':>7}",
    ]
    for endpoint in sorted(stats.latency):
        values = stats.latency[endpoint]
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (50, 95, 99))
        counts = stats.statements[endpoint]
        lines.append(
            f"{endpoint:<46} {len(values):>6} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f}"
            f" {stats.status[endpoint][409]:>4} {mean(counts):>6.1f} {max(counts, default=0):>4}"
            f" {mean(stats.sql_ms[endpoint]):>7.1f} {mean(stats.app_ms[endpoint]):>7.1f}"
            f" {mean(stats.cpu_ms[endpoint]):>7.1f}"
        )
    lines += [
        "(stmts: SQL statements per request, mean and max, BEGIN/COMMIT not counted; sql ms and "
        "app ms: mean time in SQL and inside the app, p50 minus app ms is queueing; cpu ms: "
        "the app's own CPU, without PostgreSQL's)",
        "",
        "CPU in the window, share of all cores (postgres: this database's backends): "
        + ", ".join(f"{group} {(cpu2[group] - cpu1[group]) / (span * cores):.0%}" for group in cpu1)
        + f", this generator {client:.0%}, everything else (other users of the machine) "
        + f"{others:.0%}; whole machine {(busy2 - busy1) / (span * cores):.0%}",
        f"generator (this process, getrusage): {rus2 - rus1:.1f} CPU s = {client:.1%} of "
        f"{span:.0f} s x {cores} cores",
        f"server CPU per request: gunicorn {cost('gunicorn', requests):.1f} ms, PostgreSQL "
        f"{pg_per_request:.1f} ms; one task's list + claim + complete: {task_cpu:.1f} ms of "
        f"app CPU + {3 * pg_per_request:.1f} ms of PostgreSQL, so {cores} cores given to the "
        f"server alone would carry at most about {cores * 1000 / task_total:.0f} completions/s"
        " (before starts, look-ups, idle polling and the worker)",
        f"409 conflicts (expected claim races): {conflicts}",
        f"database connections (pg_stat_activity, max of {len(samples)} samples): "
        f"{max(samples, default=0)}",
    ]
    p95_complete = percentile(stats.latency["POST /api/v1/tasks/{task_id}/complete"] or [0], 95)
    checks = {
        f"completions/s >= {TARGET['completions/s']:g}": stats.completions / span
        >= TARGET["completions/s"],
        f"complete p95 <= {TARGET['p95 ms']:g} ms": p95_complete * 1000 <= TARGET["p95 ms"],
        f"every endpoint's p95 <= {TARGET['p95 ms']:g} ms": all(
            percentile(v, 95) * 1000 <= TARGET["p95 ms"] for v in stats.latency.values()
        ),
        "finished/s >= started/s": finished >= started,
        "0 errors": not stats.errors,
    }
    lines.append(
        "target: " + "; ".join(f"{k} {'met' if ok else 'NOT met'}" for k, ok in checks.items())
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=15, help="seconds before measuring")
    parser.add_argument("--start-rate", type=float, default=30, help="cases started a second")
    parser.add_argument("--units", type=int, default=10, help="unit users (start cases)")
    parser.add_argument("--leads", type=int, default=5, help="team leads (step 2)")
    parser.add_argument("--team", type=int, default=35, help="team members (steps 3, 4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=4, help="flask worker concurrency")
    parser.add_argument("--interval", type=float, default=1, help="flask worker sweep pause")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="sopflow-load-"))
    name = f"sopflow_load_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
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
        staff = create_staff(url, {"unit": args.units, "lead": args.leads, "team": args.team})
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server_log, worker_log = tmp / "gunicorn.log", tmp / "worker.log"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                *("-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--timeout", "120"),
                *("--pythonpath", str(ROOT / "bench"), "load_server:create()"),
            ],
            env=env,
            cwd=ROOT,
            stdout=server_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        command = worker_command(env, args.concurrency, args.interval)
        worker = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=worker_log.open("w"), stderr=subprocess.STDOUT
        )
        asyncio.run(wait_ready(base, server, server_log))

        db = sa.create_engine(url)
        groups = {"gunicorn": server.pid, "flask worker": worker.pid}
        marks: dict = {"worker": " ".join(command[3:]), "loadavg": os.getloadavg()[0]}

        def on_window(edge: float) -> None:
            cases, done, _ = case_counts(db)
            rusage = resource.getrusage(resource.RUSAGE_SELF)
            marks[edge] = (
                time.monotonic(),
                cases,
                done,
                cpu_by_group(groups, name),
                machine_busy()[0],
                rusage.ru_utime + rusage.ru_stime,
            )

        until = threading.Event()
        sampler = threading.Thread(target=sample_connections, args=(admin, name, until, samples))
        sampler.start()
        try:
            asyncio.run(drive(args, staff, base, stats, on_window))
        finally:
            until.set()
            sampler.join()
        by_status = case_counts(db)[2]
        db.dispose()
        lines += report(args, stats, marks, by_status, samples)
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
