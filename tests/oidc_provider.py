"""A real OpenID Connect provider for the single sign-on tests and the log-in bench.

``running_provider(folder, sopflow_base)`` starts ``tests/oidc/provider.mjs`` (the certified
``oidc-provider`` package from npm, run with the machine's Node.js) on a free 127.0.0.1 port,
with one client for sopflow whose redirect URI is ``<sopflow_base>/login/oidc/callback``, and
waits until its discovery document answers. With CI=true a missing Node.js or a provider that
does not start is a failure, elsewhere a skip.

``Browser`` is one person's browser without a screen: it follows redirects by hand between
sopflow (Flask's test client, or a live server over HTTP) and the provider (requests), so a test
sees every hop of the authorization code flow.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from tests.conftest import missing

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "sopflow"
CLIENT_SECRET = "rahasia-klien-sopflow"
ROLE_MAP = "sopflow-ketua=Ketua Tim;sopflow-tim=Tim;sopflow-admin=admin"
START_TIMEOUT = 20

# The office's accounts at the provider: login -> password and the claims it vouches for.
ACCOUNTS = {
    "budi": {
        "password": "sandi-budi",
        "claims": {
            "sub": "3f6c1d2e-budi",
            "preferred_username": "budi",
            "name": "Budi Santoso",
            "email": "budi@kantor.test",
            "email_verified": True,
            "groups": ["sopflow-tim", "sopflow-ketua", "pegawai"],
        },
    },
    "sari": {
        "password": "sandi-sari",
        "claims": {
            "sub": "8a1b2c3d-sari",
            "preferred_username": "sari",
            "name": "Sari Wulandari",
            "email": "sari@kantor.test",
            "email_verified": True,
            "groups": ["pegawai"],
        },
    },
    # Same username as the demo's local account ketua1: sopflow must not hand it over.
    "ketua1": {
        "password": "sandi-ketua",
        "claims": {
            "sub": "77e0aa10-ketua",
            "preferred_username": "ketua1",
            "name": "Bukan Ketua",
            "email": "palsu@kantor.test",
            "email_verified": True,
            "groups": ["sopflow-admin"],
        },
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    issuer: str
    config_path: Path
    config: dict
    process: subprocess.Popen
    log_path: Path

    def set_account(self, login: str, **claims) -> None:
        """Change what the provider says about ``login`` from the next log-in on."""
        self.config["accounts"][login]["claims"].update(claims)
        self._write()

    def drop_claims(self, login: str, *names: str) -> None:
        """Have the provider say nothing of ``names`` about ``login`` from the next log-in on."""
        for name in names:
            self.config["accounts"][login]["claims"].pop(name, None)
        self._write()

    def reset_accounts(self) -> None:
        self.config["accounts"] = copy.deepcopy(ACCOUNTS)
        self._write()

    def _write(self) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.config), encoding="utf-8")
        tmp.replace(self.config_path)  # the provider never reads half a file

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]


@contextmanager
def running_provider(folder: Path, *sopflow_bases: str) -> Iterator[Provider]:
    """Start the provider with a client for each sopflow address; stop it at the end."""
    node = shutil.which("node")
    if node is None:
        missing("Node.js (node) is not installed: the single sign-on tests need it")
    if not PACKAGE.exists():
        missing("node_modules/oidc-provider is missing: run `make install` (npm ci)")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = {
        "issuer": issuer,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{b}/login/oidc/callback" for b in sopflow_bases],
                "post_logout_redirect_uris": [f"{b}/login" for b in sopflow_bases],
            }
        ],
        "accounts": copy.deepcopy(ACCOUNTS),
    }
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "provider.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    log_path = folder / "provider.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(SCRIPT), str(port), str(config_path)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    provider = Provider(issuer, config_path, config, process, log_path)
    try:
        _wait_ready(provider)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_ready(provider: Provider) -> None:
    url = provider.issuer + "/.well-known/openid-configuration"
    # Polling a starting process's port: no sleep stands in for a clock here.
    give_up = time.monotonic() + START_TIMEOUT
    while time.monotonic() < give_up:
        if provider.process.poll() is not None:
            missing(f"the OIDC provider exited ({provider.process.returncode}):\n{provider.log()}")
        try:
            if requests.get(url, timeout=2).json().get("issuer") == provider.issuer:
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.05)
    missing(f"the OIDC provider did not answer at {url} within {START_TIMEOUT}s:\n{provider.log()}")


# --- a browser without a screen ----------------------------------------------------------------


@dataclass
class Hop:
    method: str
    url: str
    status: int
    location: str | None
    seconds: float = 0.0


@dataclass
class Page:
    status: int
    url: str
    text: str

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class Browser:
    """Follows redirects by hand. ``client`` (Flask's test client) answers for ``sopflow``
    when given; else sopflow is a live server reached over HTTP like the provider."""

    sopflow: str
    client: object | None = None
    http: requests.Session = field(default_factory=requests.Session)
    hops: list[Hop] = field(default_factory=list)

    def _send(self, method: str, url: str, data: dict | None):
        if self.client is not None and url.startswith(self.sopflow):
            path = url[len(self.sopflow) :] or "/"
            response = self.client.open(path, method=method, data=data)
            return response.status_code, response.headers.get("Location"), response.text
        response = self.http.request(method, url, data=data, allow_redirects=False, timeout=15)
        return response.status_code, response.headers.get("Location"), response.text

    def go(self, method: str, url: str, data: dict | None = None, limit: int = 20) -> Page:
        """Request ``url`` and follow every redirect; return the page it ends on."""
        url = urljoin(self.sopflow + "/", url)
        for _ in range(limit):
            began = time.perf_counter()
            status, location, text = self._send(method, url, data)
            self.hops.append(Hop(method, url, status, location, time.perf_counter() - began))
            if status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                if status in (301, 302, 303):
                    method, data = "GET", None
                continue
            return Page(status, url, text)
        raise AssertionError(f"more than {limit} redirects: {self.hops[-5:]}")

    def step(self, method: str, url: str, data: dict | None = None) -> tuple[int, str | None]:
        """One request, no redirect followed: (status, absolute Location)."""
        url = urljoin(self.sopflow + "/", url)
        status, location, _ = self._send(method, url, data)
        self.hops.append(Hop(method, url, status, location))
        return status, urljoin(url, location) if location else None

    def press_sso_button(self) -> Page:
        """Open sopflow's log-in page and press "Masuk dengan SSO kantor"."""
        login = self.go("GET", "/login")
        link = re.search(r'<a class="button primary" id="sso-login" href="([^"]+)">', login.text)
        assert link, "no single sign-on button on the log-in page"
        return self.go("GET", unescape(link.group(1)))

    def sign_in_at_provider(self, page: Page, login: str, password: str, action="login"):
        """Fill the provider's log-in form on ``page`` and submit it (``deny``: press Tolak)."""
        assert "/interaction/" in page.url, f"not the provider's log-in form: {page.url}"
        return self.go("POST", page.url, {"login": login, "password": password, "action": action})

    def sso_log_in(self, login: str, password: str | None = None) -> Page:
        """The whole round trip: the button, the provider's form, back to sopflow."""
        at_provider = self.press_sso_button()
        if password is None:
            password = ACCOUNTS[login]["password"]
        return self.sign_in_at_provider(at_provider, login, password)
