"""Two machines (issue 16, point 4): one PostgreSQL database, one S3-compatible object store
(moto's server), TWO web processes and TWO workers, every one a real OS process on its own port,
each "machine" with its own instance folder and its own local file folder, shared with nobody.

Two cases of the demo SOP are started through web 1 with an attachment, steps 2 and 3 are done
through web 2 and step 4 through web 1; a worker deploys (the demo's local rsync targets, as the
other end-to-end tests do) and writes the repair report into the bucket. Both workers poll the
whole time; while one case runs its service calls, the other machine's worker is frozen
(SIGSTOP), so that worker-1 takes the first case and worker-2 the second: which of two free
workers wins a call is a race, and a test that only hoped for both would pass with one. Every
call runs exactly once, by the worker named in its row. The attachment and the reports are then
downloaded from both web processes: the same bytes, from the bucket, while no machine's own
folder holds a file. ``pytest -s`` prints who did what.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text

from tests.conftest import PNG, STEP1, STEP2, STEP3, STEP4_PASS
from tests.s3_server import running_s3, s3_env
from tests.services.worker_support import FLASK, free_port, worker_env
from webapp.cli import write_demo_deploy_target
from webapp.extensions import db
from webapp.models import ApiToken, Attachment, ServiceCall, User, WorkerStatus
from webapp.models.status import ServiceCallStatus

from .crash_support import Api, Child, wait_listening, web_argv

START_PATH = "/api/v1/processes/pemeliharaan_sistem_informasi/instances"
FINISH_TIMEOUT = 120  # seconds for the workers to deploy and write the report
USERS = ("unit1", "ketua1", "tim1")
# The demo SOP's service tasks: the deployment, then the repair report.
SERVICE_TASKS = ("deploy_to_colocation", "generate_repair_report")


@pytest.fixture
def postgres_app(request, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the two-machine layout is one PostgreSQL database server")
    return request.getfixturevalue("app")


def _tokens(app) -> dict[str, str]:
    with app.app_context():
        tokens = {}
        for name in USERS:
            user = db.session.scalar(select(User).where(User.username == name))
            tokens[name] = ApiToken.issue(user, "two-machines")[1]
        db.session.commit()
        db.session.remove()
    return tokens


def _files_on_disk(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _logged_in(port: int, username: str) -> requests.Session:
    """A browser's session on one web process: the log-in form with its CSRF token."""
    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token, page.text[:500]
    answer = session.post(
        f"http://127.0.0.1:{port}/login",
        data={"username": username, "password": "demo", "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def _open_task(api: Api, instance_id: int, step: str) -> int:
    status, payload, _ = api.call("unit1", "GET", f"/api/v1/instances/{instance_id}")
    assert status == 200, (status, payload)
    found = [t["id"] for t in payload["current_tasks"] if t["step"] == step]
    assert len(found) == 1, f"open {step}? {payload['current_tasks']}"
    return found[0]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _both_polling(app, workers: dict, say) -> dict[str, str]:
    """Wait until each worker process has swept (its status row counts sweeps); their ids."""
    pids = {str(w.pid): name for name, w in workers.items()}
    until = time.monotonic() + FINISH_TIMEOUT
    while True:
        with app.app_context():
            rows = db.session.scalars(select(WorkerStatus)).all()
            seen = {
                pids[row.id.rsplit(":", 1)[1]]: row
                for row in rows
                if row.id.rsplit(":", 1)[1] in pids and row.sweeps > 0 and not row.stopped_at
            }
            db.session.remove()
        if len(seen) == 2:
            for name, row in sorted(seen.items()):
                say(f"{name} is {row.id}, polling ({row.sweeps} sweeps)")
            return {name: row.id for name, row in seen.items()}
        for worker in workers.values():
            assert worker.alive(), worker.tail()
        assert time.monotonic() < until, "\n".join(w.tail() for w in workers.values())
        time.sleep(0.2)


def _sweeps(app, worker_id: str) -> int:
    with app.app_context():
        sweeps = db.session.get(WorkerStatus, worker_id).sweeps
        db.session.remove()
    return sweeps


def _freeze_idle(app, worker: Child, worker_id: str, say) -> None:
    """SIGSTOP the worker while it holds no transaction: frozen inside one (a claimed call's
    FOR UPDATE), its locks would hold up the other worker until a timeout. Stopped, its
    connections (named by PGAPPNAME) cannot change state; any not 'idle' means it was
    working: it goes on for one more sweep and is stopped again."""
    until = time.monotonic() + FINISH_TIMEOUT
    while True:
        os.killpg(worker.pid, signal.SIGSTOP)
        with app.app_context():
            states = db.session.scalars(
                text("SELECT state FROM pg_stat_activity WHERE application_name = :name"),
                {"name": worker.name},
            ).all()
            db.session.remove()
        if states and set(states) == {"idle"}:
            say(f"{worker.name} frozen between sweeps ({len(states)} idle connections)")
            return
        os.killpg(worker.pid, signal.SIGCONT)
        say(f"{worker.name} was busy ({states}): one more sweep before freezing it")
        swept = _sweeps(app, worker_id)
        while _sweeps(app, worker_id) == swept:
            assert worker.alive(), worker.tail()
            assert time.monotonic() < until, worker.tail()
            time.sleep(0.1)


def _run_case(web1: Api, web2: Api, workers: dict, say) -> int:
    """A case through both web processes to step 4, then until a worker has completed it."""
    picture = base64.b64encode(PNG).decode()
    data = {**STEP1, "lampiran": f"data:image/png;name=layar.png;base64,{picture}"}
    t0 = time.monotonic()
    status, started, _ = web1.call("unit1", "POST", START_PATH, {"data": data})
    assert status == 201, started
    instance_id = started["id"]
    say(
        f"web-1: unit1 started case #{instance_id} with layar.png ({len(PNG)} bytes) "
        f"in {(time.monotonic() - t0) * 1000:.0f} ms"
    )
    # Steps 2 and 3 through web 2, step 4 through web 1.
    for api, name, user, step, values in (
        (web2, "web-2", "ketua1", "Task_2_analisa", STEP2),
        (web2, "web-2", "tim1", "Task_3_troubleshooting", STEP3),
        (web1, "web-1", "tim1", "Task_4_uji_implementasi", STEP4_PASS),
    ):
        t0 = time.monotonic()
        api.complete(user, _open_task(api, instance_id, step), values)
        say(f"{name}: {user} completed {step} in {(time.monotonic() - t0) * 1000:.0f} ms")
    t0 = time.monotonic()
    until = t0 + FINISH_TIMEOUT
    while True:
        status, payload, _ = web2.call("unit1", "GET", f"/api/v1/instances/{instance_id}")
        assert status == 200, payload
        if payload["status"] == "completed":
            break
        assert not payload["incidents"], payload["incidents"]
        assert time.monotonic() < until, f"not completed: {payload}\n" + "\n".join(
            w.tail() for w in workers.values()
        )
        time.sleep(0.2)
    say(
        f"case #{instance_id} completed {time.monotonic() - t0:.2f} s after step 4 "
        "(deployment and report by a worker)"
    )
    return instance_id


@pytest.mark.slow
def test_a_case_crosses_two_web_machines_and_two_workers(postgres_app, database_url, tmp_path):
    app = postgres_app
    began = time.monotonic()
    lines: list[str] = []

    def say(text: str) -> None:
        line = f"[{time.monotonic() - began:6.2f}s] {text}"
        lines.append(line)
        print(line, flush=True)

    tokens = _tokens(app)
    with running_s3(tmp_path) as s3:
        bucket = s3.bucket()
        shared = {
            **worker_env(database_url, tmp_path),
            **s3_env(bucket),
            "SOPFLOW_DEPLOY_CONFIG": write_demo_deploy_target(str(tmp_path / "deploy")),
            "SOPFLOW_SECRET_KEY": "dua-mesin-satu-kunci",
        }
        machines = {}
        for name in ("machine-1", "machine-2"):
            root = tmp_path / name
            machines[name] = {
                **shared,
                "SOPFLOW_INSTANCE_DIR": str(root / "instance"),
                "SOPFLOW_ATTACHMENT_DIR": str(root / "files"),
            }
        ports = {"web-1": free_port(), "web-2": free_port()}
        webs = {
            "web-1": Child("web-1", web_argv(ports["web-1"])[1], machines["machine-1"], tmp_path),
            "web-2": Child("web-2", web_argv(ports["web-2"])[1], machines["machine-2"], tmp_path),
        }
        worker_argv = [str(FLASK), "--app", "webapp", "worker", "--interval", "0.5"]
        workers = {  # each worker's database connections carry its name (libpq's PGAPPNAME)
            name: Child(name, worker_argv, {**machines[machine], "PGAPPNAME": name}, tmp_path)
            for name, machine in (("worker-1", "machine-1"), ("worker-2", "machine-2"))
        }
        try:
            for child in (*webs.values(), *workers.values()):
                child.start()
            for name, web in webs.items():
                wait_listening(ports[name], web)
            say(
                f"PostgreSQL {database_url.rsplit('/', 1)[1]}, object store {s3.endpoint} "
                f"bucket {bucket.bucket}; web-1 :{ports['web-1']} and worker-1 (pid "
                f"{workers['worker-1'].pid}) on machine-1, web-2 :{ports['web-2']} and worker-2 "
                f"(pid {workers['worker-2'].pid}) on machine-2, each with its own instance and "
                "file folder"
            )
            for name, port in ports.items():
                for when in ("first", "again"):  # the first builds the process's S3 client
                    ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
                    assert ready.status_code == 200, ready.text
                    checks = ready.json()["checks"]
                    say(
                        f"{name} /readyz ({when}) {ready.status_code}: database "
                        f"{checks['database']['ms']} ms, {checks['storage']['backend']} store "
                        f"{checks['storage']['ms']} ms"
                    )
            web1, web2 = Api(ports["web-1"], tokens), Api(ports["web-2"], tokens)
            worker_ids = _both_polling(app, workers, say)

            # Case 1's calls can only go to worker-1, case 2's only to worker-2: the other
            # worker is frozen (alive, its sweep held) until the case has completed.
            instances: dict[str, int] = {}
            for runs, frozen in (("worker-1", "worker-2"), ("worker-2", "worker-1")):
                _freeze_idle(app, workers[frozen], worker_ids[frozen], say)
                try:
                    instance_id = _run_case(web1, web2, workers, say)
                finally:
                    os.killpg(workers[frozen].pid, signal.SIGCONT)
                instances[runs] = instance_id
                say(f"case #{instance_id} completed while {frozen} was frozen")

            with app.app_context():
                calls = {
                    runs: db.session.scalars(
                        select(ServiceCall)
                        .where(ServiceCall.instance_id == instance_id)
                        .order_by(ServiceCall.id)
                    ).all()
                    for runs, instance_id in instances.items()
                }
                files = {
                    a.field: a
                    for a in db.session.scalars(
                        select(Attachment).where(Attachment.instance_id == instances["worker-1"])
                    )
                }
                db.session.remove()
            for runs, rows in calls.items():
                for call in rows:
                    took = (call.finished_at - call.started_at).total_seconds()
                    say(
                        f"case #{call.instance_id}: {call.worker} ran {call.operator} "
                        f"({call.status}, attempt {call.attempt}, {took:.2f} s)"
                    )
                # One row per service task of the SOP, each run once, by the worker expected.
                assert sorted(c.operator for c in rows) == sorted(SERVICE_TASKS), rows
                assert {(c.status, c.attempt, c.worker) for c in rows} == {
                    (ServiceCallStatus.SUCCEEDED, 1, worker_ids[runs])
                }, [(c.operator, c.status, c.attempt, c.worker) for c in rows]
            instance_id = instances["worker-1"]

            # The attachment from both web processes: logged in on each, the same bytes.
            attachment = files["lampiran"]
            for name, port in ports.items():
                session = _logged_in(port, "unit1")
                t0 = time.monotonic()
                got = session.get(
                    f"http://127.0.0.1:{port}/cases/{instance_id}/files/{attachment.id}",
                    timeout=30,
                )
                assert got.status_code == 200, got.text[:300]
                assert got.content == PNG
                assert got.headers["Content-Type"] == "image/png"
                say(
                    f"{name}: attachment {attachment.filename} {len(got.content)} bytes, "
                    f"sha256 {_sha(got.content)}… in {(time.monotonic() - t0) * 1000:.0f} ms"
                )
            # The report from both web processes, with a token: the same bytes, from the bucket.
            reports = {}
            for name, api in (("web-1", web1), ("web-2", web2)):
                second = requests.get(
                    f"http://127.0.0.1:{api.port}/api/v1/instances/"
                    f"{instances['worker-2']}/report.pdf",
                    headers={"Authorization": f"Bearer {tokens['unit1']}"},
                    timeout=30,
                )
                assert second.status_code == 200, second.text[:300]
                assert second.content.startswith(b"%PDF")
                t0 = time.monotonic()
                got = requests.get(
                    f"http://127.0.0.1:{api.port}/api/v1/instances/{instance_id}/report.pdf",
                    headers={"Authorization": f"Bearer {tokens['unit1']}"},
                    timeout=30,
                )
                assert got.status_code == 200, got.text[:300]
                assert got.content.startswith(b"%PDF")
                reports[name] = got.content
                say(
                    f"{name}: report.pdf {len(got.content)} bytes, sha256 {_sha(got.content)}… "
                    f"in {(time.monotonic() - t0) * 1000:.0f} ms"
                )
            assert reports["web-1"] == reports["web-2"]
            pdf = files["laporan_pdf"]
            stored = (
                s3.client()
                .get_object(Bucket=bucket.bucket, Key=f"{bucket.prefix}{pdf.id[:2]}/{pdf.id}")[
                    "Body"
                ]
                .read()
            )
            assert stored == reports["web-1"]
            keys = s3.keys(bucket.bucket)
            for row in files.values():
                assert f"{bucket.prefix}{row.id[:2]}/{row.id}" in keys
            say(f"bucket {bucket.bucket}: {len(keys)} objects {sorted(files)}")
            for name in machines:
                on_disk = _files_on_disk(tmp_path / name / "files")
                assert on_disk == [], f"{name} kept files of its own: {on_disk}"
            say("machine-1 and machine-2 file folders: empty (everything is in the bucket)")
        finally:
            for worker in workers.values():  # a frozen worker cannot hear SIGTERM
                if worker.alive():
                    os.killpg(worker.pid, signal.SIGCONT)
            children = (*webs.values(), *workers.values())
            for child in children:  # all asked at once, then each waited for
                if child.alive():
                    child.process.send_signal(signal.SIGTERM)
            for child in children:
                child.terminate(10)
    say(f"total {time.monotonic() - began:.1f} s")
