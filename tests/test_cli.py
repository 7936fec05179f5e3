"""The command line: setup on any database, users, tokens; migrations match the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    ApiToken,
    AuditEvent,
    ProcessInstance,
    ProcessVersion,
    Role,
    ServiceCall,
    User,
)
from webapp.services import service_calls


def test_migrations_create_exactly_the_models(app):
    # The database was built by Alembic migrations only; any difference is a missing migration.
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_setup_is_idempotent_and_imports_a_changed_diagram_as_a_new_version(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["setup"])
    assert "version 1 (unchanged)" in result.output
    source = app.config["PROCESSES_DIR"]
    # Copy the SOP, change a time standard, import again: a new version, the old one kept.
    import shutil

    copy = tmp_path / "processes"
    shutil.copytree(source, copy)
    bpmn = copy / "pemeliharaan_sistem_informasi" / "pemeliharaan_sistem_informasi.bpmn"
    bpmn.write_text(bpmn.read_text().replace('"PT2H"', '"PT3H"'))
    app.config["PROCESSES_DIR"] = str(copy)
    result = runner.invoke(args=["setup"])
    assert "version 2 (new version)" in result.output, result.output
    with app.app_context():
        versions = db.session.scalars(select(ProcessVersion.version)).all()
    assert sorted(versions) == [1, 2]


def test_users_create_add_role_and_token(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "ani",
            "--name",
            "Ani",
            "--password",
            "rahasia123",
            "--role",
            "Tim",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "add-role", "ani", "Ketua Tim"])
    assert "Ketua Tim, Tim" in result.output
    result = runner.invoke(args=["users", "token", "ani"])
    token = result.output.strip()
    assert token.startswith("sop_")
    with app.app_context():
        stored = db.session.scalar(select(ApiToken.token_hash))
        assert stored != token and stored == ApiToken.hash(token)  # only the hash is kept
        assert db.session.scalar(select(User).where(User.username == "ani")).check_password(
            "rahasia123"
        )
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_users_commands_refuse_bad_input_with_a_message(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "add-role", "nobody", "Tim"])
    assert result.exit_code != 0 and "no user 'nobody'" in result.output
    result = runner.invoke(args=["users", "add-role", "tim1", "Penyihir"])
    assert result.exit_code != 0 and "no role 'Penyihir'" in result.output
    result = runner.invoke(args=["users", "create", "x", "--password", "pendek"])
    assert result.exit_code != 0 and "at least 8" in result.output


def test_setup_refuses_demo_users_in_production(app):
    app.config["SESSION_COOKIE_SECURE"] = True
    result = app.test_cli_runner().invoke(args=["setup", "--demo"])
    assert result.exit_code != 0 and "refusing demo users" in result.output


def test_setup_demo_writes_a_local_deployment_target_for_every_demo_application(app):
    from pathlib import Path

    from service_tasks.deploy import load_targets

    result = app.test_cli_runner().invoke(args=["setup", "--demo"])
    config = Path(app.instance_path) / "deploy.toml"
    assert f"demo deployment target: {config}" in result.output
    targets = load_targets(str(config))
    assert "perizinan_online" in targets and targets["perizinan_online"].host in (None, "")


def test_setup_refuses_a_diagram_with_an_unknown_operator_and_says_where(app, tmp_path):
    import shutil

    copy = tmp_path / "processes"
    shutil.copytree(app.config["PROCESSES_DIR"], copy)
    bpmn = copy / "pemeliharaan_sistem_informasi" / "pemeliharaan_sistem_informasi.bpmn"
    bpmn.write_text(bpmn.read_text().replace('id="deploy_to_colocation"', 'id="deploy_ke_bulan"'))
    app.config["PROCESSES_DIR"] = str(copy)
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code != 0
    assert "diagram refused" in result.output and "Task_5_upload_colocation" in result.output
    with app.app_context():
        assert len(db.session.scalars(select(ProcessVersion)).all()) == 1


def test_roles_create_adds_a_role_a_user_can_then_be_given(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["roles", "create", "Seksi Survei", "--description", "Survei"])
    assert result.exit_code == 0, result.output
    assert "created role 'Seksi Survei': Survei" in result.output
    result = runner.invoke(args=["roles", "create", "Pemohon", "--external"])
    assert result.exit_code == 0 and "'Pemohon' (external): Lane: Pemohon" in result.output
    result = runner.invoke(
        args=["users", "create", "surveyor", "--password", "rahasia123", "--role", "Seksi Survei"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "surveyor"))
        assert sorted(user.role_names) == ["Seksi Survei"]
        role = db.session.scalar(select(Role).where(Role.name == "Pemohon"))
        assert role.description == "Lane: Pemohon"
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "role.created").limit(1)
        )
        assert event.user_id is None and event.detail["name"] == "Seksi Survei"


def test_roles_create_refuses_a_taken_or_too_short_name_with_a_message(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["roles", "create", "tim"])
    assert result.exit_code != 0 and "'tim'" in result.output and "sudah ada" in result.output
    result = runner.invoke(args=["roles", "create", "x"])
    assert result.exit_code != 0 and "2–100" in result.output
    with app.app_context():
        assert db.session.scalar(select(Role).where(Role.name == "x")) is None


def test_users_create_with_an_unknown_role_says_how_to_create_it(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "ani", "--password", "rahasia123", "--role", "Kepala Dinas"]
    )
    assert result.exit_code != 0
    assert "no role 'Kepala Dinas'" in result.output
    assert "flask --app webapp roles create 'Kepala Dinas'" in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "ani")) is None


def test_migration_0004_fills_the_outcome_of_completed_cases_from_their_state(
    app, actions, deployment
):
    finished = actions.run_to("end")
    running = actions.start()["id"]
    with app.app_context():
        assert service_calls.run_queued() == 2
        downgrade(revision="0003")
        upgrade()
        rows = {
            r.id: (r.status, r.outcome_id, r.outcome_name)
            for r in db.session.scalars(select(ProcessInstance))
        }
    assert rows[finished] == ("completed", "EndEvent_selesai", "Permasalahan selesai")
    assert rows[running][1:] == (None, None)


def test_migration_0007_gives_calls_the_due_time_of_their_boundary_timer(app, actions, deployment):
    # The upload is queued at QUEUED and waits two hours for a worker; its 30-minute standard
    # counts from QUEUED (the suite counts wall-clock time), as its boundary timer does.
    queued = datetime(2026, 11, 17, 3, 0, 0, 250_000, tzinfo=UTC)
    with time_machine.travel(queued, tick=False):
        finished = actions.run_to("end")
    with time_machine.travel(queued + timedelta(hours=2), tick=False), app.app_context():
        assert service_calls.run_queued() == 2
        calls = db.session.scalars(select(ServiceCall).where(ServiceCall.instance_id == finished))
        stored = {c.id: (c.bpmn_id, c.due_at) for c in calls}
        db.session.commit()  # MariaDB's ALTER waits for an open read of the table to end
        downgrade(revision="0006")
        upgrade()
        db.session.expire_all()
        filled = {
            c.id: c.due_at
            for c in db.session.scalars(select(ServiceCall).where(ServiceCall.id.in_(stored)))
        }
    # The report writer has no standard and keeps none.
    for call_id, (bpmn_id, due_at) in stored.items():
        if bpmn_id == "Task_5_upload_colocation":
            assert due_at == queued + timedelta(minutes=30)
        else:
            assert due_at is None
        assert filled[call_id] == due_at
