"""Deployment of a fix to the colocation server (step 5 of the maintenance SOP).

Targets are configured per application in a TOML file outside the repository, named by the
environment variable ``SOPFLOW_DEPLOY_CONFIG`` (see ``deploy.example.toml`` beside this module)::

    [apps.perizinan_online]
    git = "https://git.example.go.id/dinas/perizinan.git"   # or: source = "/srv/build/perizinan"
    host = "colo.example.go.id"
    user = "deploy"
    path = "/var/www/perizinan"
    ssh_key = "/etc/sopflow/deploy_ed25519"
    known_hosts = "/etc/sopflow/known_hosts"
    post_deploy = "php artisan migrate --force"

A diagram sets only ``aplikasi`` and ``rilis`` (see ``CONNECTOR``): the target, the source, the
post-deploy command and the script all come from this administrator's file, never from a diagram.

The upload itself is ``deploy.sh`` (rsync over SSH; a target's ``script`` key may name another
script), run in its own process group with a timeout; its output is streamed line by line to
``on_output`` and kept, bounded, in the result's ``log``.
Failures raise ``DeploymentError`` whose ``cause`` says in plain Indonesian what went wrong.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .connector import Connector, Param
from .errors import ConnectorError

CONFIG_ENV = "SOPFLOW_DEPLOY_CONFIG"
DEFAULT_SCRIPT = Path(__file__).with_name("deploy.sh")
DEFAULT_TIMEOUT = 900.0

RELEASE_RE = re.compile(r"^[A-Za-z0-9._/-]{1,100}$")
# Paths that end up in ssh options or on rsync's remote side (deploy.sh checks the same).
PLAIN_PATH_RE = re.compile(r"^[A-Za-z0-9_./+@,=-]+$")
HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
USER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")

LOG_HEAD_BYTES = 20 * 1024
LOG_TAIL_BYTES = 200 * 1024
READ_CHUNK = 64 * 1024  # a longer "line" is passed on in pieces
KILL_GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL
POLL_SECONDS = 0.5
LINGER_SECONDS = 2.0  # output still open after the script exited: a background process holds it

KEYS = (
    "source",
    "git",
    "host",
    "user",
    "port",
    "path",
    "ssh_key",
    "known_hosts",
    "post_deploy",
    "timeout",
    "exclude",
    "delete",
    "script",
)

CAUSE_UNREACHABLE = "server tujuan tidak dapat dihubungi atau menolak SSH"
CAUSE_HOST_KEY = "kunci host server tujuan tidak cocok dengan berkas known_hosts"
CAUSE_PERMISSION = "izin ditolak di server tujuan"
CAUSE_NOT_EXECUTABLE = "skrip deploy tidak dapat dijalankan (izin berkas)"


@dataclass(frozen=True)
class Target:
    """Where and how one application is deployed."""

    application: str
    path: str
    source: Path | None = None
    git: str | None = None
    host: str = ""
    user: str = ""
    port: int = 22
    ssh_key: Path | None = None
    known_hosts: Path | None = None
    post_deploy: str = ""
    timeout: float = DEFAULT_TIMEOUT
    exclude: tuple[str, ...] = ()
    delete: bool = False
    script: Path = DEFAULT_SCRIPT

    def describe(self) -> str:
        """The target as shown in messages, e.g. ``deploy@colo.example.go.id:/var/www/app``."""
        if not self.host:
            return self.path
        host = f"[{self.host}]" if ":" in self.host else self.host
        text = f"{self.user}@{host}:{self.path}"
        return text if self.port == 22 else f"{text} (port {self.port})"


class DeploymentError(ConnectorError):
    """A deployment ran but failed; ``cause`` says why in plain Indonesian words.

    ``log`` is the (bounded) output so far, ``exit_code`` the script's exit status, or None when
    it did not finish (timeout) or never started.
    """

    def __init__(
        self,
        cause: str,
        *,
        application: str,
        release: str,
        target: str,
        log: str = "",
        exit_code: int | None = None,
    ) -> None:
        super().__init__(f"deploy {application} {release} ke {target} gagal: {cause}")
        self.cause = cause
        self.application = application
        self.release = release
        self.target = target
        self.log = log
        self.exit_code = exit_code


# --- Configuration ------------------------------------------------------------------------------


def load_targets(path: str | os.PathLike[str]) -> dict[str, Target]:
    """Read the deployment config: one ``[apps.<application id>]`` table per application.

    Relative ``source``, ``git`` (local), ``ssh_key`` and ``known_hosts`` paths are taken from
    the config file's directory. Any problem raises ``ConnectorError`` naming file, app and key.
    """
    file = Path(path)
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConnectorError(f"deployment config file not found: {file}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConnectorError(f"deployment config file {file} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConnectorError(
            f"deployment config file {file} cannot be read: {exc.strerror}"
        ) from None

    unknown = sorted(set(data) - {"apps"})
    if unknown:
        raise ConnectorError(
            f"{file}: unknown top-level key {unknown[0]!r} (only [apps.<application id>] tables)"
        )
    apps = data.get("apps")
    if not isinstance(apps, dict) or not apps:
        raise ConnectorError(f"{file}: no [apps.<application id>] table")
    return {name: _parse_target(file, name, table) for name, table in apps.items()}


def _parse_target(file: Path, app: str, table: Any) -> Target:
    def problem(key: str, message: str) -> ConnectorError:
        return ConnectorError(f"{file}: [apps.{app}] {key}: {message}")

    if not isinstance(table, dict):
        raise ConnectorError(f"{file}: apps.{app} must be a table ([apps.{app}])")
    for key in table:
        if key not in KEYS:
            raise problem(key, f"unknown key (known keys: {', '.join(KEYS)})")

    def text(key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise problem(key, "must be a string")
        if "\x00" in value or "\n" in value:
            raise problem(key, "must be a single line")
        return value

    def local_path(key: str) -> Path:
        value = text(key)
        if not value:
            raise problem(key, "must not be empty")
        return (file.parent / Path(value).expanduser()).resolve()

    def plain_path(key: str) -> Path:
        value = local_path(key)
        if not PLAIN_PATH_RE.match(str(value)):
            raise problem(key, "may only contain letters, digits and _ . / + @ , = -")
        return value

    has_source, has_git = "source" in table, "git" in table
    if has_source and has_git:
        raise problem("source", "set either 'source' or 'git', not both")
    if not has_source and not has_git:
        raise problem("source", "missing: set 'source' (a directory) or 'git' (a repository)")
    source = local_path("source") if has_source else None
    git = None
    if has_git:
        git = text("git")
        if not git:
            raise problem("git", "must not be empty")
        if git.startswith("-"):
            raise problem("git", "must be a repository URL or path")
        if "://" not in git and not re.match(r"^[^/]+:", git):  # neither URL nor host:path
            git = str((file.parent / Path(git).expanduser()).resolve())

    if "path" not in table:
        raise problem("path", "missing (the target directory)")
    raw_path = text("path")
    target_path = raw_path.rstrip("/")
    if not raw_path:
        raise problem("path", "must not be empty")
    if not raw_path.startswith("/"):
        raise problem("path", "must be an absolute path")
    if not target_path:
        raise problem("path", 'must not be "/"')
    if not PLAIN_PATH_RE.match(target_path) or {".", ".."} & set(target_path.split("/")):
        raise problem("path", "may only contain letters, digits and _ . / + @ , = - (no . or ..)")

    host = text("host")
    user = text("user")
    port = table.get("port", 22)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise problem("port", "must be a whole number from 1 to 65535")
    ssh_key = known_hosts = None
    if host:
        if not HOST_RE.match(host):
            raise problem("host", "must be a host name or IP address")
        if not user:
            raise problem("user", "missing (the SSH user on the server)")
        if not USER_RE.match(user):
            raise problem("user", "must be a user name")
        for key in ("ssh_key", "known_hosts"):
            if key not in table:
                raise problem(key, "missing (required when 'host' is set)")
        ssh_key, known_hosts = plain_path("ssh_key"), plain_path("known_hosts")

    timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise problem("timeout", "must be a number of seconds greater than 0")

    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(
        isinstance(p, str) and p and "\n" not in p for p in exclude
    ):
        raise problem("exclude", "must be a list of non-empty single-line strings")
    delete = table.get("delete", False)
    if not isinstance(delete, bool):
        raise problem("delete", "must be true or false")
    script = local_path("script") if "script" in table else DEFAULT_SCRIPT

    return Target(
        application=app,
        path=target_path,
        source=source,
        git=git,
        host=host,
        user=user,
        port=port,
        ssh_key=ssh_key,
        known_hosts=known_hosts,
        post_deploy=text("post_deploy"),
        timeout=float(timeout),
        exclude=tuple(exclude),
        delete=delete,
        script=script,
    )


# --- Output: bounded log, streaming, timeout ----------------------------------------------------


class _BoundedLog:
    """Keeps the first ``head`` and the last ``tail`` bytes, counting what was dropped between."""

    def __init__(self, head: int = LOG_HEAD_BYTES, tail: int = LOG_TAIL_BYTES) -> None:
        self._head_limit, self._tail_limit = head, tail
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0

    def add(self, data: bytes) -> None:
        self._total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > 2 * self._tail_limit:  # trim now and then, not on every line
                del self._tail[: len(self._tail) - self._tail_limit]

    def text(self) -> str:
        head, tail = bytes(self._head), bytes(self._tail[-self._tail_limit :])
        dropped = self._total - len(head) - len(tail)
        if dropped:
            newline = tail.find(b"\n")  # start the tail on a whole line
            if 0 <= newline < len(tail) - 1:
                tail = tail[newline + 1 :]
                dropped = self._total - len(head) - len(tail)
        parts = [head.decode("utf-8", "replace")]
        if dropped:
            if not head.endswith(b"\n"):
                parts.append("\n")
            parts.append(f"… ({dropped} bytes dropped) …\n")
        parts.append(tail.decode("utf-8", "replace"))
        return "".join(parts)


def _pump(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    try:
        for chunk in iter(lambda: stream.readline(READ_CHUNK), b""):
            lines.put(chunk)
    except (OSError, ValueError):
        pass
    finally:
        stream.close()  # here, not by the runner: closing blocks while a read is in progress
        lines.put(None)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after a grace period."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class _Runner:
    """Runs commands against one deadline, streaming their merged output into one log."""

    def __init__(self, on_output: Callable[[str], None] | None, timeout: float) -> None:
        self.on_output = on_output
        self.deadline = time.monotonic() + timeout
        self.log = _BoundedLog()
        self.failure = ""  # the last "GAGAL: …" line
        self.permission_denied = False
        self.host_key_failed = False

    def say(self, line: str) -> None:
        self._line(line.encode("utf-8"))

    def _line(self, raw: bytes) -> None:
        raw = raw.rstrip(b"\r\n")
        self.log.add(raw + b"\n")
        line = raw.decode("utf-8", "replace")
        if line.startswith("GAGAL:"):
            self.failure = line.removeprefix("GAGAL:").strip()
        elif "Permission denied" in line and "Permission denied (" not in line:
            self.permission_denied = True  # "(publickey,…)" is SSH refusing the login instead
        elif "Host key verification failed" in line:
            self.host_key_failed = True
        if self.on_output is not None:
            self.on_output(line)

    def run(self, argv: list[str], *, env: dict[str, str], cwd: Path | None = None) -> int | None:
        """The command's exit status, or None when the deadline passed and it was killed."""
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, killed as a whole on timeout
        )
        assert proc.stdout is not None
        lines: queue.Queue[bytes | None] = queue.Queue()
        reader = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
        reader.start()
        exited_at: float | None = None
        try:
            while True:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    _kill_group(proc)
                    self._drain(lines)
                    return None
                try:
                    chunk = lines.get(timeout=min(remaining, POLL_SECONDS))
                except queue.Empty:
                    if proc.poll() is not None:
                        exited_at = exited_at or time.monotonic()
                        if time.monotonic() - exited_at > LINGER_SECONDS:
                            break
                    continue
                if chunk is None:
                    break
                self._line(chunk)
            try:
                return proc.wait(timeout=max(self.deadline - time.monotonic(), 0.001))
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return None
        finally:
            if proc.poll() is None:  # on_output raised, or similar: leave nothing running
                _kill_group(proc)

    def _drain(self, lines: queue.Queue[bytes | None]) -> None:
        """Keep what the killed command printed last, without waiting on a stuck pipe."""
        until = time.monotonic() + LINGER_SECONDS
        while (remaining := until - time.monotonic()) > 0:
            try:
                chunk = lines.get(timeout=remaining)
            except queue.Empty:
                return
            if chunk is None:
                return
            self._line(chunk)


# --- Deployment ---------------------------------------------------------------------------------


def _check_release(rilis: str) -> str:
    if (
        not isinstance(rilis, str)
        or not RELEASE_RE.match(rilis)
        or ".." in rilis
        or rilis.startswith(("-", "/"))
    ):
        raise ConnectorError(
            f"invalid release name {rilis!r}: use 1–100 letters, digits and . _ / - "
            "(not starting with - or /, no ..)"
        )
    return rilis


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def deploy_to_colocation(
    aplikasi: str,
    rilis: str,
    *,
    on_output: Callable[[str], None] | None = None,
) -> dict:
    """Deploy release ``rilis`` of application ``aplikasi`` to its configured target.

    The target, and the script that deploys to it, come only from the administrator's file
    named by ``SOPFLOW_DEPLOY_CONFIG``; a diagram sets nothing else. Each output line goes to
    ``on_output`` as it arrives. Returns ``application``, ``release``, ``target``, ``exit_code``
    (0), ``started_at``/``finished_at`` (ISO 8601, UTC), ``duration_seconds`` and ``log``;
    raises ``ConnectorError`` for a bad request or config and ``DeploymentError`` when the
    deployment itself fails.
    """
    release = _check_release(rilis)
    config = os.environ.get(CONFIG_ENV)
    if not config:
        raise ConnectorError(
            f"no deployment target configured for application '{aplikasi}' (set {CONFIG_ENV})"
        )
    target = load_targets(config).get(aplikasi)
    if target is None:
        raise ConnectorError(
            f"no deployment target configured for application '{aplikasi}' (in {config})"
        )
    where = target.describe()
    script_path = target.script

    def failed(cause: str, runner: _Runner | None = None, exit_code: int | None = None):
        return DeploymentError(
            cause,
            application=aplikasi,
            release=release,
            target=where,
            log=runner.log.text() if runner else "",
            exit_code=exit_code,
        )

    if not script_path.is_file():
        raise failed(f"skrip deploy tidak ditemukan: {script_path}")
    if not os.access(script_path, os.X_OK):
        raise failed(CAUSE_NOT_EXECUTABLE)

    started, clock = datetime.now(UTC), time.monotonic()
    runner = _Runner(on_output, target.timeout)
    timed_out = f"waktu habis setelah {_format_seconds(target.timeout)} detik"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPLOY_")}
    env["LC_ALL"] = "C.UTF-8"  # English tool messages, which the causes below are read from
    env.pop("LANGUAGE", None)

    with tempfile.TemporaryDirectory(prefix="sopflow-deploy-") as work:
        excludes = list(target.exclude)
        if target.git is not None:
            source = Path(work) / "src"
            _checkout(runner, target.git, release, source, env, failed, timed_out)
            excludes.insert(0, "/.git")
        else:
            assert target.source is not None
            source = target.source

        env.update(
            DEPLOY_APP=aplikasi,
            DEPLOY_RELEASE=release,
            DEPLOY_SOURCE=str(source),
            DEPLOY_HOST=target.host,
            DEPLOY_USER=target.user,
            DEPLOY_PORT=str(target.port),
            DEPLOY_PATH=target.path,
            DEPLOY_KEY=str(target.ssh_key or ""),
            DEPLOY_KNOWN_HOSTS=str(target.known_hosts or ""),
            DEPLOY_POST=target.post_deploy,
            DEPLOY_EXCLUDE="\n".join(excludes),
            DEPLOY_DELETE="true" if target.delete else "false",
        )
        try:
            code = runner.run([str(script_path)], env=env)
        except FileNotFoundError:
            raise failed(f"skrip deploy tidak ditemukan: {script_path}", runner) from None
        except PermissionError:
            raise failed(CAUSE_NOT_EXECUTABLE, runner) from None

    if code is None:
        raise failed(timed_out, runner)
    if code != 0:
        if runner.host_key_failed:
            cause = CAUSE_HOST_KEY
        elif code == 255:
            cause = CAUSE_UNREACHABLE
        elif runner.permission_denied:
            cause = CAUSE_PERMISSION + (f" ({runner.failure})" if runner.failure else "")
        else:
            cause = runner.failure or f"skrip deploy berhenti dengan status keluar {code}"
        raise failed(cause, runner, code)

    finished = datetime.now(UTC)
    return {
        "application": aplikasi,
        "release": release,
        "target": where,
        "exit_code": 0,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - clock, 3),
        "log": runner.log.text(),
    }


def _checkout(
    runner: _Runner,
    repository: str,
    release: str,
    dest: Path,
    env: dict[str, str],
    failed: Callable[..., DeploymentError],
    timed_out: str,
) -> None:
    """Clone ``repository`` into ``dest`` and check out ``release`` (a tag, branch or commit)."""
    git_env = {**env, "GIT_TERMINAL_PROMPT": "0"}
    git_env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    runner.say(f"[persiapan] Mengambil rilis {release} dari {repository} …")
    steps = (
        (
            ["git", "clone", "--quiet", "--no-checkout", "--", repository, str(dest)],
            None,
            f"repositori git tidak dapat diambil: {repository}",
        ),
        (
            ["git", "-c", "advice.detachedHead=false", "checkout", release, "--"],
            dest,
            f"rilis '{release}' tidak ditemukan di repositori git {repository}",
        ),
    )
    for argv, cwd, cause in steps:
        try:
            code = runner.run(argv, env=git_env, cwd=cwd)
        except FileNotFoundError:
            raise failed("git tidak terpasang di server sopflow", runner) from None
        if code is None:
            raise failed(timed_out, runner)
        if code != 0:
            raise failed(cause, runner, code)


CONNECTOR = Connector(
    operator="deploy_to_colocation",
    function=deploy_to_colocation,
    params=(
        Param("aplikasi", str, True, "id aplikasi pada berkas konfigurasi deploy"),
        Param("rilis", str, True, "rilis yang diunggah: tag, cabang atau commit"),
    ),
    label="Unggah rilis ke server colocation",
    # Runs for minutes against a remote server: the worker runs it apart, never inline.
    long_running=True,
    timeout=DEFAULT_TIMEOUT,
)
