"""Fixtures: the app on SQLite, PostgreSQL and MariaDB; clients; a demo SOP; helpers."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import select

import service_tasks
from webapp import create_app
from webapp.engine.calendar import WallClockCalendar
from webapp.extensions import db
from webapp.models import ApiToken, HumanTask, TaskStatus, User

# Demo passwords are hashed for every test: a low work factor keeps the suite fast.
FAST_HASH = "pbkdf2:sha256:1000"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(message: str) -> NoReturn:
    """Fail in CI (where everything the tests need is installed), skip elsewhere."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


SERVER_URLS = {
    "postgresql": os.environ.get(
        "SOPFLOW_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get(
        "SOPFLOW_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
    ),
}
BACKENDS = [
    b for b in os.environ.get("SOPFLOW_TEST_BACKENDS", "sqlite,postgresql,mariadb").split(",") if b
]

STEP1 = {
    "aplikasi": "perizinan_online",
    "judul": "Halaman pendaftaran izin tidak dapat dibuka",
    "deskripsi": "Sejak pagi halaman pendaftaran menampilkan galat 500.",
    "urgensi": "tinggi",
    "langkah_reproduksi": "1. Buka halaman pendaftaran\n2. Muncul galat 500",
}
STEP2 = {
    "kategori": "bug",
    "prioritas": "p1",
    "analisis": "Galat pada validasi NIB setelah pembaruan pustaka.",
    "arahan_pengembangan": "Perbaiki validasi NIB dan tambahkan uji.",
    "anggota_tim": ["tim1"],
}
STEP3 = {
    "akar_masalah": "Fungsi validasi NIB memakai format lama.",
    "komponen": "app/Http/Controllers/DaftarController.php",
    "bahasa_pemrograman": "laravel",
    "rekomendasi_perbaikan": "Ganti regex validasi NIB ke format 13 digit.",
    "rilis": "v2.4.1",
}
STEP4_PASS = {
    "hasil_uji": "berhasil",
    "tanggal_uji": "2026-11-25",
    "catatan_uji": "Semua uji lulus.",
}
STEP4_FAIL = {"hasil_uji": "gagal", "tanggal_uji": "2026-11-25", "catatan_uji": "Masih galat."}

# Long tests in modules whose owners mark nothing: property-based fuzzing of every API
# operation, and a worker process started for one diagram. Modules of their own mark themselves.
SLOW_ELSEWHERE = frozenset(
    {
        "tests/api/test_schemathesis.py::test_operation_conforms",
        "tests/security/test_hostile_diagrams.py::"
        "test_worker_process_survives_a_diagram_that_raises_system_exit",
    }
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the long tests listed in ``SLOW_ELSEWHERE`` ``slow``."""
    for item in items:
        if item.nodeid.split("[")[0] in SLOW_ELSEWHERE:
            item.add_marker(pytest.mark.slow)


@contextmanager
def deadline(seconds: int):
    """Turn a hang (a guard that did not stop something) into a test failure, not a stall.

    Not a timing assertion: the bound is far above what a working guard needs.
    """

    def _timeout(signum, frame):
        raise TimeoutError(f"still running after {seconds}s: nothing stopped it")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _reachable(url: str) -> str | None:
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return str(exc).splitlines()[0]


def _own_database(base_url: str) -> tuple[str, callable]:
    """Create a database of our own on the server so parallel runs never share tables."""
    name = f"sopflow_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    base = sa.make_url(base_url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as conn:
            force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database per backend; an unreachable server fails in CI, else skips."""
    backend = request.param
    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        base = SERVER_URLS[backend]
        problem = _reachable(base)
        if problem:
            missing(f"{backend} not reachable at {base}: {problem}")
        url, drop = _own_database(base)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield url
    if drop is not None:
        drop()


def suite_config(database_url: str, attachment_dir, **overrides) -> dict:
    """The settings every test app of the suite starts from, with ``overrides`` on top."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        # Wall-clock time standards keep due times independent of when the suite runs;
        # tests of working hours install that calendar and freeze the clock themselves.
        "SLA_CALENDAR": WallClockCalendar(),
        "ATTACHMENT_DIR": str(attachment_dir),
        **overrides,
    }


def demo_app(config: dict):
    """An app on ``config`` whose database is emptied and set up with the demo (setup --demo)."""
    app = create_app(config)
    with app.app_context():
        _empty(db.engine)
        result = app.test_cli_runner().invoke(args=["setup", "--demo"])
        assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def app(database_url, tmp_path):
    """The app bound to a freshly emptied database of the current backend."""
    app = demo_app(suite_config(database_url, tmp_path / "attachments"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty(engine) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


class Actions:
    """Small helpers to drive the app as a given user, through HTTP like a person would."""

    def __init__(self, app):
        self.app = app
        self._tokens: dict[str, str] = {}

    def client(self, username: str | None = None) -> FlaskClient:
        client = self.app.test_client()
        if username:
            response = client.post("/login", data={"username": username, "password": "demo"})
            assert response.status_code == 302, response.data[:500]
        return client

    def token(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            with self.app.app_context():
                user = db.session.scalar(select(User).where(User.username == username))
                _, secret = ApiToken.issue(user, "test")
                db.session.commit()
            self._tokens[username] = secret
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def start(self, username: str = "unit1", data: dict | None = None) -> dict:
        response = self.app.test_client().post(
            "/api/v1/processes/pemeliharaan_sistem_informasi/instances",
            json={"data": data or STEP1},
            headers=self.token(username),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def open_task(self, instance_id: int, step: str) -> HumanTask:
        with self.app.app_context():
            task = db.session.scalar(
                select(HumanTask).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.bpmn_id == step,
                    HumanTask.status == TaskStatus.OPEN,
                )
            )
            assert task is not None, f"no open {step} in instance {instance_id}"
            db.session.expunge(task)
            return task

    def complete(self, username: str, task_id: int, data: dict):
        return self.app.test_client().post(
            f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=self.token(username)
        )

    def run_to(self, step: str) -> int:
        """Start a case and work it until ``step`` is open; return the instance id."""
        instance_id = self.start()["id"]
        order = [
            ("Task_2_analisa", "ketua1", STEP2),
            ("Task_3_troubleshooting", "tim1", STEP3),
            ("Task_4_uji_implementasi", "tim1", STEP4_PASS),
        ]
        for bpmn_id, username, data in order:
            if bpmn_id == step:
                return instance_id
            # "end": work every step; the case then waits at the upload step.
            task = self.open_task(instance_id, bpmn_id)
            response = self.complete(username, task.id, data)
            assert response.status_code == 200, response.get_json()
        return instance_id


@pytest.fixture
def actions(app) -> Actions:
    return Actions(app)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in page"
    return match.group(1)


@pytest.fixture
def engine_app() -> Iterator:
    """An app context without a database, for engine-only tests that need config."""
    yield create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


@pytest.fixture
def deployment(monkeypatch):
    """The deployment connector succeeds at once without deploying anything (the real one,
    against a real SSH server, is tested in tests/service_tasks/test_deploy.py)."""

    def deploy(aplikasi, rilis, *, on_output=None):
        return {"target": "colo:/var/www/app", "exit_code": 0, "log": "ok"}

    record = dataclasses.replace(service_tasks.REGISTRY["deploy_to_colocation"], function=deploy)
    monkeypatch.setitem(service_tasks.REGISTRY, "deploy_to_colocation", record)
