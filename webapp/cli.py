"""Command line: ``flask --app webapp setup|users …``."""

from __future__ import annotations

import shlex
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from .config import MAX_WORKER_CONCURRENCY
from .engine.spec import DiagramError
from .extensions import db
from .models import SYSTEM_ROLES, ApiToken, Role, User
from .services import backup, users, worker_loop
from .services.errors import Invalid
from .services.processes import import_folder

DEMO_USERS = [
    ("unit1", "Rina Unit Kerja", ["Unit Kerja/Koordinator"]),
    ("ketua1", "Budi Ketua Tim", ["Ketua Tim"]),
    ("tim1", "Sari Anggota Tim", ["Tim"]),
    ("tim2", "Dedi Anggota Tim", ["Tim"]),
    ("owner1", "Ayu Pemilik Proses", ["process_owner"]),
    ("admin1", "Admin Sistem", ["admin"]),
]
DEMO_PASSWORD = "demo"


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user '{username}'")
    return user


def _role(name: str) -> Role:
    role = db.session.scalar(select(Role).where(Role.name == name))
    if role is None:
        names = ", ".join(sorted(db.session.scalars(select(Role.name))))
        raise click.ClickException(
            f"no role '{name}'; roles: {names}. "
            f"Create it first: flask --app webapp roles create {shlex.quote(name)}"
        )
    return role


class CommandLineOperator:
    """Whoever runs ``flask`` on the server: may do what an administrator may.

    Services check their actor's roles and audit by user; the operator has no user row, so the
    audit event is recorded without one (as the other CLI commands are not audited at all).
    """

    id = None
    username = "cli"

    def has_role(self, name: str) -> bool:
        return True


@click.command("setup")
@with_appcontext
@click.option(
    "--demo", is_flag=True, help="Add the demo users (password 'demo'). Never in production."
)
def setup_command(demo: bool) -> None:
    """Bring the database to the newest schema, import processes/, optionally add demo users."""
    upgrade()
    for name, description in SYSTEM_ROLES.items():
        Role.get_or_create(name, description)
    db.session.commit()
    try:
        imported = import_folder(current_app.config["PROCESSES_DIR"])
    except DiagramError as exc:
        raise click.ClickException(f"diagram refused: {exc}") from exc
    for process_id, version, new in imported:
        state = "new version" if new else "unchanged"
        click.echo(f"process {process_id}: version {version} ({state})")
    if demo:
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            raise click.ClickException("refusing demo users in production")
        for username, full_name, roles in DEMO_USERS:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, full_name=full_name)
                user.set_password(DEMO_PASSWORD)
                db.session.add(user)
            for role_name in roles:
                role = Role.get_or_create(role_name)
                if role not in user.roles:
                    user.roles.append(role)
        db.session.commit()
        click.echo(
            f"demo users: {', '.join(u for u, _, _ in DEMO_USERS)} (password '{DEMO_PASSWORD}')"
        )
        target = write_demo_deploy_target(current_app.instance_path)
        click.echo(f"demo deployment target: {target}")
    click.echo("database ready")


DEMO_APPS = (
    "portal_web",
    "perizinan_online",
    "pengaduan",
    "dashboard_investasi",
    "aplikasi_internal",
    "lainnya",
)


def write_demo_deploy_target(instance_path: str) -> str:
    """Create demo sources and a local 'colocation server' folder under instance/; return the
    config file path. Each demo application deploys by rsync to instance/colocation/<app>."""
    root = Path(instance_path)
    config = root / "deploy.toml"
    lines = ["# Demo targets written by `setup --demo`: local folders stand in for the server.\n"]
    for app_id in DEMO_APPS:
        source = root / "demo-apps" / app_id
        (source / "public").mkdir(parents=True, exist_ok=True)
        (source / "public" / "index.php").write_text(f"<?php echo 'demo {app_id}';\n")
        (source / "README.txt").write_text(f"Demo source of {app_id} for sopflow.\n")
        target = root / "colocation" / app_id
        target.mkdir(parents=True, exist_ok=True)
        lines.append(
            f"\n[apps.{app_id}]\nsource = {str(source)!r}\npath = {str(target)!r}\n"
            'post_deploy = "date -u +%Y-%m-%dT%H:%M:%SZ > DEPLOYED_AT"\ntimeout = 120\n'
        )
    config.write_text("".join(lines).replace("'", '"'))
    return str(config)


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Manage people, their roles and API tokens."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", default="", help="Full name shown in the interface.")
@click.option("--email", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, help="Role (lane name, process_owner, admin).")
def create_user(username: str, full_name: str, email: str, password: str, roles) -> None:
    """Create a user."""
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user '{username}' exists")
    if len(password) < 8:
        raise click.ClickException("password must have at least 8 characters")
    user = User(username=username, full_name=full_name, email=email)
    user.set_password(password)
    user.roles = [_role(r) for r in roles]
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {username}")


@users_group.command("add-role")
@click.argument("username")
@click.argument("role")
def add_role(username: str, role: str) -> None:
    """Give a user a role (a lane name, process_owner or admin)."""
    user, role_row = _user(username), _role(role)
    if role_row not in user.roles:
        user.roles.append(role_row)
    db.session.commit()
    click.echo(f"{username}: {', '.join(sorted(user.role_names))}")


@users_group.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
def issue_token(username: str, name: str) -> None:
    """Print a new API token for a user (stored hashed; shown only now)."""
    _, secret = ApiToken.issue(_user(username), name)
    db.session.commit()
    click.echo(secret)


@click.group("roles", cls=AppGroup)
def roles_group() -> None:
    """Manage roles: one per lane of a SOP, plus process_owner and admin."""


@roles_group.command("create")
@click.argument("name")
@click.option("--description", default=None, help="What the role does (default 'Lane: NAME').")
@click.option("--external", is_flag=True, help="People outside the office, e.g. applicants.")
def create_role(name: str, description: str | None, external: bool) -> None:
    """Create a role; a SOP's lane named NAME then goes to the people given it."""
    try:
        role = users.create_role(
            CommandLineOperator(),  # type: ignore[arg-type]
            name=name,
            description=description,
            external=external,
        )
    except Invalid as exc:
        details = "; ".join(
            f"{field}: {text}" for field, text in exc.errors.items() if text != exc.message
        )
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    kind = " (external)" if external else ""
    click.echo(f"created role '{role.name}'{kind}: {role.description}")


@click.group("backup", cls=AppGroup)
def backup_group() -> None:
    """Back up the database and the stored files into a folder, or restore one."""


def _backup_step(step: Callable[..., backup.Summary], folder: Path) -> backup.Summary:
    """Run backup.create or backup.restore; a BackupError is the command's one-line error."""
    try:
        return step(folder, echo=click.echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@backup_group.command("create")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_create(folder: Path) -> None:
    """Dump the database (pg_dump, mariadb-dump or SQLite's backup), then copy the files."""
    summary = _backup_step(backup.create, folder)
    click.echo(
        f"backup written to {summary.folder}: {backup.KINDS[summary.database]} database at "
        f"revision {summary.revision}, {summary.files} files ({summary.file_bytes} bytes)"
    )


@backup_group.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def backup_restore(folder: Path) -> None:
    """Restore a backup into this instance's new, empty database and its file store."""
    summary = _backup_step(backup.restore, folder)
    click.echo(
        f"restored {backup.KINDS[summary.database]} database and {summary.files} files "
        f"({summary.file_bytes} bytes); every stored file checked"
    )
    click.echo(backup.schema_note(summary.revision))


def init_app(app: Flask) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(users_group)
    app.cli.add_command(roles_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(backup_group)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one sweep and exit.")
@click.option("--interval", type=float, default=None, help="Longest sleep, in seconds.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, MAX_WORKER_CONCURRENCY),
    default=None,
    help="Service calls run at once (default: SOPFLOW_WORKER_CONCURRENCY).",
)
@with_appcontext
def worker_command(once: bool, interval: float | None, concurrency: int | None) -> None:
    """Fire time standards when due, escalate breaches, run service calls, send e-mails."""
    stop = threading.Event()

    def _stop(signum, frame):  # finish the current sweep and the running calls, then leave
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    config = current_app.config
    # Diagrams changed in processes/ become new versions at start (unchanged ones do not).
    try:
        for process_id, version, new in import_folder(config["PROCESSES_DIR"]):
            if new:
                click.echo(f"process {process_id}: imported version {version}")
    except DiagramError as exc:
        click.echo(f"processes/ not imported: {exc}", err=True)
    worker_loop.run(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        interval=interval if interval is not None else config["WORKER_INTERVAL"],
        poll=config["WORKER_POLL"],
        concurrency=concurrency or config["WORKER_CONCURRENCY"],
        once=once,
        stop=stop,
        echo=click.echo,
    )
