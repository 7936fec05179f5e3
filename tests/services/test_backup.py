"""Backup and restore: a case with an attachment, backed up, restored into a fresh database and a
fresh file folder, is opened there, its attachment downloaded and its work continued.

The round trip runs the real commands an IT team runs (``flask --app webapp backup create`` /
``restore`` in their own processes, with pg_dump/pg_restore or mariadb-dump/mariadb), on each
database; the refusals run in-process on SQLite.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tests.conftest import (
    PNG,
    SERVER_URLS,
    STEP1,
    STEP2,
    STEP3,
    Actions,
    _own_database,
    deadline,
    missing,
    suite_config,
)
from webapp import create_app
from webapp.extensions import db
from webapp.models import Attachment, ProcessInstance
from webapp.services import backup

ROOT = Path(__file__).resolve().parents[2]
LAMPIRAN = "data:image/png;name=layar.png;base64," + base64.b64encode(PNG).decode()
TOOLS = {"postgresql": ("pg_dump", "pg_restore"), "mysql": ("mariadb-dump", "mariadb")}


def flask(url: str, files: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``flask --app webapp …`` in its own process, configured as a server would be."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPFLOW_")}
    env.update(SOPFLOW_DATABASE_URL=url, SOPFLOW_ATTACHMENT_DIR=str(files))
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def tools_or_missing(app) -> None:
    """The database's own dump and restore tools: a failure in CI when absent, else a skip."""
    kind = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    for tool in TOOLS.get(kind, ()):
        if shutil.which(tool) is None:
            missing(f"{tool} not installed (Debian: postgresql-client / mariadb-client)")


def fresh_database(app, tmp_path: Path) -> tuple[str, callable]:
    """A new, empty database of the same kind as ``app``'s (no tables, not migrated)."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    kind = url.get_backend_name()
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}", lambda: None
    base = SERVER_URLS["postgresql" if kind == "postgresql" else "mariadb"]
    return _own_database(base)


def restored_app(url: str, files: Path):
    return create_app(suite_config(url, files))


def a_case_with_an_attachment(app, actions) -> tuple[int, str]:
    """A case started with a screenshot and worked one step on; (its id, the file's id)."""
    case = actions.start(data={**STEP1, "lampiran": LAMPIRAN})
    task = actions.open_task(case["id"], "Task_2_analisa")
    assert actions.complete("ketua1", task.id, STEP2).status_code == 200
    with app.app_context():
        [row] = db.session.scalars(select(Attachment)).all()
        return case["id"], row.id


def assert_case_opens_and_continues(app, case_id: int, file_id: str) -> None:
    """The restored case: its page, its file, its history, and its next step can be done."""
    actions = Actions(app)
    staff = actions.client("unit1")
    page = staff.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert STEP1["judul"] in page.get_data(as_text=True)
    download = staff.get(f"/cases/{case_id}/files/{file_id}")
    assert (download.status_code, download.data) == (200, PNG)
    history = app.test_client().get(
        f"/api/v1/instances/{case_id}/history", headers=actions.token("unit1")
    )
    steps = [item["step"] for item in history.get_json()["items"]]
    assert steps[:2] == ["Task_1_pesan_perbaikan", "Task_2_analisa"], steps
    assert history.get_json()["items"][0]["data"]["lampiran"] == file_id
    task = actions.open_task(case_id, "Task_3_troubleshooting")
    assert actions.complete("tim1", task.id, STEP3).status_code == 200
    actions.open_task(case_id, "Task_4_uji_implementasi")


@pytest.mark.slow
def test_backup_restores_into_a_fresh_database_where_the_case_opens_and_continues(
    app, actions, tmp_path
):
    tools_or_missing(app)
    source_url = app.config["SQLALCHEMY_DATABASE_URI"]
    case_id, file_id = a_case_with_an_attachment(app, actions)
    folder = tmp_path / "backup"

    made = flask(source_url, Path(app.config["ATTACHMENT_DIR"]), "backup", "create", str(folder))
    assert made.returncode == 0, made.stderr
    assert "1 files" in made.stdout, made.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"]["count"] == 1
    assert (folder / "files" / file_id[:2] / file_id).read_bytes() == PNG

    target_url, drop = fresh_database(app, tmp_path)
    files = tmp_path / "restored-files"
    try:
        done = flask(target_url, files, "backup", "restore", str(folder))
        assert done.returncode == 0, done.stderr
        assert "every stored file checked" in done.stdout, done.stdout
        assert "as this release expects" in done.stdout, done.stdout
        restored = restored_app(target_url, files)
        with restored.app_context():
            assert db.session.scalar(select(ProcessInstance.title).filter_by(id=case_id))
        assert_case_opens_and_continues(restored, case_id, file_id)
        with restored.app_context():
            db.engine.dispose()
    finally:
        drop()


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on its own SQLite file, set up with the demo users."""
    app = restored_app(f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "source-files")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["setup", "--demo"])
        assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.engine.dispose()


def test_restore_in_process_on_sqlite_brings_the_case_back(sqlite_app, tmp_path):
    case_id, file_id = a_case_with_an_attachment(sqlite_app, Actions(sqlite_app))
    made = sqlite_app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    assert made.exit_code == 0, made.output
    target = restored_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "fresh-files")
    done = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    assert "1 files" in done.output
    assert_case_opens_and_continues(target, case_id, file_id)


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(sqlite_app, tmp_path):
    a_case_with_an_attachment(sqlite_app, Actions(sqlite_app))
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "b")]).exit_code == 0
    done = runner.invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert done.exit_code == 1
    assert "is not empty" in done.output and "new, empty database" in done.output
    with sqlite_app.app_context():
        assert db.session.scalar(select(sa.func.count()).select_from(ProcessInstance)) == 1


def test_backup_refuses_a_folder_that_is_not_empty(sqlite_app, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "old.txt").write_text("x")
    done = sqlite_app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    assert done.exit_code == 1
    assert "is not empty" in done.output
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["old.txt"]


@pytest.mark.parametrize(
    "damage", ["no-manifest", "damaged-manifest", "damaged-dump", "missing-file"]
)
def test_restore_refuses_an_unfinished_or_damaged_backup(sqlite_app, tmp_path, damage):
    _, file_id = a_case_with_an_attachment(sqlite_app, Actions(sqlite_app))
    folder = tmp_path / "b"
    assert (
        sqlite_app.test_cli_runner().invoke(args=["backup", "create", str(folder)]).exit_code == 0
    )
    expected = {
        "no-manifest": "not a finished sopflow backup",
        "damaged-manifest": "manifest.json is damaged",
        "damaged-dump": "missing or damaged",
        "missing-file": f"1 stored files are wrong: {file_id} (layar.png): missing",
    }[damage]
    if damage == "no-manifest":
        (folder / "manifest.json").unlink()
    elif damage == "damaged-manifest":
        manifest = folder / "manifest.json"
        manifest.write_text(manifest.read_text()[:40])
    elif damage == "damaged-dump":
        with (folder / "database.sqlite3").open("r+b") as dump:
            dump.seek(200)
            dump.write(b"\xff\xfe")
    else:
        (folder / "files" / file_id[:2] / file_id).unlink()
    target = restored_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "fresh-files")
    done = target.test_cli_runner().invoke(args=["backup", "restore", str(folder)])
    assert done.exit_code == 1
    assert expected in done.output, done.output


def test_pg_dump_is_not_older_than_the_server(app):
    """An old pg_dump refuses a newer server mid-backup; the backup says so before it starts."""
    if sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    if shutil.which("pg_dump") is None:
        missing("pg_dump not installed (Debian: postgresql-client)")
    with app.app_context():
        client, server = backup.check_pg_tools()
    assert client >= server


def test_backup_of_an_s3_store_restores_into_another_bucket(tmp_path):
    """Files kept in an S3-compatible bucket go into the backup folder and come back into the
    restoring instance's own (new) bucket, where the case's attachment downloads."""
    from tests.s3_server import running_s3

    with running_s3(tmp_path) as server:
        source_bucket, target_bucket = server.bucket(), server.bucket()
        source = restored_app(f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "unused")
        source.config["STORAGE"] = {"backend": "s3", "s3": source_bucket}
        with source.app_context():
            assert source.test_cli_runner().invoke(args=["setup", "--demo"]).exit_code == 0
        case_id, file_id = a_case_with_an_attachment(source, Actions(source))
        made = source.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
        assert made.exit_code == 0, made.output
        assert f"S3 bucket {source_bucket.bucket}" in made.output
        assert (tmp_path / "b" / "files" / file_id[:2] / file_id).read_bytes() == PNG

        target = restored_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "unused-too")
        target.config["STORAGE"] = {"backend": "s3", "s3": target_bucket}
        done = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "b")])
        assert done.exit_code == 0, done.output
        assert f"sopflow/{file_id[:2]}/{file_id}" in server.keys(target_bucket.bucket)
        assert_case_opens_and_continues(target, case_id, file_id)
        assert not (tmp_path / "unused-too").exists()


def test_restore_refuses_a_backup_from_a_newer_release_before_touching_the_database(
    sqlite_app, tmp_path
):
    folder = tmp_path / "b"
    assert (
        sqlite_app.test_cli_runner().invoke(args=["backup", "create", str(folder)]).exit_code == 0
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "alembic_revision": "0099"}))
    target = restored_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "fresh-files")
    done = target.test_cli_runner().invoke(args=["backup", "restore", str(folder)])
    assert done.exit_code == 1
    assert "revision 0099 is newer than this release" in done.output
    with target.app_context():
        assert sa.inspect(db.engine).get_table_names() == []


def test_a_backup_from_an_older_schema_is_restored_then_upgraded(tmp_path):
    from flask_migrate import upgrade

    old = restored_app(f"sqlite:///{tmp_path / 'old.db'}", tmp_path / "old-files")
    with old.app_context():
        upgrade(revision="0005")  # the schema an earlier release left
    made = old.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    assert made.exit_code == 0, made.output
    assert "revision 0005" in made.output
    target = restored_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "fresh-files")
    runner = target.test_cli_runner()
    done = runner.invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    assert "schema at 0005, this release expects" in done.output
    assert "run flask --app webapp db upgrade" in done.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with target.app_context():
        assert backup.schema_note(backup._revision()).endswith("as this release expects")


def test_pg_tools_get_the_url_as_a_connection_string_and_the_password_in_a_private_file():
    """What pg_dump/pg_restore are given for a URL with a password, a socket folder and TLS
    settings: libpq reads the string back to the same values; the password is only in the
    password file (mode 0600, gone afterwards)."""
    from psycopg.conninfo import conninfo_to_dict

    url = sa.make_url(
        "postgresql+psycopg://sopflow:p%40ss%3Aw'ord@/sopflow db?host=/var/run/postgresql"
        "&sslmode=verify-full&application_name=x"
    )
    with backup._libpq_conninfo(url) as conninfo:
        values = conninfo_to_dict(conninfo)
        passfile = Path(values.pop("passfile"))
        assert passfile.read_text() == "*:*:*:*:p@ss\\:w'ord\n"
        assert passfile.stat().st_mode & 0o777 == 0o600
        assert "p@ss" not in conninfo
    assert values == {
        "dbname": "sopflow db",
        "user": "sopflow",
        "host": "/var/run/postgresql",
        "sslmode": "verify-full",
    }
    assert not passfile.exists()


def tool_on_path(monkeypatch, folder: Path, name: str, script: str) -> None:
    """A stand-in for a database tool, found on PATH before the real one."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def is_gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for init to reap it counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_a_hanging_pg_dump_is_stopped_with_whatever_it_started(app, tmp_path, monkeypatch):
    """pg_dump --version that never answers (and started a helper holding its output open) is
    killed with its helper after the timeout; the error names the tool in one line."""
    helper = tmp_path / "helper.pid"
    tool_on_path(
        monkeypatch, tmp_path / "bin", "pg_dump", f"sleep 600 &\necho $! > {helper}\nwait\n"
    )
    monkeypatch.setattr(backup, "VERSION_TIMEOUT_SECONDS", 0.5)
    with app.app_context(), deadline(60), pytest.raises(backup.BackupError) as caught:
        backup.check_pg_tools()
    assert str(caught.value) == "pg_dump had not finished after 0.5 s and was stopped"
    assert is_gone(int(helper.read_text()))


def test_a_tool_that_outlives_its_kill_is_reported_in_one_line_not_waited_for(
    tmp_path, monkeypatch
):
    """A tool stuck in the kernel outlives SIGKILL (played here by a kill that does not reach
    it): the command waits a bounded time after the kill, then says in its one line that the
    tool could not be stopped and which process it is, instead of hanging for ever."""
    pid_file = tmp_path / "tool.pid"
    tool_on_path(
        monkeypatch, tmp_path / "bin", "pg_dump", f"echo $$ > {pid_file}\nexec sleep 600\n"
    )
    real_killpg = os.killpg
    monkeypatch.setattr(os, "killpg", lambda pid, sig: None)
    monkeypatch.setattr(backup, "STOP_WAIT_SECONDS", 0.5)
    try:
        with deadline(60), pytest.raises(backup.BackupError) as caught:
            backup._run([shutil.which("pg_dump"), "--version"], timeout=0.5)
        pid = int(pid_file.read_text())
        assert str(caught.value) == (
            f"pg_dump had not finished after 0.5 s and could not be stopped "
            f"(process {pid} still running)"
        )
        assert not is_gone(pid)
    finally:
        if pid_file.exists():
            real_killpg(int(pid_file.read_text()), signal.SIGKILL)


def test_a_failing_tool_is_reported_in_one_line_without_its_own_line_breaks(tmp_path, monkeypatch):
    tool_on_path(
        monkeypatch,
        tmp_path / "bin",
        "pg_dump",
        "echo 'pg_dump: error: connection failed' >&2\necho 'FATAL: no such role' >&2\nexit 1\n",
    )
    with pytest.raises(backup.BackupError) as caught:
        backup._run([shutil.which("pg_dump"), "--version"], timeout=30)
    assert str(caught.value) == (
        "pg_dump failed: pg_dump: error: connection failed / FATAL: no such role"
    )


def test_a_tool_that_cannot_start_is_an_error_not_a_traceback(tmp_path):
    broken = tmp_path / "pg_dump"
    broken.write_text("not a program")
    broken.chmod(0o644)
    with pytest.raises(backup.BackupError, match="pg_dump could not be started: Permission"):
        backup._run([str(broken)])


def test_backup_create_with_a_hanging_pg_dump_fails_in_one_line_and_leaves_the_folder_empty(
    app, tmp_path, monkeypatch
):
    """``flask backup create`` on PostgreSQL: the hanging tool is stopped, the command exits
    non-zero with one line saying what failed, and the folder can be used again."""
    if sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    tool_on_path(monkeypatch, tmp_path / "bin", "pg_dump", "exec sleep 600\n")
    monkeypatch.setattr(backup, "VERSION_TIMEOUT_SECONDS", 0.5)
    folder = tmp_path / "b"
    with deadline(60):
        done = app.test_cli_runner().invoke(args=["backup", "create", str(folder)])
    assert done.exit_code == 1
    assert done.output.splitlines()[1:] == [
        "Error: backup not made: pg_dump had not finished after 0.5 s and was stopped; "
        f"{folder} was emptied again"
    ], done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert list(folder.iterdir()) == []


def test_a_backup_whose_files_cannot_be_copied_removes_its_dump(tmp_path):
    """The dump is written, then the bucket turns out to be missing: the command says so in one
    line and takes the dump away again, so the same folder serves the next try."""
    from tests.s3_server import running_s3

    with running_s3(tmp_path) as server:
        source = restored_app(f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "unused")
        with source.app_context():
            assert source.test_cli_runner().invoke(args=["setup", "--demo"]).exit_code == 0
        source.config["STORAGE"] = {"backend": "s3", "s3": server.settings("no-such-bucket")}
        done = source.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    assert done.exit_code == 1
    last = done.output.splitlines()[-1]
    assert last.startswith("Error: backup not made: files not backed up: "), done.output
    assert last.endswith(f"{tmp_path / 'b'} was emptied again"), done.output
    assert list((tmp_path / "b").iterdir()) == []


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_a_backup_stopped_by_another_error_than_its_own_still_empties_the_folder(
    app, tmp_path, monkeypatch, error
):
    """Ctrl-C or an unforeseen error while the files are copied (the dump already written):
    the error goes on as it is, but the folder is emptied, so the next create in the same
    folder is not refused as 'not empty'."""
    tools_or_missing(app)
    folder = tmp_path / "b"
    with app.app_context():
        listing = type(backup.storage.store()).iter_keys

        def broken_listing(store, prefix=""):
            raise error("stopped while listing the stored files")

        monkeypatch.setattr(type(backup.storage.store()), "iter_keys", broken_listing)
        with pytest.raises(error) as caught:
            backup.create(folder)
        assert list(folder.iterdir()) == []
        assert f"{folder} was emptied again" in caught.value.__notes__[-1]
        monkeypatch.setattr(type(backup.storage.store()), "iter_keys", listing)
        assert backup.create(folder).folder == folder
    assert (folder / "manifest.json").is_file()


def _table_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        return len(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _replace_dump(folder: Path, data: bytes) -> bytes:
    """Put ``data`` in place of the backup's dump with a matching checksum; the old bytes."""
    manifest = json.loads((folder / "manifest.json").read_text())
    dump = folder / manifest["dump"]
    old = dump.read_bytes()
    dump.write_bytes(data)
    manifest["dump_sha256"] = backup._sha256(dump)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return old


@pytest.mark.slow
def test_a_restore_that_fails_halfway_says_what_the_database_holds(app, actions, tmp_path):
    """A dump that breaks off partway (checksum matching, as if the backup had been written
    wrong): the message says what the target database holds and it does. PostgreSQL restores
    in one transaction and SQLite in one copy, so their database is still empty and a second
    run with a whole dump finishes; MariaDB keeps the tables made before the break."""
    tools_or_missing(app)
    kind = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    case_id, file_id = a_case_with_an_attachment(app, actions)
    folder = tmp_path / "b"
    made = app.test_cli_runner().invoke(args=["backup", "create", str(folder)])
    assert made.exit_code == 0, made.output
    dump = folder / json.loads((folder / "manifest.json").read_text())["dump"]
    whole = dump.read_bytes()
    _replace_dump(
        folder, b"not a database\n" * 100 if kind == "sqlite" else whole[: len(whole) * 3 // 4]
    )

    target_url, drop = fresh_database(app, tmp_path)
    files = tmp_path / "restored-files"
    try:
        target = restored_app(target_url, files)
        done = target.test_cli_runner().invoke(args=["backup", "restore", str(folder)])
        assert done.exit_code == 1
        last = done.output.splitlines()[-1]
        assert last.startswith("Error: database not restored: "), done.output
        assert "the files are in place" in last
        assert (files / file_id[:2] / file_id).read_bytes() == PNG
        tables = _table_count(target_url)
        name = sa.make_url(target_url).database
        if kind == "mysql":
            assert tables > 0
            assert last.endswith(
                f"database {name} holds {tables} tables of the unfinished restore: drop it, "
                "create it empty again and run restore again"
            ), last
        else:
            assert tables == 0
            assert last.endswith(f"database {name} is still empty: run restore again once fixed")
            _replace_dump(folder, whole)
            again = target.test_cli_runner().invoke(args=["backup", "restore", str(folder)])
            assert again.exit_code == 0, again.output
            assert_case_opens_and_continues(target, case_id, file_id)
        with target.app_context():
            db.engine.dispose()
    finally:
        drop()


def test_a_restore_whose_files_cannot_be_copied_leaves_the_database_untouched(sqlite_app, tmp_path):
    """The target's file folder cannot be made: nothing reaches the database, the message says
    so, and once the folder can be made a second run restores everything."""
    case_id, file_id = a_case_with_an_attachment(sqlite_app, Actions(sqlite_app))
    assert (
        sqlite_app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    ).exit_code == 0
    blocked = tmp_path / "fresh-files"
    blocked.write_text("a file where the folder should be")
    target = restored_app(f"sqlite:///{tmp_path / 'fresh.db'}", blocked)
    done = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert done.exit_code == 1
    last = done.output.splitlines()[-1]
    assert last.startswith("Error: files not restored: cannot write to the local folder"), last
    assert last.endswith(
        f"database {tmp_path / 'fresh.db'} was not touched and files already copied are kept "
        "(a second run skips them): run restore again once fixed"
    ), last
    with target.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
    blocked.unlink()
    again = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert again.exit_code == 0, again.output
    assert_case_opens_and_continues(target, case_id, file_id)
