"""Crash harness: the web server and the worker are SIGKILLed again and again while cases flow.

A driver pushes ``CASES`` cases through the maintenance SOP over real HTTP (start, step 2, 3,
4; some cases fail step 4 once and loop), retrying whatever failed because the server was down.
Some cases were started two hours ago, so the worker fires their step-2 time standard. At random
(seeded) moments the web process or the worker process is killed with SIGKILL (the worker often
in the middle of a deployment) and started again. At the end the worker drains the queue and the
database must show: no case lost, no step done twice, no timer fired twice, every interrupted
service call turned into an incident, no call left running.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import STEP1, STEP2, STEP3, STEP4_FAIL, STEP4_PASS
from tests.services.worker_support import (
    FLASK,
    Worker,
    due_count,
    free_port,
    start_cases,
    worker_env,
)
from webapp.cli import DEMO_APPS, write_demo_deploy_target
from webapp.engine.instance import ProcessInstance as EngineInstance
from webapp.extensions import db
from webapp.models import (
    ApiToken,
    AuditEvent,
    HumanTask,
    Incident,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
    TaskStatus,
    User,
)
from webapp.models.types import utcnow
from webapp.services.processes import parsed

from .crash_support import Api, Child, wait_listening, web_argv

SEED = int(os.environ.get("SOPFLOW_CRASH_SEED", "20260302"))
CASES = int(os.environ.get("SOPFLOW_CRASH_CASES", "40"))
TIMER_CASES = CASES // 4  # started two hours ago: step 2's PT30M standard is already due
DRIVERS = 4  # driver threads, each working its share of the cases one after the other
MIN_KILLS = 3  # of each process, while the driver runs
MAX_KILLS = 5  # of each process: then the driver finishes undisturbed
BREACH_WAIT = 20  # seconds a driver waits for the worker to fire a due case's timer
DRAIN_RUNS = 12
START_PATH = "/api/v1/processes/pemeliharaan_sistem_informasi/instances"

T1, T2, T3, T4 = (
    "Task_1_pesan_perbaikan",
    "Task_2_analisa",
    "Task_3_troubleshooting",
    "Task_4_uji_implementasi",
)
STEP_DATA = {T2: ("ketua1", STEP2), T3: ("tim1", STEP3), T4: ("tim1", STEP4_PASS)}


@dataclass
class Case:
    index: int
    timer: bool
    fail_once: bool
    instance_id: int | None = None
    done: list[str] = field(default_factory=list)

    @property
    def path(self) -> list[str]:
        """The user steps after step 1, in order."""
        return [T2, T3, T4, T3, T4] if self.fail_once else [T2, T3, T4]


@pytest.fixture
def server_app(request, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("killing processes mid-transaction needs a server database")
    return request.getfixturevalue("app")


def _tokens(app) -> dict[str, str]:
    with app.app_context():
        tokens = {}
        for name in ("unit1", "ketua1", "tim1"):
            user = db.session.scalar(select(User).where(User.username == name))
            tokens[name] = ApiToken.issue(user, "crash")[1]
        db.session.commit()
        db.session.remove()
    return tokens


def _slow_deploy_config(tmp_path: Path) -> str:
    """The demo deploy targets, with a post-deploy command slow enough to be killed in."""
    config = Path(write_demo_deploy_target(str(tmp_path / "deploy")))
    text = config.read_text()
    slowed = "\n".join(
        'post_deploy = "sleep 0.3"' if line.startswith("post_deploy") else line
        for line in text.splitlines()
    )
    assert slowed.count("sleep 0.3") == len(DEMO_APPS)
    config.write_text(slowed + "\n")
    return str(config)


def _open_task(api: Api, instance_id: int, step: str) -> int:
    status, payload, _ = api.call("unit1", "GET", f"/api/v1/instances/{instance_id}")
    assert status == 200, (status, payload)
    found = [t["id"] for t in payload["current_tasks"] if t["step"] == step]
    assert len(found) == 1, f"instance {instance_id}: open {step}? {payload['current_tasks']}"
    return found[0]


def _drive(api: Api, case: Case) -> None:
    if case.instance_id is None:
        data = dict(
            STEP1, aplikasi=DEMO_APPS[case.index % len(DEMO_APPS)], judul=f"Kasus {case.index}"
        )
        status, payload, attempts = api.call(
            "unit1", "POST", START_PATH, {"data": data}, {"Idempotency-Key": f"crash-{case.index}"}
        )
        # 200 = "already started": only after a retry of a start that got through.
        assert status == 201 or (status == 200 and attempts > 1), (status, payload)
        case.instance_id = payload["id"]
    if case.timer:
        task_id = _open_task(api, case.instance_id, T2)
        deadline = time.monotonic() + BREACH_WAIT
        while time.monotonic() < deadline:
            status, payload, _ = api.call("ketua1", "GET", f"/api/v1/tasks/{task_id}")
            assert status == 200, (status, payload)
            if payload["breached_at"]:
                break
            time.sleep(0.2)
    for number, step in enumerate(case.path):
        user, data = STEP_DATA[step]
        if step == T4 and case.fail_once and number == 2:
            data = STEP4_FAIL
        api.complete(user, _open_task(api, case.instance_id, step), data)
        case.done.append(step)


class Chaos:
    """Kills the web server or a worker at seeded random moments, and starts it again."""

    def __init__(self, app, web: Child, workers: list[Child], port: int, began: float):
        self.app = app
        self.web = web
        self.workers = workers
        self.port = port
        self.began = began
        self.rng = random.Random(SEED)
        self.stop = threading.Event()
        self.events: list[str] = []
        self.kills = Counter({"web": 0, "worker": 0})
        self.mid_call = 0
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="chaos", daemon=True)

    def _log(self, text: str) -> None:
        self.events.append(f"{time.monotonic() - self.began:6.2f}s {text}")

    def _calls_run_by(self, pid: int | None) -> list[tuple[int, str]]:
        """Service calls the worker process ``pid`` is running right now."""
        with self.app.app_context():
            rows = db.session.execute(
                select(ServiceCall.id, ServiceCall.operator).where(
                    ServiceCall.status == ServiceCallStatus.RUNNING,
                    ServiceCall.worker == f"{socket.gethostname()}:{pid}",
                )
            ).all()
            db.session.remove()
        return [tuple(r) for r in rows]

    def _run(self) -> None:
        try:
            while not self.stop.wait(self.rng.uniform(0.7, 1.8)):
                if min(self.kills.values()) >= MAX_KILLS:
                    break
                kind = self.rng.choice(["web", "worker"])
                if abs(self.kills["web"] - self.kills["worker"]) >= 2 or (
                    self.kills[kind] >= MAX_KILLS
                ):
                    kind = min(self.kills, key=self.kills.__getitem__)
                child = self.web if kind == "web" else self.rng.choice(self.workers)
                if kind == "web":
                    # Killing a server that is still booting tests nothing new: let it listen.
                    wait_listening(self.port, self.web, timeout=30)
                running = []
                if kind == "worker" and self.rng.random() < 0.7:
                    # Aim at a deployment (or report) in flight, for a bounded while.
                    deadline = time.monotonic() + 3
                    while not running and time.monotonic() < deadline and not self.stop.is_set():
                        running = self._calls_run_by(child.pid)
                        time.sleep(0.02)
                pid = child.kill()
                self.kills[kind] += 1
                self.mid_call += bool(running)
                calls = f" while it ran service calls {running}" if running else ""
                self._log(f"SIGKILL {child.name} (pid {pid}){calls}")
                time.sleep(self.rng.uniform(0.05, 0.6))
                pid = child.start()
                self._log(f"restarted {child.name} (pid {pid})")
        except BaseException:  # noqa: BLE001 - reported by the test
            self.error = traceback.format_exc()

    def enough(self) -> bool:
        return min(self.kills.values()) >= MIN_KILLS


def _queue_left() -> tuple[int, int]:
    """(calls still queued for a running instance, calls still running); fresh snapshot."""
    db.session.rollback()
    queued = db.session.scalar(
        select(func.count())
        .select_from(ServiceCall)
        .join(ProcessInstance, ProcessInstance.id == ServiceCall.instance_id)
        .where(
            ServiceCall.status == ServiceCallStatus.QUEUED,
            ProcessInstance.status == InstanceStatus.RUNNING,
        )
    )
    running = db.session.scalar(
        select(func.count())
        .select_from(ServiceCall)
        .where(ServiceCall.status == ServiceCallStatus.RUNNING)
    )
    return queued, running


@pytest.mark.slow
def test_killed_web_server_and_worker_lose_nothing_and_double_nothing(
    server_app, database_url, tmp_path
):
    app = server_app
    backend = "postgresql" if database_url.startswith("postgresql") else "mariadb"
    began = time.monotonic()
    rng = random.Random(SEED)
    # The due cases first (the helper counts every instance in the database).
    timer_ids = start_cases(app, TIMER_CASES, utcnow() - timedelta(hours=2))
    cases = [Case(i, timer=i < TIMER_CASES, fail_once=rng.random() < 0.3) for i in range(CASES)]
    for case, instance_id in zip(cases, timer_ids, strict=False):
        case.instance_id = instance_id
    tokens = _tokens(app)
    env = dict(
        worker_env(database_url, tmp_path), SOPFLOW_DEPLOY_CONFIG=_slow_deploy_config(tmp_path)
    )
    port = free_port()
    server_kind, argv = web_argv(port)
    web = Child("web", argv, env, tmp_path)
    # Two looping workers: they also compete for the same queue (SKIP LOCKED claims).
    workers = [
        Child(name, [str(FLASK), "--app", "webapp", "worker", "--interval", "0.2"], env, tmp_path)
        for name in ("worker-a", "worker-b")
    ]
    chaos = Chaos(app, web, workers, port, began)
    api = Api(port, tokens)
    failures: list[str] = []
    try:
        for worker in workers:
            worker.start()
        web.start()
        wait_listening(port, web)
        print(f"\n[{backend}] web server: {server_kind}; seed {SEED}", flush=True)
        chaos.thread.start()

        def drive(share: list[Case]) -> None:
            for case in share:
                try:
                    _drive(api, case)
                except BaseException:  # noqa: BLE001 - collected, the test fails on them
                    failures.append(f"case {case.index}:\n{traceback.format_exc()}")
                    return

        shares = [cases[i::DRIVERS] for i in range(DRIVERS)]
        drivers = [threading.Thread(target=drive, args=(s,), daemon=True) for s in shares]
        for thread in drivers:
            thread.start()
        for thread in drivers:
            thread.join(240)
        assert not any(t.is_alive() for t in drivers), "driver stuck"
        driven = time.monotonic() - began
        # Keep killing until each process died MIN_KILLS times (bounded), then stop.
        deadline = time.monotonic() + 20
        while not chaos.enough() and time.monotonic() < deadline and chaos.error is None:
            time.sleep(0.1)
        chaos.stop.set()
        chaos.thread.join(30)
        assert chaos.error is None, chaos.error
        assert not failures, "\n".join(failures[:3]) + f"\nweb log:\n{web.tail()}"

        # Let the looping workers catch up, stop them, then `worker --once` until nothing is left.
        with app.app_context():
            deadline = time.monotonic() + 30
            while _queue_left() != (0, 0) and time.monotonic() < deadline:
                time.sleep(0.2)
            db.session.remove()
        caught_up = time.monotonic() - began
        for worker in workers:
            worker.terminate()
        web.terminate(10)
        drain = []
        with app.app_context():
            for run in range(DRAIN_RUNS):
                sweep = Worker(env, tmp_path, f"drain-{run}", "--once").sweep()
                drain.append(sweep)
                if sweep["service_calls"] == 0 and _queue_left() == (0, 0) and due_count() == 0:
                    break
            db.session.remove()
    finally:
        chaos.stop.set()
        for child in (web, *workers):
            child.kill()
    total = time.monotonic() - began

    for line in chaos.events:
        print(f"[{backend}] {line}")
    print(
        f"[{backend}] kills: web={chaos.kills['web']} worker={chaos.kills['worker']} "
        f"(worker mid-call {chaos.mid_call}); retried requests={api.retries}, "
        f"409-after-retry={api.resolved_by_409}; driver done at {driven:.1f}s, "
        f"workers caught up at {caught_up:.1f}s, drain runs={len(drain)}, total {total:.1f}s",
        flush=True,
    )
    assert chaos.kills["web"] >= 1 and chaos.kills["worker"] >= 1, chaos.kills
    _check_invariants(app, backend, cases)


def _check_invariants(app, backend: str, cases: list[Case]) -> None:
    ids = {c.instance_id: c for c in cases}
    assert None not in ids and len(ids) == len(cases)
    with app.app_context():
        rows = {
            r.id: r
            for r in db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))
        }
        lost = sorted(set(ids) - set(rows))
        assert not lost, f"instances lost: {lost}"
        total_instances = db.session.scalar(select(func.count()).select_from(ProcessInstance))
        assert total_instances == len(cases), "an instance was started twice"

        calls = defaultdict(list)
        for call in db.session.scalars(select(ServiceCall).order_by(ServiceCall.id)):
            calls[call.instance_id].append(call)
        incidents = defaultdict(list)
        for incident in db.session.scalars(select(Incident)):
            incidents[incident.instance_id].append(incident)

        # Every service call that was cut off is an incident; none still runs or waits.
        statuses = Counter(c.status for cs in calls.values() for c in cs)
        interrupted = [c for cs in calls.values() for c in cs if c.status == "interrupted"]
        with_incident = {i.service_call_id for cs in incidents.values() for i in cs}
        orphans = [c.id for c in interrupted if c.id not in with_incident]
        assert not orphans, f"interrupted service calls without an incident: {orphans}"
        assert statuses[ServiceCallStatus.RUNNING] == 0, statuses
        assert statuses[ServiceCallStatus.QUEUED] == 0, statuses

        # No case lost: completed, or in error with an open incident for an interrupted call.
        outcome = Counter()
        stuck = []
        for instance_id, row in rows.items():
            mine = calls[instance_id]
            deploys = [c for c in mine if c.operator == "deploy_to_colocation"]
            if row.status == InstanceStatus.COMPLETED:
                outcome["completed"] += 1
                succeeded = Counter(c.operator for c in mine if c.status == "succeeded")
                assert succeeded["deploy_to_colocation"] == 1, (instance_id, deploys)
                assert succeeded["generate_repair_report"] == 1, (instance_id, mine)
                continue
            open_for = {i.service_call_id for i in incidents[instance_id] if i.resolved_at is None}
            cut = [c for c in mine if c.status == "interrupted" and c.id in open_for]
            if row.status == InstanceStatus.ERROR and cut:
                outcome[f"error: interrupted {cut[-1].operator}"] += 1
                continue
            stuck.append(
                (
                    instance_id,
                    row.status,
                    row.current_step,
                    [(c.operator, c.status, c.error[:120]) for c in mine],
                    [i.message[:120] for i in incidents[instance_id]],
                )
            )
        assert not stuck, f"instances neither completed nor explained by an incident: {stuck[:5]}"

        # No step done twice: completed steps per case are exactly its path, each once.
        tasks = defaultdict(list)
        for task in db.session.scalars(
            select(HumanTask).order_by(HumanTask.completed_at, HumanTask.id)
        ):
            tasks[task.instance_id].append(task)
        wrong = []
        for instance_id, case in ids.items():
            done = [t.bpmn_id for t in tasks[instance_id] if t.status == TaskStatus.COMPLETED]
            still_open = [t.bpmn_id for t in tasks[instance_id] if t.status == TaskStatus.OPEN]
            if done != [T1, *case.path] or still_open:
                wrong.append((instance_id, done, still_open))
        assert not wrong, f"completed steps differ from the path driven: {wrong[:5]}"
        completed_ids = [
            t.id for ts in tasks.values() for t in ts if t.status == TaskStatus.COMPLETED
        ]
        audit = Counter(
            db.session.scalars(
                select(AuditEvent.human_task_id).where(AuditEvent.action == "task.completed")
            )
        )
        assert sum(audit.values()) == len(completed_ids), "audit task.completed ≠ completed rows"
        doubled = {t: n for t, n in audit.items() if n != 1}
        assert not doubled and set(audit) == set(completed_ids), doubled

        # No timer fired twice: one timer.fired per (instance, timer, due).
        fired = Counter(
            (instance_id, (detail or {}).get("timer"), (detail or {}).get("due"))
            for instance_id, detail in db.session.execute(
                select(AuditEvent.instance_id, AuditEvent.detail).where(
                    AuditEvent.action == "timer.fired"
                )
            )
        )
        twice = {k: n for k, n in fired.items() if n > 1}
        assert not twice, f"timers fired more than once: {twice}"
        escalated = Counter(
            db.session.scalars(
                select(AuditEvent.instance_id).where(AuditEvent.action == "sla.escalated")
            )
        )
        assert all(n == 1 for n in escalated.values()), escalated
        breached = {
            t.instance_id
            for ts in tasks.values()
            for t in ts
            if t.bpmn_id == T2 and t.breached_at is not None
        }
        timer_cases = {c.instance_id for c in cases if c.timer}
        assert breached <= timer_cases, "a breach recorded on a case that was not due"

        # The engine agrees: no ready user task in any finished or failed case.
        for row in rows.values():
            engine = EngineInstance.load(parsed(row.version), row.state)
            open_rows = {t.spiff_task_id for t in tasks[row.id] if t.status == TaskStatus.OPEN}
            assert {t.id for t in engine.ready_user_tasks()} == open_rows, row.id
            if row.status == InstanceStatus.COMPLETED:
                assert engine.completed, row.id
        db.session.remove()
    print(
        f"[{backend}] cases={len(cases)} (due {len(timer_cases)}, looped "
        f"{sum(c.fail_once for c in cases)}): {dict(outcome)}; service calls {dict(statuses)}; "
        f"steps completed={len(completed_ids)}; timers fired={sum(fired.values())} "
        f"(breached {len(breached)}/{len(timer_cases)})",
        flush=True,
    )
