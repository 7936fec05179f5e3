"""deploy_to_colocation and deploy.sh against a real OpenSSH server on 127.0.0.1, with rsync.

Needs Debian's openssh-server, openssh-client, rsync and git: missing ones fail the tests in CI
and skip them elsewhere.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service_tasks.deploy import (
    CONFIG_ENV,
    DEFAULT_SCRIPT,
    DeploymentError,
    deploy_to_colocation,
    load_targets,
)
from service_tasks.errors import ConnectorError
from tests.conftest import missing

from .deploy_support import is_running, write_config

IS_ROOT = os.geteuid() == 0
SSHD = "/usr/sbin/sshd"
NOBODY = 65534
PROGRESS = (
    "[1/3] Memeriksa sumber rilis …",
    "[2/3] Mengunggah …",
    "[3/3] Menjalankan perintah pasca-deploy …",
)


def require(*tools: str) -> None:
    """Fail in CI, skip elsewhere, when a tool the test drives is not installed."""
    absent = [t for t in tools if not (os.access(t, os.X_OK) if "/" in t else shutil.which(t))]
    if absent:
        missing(
            f"not installed: {', '.join(absent)} "
            "(Debian packages: openssh-server, openssh-client, rsync, git)"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path) -> str:
    """A throwaway ed25519 key pair; returns the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return path.with_suffix(".pub").read_text().strip()


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    key: Path
    known_hosts: Path
    log: Path
    # Logs in as the same user, but the session runs as "nobody" (root only, else None).
    unprivileged_key: Path | None

    def target(self, key: Path | None = None) -> dict:
        return {
            "host": "127.0.0.1",
            "user": self.user,
            "port": self.port,
            "ssh_key": str(key or self.key),
            "known_hosts": str(self.known_hosts),
        }


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A real OpenSSH server on 127.0.0.1 with throwaway host and client keys."""
    require(SSHD, "ssh", "ssh-keygen", "rsync")
    base = tmp_path_factory.mktemp("sshd")
    host_pub = keygen(base / "host_key")
    client_pub = keygen(base / "client_key")
    authorized = [client_pub]
    unprivileged_key = None
    if IS_ROOT and shutil.which("setpriv"):
        # As root nothing is "not writable"; this key's sessions drop to nobody instead.
        unprivileged_key = base / "nobody_key"
        nobody_pub = keygen(unprivileged_key)
        authorized.append(
            f'command="exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups '
            f'/bin/sh -c \\"$SSH_ORIGINAL_COMMAND\\"",no-pty {nobody_pub}'
        )
    (base / "authorized_keys").write_text("\n".join(authorized) + "\n")

    port = free_port()
    user = pwd.getpwuid(os.geteuid()).pw_name
    config = base / "sshd_config"
    config.write_text(
        f"""\
ListenAddress 127.0.0.1
Port {port}
HostKey {base}/host_key
PidFile {base}/sshd.pid
AuthorizedKeysFile {base}/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers {user}
AcceptEnv LANG LC_*
LogLevel VERBOSE
"""
    )
    key_type, key_data = host_pub.split()[:2]
    known_hosts = base / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {key_type} {key_data}\n")
    if IS_ROOT:  # sshd's privilege separation directory, normally made by its service unit
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    log = base / "sshd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                pass
            try:  # also the pause between attempts: returns at once if sshd died
                proc.wait(timeout=0.05)
                pytest.fail(f"sshd exited with status {proc.returncode}:\n{log.read_text()}")
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"sshd did not listen on port {port}:\n{log.read_text()}")
        yield SshServer(
            port=port,
            user=user,
            key=base / "client_key",
            known_hosts=known_hosts,
            log=log,
            unprivileged_key=unprivileged_key,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def deploy(config: Path, aplikasi: str, rilis: str, **hooks: object) -> dict:
    """Deploy with ``config`` as the administrator's file (``SOPFLOW_DEPLOY_CONFIG``), the one
    place a target, a post-deploy command and the script come from."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CONFIG_ENV, str(config))
        return deploy_to_colocation(aplikasi, rilis, **hooks)


@pytest.fixture
def sample_app(tmp_path: Path) -> Path:
    """A small PHP application with a server-only .env that must not be uploaded."""
    src = tmp_path / "perizinan"
    (src / "app").mkdir(parents=True)
    (src / "index.php").write_text("<?php echo 'Perizinan Online';\n")
    (src / "app" / "x.php").write_text("<?php return 42;\n")
    (src / ".env").write_text("DB_PASSWORD=rahasia\n")
    return src


def progress_of(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(("[1/3]", "[2/3]", "[3/3]", "SELESAI:"))]


# --- Over SSH -----------------------------------------------------------------------------------


def test_deploys_a_sample_application_over_ssh_and_runs_the_post_deploy_command(
    sshd: SshServer, sample_app: Path, tmp_path: Path
) -> None:
    target = tmp_path / "www" / "perizinan"
    config = write_config(
        tmp_path,
        source=str(sample_app),
        path=str(target),
        post_deploy='echo "$(pwd)" > DEPLOYED_MARKER',
        exclude=[".env"],
        **sshd.target(),
    )
    lines: list[str] = []

    result = deploy(config, "perizinan_online", "v1.4.2", on_output=lines.append)

    assert (target / "index.php").read_text() == "<?php echo 'Perizinan Online';\n"
    assert (target / "app" / "x.php").read_text() == "<?php return 42;\n"
    assert not (target / ".env").exists()
    assert (target / "DEPLOYED_MARKER").read_text() == f"{target}\n"
    where = f"{sshd.user}@127.0.0.1:{target} (port {sshd.port})"
    assert result["application"] == "perizinan_online"
    assert result["release"] == "v1.4.2"
    assert result["target"] == where
    assert result["exit_code"] == 0
    assert result["duration_seconds"] >= 0
    assert result["started_at"] <= result["finished_at"]
    assert "[2/3] Mengunggah …" in result["log"]
    assert progress_of(lines) == [*PROGRESS, f"SELESAI: perizinan_online v1.4.2 → {where}"]
    assert result["log"].splitlines() == lines


def test_git_release_is_checked_out(sshd: SshServer, tmp_path: Path) -> None:
    require("git")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=Tim TI", "-c", "user.email=ti@example.go.id", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    for version, tag in (("1.0", "v1.0"), ("1.1", "v1.1"), ("2.0-dev", None)):
        (repo / "index.php").write_text(f"<?php echo 'versi {version}';\n")
        git("add", "index.php")
        git("commit", "-q", "-m", f"Versi {version}")
        if tag:
            git("tag", tag)
    target = tmp_path / "www"
    config = write_config(tmp_path, git=str(repo), path=str(target), **sshd.target())

    result = deploy(config, "perizinan_online", "v1.1")

    assert (target / "index.php").read_text() == "<?php echo 'versi 1.1';\n"
    assert not (target / ".git").exists()
    assert "HEAD is now at" in result["log"]

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v9.9")
    assert raised.value.cause == f"rilis 'v9.9' tidak ditemukan di repositori git {repo}"
    assert raised.value.exit_code not in (None, 0)
    assert "v9.9" in raised.value.log


def test_post_deploy_exit_status_3_fails_with_exit_code_3_and_the_gagal_reason(
    sshd: SshServer, sample_app: Path, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path,
        source=str(sample_app),
        path=str(tmp_path / "www"),
        post_deploy="echo 'migrasi gagal' >&2; exit 3",
        **sshd.target(),
    )

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v2")

    error = raised.value
    assert error.exit_code == 3
    assert error.cause == (
        "perintah pasca-deploy gagal (status keluar 3): echo 'migrasi gagal' >&2; exit 3"
    )
    assert "migrasi gagal" in error.log
    assert error.cause in str(error)


def test_unreachable_host_reports_server_cannot_be_reached(
    sshd: SshServer, sample_app: Path, tmp_path: Path
) -> None:
    target = {**sshd.target(), "port": free_port()}  # nothing listens there
    config = write_config(tmp_path, source=str(sample_app), path=str(tmp_path / "www"), **target)

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v2")

    assert raised.value.cause == "server tujuan tidak dapat dihubungi atau menolak SSH"
    assert raised.value.exit_code == 255
    assert "Connection refused" in raised.value.log


def test_unknown_client_key_reports_ssh_refused(
    sshd: SshServer, sample_app: Path, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger_key"
    keygen(stranger)
    config = write_config(
        tmp_path,
        source=str(sample_app),
        path=str(tmp_path / "www"),
        **sshd.target(key=stranger),
    )

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v2")

    assert raised.value.cause == "server tujuan tidak dapat dihubungi atau menolak SSH"
    assert raised.value.exit_code == 255
    assert not (tmp_path / "www").exists()


def test_target_directory_not_writable_for_the_ssh_user_reports_izin_ditolak(
    sshd: SshServer, sample_app: Path, tmp_path: Path
) -> None:
    if IS_ROOT:
        if sshd.unprivileged_key is None:
            require("setpriv")
        # A directory of root's that the session (dropped to nobody) may enter but not write.
        parent = Path(tempfile.mkdtemp(prefix="sopflow-readonly-"))
        parent.chmod(0o755)
        target = sshd.target(key=sshd.unprivileged_key)
    else:
        parent = tmp_path / "readonly"
        parent.mkdir()
        parent.chmod(0o555)
        target = sshd.target()
    config = write_config(tmp_path, source=str(sample_app), path=str(parent / "app"), **target)
    try:
        with pytest.raises(DeploymentError) as raised:
            deploy(config, "perizinan_online", "v2")
    finally:
        parent.chmod(0o755)
        if IS_ROOT:
            shutil.rmtree(parent)

    assert raised.value.cause == (
        f"izin ditolak di server tujuan (direktori tujuan tidak dapat dibuat: {parent}/app)"
    )
    assert "Permission denied" in raised.value.log
    assert raised.value.exit_code == 1


def test_target_path_under_a_regular_file_reports_directory_cannot_be_created(
    sshd: SshServer, sample_app: Path, tmp_path: Path
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    target = tmp_path / "not-a-dir" / "app"
    config = write_config(tmp_path, source=str(sample_app), path=str(target), **sshd.target())

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v2")

    assert raised.value.cause == f"direktori tujuan tidak dapat dibuat: {target}"
    assert "Not a directory" in raised.value.log
    assert raised.value.exit_code == 1


# --- Local target (the demo), script problems, timeout, log -------------------------------------


def test_local_target_deploys_to_a_local_directory_without_ssh(
    sample_app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("rsync")
    # An ssh that leaves a trace if anything calls it.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "ssh").write_text(f"#!/bin/sh\ntouch {tmp_path}/ssh-was-called\nexit 99\n")
    (fake_bin / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:{os.environ['PATH']}")
    target = tmp_path / "demo-target"
    config = write_config(
        tmp_path, app="demo", source=str(sample_app), path=str(target), post_deploy="touch migrated"
    )
    monkeypatch.setenv("SOPFLOW_DEPLOY_CONFIG", str(config))

    result = deploy_to_colocation("demo", "v1")  # as the diagram calls it

    assert (target / "index.php").is_file()
    assert (target / "app" / "x.php").is_file()
    assert (target / ".env").is_file()  # nothing excluded in this config
    assert (target / "migrated").is_file()
    assert not (tmp_path / "ssh-was-called").exists()
    assert result["target"] == str(target)
    assert progress_of(result["log"].splitlines())[-1] == f"SELESAI: demo v1 → {target}"


def test_delete_removes_files_the_release_dropped_but_keeps_excluded_ones(
    sample_app: Path, tmp_path: Path
) -> None:
    require("rsync")
    target = tmp_path / "www"
    target.mkdir()
    (target / "old.php").write_text("stale")
    (target / ".env").write_text("DB_PASSWORD=server\n")
    config = write_config(
        tmp_path, source=str(sample_app), path=str(target), exclude=[".env"], delete=True
    )

    deploy(config, "perizinan_online", "v3")

    assert not (target / "old.php").exists()
    assert (target / ".env").read_text() == "DB_PASSWORD=server\n"
    assert (target / "index.php").is_file()


def test_timeout_kills_the_whole_process_group_within_seconds(
    sample_app: Path, tmp_path: Path
) -> None:
    require("rsync")
    pid_file = tmp_path / "post.pid"
    config = write_config(
        tmp_path,
        source=str(sample_app),
        path=str(tmp_path / "www"),
        post_deploy=f"echo $$ > {pid_file}; exec sleep 30",
        timeout=1,
    )
    started = time.monotonic()

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v2")

    assert time.monotonic() - started < 10
    assert raised.value.exit_code is None
    assert raised.value.cause == "waktu habis setelah 1 detik"
    assert "[3/3]" in raised.value.log
    assert not is_running(int(pid_file.read_text()))


def test_missing_script_reports_not_found(sample_app: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-deploy.sh"
    config = write_config(
        tmp_path, source=str(sample_app), path=str(tmp_path / "www"), script=str(missing)
    )

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v2")

    assert raised.value.cause == f"skrip deploy tidak ditemukan: {missing}"
    assert raised.value.exit_code is None


def test_script_without_execute_permission_reports_cannot_be_run(
    sample_app: Path, tmp_path: Path
) -> None:
    script = tmp_path / "deploy.sh"
    shutil.copy(DEFAULT_SCRIPT, script)
    script.chmod(0o644)
    config = write_config(
        tmp_path, source=str(sample_app), path=str(tmp_path / "www"), script=str(script)
    )

    with pytest.raises(DeploymentError) as raised:
        deploy(config, "perizinan_online", "v2")

    assert raised.value.cause == "skrip deploy tidak dapat dijalankan (izin berkas)"
    assert not (tmp_path / "www").exists()


def test_log_is_bounded_with_a_dropped_bytes_marker_and_survives_undecodable_bytes(
    sample_app: Path, tmp_path: Path
) -> None:
    require("rsync")
    config = write_config(
        tmp_path,
        source=str(sample_app),
        path=str(tmp_path / "www"),
        # 2 MB in lines of 100 bytes, then bytes that are not UTF-8.
        post_deploy=(
            "head -c 2000000 /dev/zero | tr '\\0' x | fold -w 99; echo; "
            "printf 'ujung \\377\\376\\n'"
        ),
    )
    lines: list[str] = []

    result = deploy(config, "perizinan_online", "v2", on_output=lines.append)

    log = result["log"]
    assert len(log.encode()) < 230 * 1024
    dropped = re.search(r"^… \((\d+) bytes dropped\) …$", log, re.MULTILINE)
    assert dropped and int(dropped.group(1)) > 1_700_000
    assert log.startswith("[1/3] Memeriksa sumber rilis …")
    assert "ujung \ufffd\ufffd" in log
    assert log.rstrip().splitlines()[-1].startswith("SELESAI:")
    assert sum(1 for line in lines if line.startswith("x")) == 20203  # every line was streamed


# --- Requests refused before anything runs ------------------------------------------------------


@pytest.fixture
def spy_script(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in deploy script that leaves a trace when it is run."""
    trace = tmp_path / "script-was-run"
    script = tmp_path / "spy.sh"
    script.write_text(f"#!/bin/sh\ntouch {trace}\n")
    script.chmod(0o755)
    return script, trace


@pytest.mark.parametrize(
    "rilis", ["v1; rm -rf /", "../../etc", "$(id)", "v1 && id", "-x", "/etc/passwd", "", "a" * 101]
)
def test_release_injection_attempts_are_refused_before_anything_runs(
    rilis: str, spy_script: tuple[Path, Path], sample_app: Path, tmp_path: Path
) -> None:
    script, trace = spy_script
    config = write_config(
        tmp_path, source=str(sample_app), path=str(tmp_path / "www"), script=str(script)
    )

    with pytest.raises(ConnectorError, match="invalid release name") as raised:
        deploy(config, "perizinan_online", rilis)

    assert not isinstance(raised.value, DeploymentError)
    assert not trace.exists()
    assert not (tmp_path / "www").exists()


def test_unknown_application_is_refused(spy_script: tuple[Path, Path], tmp_path: Path) -> None:
    script, trace = spy_script
    config = write_config(tmp_path, source=str(tmp_path), path="/srv/www/a", script=str(script))

    with pytest.raises(ConnectorError) as raised:
        deploy(config, "sipd", "v1")

    assert str(raised.value) == (
        f"no deployment target configured for application 'sipd' (in {config})"
    )
    assert not trace.exists()


def test_the_script_comes_from_the_administrators_config_relative_to_the_file(
    spy_script: tuple[Path, Path], sample_app: Path, tmp_path: Path
) -> None:
    script, trace = spy_script
    config = write_config(
        tmp_path, source=str(sample_app), path=str(tmp_path / "www"), script=script.name
    )

    result = deploy(config, "perizinan_online", "v1")

    assert trace.exists() and result["exit_code"] == 0
    assert load_targets(config)["perizinan_online"].script == script
    assert (
        load_targets(write_config(tmp_path, source="/a", path="/b")).pop("perizinan_online").script
        == DEFAULT_SCRIPT
    )


def test_a_caller_cannot_choose_the_config_file_or_the_script(
    spy_script: tuple[Path, Path], sample_app: Path, tmp_path: Path
) -> None:
    # Red-team finding: a diagram set config_path to an uploaded TOML (post_deploy = a shell)
    # and script="/usr/bin/env". Neither is an argument any more, not even a hidden one.
    script, trace = spy_script
    evil = write_config(tmp_path, source=str(sample_app), path=str(tmp_path / "www"))

    for extra in ({"config_path": str(evil)}, {"script": str(script)}):
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            deploy(evil, "perizinan_online", "v1", **extra)

    assert not trace.exists()
    assert not (tmp_path / "www").exists()


def test_without_a_config_file_setting_the_application_has_no_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOPFLOW_DEPLOY_CONFIG", raising=False)

    with pytest.raises(ConnectorError, match="set SOPFLOW_DEPLOY_CONFIG"):
        deploy_to_colocation("perizinan_online", "v1")


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConnectorError) as raised:
        deploy(missing, "perizinan_online", "v1")

    assert str(raised.value) == f"deployment config file not found: {missing}"


# --- deploy.sh on its own -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/", "//", "relative/dir", "/srv/../etc", "/srv/a b"])
def test_script_refuses_an_unsafe_deploy_path(path: str, sample_app: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "DEPLOY_APP": "a",
        "DEPLOY_RELEASE": "v1",
        "DEPLOY_SOURCE": str(sample_app),
        "DEPLOY_PATH": path,
    }

    done = subprocess.run([str(DEFAULT_SCRIPT)], env=env, capture_output=True, text=True)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("GAGAL: DEPLOY_PATH")


def test_script_is_executable_and_strict() -> None:
    mode = DEFAULT_SCRIPT.stat().st_mode
    assert mode & stat.S_IXUSR
    assert "set -euo pipefail" in DEFAULT_SCRIPT.read_text()
