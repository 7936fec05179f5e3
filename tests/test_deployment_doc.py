"""docs/DEPLOYMENT.md and docs/deploy/ stay true: the settings they name exist and are all
described, the example settings start the app, the systemd units are valid and start commands
that exist, nginx agrees with gunicorn and the app, and the backup script keeps what it should."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import click
import pytest
from requests.adapters import HTTPAdapter

from tests.conftest import missing
from webapp import create_app
from webapp.config import SETTINGS, build_config

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "DEPLOYMENT.md"
DEPLOY = ROOT / "docs" / "deploy"
UNITS = ["sopflow-web.service", "sopflow-worker@.service", "sopflow-backup.service"]
ENV_EXAMPLE = DEPLOY / "sopflow.env.example"
NGINX = DEPLOY / "nginx-sopflow.conf"
INSTALLED = "/opt/sopflow"  # where the units expect the checkout
DECLARED = {f"SOPFLOW_{setting.name}" for setting in SETTINGS}


def deployment_texts() -> dict[str, str]:
    files = [GUIDE, *sorted(p for p in DEPLOY.iterdir() if p.is_file())]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in files}


def unit_value(unit: str, key: str) -> str:
    text = (DEPLOY / unit).read_text(encoding="utf-8")
    match = re.search(rf"^{key}=(.*)$", text, re.M)
    assert match, f"{unit} has no {key}="
    return match.group(1)


def sourced(text: str) -> dict[str, str]:
    """The SOPFLOW_* variables a file sets, read by the shell as the `sopflow` wrapper does."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run(
        ["sh", "-c", "set -a; . /dev/stdin; set +a; env -0"],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    pairs = (item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith("SOPFLOW_")}


def test_every_setting_the_deployment_files_name_is_declared_in_config():
    # A name ending in _* (`SOPFLOW_S3_*`) stands for a family: some setting must start so.
    unknown = {
        f"{name} in {path}"
        for path, text in deployment_texts().items()
        for name in re.findall(r"SOPFLOW_[A-Z0-9_]*[A-Z0-9](?:_\*)?", text)
        if not (
            name in DECLARED
            or (name.endswith("_*") and any(d.startswith(name[:-1]) for d in DECLARED))
        )
    }
    assert not unknown, sorted(unknown)


def test_the_guide_describes_every_declared_setting_in_a_table_row():
    rows = set(re.findall(r"^\| `(SOPFLOW_[A-Z0-9_]+)` \|", GUIDE.read_text(), re.M))
    assert sorted(DECLARED - rows) == []


def test_the_example_settings_start_the_app_with_every_optional_part_switched_on(
    tmp_path, monkeypatch
):
    """The example as shipped, and with every commented-out setting switched on (the later of
    two alternatives wins), is accepted by the app's own checks."""
    shipped = ENV_EXAMPLE.read_text(encoding="utf-8")
    ca = tmp_path / "kantor-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    everything = re.sub(r"^#(SOPFLOW_)", r"\1", shipped, flags=re.M).replace(
        "/etc/ssl/certs/kantor-ca.pem", str(ca)
    )
    for text in (shipped, everything):
        values = sourced(text)
        assert values["SOPFLOW_ENV"] == "production"
        for name in [n for n in os.environ if n.startswith("SOPFLOW_")]:
            monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        config = build_config(str(tmp_path))
        assert config["SESSION_COOKIE_SECURE"] is True
    assert config["STORAGE"]["backend"] == "s3"
    assert config["OIDC"]["role_map"]
    assert config["LDAP"]


def test_nginx_lets_the_largest_upload_through_and_waits_longer_than_gunicorn(monkeypatch):
    nginx = NGINX.read_text(encoding="utf-8")
    body = re.search(r"client_max_body_size (\d+)m;", nginx)
    read = re.search(r"proxy_read_timeout (\d+)s;", nginx)
    assert body and read
    values = sourced(ENV_EXAMPLE.read_text(encoding="utf-8"))
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    config = build_config("/nonexistent-instance")
    assert int(body.group(1)) * 1024 * 1024 >= config["MAX_CONTENT_LENGTH"]
    gunicorn = unit_value("sopflow-web.service", "ExecStart")
    timeout = int(re.search(r"--timeout (\d+)", gunicorn).group(1))
    assert config["IMPORT_TIME_LIMIT"] < timeout < int(read.group(1))
    # nginx sends to the address gunicorn listens on, and serves the real static folder.
    bind = re.search(r"--bind (\S+)", gunicorn).group(1)
    assert re.search(rf"server {re.escape(bind)};", nginx)
    alias = re.search(r"location /static/ \{\s*alias (\S+);", nginx).group(1)
    assert alias.startswith(INSTALLED + "/")
    assert (ROOT / alias[len(INSTALLED) + 1 :] / "app.css").is_file()


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    """Run against a copy pointing at this checkout: unknown keys, bad values and start
    commands that are not executable are reported."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        missing("systemd-analyze not installed (Debian: systemd)")
    for unit in [*UNITS, "sopflow-backup.timer"]:
        text = (DEPLOY / unit).read_text(encoding="utf-8").replace(INSTALLED, str(ROOT))
        (tmp_path / unit).write_text(text)
    names = [u.replace("@.", "@1.") for u in UNITS] + ["sopflow-backup.timer"]
    done = subprocess.run(
        [tool, "verify", *names], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        # The service account does not exist on the test machine.
        if line.strip() and "sopflow" in line and "user" not in line.lower()
    ]
    assert done.returncode == 0, done.stderr
    assert problems == []


def command_path(words: list[str]) -> list[str]:
    """The part of ``words`` (after ``flask --app webapp``) that names a command, checked
    against the app's own command line; an unknown command fails the test."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    group: click.Command = app.cli
    path = []
    with click.Context(group) as ctx:
        for word in words:
            if not isinstance(group, click.Group):
                break
            found = group.get_command(ctx, word)
            assert found is not None, f"no command 'flask --app webapp {' '.join(path + [word])}'"
            path.append(word)
            group = found
    assert not isinstance(group, click.Group), f"{' '.join(path)} is a group, not a command"
    return path


def test_every_command_the_units_scripts_and_guide_run_exists():
    pattern = re.compile(r"(?:--app webapp|-u sopflow sopflow|`sopflow) ((?:[a-z][a-z-]* ?){1,2})")
    found = {
        match.group(1).strip()
        for text in deployment_texts().values()
        for match in pattern.finditer(text)
    }
    assert {"worker", "backup create", "backup restore", "db upgrade", "setup"} <= {
        " ".join(command_path(words.split())) for words in found
    }
    # gunicorn's application is the factory webapp.create_app, called with no arguments.
    gunicorn = unit_value("sopflow-web.service", "ExecStart")
    spec = re.search(r'"(\w+):(\w+)\(\)"', gunicorn)
    assert spec and spec.groups() == ("webapp", "create_app")
    assert callable(create_app)
    for unit in UNITS:
        program = unit_value(unit, "ExecStart").split()[0]
        assert program.startswith(INSTALLED + "/"), program
        assert os.access(ROOT / program[len(INSTALLED) + 1 :], os.X_OK), program


def test_worker_unit_stops_the_worker_alone_and_waits_for_its_calls():
    # SIGTERM to the worker only (not to a deployment's rsync), and time to finish it.
    assert unit_value("sopflow-worker@.service", "KillMode") == "mixed"
    assert unit_value("sopflow-worker@.service", "KillSignal") == "SIGTERM"
    assert int(unit_value("sopflow-worker@.service", "TimeoutStopSec")) >= 120
    for unit in UNITS:
        assert unit_value(unit, "User") == "sopflow"
        assert unit_value(unit, "NoNewPrivileges") == "yes"
        assert unit_value(unit, "ProtectSystem") == "strict"


@pytest.mark.slow
def test_backup_script_writes_a_dated_backup_and_prunes_old_and_unfinished_ones(tmp_path):
    root = tmp_path / "backups"
    old, unfinished, recent = root / "20200101T013000Z", root / "20261201T013000Z", root / "keep"
    for folder in (old, unfinished, recent):
        folder.mkdir(parents=True)
    (old / "manifest.json").write_text("{}")
    (recent / "manifest.json").write_text("{}")
    os.utime(old, (1577836800, 1577836800))  # 2020-01-01
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPFLOW_")}
    env.update(
        APP_DIR=str(ROOT),
        BACKUP_ROOT=str(root),
        BACKUP_KEEP_DAYS="14",
        SOPFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'sopflow.db'}",
        SOPFLOW_ATTACHMENT_DIR=str(tmp_path / "files"),
    )
    setup = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "webapp", "setup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stderr
    done = subprocess.run(
        [str(DEPLOY / "sopflow-backup.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    kept = sorted(p.name for p in root.iterdir())
    assert "keep" in kept and old.name not in kept and unfinished.name not in kept
    [new] = [name for name in kept if name != "keep"]
    assert re.fullmatch(r"\d{8}T\d{6}Z", new)
    assert (root / new / "manifest.json").is_file()
    assert (root / new / "database.sqlite3").is_file()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_site(tmp_path: Path, https: int, http: int, upstream: int) -> Path:
    """The shipped site, on test ports, with a throwaway certificate; returns nginx.conf."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=sopflow.example.go.id",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = NGINX.read_text(encoding="utf-8")
    for old, new in [
        ("/etc/ssl/sopflow/fullchain.pem", str(tmp_path / "cert.pem")),
        ("/etc/ssl/sopflow/privkey.pem", str(tmp_path / "key.pem")),
        (INSTALLED, str(ROOT)),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(
        f"  {kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp_path / "nginx.conf"
    # Started as root, nginx's workers would run as nobody, who cannot write the test's folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}daemon off;\nerror_log {tmp_path / 'error.log'};\npid {tmp_path / 'nginx.pid'};\n"
        f"events {{}}\nhttp {{\n  access_log off;\n{temp}\n"
        f"  include {tmp_path / 'site.conf'};\n}}\n"
    )
    return conf


def nginx_or_missing() -> str:
    tool = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if tool is None or shutil.which("openssl") is None:
        missing("nginx or openssl not installed (Debian: nginx-light, openssl)")
    return tool


def test_nginx_accepts_the_shipped_site(tmp_path):
    nginx = nginx_or_missing()
    conf = nginx_site(tmp_path, free_port(), free_port(), free_port())
    done = subprocess.run(
        [nginx, "-t", "-e", str(tmp_path / "error.log"), "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr + (tmp_path / "error.log").read_text()


class FromAddress(HTTPAdapter):
    """Connections from another loopback address than nginx's own (127.0.0.1)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    import requests

    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            requests.get(url, timeout=10, verify=False)
            return
        except requests.RequestException:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)


@pytest.mark.slow
def test_nginx_and_gunicorn_as_shipped_serve_the_app_over_https(tmp_path):
    """The shipped nginx site in front of gunicorn started with the web unit's options: TLS, the
    app's own links in https, static files from nginx with revalidation, the readiness probe,
    and an upload over the app's limit answered by the app's plain message, not nginx's."""
    import requests
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    nginx = nginx_or_missing()
    https, http, upstream = free_port(), free_port(), free_port()
    conf = nginx_site(tmp_path, https, http, upstream)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPFLOW_")}
    env.update(
        sourced(ENV_EXAMPLE.read_text(encoding="utf-8")),
        SOPFLOW_SECRET_KEY="0" * 64,
        SOPFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'sopflow.db'}",
        SOPFLOW_INSTANCE_DIR=str(tmp_path / "instance"),
        SOPFLOW_ATTACHMENT_DIR=str(tmp_path / "files"),
        SOPFLOW_DEPLOY_CONFIG="",
    )
    setup = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "webapp", "setup"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    admin = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "webapp", "users", "create", "admin1",
         "--password", "rahasia-admin", "--role", "admin"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert admin.returncode == 0, admin.stderr
    args = shlex.split(unit_value("sopflow-web.service", "ExecStart"))
    args = [str(ROOT / ".venv/bin/gunicorn"), *args[1:]]
    args[args.index("--bind") + 1] = f"127.0.0.1:{upstream}"
    args[args.index("--workers") + 1] = "1"
    args[args.index("--control-socket") + 1] = str(tmp_path / "gunicorn.ctl")
    logs = [tmp_path / "gunicorn.log", tmp_path / "error.log"]
    with logs[0].open("w") as out:
        web = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    proxy = subprocess.Popen(
        [nginx, "-e", str(logs[1]), "-p", str(tmp_path), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"https://127.0.0.1:{https}"
    try:
        wait_for(f"http://127.0.0.1:{upstream}/healthz", web, logs[0])
        wait_for(f"{base}/healthz", proxy, logs[1])
        plain = requests.get(f"http://127.0.0.1:{http}/login", allow_redirects=False, timeout=10)
        assert plain.status_code == 301
        assert plain.headers["Location"].startswith("https://")

        ready = requests.get(f"{base}/readyz", verify=False, timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert "max-age" in ready.headers["Strict-Transport-Security"]

        css = requests.get(f"{base}/static/app.css", verify=False, timeout=10)
        assert css.status_code == 200
        assert css.content == (ROOT / "webapp/static/app.css").read_bytes()
        assert css.headers["Cache-Control"] == "no-cache"
        again = requests.get(
            f"{base}/static/app.css",
            headers={"If-None-Match": css.headers["ETag"]},
            verify=False,
            timeout=10,
        )
        assert again.status_code == 304

        # The app believes nginx: a session cookie marked Secure, links to https.
        # Log-in as a browser on another address would: the app sees HTTPS (Secure cookie; the
        # CSRF check's strict same-origin rule for HTTPS passes with nginx's Host) and the
        # person's address, not nginx's (SOPFLOW_TRUSTED_PROXIES=1 believes X-Forwarded-For).
        browser = requests.Session()
        browser.mount("https://", FromAddress("127.0.0.2"))
        page = browser.get(f"{base}/login", verify=False, timeout=10)
        assert page.status_code == 200
        assert "; Secure;" in page.headers["Set-Cookie"]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        for password, status in (("salah-sandi", 401), ("rahasia-admin", 302)):
            done = browser.post(
                f"{base}/login",
                data={"csrf_token": token, "username": "admin1", "password": password},
                headers={"Referer": "https://127.0.0.1/login"},  # the office's name, port 443
                allow_redirects=False,
                verify=False,
                timeout=30,
            )
            assert done.status_code == status, done.text[:500]
        with sqlite3.connect(tmp_path / "sopflow.db") as database:
            addresses = database.execute("SELECT remote_addr FROM login_attempt").fetchall()
        assert addresses == [("127.0.0.2",)]
        cases = browser.get(f"{base}/cases/", verify=False, timeout=10, allow_redirects=False)
        assert cases.status_code == 200

        limit = int(env["SOPFLOW_MAX_UPLOAD_MB"]) * 1024 * 1024
        over_app = requests.post(
            f"{base}/login",
            data={"username": "x", "blob": "a" * (limit + 200 * 1024)},
            verify=False,
            timeout=60,
        )
        assert over_app.status_code == 413
        assert "Berkas atau isian terlalu besar" in over_app.text  # the app's own page
        over_nginx = requests.post(
            f"{base}/login",
            data={"blob": "a" * (limit + 2 * 1024 * 1024)},
            verify=False,
            timeout=60,
        )
        assert over_nginx.status_code == 413 and "nginx" in over_nginx.text
    finally:
        for process in (proxy, web):
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_from_the_guide_reach_files_and_headings_that_exist():
    guide = GUIDE.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", guide):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        document = (GUIDE.parent / path).resolve() if path else GUIDE
        assert document.exists(), target
        if anchor:
            headings = re.findall(r"^#+ (.+)$", document.read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(h) for h in headings}, target
