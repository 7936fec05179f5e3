"""Do the admin and staff pages stay fast at 100,000 instances? 1,000 vs 100,000, same queries.

Usage: .venv/bin/python bench/scale.py [--backend postgresql,mariadb,sqlite] [--sizes 1000,100000]

Seeds one database per size with instances in varied states (every step of the SOP, completed,
suspended, error, some overdue) by bulk-inserting rows copied from real engine runs, then times,
the databases taking turns each round so that other load on the machine hits every size alike,
with the app's own code through the test client (no network): the filtered instance list, the
word searches, an instance page, the Ketua Tim's worklist, the SLA page, the dashboard and a
timer sweep that fires 50 due timers. Prints the
median of each at each size and their ratio; the last line is `ratio: <largest ratio>`, over
every backend given (the databases are servers of SOPFLOW_TEST_POSTGRESQL_URL and
SOPFLOW_TEST_MARIADB_URL, where a scratch database is created and dropped).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import STEP2, STEP3, STEP4_PASS, Actions  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.engine.calendar import WallClockCalendar  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    HumanTask,
    InstanceWord,
    ProcessInstance,
    ServiceCall,
    title_words,
)
from webapp.services.timers import fire_due_timers  # noqa: E402

# The server to create the scratch database on: the tests' variables, as every bench reads them.
SERVERS = {
    "postgresql": os.environ.get(
        "SOPFLOW_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get(
        "SOPFLOW_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
    ),
}
STEPS = [
    ("Task_2_analisa", "ketua1", STEP2),
    ("Task_3_troubleshooting", "tim1", STEP3),
    ("Task_4_uji_implementasi", "tim1", STEP4_PASS),
]
ROUNDS = 15
PER_DAY = 10  # repair requests a day; 1,000 cases cover the 12-week dashboard, 100,000 are 27 years
OPEN_DAYS = 30
RARE = {10, 200, 400, 600, 800}


def make_database(backend: str):
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="sopflow-scale-")) / "scale.db"
        return f"sqlite:///{path}", lambda: None
    name = f"sopflow_scale_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(SERVERS[backend], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))

    def drop():
        with admin.connect() as conn:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            conn.execute(sa.text(f"DROP DATABASE {name}{force}"))

    return sa.make_url(SERVERS[backend]).set(database=name).render_as_string(False), drop


def templates(app) -> list[tuple[dict, list[dict], list[dict]]]:
    """Real instances stopped at each step: (instance row values, its task rows, its service
    call rows: the last waits at the upload, step 5, its call queued)."""
    actions = Actions(app)
    result = []
    for stop in range(len(STEPS) + 1):
        instance_id = actions.start()["id"]
        for bpmn_id, username, data in STEPS[:stop]:
            task = actions.open_task(instance_id, bpmn_id)
            actions.complete(username, task.id, data)
        with app.app_context():
            row = db.session.get(ProcessInstance, instance_id)
            inst = {c.name: getattr(row, c.name) for c in ProcessInstance.__table__.columns}
            tasks = [
                {c.name: getattr(t, c.name) for c in HumanTask.__table__.columns}
                for t in db.session.scalars(
                    sa.select(HumanTask).where(HumanTask.instance_id == instance_id)
                )
            ]
            calls = [
                {c.name: getattr(call, c.name) for c in ServiceCall.__table__.columns}
                for call in db.session.scalars(
                    sa.select(ServiceCall).where(ServiceCall.instance_id == instance_id)
                )
            ]
        result.append((inst, tasks, calls))
    return result


def seed(app, total: int, shapes, rng: random.Random) -> None:
    """Bulk-insert instances up to ``total``, copying the template shapes.

    The office is modelled as it grows: about ``PER_DAY`` requests a day, so 100,000
    instances are years of history. Cases older than ``OPEN_DAYS`` are finished (completed,
    a few terminated); recent ones are spread over every step, some stuck in error, some
    suspended, some overdue. A bigger database therefore means a longer history, not a
    larger present workload — which is what worklists and admin pages must not slow down with.
    Every completed case ran its upload (step 5): a succeeded call, copied from the real queued
    one, finished before the case did (some past its standard); a case waiting at the upload
    has its queued call.
    """
    with app.app_context():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance))
        next_id = (db.session.scalar(sa.select(sa.func.max(ProcessInstance.id))) or 0) + 1
        next_task = (db.session.scalar(sa.select(sa.func.max(HumanTask.id))) or 0) + 1
        next_call = (db.session.scalar(sa.select(sa.func.max(ServiceCall.id))) or 0) + 1
        [upload] = [c for _inst, _tasks, calls in shapes for c in calls]
        standard = (upload["due_at"] or upload["created_at"]) - upload["created_at"]
        now = datetime.now(UTC)
        span_minutes = max(total // PER_DAY, 1) * 24 * 60
        batch_i, batch_t, batch_w, batch_c = [], [], [], []
        for n in range(have, total):
            inst, tasks, calls = shapes[n % len(shapes)]
            age = timedelta(minutes=rng.randint(5, span_minutes))
            shift = (now - age) - inst["started_at"]
            # Five cases mention a printer, whatever the size: a rare word to search for.
            extra = " printer rusak" if n in RARE else ""
            row = dict(inst, id=next_id, title=f"{inst['title']} {n}{extra}", start_key=None)
            old = age > timedelta(days=OPEN_DAYS)
            roll = rng.random()
            if old:
                row["status"] = "completed" if roll < 0.98 else "terminated"
            elif roll < 0.03:
                row["status"] = "suspended"
            elif roll < 0.04:
                row["status"] = "error"
            for key in ("started_at", "updated_at", "completed_at", "next_timer_at"):
                if row.get(key) is not None:
                    row[key] = row[key] + shift
            finished = row["status"] in ("completed", "terminated")
            if finished:
                row["next_timer_at"] = None
                row["completed_at"] = row["started_at"] + timedelta(hours=rng.randint(1, 30))
                row["current_step"] = ""
            batch_i.append(row)
            batch_w.extend({"instance_id": next_id, "word": w} for w in title_words(row["title"]))
            for t in tasks:
                task = dict(t, id=next_task, instance_id=next_id, spiff_task_id=str(uuid.uuid4()))
                for key in ("ready_at", "due_at", "completed_at", "claimed_at", "breached_at"):
                    if task.get(key) is not None:
                        task[key] = task[key] + shift
                if finished and task["status"] == "open":
                    task["status"] = "completed" if row["status"] == "completed" else "cancelled"
                    task["completed_at"] = task["ready_at"] + timedelta(minutes=rng.randint(5, 200))
                    seconds = (task["completed_at"] - task["ready_at"]).total_seconds()
                    task["working_seconds"] = seconds
                batch_t.append(task)
                next_task += 1
            if row["status"] == "completed" or (calls and not finished):
                spiff_task_id = str(uuid.uuid4())
                call = dict(
                    upload,
                    id=next_call,
                    instance_id=next_id,
                    spiff_task_id=spiff_task_id,
                    idempotency_key=f"{next_id}:{spiff_task_id}:1",
                )
                if finished:
                    queued = row["completed_at"] - timedelta(minutes=rng.randint(10, 60))
                    started = queued + timedelta(minutes=rng.randint(0, 5))
                    done = started + timedelta(minutes=rng.randint(2, 40))
                    call.update(
                        status="succeeded",
                        created_at=queued,
                        due_at=queued + standard,
                        started_at=started,
                        heartbeat_at=done,
                        finished_at=done,
                        exit_code=0,
                    )
                else:
                    for key in ("created_at", "due_at"):
                        if call.get(key) is not None:
                            call[key] = call[key] + shift
                batch_c.append(call)
                next_call += 1
            next_id += 1
            if len(batch_i) >= 5000:
                _flush(batch_i, batch_t, batch_w, batch_c)
        _flush(batch_i, batch_t, batch_w, batch_c)


def _flush(batch_i: list, batch_t: list, batch_w: list, batch_c: list) -> None:
    if batch_i:
        db.session.execute(sa.insert(ProcessInstance.__table__), batch_i)
        db.session.execute(sa.insert(HumanTask.__table__), batch_t)
        db.session.execute(sa.insert(InstanceWord.__table__), batch_w)
        if batch_c:
            db.session.execute(sa.insert(ServiceCall.__table__), batch_c)
        db.session.commit()
    for batch in (batch_i, batch_t, batch_w, batch_c):
        batch.clear()


SWEEP_ROUNDS = 3  # each fires 50 timers that have not fired yet (enough at every size)


@dataclass
class Prepared:
    """One seeded database of one size, with the app and clients that measure it."""

    size: int
    app: Flask
    actions: Actions
    sample_id: int
    drop: Callable[[], None]

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.drop()


def prepare(backend: str, size: int) -> Prepared:
    """A new database with ``size`` instances, its statistics settled as autovacuum would."""
    url, drop = make_database(backend)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ATTACHMENT_DIR": tempfile.mkdtemp(),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SLA_CALENDAR": WallClockCalendar(),
            # The harness logs in through the test client without fetching a form first.
            "WTF_CSRF_ENABLED": False,
        }
    )
    prepared = Prepared(size, app, Actions(app), 0, drop)
    try:
        with app.app_context():
            app.test_cli_runner().invoke(args=["setup", "--demo"])
        seed(app, size, templates(app), random.Random(7))
        with app.app_context():
            prepared.sample_id = db.session.scalar(
                sa.select(ProcessInstance.id).order_by(ProcessInstance.id.desc()).limit(1)
            )
            db.session.commit()  # end the read so VACUUM has no pinned buffer to wait for
            if backend == "mariadb":
                db.session.execute(
                    sa.text(
                        "ANALYZE TABLE process_instance, human_task, instance_word, service_call"
                    )
                )
                db.session.commit()
            if backend == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM ANALYZE"))
    except BaseException:
        prepared.close()
        raise
    return prepared


def probes(prepared: Prepared) -> dict[str, Callable[[], float]]:
    """Each measured action: a callable that does it once and returns its seconds."""
    app, actions = prepared.app, prepared.actions
    admin, ketua = actions.client("admin1"), actions.client("ketua1")

    def get(client, path):
        def probe() -> float:
            t0 = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - t0
            assert response.status_code == 200, (path, response.status_code)
            return elapsed

        return probe

    # A sweep that fires 50 due timers: make 50 waiting instances due "now".
    def sweep() -> float:
        with app.app_context():
            ids = db.session.scalars(
                sa.select(ProcessInstance.id)
                .where(
                    ProcessInstance.status == "waiting", ProcessInstance.next_timer_at.isnot(None)
                )
                .limit(50)
            ).all()
            past = datetime.now(UTC) - timedelta(days=400)
            db.session.execute(
                sa.update(ProcessInstance)
                .where(ProcessInstance.id.in_(ids))
                .values(next_timer_at=past)
            )
            db.session.commit()
            t0 = time.perf_counter()
            fire_due_timers(datetime.now(UTC), limit=50)
            return time.perf_counter() - t0

    return {
        "instance list (filtered)": get(
            admin, "/admin/cases/?status=waiting&lane=Ketua+Tim&overdue=1"
        ),
        "instance list (rare word)": get(admin, "/admin/cases/?q=printer"),
        "instance list (common word)": get(admin, "/admin/cases/?q=halaman"),
        "instance page": get(admin, f"/cases/{prepared.sample_id}"),
        "worklist (Ketua Tim)": get(ketua, "/"),
        "SLA page": get(admin, "/sla"),
        "dashboard": get(admin, "/admin/dashboard/"),
        "timer sweep (50 due)": sweep,
    }


def measure(databases: list[Prepared]) -> list[dict[str, float]]:
    """Median seconds of each action per database, the databases taking turns every round.

    Taking turns spreads whatever else the machine does over every size alike, so the ratio
    compares the sizes and not two moments. The sweeps come last: they change the data.
    """
    actions = [probes(p) for p in databases]
    times: list[dict[str, list[float]]] = [defaultdict(list) for _ in databases]
    for name in actions[0]:
        rounds = SWEEP_ROUNDS if name.startswith("timer sweep") else ROUNDS
        for _ in range(rounds):
            for i, probe in enumerate(actions):
                times[i][name].append(probe[name]())
    return [{name: statistics.median(v) for name, v in t.items()} for t in times]


def run(backend: str, sizes: list[int]) -> float:
    """Seed one database per size, measure them in turns; print figures; return the worst ratio."""
    databases: list[Prepared] = []
    try:
        for size in sizes:
            t0 = time.perf_counter()
            databases.append(prepare(backend, size))
            print(f"[{backend}] seeded {size} instances in {time.perf_counter() - t0:.1f} s")
        results = measure(databases)
        for size, figures in zip(sizes, results, strict=True):
            for name, value in figures.items():
                print(f"[{backend}] {size:>7} {name:<28} {value * 1000:8.1f} ms", flush=True)
        small, large = results[0], results[-1]
        worst = 0.0
        for name in small:
            ratio = large[name] / small[name]
            worst = max(worst, ratio)
            print(f"[{backend}] ratio {name:<28} {ratio:6.2f}x", flush=True)
        return worst
    finally:
        for prepared in databases:
            prepared.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        default="postgresql",
        help="one or more of postgresql, mariadb, sqlite, comma-separated",
    )
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    unknown = set(backends) - {"postgresql", "mariadb", "sqlite"}
    if unknown or not backends:
        parser.error(f"unknown backend: {', '.join(sorted(unknown)) or '(none)'}")
    worst = {backend: run(backend, sizes) for backend in backends}
    if len(worst) > 1:
        for backend, ratio in worst.items():
            print(f"[{backend}] worst ratio {ratio:.2f}")
    print(f"ratio: {max(worst.values()):.2f}")


if __name__ == "__main__":
    main()
