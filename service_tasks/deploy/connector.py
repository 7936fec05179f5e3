"""The ``deploy_to_colocation`` connector: check the request, fetch the release, run the script.

A diagram sets only ``aplikasi`` and ``rilis`` (see ``CONNECTOR``): the target, the source, the
post-deploy command and the script all come from the administrator's file (``config``), never
from a diagram. Failures raise ``DeploymentError`` whose ``cause`` says in plain Indonesian what
went wrong.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ..connector import Connector, Param
from ..errors import ConnectorError
from .config import DEFAULT_TIMEOUT, configured_target
from .runner import Runner

RELEASE_RE = re.compile(r"^[A-Za-z0-9._/-]{1,100}$")

CAUSE_UNREACHABLE = "server tujuan tidak dapat dihubungi atau menolak SSH"
CAUSE_HOST_KEY = "kunci host server tujuan tidak cocok dengan berkas known_hosts"
CAUSE_PERMISSION = "izin ditolak di server tujuan"
CAUSE_NOT_EXECUTABLE = "skrip deploy tidak dapat dijalankan (izin berkas)"


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
    target = configured_target(aplikasi)
    where = target.describe()
    script_path = target.script

    def failed(
        cause: str, runner: Runner | None = None, exit_code: int | None = None
    ) -> DeploymentError:
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
    runner = Runner(on_output, target.timeout)
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
        raise failed(_cause(runner, code), runner, code)

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


def _cause(runner: Runner, code: int) -> str:
    """Say why the script failed, from what its tools printed and its exit status."""
    if runner.host_key_failed:
        return CAUSE_HOST_KEY
    if code == 255:  # ssh's own status: no connection, or the login was refused
        return CAUSE_UNREACHABLE
    if runner.permission_denied:
        return CAUSE_PERMISSION + (f" ({runner.failure})" if runner.failure else "")
    return runner.failure or f"skrip deploy berhenti dengan status keluar {code}"


def _checkout(
    runner: Runner,
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


CONNECTOR = Connector.of(
    deploy_to_colocation,
    Param("aplikasi", str, True, "id aplikasi pada berkas konfigurasi deploy"),
    Param("rilis", str, True, "rilis yang diunggah: tag, cabang atau commit"),
    label="Unggah rilis ke server colocation",
    # Runs for minutes against a remote server: the worker runs it apart, never inline.
    long_running=True,
    timeout=DEFAULT_TIMEOUT,
    releases=True,
)
