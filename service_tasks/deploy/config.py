"""The administrator's deployment targets: one ``[apps.<application id>]`` table per application.

The file is named by the environment variable ``SOPFLOW_DEPLOY_CONFIG`` (declared with the other
settings in ``webapp/config.py``; read here because connectors do not import the web app).
``deploy.example.toml`` beside ``deploy.sh`` documents every key. Any problem raises
``ConnectorError`` naming the file, the application and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConnectorError

CONFIG_ENV = "SOPFLOW_DEPLOY_CONFIG"
# deploy.sh stays beside the package, where pyproject's package-data ships it.
DEFAULT_SCRIPT = Path(__file__).parent.parent / "deploy.sh"
DEFAULT_TIMEOUT = 900.0

# Paths that end up in ssh options or on rsync's remote side (deploy.sh checks the same).
PLAIN_PATH_RE = re.compile(r"^[A-Za-z0-9_./+@,=-]+$")
HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
USER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")

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


def configured_target(application: str) -> Target:
    """Return the target of ``application`` from the file named by ``SOPFLOW_DEPLOY_CONFIG``."""
    config = os.environ.get(CONFIG_ENV)
    if not config:
        raise ConnectorError(
            f"no deployment target configured for application '{application}' (set {CONFIG_ENV})"
        )
    target = load_targets(config).get(application)
    if target is None:
        raise ConnectorError(
            f"no deployment target configured for application '{application}' (in {config})"
        )
    return target


def load_targets(path: str | os.PathLike[str]) -> dict[str, Target]:
    """Read the deployment config: one ``[apps.<application id>]`` table per application.

    Relative ``source``, ``git`` (local), ``ssh_key``, ``known_hosts`` and ``script`` paths are
    taken from the config file's directory.
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


class _Table:
    """One ``[apps.<id>]`` table being read: typed values, problems named by file, app and key."""

    def __init__(self, file: Path, app: str, table: dict[str, Any]) -> None:
        self.file, self.app, self.table = file, app, table

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def get(self, key: str, default: Any) -> Any:
        return self.table.get(key, default)

    def problem(self, key: str, message: str) -> ConnectorError:
        return ConnectorError(f"{self.file}: [apps.{self.app}] {key}: {message}")

    def text(self, key: str, default: str = "") -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str):
            raise self.problem(key, "must be a string")
        if "\x00" in value or "\n" in value:
            raise self.problem(key, "must be a single line")
        return value

    def local_path(self, key: str) -> Path:
        value = self.text(key)
        if not value:
            raise self.problem(key, "must not be empty")
        return self.relative(value)

    def plain_path(self, key: str) -> Path:
        value = self.local_path(key)
        if not PLAIN_PATH_RE.match(str(value)):
            raise self.problem(key, "may only contain letters, digits and _ . / + @ , = -")
        return value

    def relative(self, value: str) -> Path:
        """A local path, relative ones taken from the config file's directory."""
        return (self.file.parent / Path(value).expanduser()).resolve()


def _parse_target(file: Path, app: str, table: Any) -> Target:
    if not isinstance(table, dict):
        raise ConnectorError(f"{file}: apps.{app} must be a table ([apps.{app}])")
    keys = _Table(file, app, table)
    for key in table:
        if key not in KEYS:
            raise keys.problem(key, f"unknown key (known keys: {', '.join(KEYS)})")
    # In this order, so that a file with several problems is told the same first one.
    source = _source(keys)
    path = _target_path(keys)
    remote = _remote(keys)
    run = _run(keys)
    return Target(application=app, path=path, **source, **remote, **run)


def _source(keys: _Table) -> dict[str, Any]:
    """Where the release comes from: a directory (``source``) or a repository (``git``)."""
    has_source, has_git = "source" in keys, "git" in keys
    if has_source and has_git:
        raise keys.problem("source", "set either 'source' or 'git', not both")
    if not has_source and not has_git:
        raise keys.problem("source", "missing: set 'source' (a directory) or 'git' (a repository)")
    if has_source:
        return {"source": keys.local_path("source")}
    git = keys.text("git")
    if not git:
        raise keys.problem("git", "must not be empty")
    if git.startswith("-"):
        raise keys.problem("git", "must be a repository URL or path")
    if "://" not in git and not re.match(r"^[^/]+:", git):  # neither URL nor host:path
        git = str(keys.relative(git))
    return {"git": git}


def _target_path(keys: _Table) -> str:
    """The target directory: absolute, plain, never ``/``."""
    if "path" not in keys:
        raise keys.problem("path", "missing (the target directory)")
    raw_path = keys.text("path")
    target_path = raw_path.rstrip("/")
    if not raw_path:
        raise keys.problem("path", "must not be empty")
    if not raw_path.startswith("/"):
        raise keys.problem("path", "must be an absolute path")
    if not target_path:
        raise keys.problem("path", 'must not be "/"')
    if not PLAIN_PATH_RE.match(target_path) or {".", ".."} & set(target_path.split("/")):
        raise keys.problem(
            "path", "may only contain letters, digits and _ . / + @ , = - (no . or ..)"
        )
    return target_path


def _remote(keys: _Table) -> dict[str, Any]:
    """The SSH side: with ``host`` set, a user, a key and the known host keys are required."""
    host = keys.text("host")
    user = keys.text("user")
    port = keys.get("port", 22)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise keys.problem("port", "must be a whole number from 1 to 65535")
    remote: dict[str, Any] = {"host": host, "user": user, "port": port}
    if host:
        if not HOST_RE.match(host):
            raise keys.problem("host", "must be a host name or IP address")
        if not user:
            raise keys.problem("user", "missing (the SSH user on the server)")
        if not USER_RE.match(user):
            raise keys.problem("user", "must be a user name")
        for key in ("ssh_key", "known_hosts"):
            if key not in keys:
                raise keys.problem(key, "missing (required when 'host' is set)")
        remote["ssh_key"] = keys.plain_path("ssh_key")
        remote["known_hosts"] = keys.plain_path("known_hosts")
    return remote


def _run(keys: _Table) -> dict[str, Any]:
    """How the upload runs: time limit, excludes, deletion, the script and the command after."""
    timeout = keys.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise keys.problem("timeout", "must be a number of seconds greater than 0")
    exclude = keys.get("exclude", [])
    if not isinstance(exclude, list) or not all(
        isinstance(p, str) and p and "\n" not in p for p in exclude
    ):
        raise keys.problem("exclude", "must be a list of non-empty single-line strings")
    delete = keys.get("delete", False)
    if not isinstance(delete, bool):
        raise keys.problem("delete", "must be true or false")
    script = keys.local_path("script") if "script" in keys else DEFAULT_SCRIPT
    return {
        "timeout": float(timeout),
        "exclude": tuple(exclude),
        "delete": delete,
        "script": script,
        "post_deploy": keys.text("post_deploy"),
    }
