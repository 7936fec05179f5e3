"""Backups: the database through its own standard tool, then the stored files, into one folder.

A backup folder holds

* ``database.pgdump`` (``pg_dump --format=custom``), ``database.sql`` (``mariadb-dump``) or
  ``database.sqlite3`` (SQLite's online backup), restorable by hand with the same tools;
* ``files/``: every stored file (attachments, reports) under its own key (``ab/ab12…``);
* ``manifest.json``, written last: what the folder holds, the schema revision, and the size of
  the dump. A folder without it is an unfinished backup and is refused.

The database is dumped first, the files copied after it: a file is always written before the row
that names it commits, so every row in the dump finds its file in the copy (files newer than the
dump come along too, harmlessly).

Restoring wants an empty database (a fresh one, made by the administrator) of the same kind, and
puts the files into whatever the restoring instance stores files in: the files first, the
database last, so that a restore which fails leaves the database as it was (PostgreSQL restores
in one transaction, SQLite in one copy; MariaDB's partial tables are named in the message).

Every database tool runs with a timeout, in a session of its own that is killed whole when it
runs over; every failure reaches the command as one line saying what failed and what is left.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Attachment
from . import attachments, storage

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
DUMPS = {"postgresql": "database.pgdump", "mysql": "database.sql", "sqlite": "database.sqlite3"}
KINDS = {"postgresql": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite"}
# Connection parameters a SQLAlchemy URL may carry in its query that libpq understands too.
_LIBPQ_QUERY = {"host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"}
# A dump of a large office runs for minutes; a tool that hangs longer than this is stuck.
TOOL_TIMEOUT_SECONDS = 6 * 3600
# ``pg_dump --version`` answers at once; one that has not answered by then never will.
VERSION_TIMEOUT_SECONDS = 30
# A killed tool is gone at once, unless it is stuck in the kernel (a hung network mount, say):
# the command then says so rather than waiting for it without end.
STOP_WAIT_SECONDS = 10


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds, or what a restore put back."""

    folder: Path
    database: str
    revision: str | None
    files: int
    file_bytes: int


Echo = Callable[[str], None]


def _url() -> sa.URL:
    # The engine's URL, not the setting: Flask-SQLAlchemy resolves a relative SQLite path
    # against the instance folder, and the backup must read and write that very file.
    return db.engine.url


def _kind(url: sa.URL) -> str:
    kind = url.get_backend_name()
    if kind not in DUMPS:
        raise BackupError(f"cannot back up a {kind} database")
    return kind


def _revision() -> str | None:
    if not sa.inspect(db.engine).has_table("alembic_version"):
        return None
    return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _known_revisions() -> tuple[list[str], set[str]]:
    """(the schema heads this release's code expects, every revision its migrations know)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    scripts = ScriptDirectory.from_config(config)
    return list(scripts.get_heads()), {script.revision for script in scripts.walk_revisions()}


def schema_note(revision: str | None) -> str:
    """What the schema of a restored database needs: nothing, or ``db upgrade``."""
    heads, _known = _known_revisions()
    if revision in heads:
        return f"schema at {revision}, as this release expects"
    return (
        f"schema at {revision}, this release expects {', '.join(heads)}: "
        "run flask --app webapp db upgrade before starting sopflow"
    )


def _tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BackupError(
        f"{names[0]} not found on PATH: install the database's client tools "
        "(Debian: postgresql-client or mariadb-client)"
    )


def _one_line(text: str) -> str:
    """``text`` on one line: the CLI reports a failure in one line."""
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def _stop(process: subprocess.Popen[bytes]) -> bool:
    """Kill the tool and whatever it started (it leads a session of its own): a helper left
    running with the tool's output pipe open would keep us waiting after the tool is gone.

    False when the tool is still there ``STOP_WAIT_SECONDS`` after the kill."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=STOP_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        return False
    finally:
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    return True


def _run(command: list[str], *, stdin=None, timeout: float = TOOL_TIMEOUT_SECONDS) -> str:
    """Run a database tool and return its output; BackupError (one line) when it cannot
    start, fails, or has not finished within ``timeout`` seconds (it is killed then)."""
    name = Path(command[0]).name
    try:
        process = subprocess.Popen(
            command,
            # No terminal and no open stdin: a tool that would ask a question gets end of
            # input instead of waiting for an answer nobody gives.
            stdin=subprocess.DEVNULL if stdin is None else stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise BackupError(f"{name} could not be started: {exc.strerror or exc}") from exc
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        stopped = (
            "was stopped"
            if _stop(process)
            else f"could not be stopped (process {process.pid} still running)"
        )
        raise BackupError(f"{name} had not finished after {timeout:g} s and {stopped}") from exc
    except BaseException:  # Ctrl-C: the tool must not outlive the command
        _stop(process)
        raise
    if process.returncode != 0:
        message = _one_line(err.decode("utf-8", "replace")) or f"exit {process.returncode}"
        raise BackupError(f"{name} failed: {message}")
    return out.decode("utf-8", "replace")


def _reason(exc: BaseException) -> str:
    """What went wrong, on one line, without SQLAlchemy's statement and link."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return _one_line(str(exc)) or type(exc).__name__


@contextmanager
def _explained(what: str) -> Iterator[None]:
    """Turn a database, SQLite or file-system error into a BackupError saying ``what`` failed."""
    try:
        yield
    except (sa.exc.SQLAlchemyError, sqlite3.Error, OSError) as exc:
        raise BackupError(f"{what}: {_reason(exc)}") from exc


# --- PostgreSQL ---------------------------------------------------------------------------


def _conninfo_value(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


@contextmanager
def _libpq_conninfo(url: sa.URL) -> Iterator[str]:
    """A libpq connection string for pg_dump/pg_restore's ``--dbname``, pointing at ``url``;
    the password goes through a private password file, never on a command line. Anything not
    given (a host, a port) is libpq's default, as for psql."""
    params: dict[str, object] = {"dbname": url.database}
    for key, value in (("host", url.host), ("port", url.port), ("user", url.username)):
        if value is not None:
            params[key] = value
    for key, value in url.query.items():
        if key in _LIBPQ_QUERY:
            params[key] = value if isinstance(value, str) else value[0]
    with tempfile.TemporaryDirectory(prefix="sopflow-pg-") as folder:
        if url.password is not None:
            escaped = str(url.password).replace("\\", "\\\\").replace(":", "\\:")
            passfile = Path(folder) / "pgpass"
            passfile.write_text(f"*:*:*:*:{escaped}\n", encoding="utf-8")
            passfile.chmod(0o600)
            params["passfile"] = passfile
        yield " ".join(f"{key}={_conninfo_value(value)}" for key, value in params.items())


def _major(version_line: str) -> int:
    match = re.search(r"\b(\d+)", version_line)  # "pg_dump (PostgreSQL) 15.20 (Debian …)"
    if not match:
        raise BackupError(f"cannot read the tool's version from {version_line!r}")
    return int(match.group(1))


def check_pg_tools() -> tuple[int, int]:
    """(pg_dump's major version, the server's); refuse a pg_dump older than the server."""
    line = _run([_tool("pg_dump"), "--version"], timeout=VERSION_TIMEOUT_SECONDS)
    client = _major(line)
    with _explained("cannot read the PostgreSQL server's version"):
        server = int(db.session.scalar(sa.text("SHOW server_version_num"))) // 10000
    if client < server:
        raise BackupError(
            f"pg_dump {client} is older than the PostgreSQL server ({server}): install "
            f"postgresql-client-{server} (PGDG) or put its bin folder first on PATH"
        )
    return client, server


def _pg_dump(url: sa.URL, target: Path) -> None:
    check_pg_tools()
    with _libpq_conninfo(url) as conninfo:
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-password",
                f"--file={target}",
                f"--dbname={conninfo}",
            ]
        )


def _pg_restore(url: sa.URL, source: Path) -> None:
    with _libpq_conninfo(url) as conninfo:
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--dbname={conninfo}",
                str(source),
            ]
        )


# --- MariaDB -------------------------------------------------------------------------------


@contextmanager
def _mariadb_args(url: sa.URL) -> Iterator[list[str]]:
    """Connection options for the mariadb tools; the password goes through a private option
    file (``--defaults-extra-file`` must come first)."""
    with tempfile.TemporaryDirectory(prefix="sopflow-my-") as folder:
        options = Path(folder) / "client.cnf"
        password = "" if url.password is None else str(url.password)
        escaped = password.replace("\\", "\\\\").replace('"', '\\"')
        options.write_text(f'[client]\npassword="{escaped}"\n', encoding="utf-8")
        options.chmod(0o600)
        args = [f"--defaults-extra-file={options}"]
        if url.host:
            args.append(f"--host={url.host}")
        if url.port:
            args.append(f"--port={url.port}")
        if url.username:
            args.append(f"--user={url.username}")
        socket = url.query.get("unix_socket")
        if socket:
            args.append(f"--socket={socket if isinstance(socket, str) else socket[0]}")
        yield args


def _mariadb_dump(url: sa.URL, target: Path) -> None:
    with _mariadb_args(url) as args:
        _run(
            [
                _tool("mariadb-dump", "mysqldump"),
                *args,
                "--single-transaction",
                "--quick",
                "--routines",
                "--triggers",
                "--no-tablespaces",
                "--default-character-set=utf8mb4",
                f"--result-file={target}",
                str(url.database),
            ]
        )


def _mariadb_restore(url: sa.URL, source: Path) -> None:
    with _mariadb_args(url) as args, source.open("rb") as dump:
        _run(
            [
                _tool("mariadb", "mysql"),
                *args,
                "--default-character-set=utf8mb4",
                str(url.database),
            ],
            stdin=dump,
        )


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the app writes (WAL)."""
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        src.close()
        dst.close()


# --- files ---------------------------------------------------------------------------------


def _copy_files_out(target: Path) -> tuple[int, int]:
    """Every object of this instance's store (local folder or bucket) into ``target``."""
    storage.copy_objects(storage.store(), storage.local_store(target), overwrite=True)
    return _count(storage.local_store(target), target)


def _copy_files_in(source: Path) -> tuple[int, int]:
    """Every file of a backup into this instance's store; objects it already has are kept
    (keys are unique ids; the check afterwards compares every attachment's checksum)."""
    backed_up = storage.local_store(source)
    storage.copy_objects(backed_up, storage.store())
    return _count(backed_up, source)


def _count(store: storage.LocalStore, folder: Path) -> tuple[int, int]:
    keys = list(store.iter_keys())
    return len(keys), sum((folder / key).stat().st_size for key in keys)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_files() -> list[str]:
    """Problems with the stored files the database names: missing, or not the bytes stored."""
    problems = []
    current = storage.store()
    for row in db.session.scalars(select(Attachment).order_by(Attachment.id)):
        try:
            opened = current.open(attachments.key_of(row))
        except storage.MissingObject:
            problems.append(f"{row.id} ({row.filename}): missing")
            continue
        digest = hashlib.sha256()
        for block in opened.chunks():
            digest.update(block)
        if digest.hexdigest() != row.sha256:
            problems.append(f"{row.id} ({row.filename}): content differs from its checksum")
    return problems


# --- backup and restore --------------------------------------------------------------------


def create(folder: Path, echo: Echo = lambda line: None) -> Summary:
    """Back the database and the stored files up into ``folder`` (new or empty).

    A backup that fails removes what it wrote, so the same command can be run again."""
    url = _url()
    kind = _kind(url)
    with _explained(f"cannot use {folder}"):
        if folder.exists() and any(folder.iterdir()):
            raise BackupError(f"{folder} is not empty: give a new folder for each backup")
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)  # password hashes and personal data
    try:
        return _write_backup(folder, url, kind, echo)
    except BackupError as exc:
        raise BackupError(f"backup not made: {exc}; {_discard_unfinished(folder)}") from exc
    except BaseException as exc:  # Ctrl-C or a bug: the next create must find the folder empty
        exc.add_note(f"backup not made; {_discard_unfinished(folder)}")
        raise


def _write_backup(folder: Path, url: sa.URL, kind: str, echo: Echo) -> Summary:
    with _explained("cannot read the database"):
        revision = _revision()
    dump = folder / DUMPS[kind]
    echo(f"database: {KINDS[kind]} {url.database} -> {dump.name}")
    with _explained(f"{KINDS[kind]} dump failed"):
        if kind == "postgresql":
            _pg_dump(url, dump)
        elif kind == "mysql":
            _mariadb_dump(url, dump)
        else:
            _sqlite_copy(_sqlite_path(url), dump)
    echo(f"files: {storage.store().describe()} -> {FILES}/")
    with _explained("files not backed up"):
        try:
            count, size = _copy_files_out(folder / FILES)
        except storage.StoreError as exc:
            raise BackupError(f"files not backed up: {exc}") from exc
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": kind,
            "dump": dump.name,
            "dump_sha256": _sha256(dump),
            "alembic_revision": revision,
            "files": {"count": count, "bytes": size},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Summary(folder, kind, revision, count, size)


def _discard_unfinished(folder: Path) -> str:
    """Remove an unfinished backup from ``folder`` (empty before it began); say what is left."""
    try:
        for path in folder.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    except OSError as exc:
        return (
            f"{folder} keeps an unfinished backup ({_reason(exc)}): restore refuses it, "
            "delete it before trying again"
        )
    return f"{folder} was emptied again"


def read_manifest(folder: Path) -> dict:
    """The manifest of a finished backup; refuse a folder without one or with a damaged dump."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} has no {MANIFEST}: not a finished sopflow backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
        dump = folder / Path(manifest["dump"]).name
        expected = manifest["dump_sha256"]
        if manifest["database"] not in DUMPS:
            raise BackupError(f"unknown database kind {manifest['database']!r}")
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        raise BackupError(f"{path} is damaged: {exc!r}") from exc
    if not dump.is_file() or _sha256(dump) != expected:
        raise BackupError(f"{dump} is missing or damaged (its checksum differs)")
    return manifest


def restore(folder: Path, echo: Echo = lambda line: None) -> Summary:
    """Restore a backup into this instance's empty database and its file store.

    The files go first and the database last, so a failure leaves the database as it was (or,
    on MariaDB, whose restore is not one transaction, says what it holds): the message says
    so, and running restore again once the cause is fixed finishes the job."""
    with _explained(f"cannot read {folder}"):
        manifest = read_manifest(folder)
    url = _url()
    kind = _kind(url)
    _heads, known = _known_revisions()
    revision = manifest.get("alembic_revision")
    if revision is not None and revision not in known:
        raise BackupError(
            f"the backup's schema revision {revision} is newer than this release of sopflow "
            "knows: restore it with the release that made it (or a newer one)"
        )
    if manifest["database"] != kind:
        raise BackupError(
            f"the backup is of a {KINDS[manifest['database']]} database; this instance uses "
            f"{KINDS[kind]}: restore into the same kind"
        )
    with _explained(f"cannot read database {url.database}"):
        tables = sa.inspect(db.engine).get_table_names()
    if tables:
        raise BackupError(
            f"database {url.database} is not empty ({len(tables)} tables): restore into a new, "
            "empty database"
        )
    echo(f"files: {FILES}/ -> {storage.store().describe()}")
    try:
        with _explained("cannot copy the files"):
            try:
                count, size = _copy_files_in(folder / FILES)
            except storage.StoreError as exc:
                raise BackupError(str(exc)) from exc
    except BackupError as exc:
        raise BackupError(
            f"files not restored: {exc}; database {url.database} was not touched and files "
            "already copied are kept (a second run skips them): run restore again once fixed"
        ) from exc
    db.session.remove()
    db.engine.dispose()
    dump = folder / Path(manifest["dump"]).name
    echo(f"database: {dump.name} -> {KINDS[kind]} {url.database}")
    try:
        with _explained(f"{KINDS[kind]} restore failed"):
            if kind == "postgresql":
                _pg_restore(url, dump)
            elif kind == "mysql":
                _mariadb_restore(url, dump)
            else:
                _sqlite_copy(dump, _sqlite_path(url))
    except BackupError as exc:
        raise BackupError(
            f"database not restored: {exc}; the files are in place; {_database_state(url)}"
        ) from exc
    try:
        with _explained("cannot check the files"):
            try:
                problems = check_files()
            except storage.StoreError as exc:
                raise BackupError(str(exc)) from exc
    except BackupError as exc:
        raise BackupError(f"database and files restored, files not checked: {exc}") from exc
    if problems:
        shown = "; ".join(problems[:10])
        more = f" and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise BackupError(f"restored, but {len(problems)} stored files are wrong: {shown}{more}")
    with _explained("restored, but cannot read the schema revision"):
        revision = _revision()
    return Summary(folder, kind, revision, count, size)


def _database_state(url: sa.URL) -> str:
    """What a failed restore left in the database, and what to do before the next run."""
    db.session.remove()
    db.engine.dispose()  # the tool's connection is gone; do not reuse one from before it
    try:
        tables = sa.inspect(db.engine).get_table_names()
    except sa.exc.SQLAlchemyError as exc:
        return (
            f"database {url.database} could not be read afterwards ({_reason(exc)}): make sure "
            "it is empty before running restore again"
        )
    finally:
        db.engine.dispose()
    if not tables:
        return f"database {url.database} is still empty: run restore again once fixed"
    return (
        f"database {url.database} holds {len(tables)} tables of the unfinished restore: drop "
        "it, create it empty again and run restore again"
    )
