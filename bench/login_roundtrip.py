"""Log-in round trip through the app: office directory (LDAP) and single sign-on (OIDC).

Usage: .venv/bin/python bench/login_roundtrip.py [--part ldap] [--rounds N] [--database URL]

LDAP part: starts a slapd of its own on 127.0.0.1 (tests/slapd.py, the tests' directory and
data), serves the app over real HTTP on a local socket (CSRF on, SQLite in a temporary folder
unless --database names another), and logs in N times as the directory's budi, each in a fresh
browser-like session: GET /login for the cookie and CSRF token, then the POST that checks the
password against the directory (search with the service account, bind as budi, groups, the
account updated by identities.provision, a session opened) and answers 302. Printed per kind,
the median and p95 in milliseconds of the POST alone and of GET+POST, for:

- ``ldap``: budi through the directory;
- ``local``: the break-glass admin1 with a local password (scrypt, as in production);
- ``ldap bind only``: ``directory.authenticate`` alone, without HTTP or database.

OIDC part: starts the test suite's OpenID Connect provider (tests/oidc_provider.py: npm
``oidc-provider`` on Node.js, 127.0.0.1) and serves the app the same way with single sign-on
configured, then logs budi in N times, each in a fresh browser-like session that follows every
redirect by hand (7 HTTP requests from the SSO button to the worklist, see ``run_oidc``).
Printed: median and p95 from the button to the worklist, with GET /login before it, and the
time spent waiting for sopflow and for the provider; the first log-in (account created) apart.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.oidc_provider import (  # noqa: E402
    ACCOUNTS,
    CLIENT_ID,
    CLIENT_SECRET,
    ROLE_MAP,
    Browser,
    running_provider,
)
from tests.slapd import PASSWORDS, running_slapd  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.services import directory  # noqa: E402


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def _log_in(port: int, username: str, password: str) -> tuple[float, float]:
    """One log-in in a fresh session; return (POST seconds, GET+POST seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    started = time.perf_counter()
    conn.request("GET", "/login")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password})
    posted = time.perf_counter()
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    answer = conn.getresponse()
    answer.read()
    done = time.perf_counter()
    conn.close()
    if answer.status != 302:
        raise SystemExit(f"log-in of {username} answered {answer.status}, not 302")
    return done - posted, done - started


def _app(database_url: str | None, folder: Path):
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ATTACHMENT_DIR": str(folder / "files")})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        result = app.test_cli_runner().invoke(args=["setup", "--demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    return app


def run_ldap(rounds: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with running_slapd(folder / "slapd") as slapd:
            app = _app(database_url, folder)
            app.config["LDAP"] = slapd.settings()
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                port = server.server_port
                _log_in(port, "budi", PASSWORDS["budi"])  # first log-in creates the account
                kinds = {
                    "ldap": [_log_in(port, "budi", PASSWORDS["budi"]) for _ in range(rounds)],
                    "local": [_log_in(port, "admin1", "demo") for _ in range(rounds)],
                }
                binds = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    directory.authenticate(slapd.settings(), "budi", PASSWORDS["budi"])
                    binds.append(time.perf_counter() - started)
            finally:
                server.shutdown()
                thread.join(10)
                server.server_close()
    db_name = (database_url or "sqlite").split(":", 1)[0]
    print(f"log-in round trip, {rounds} log-ins each, database {db_name}, slapd on 127.0.0.1")
    for kind, times in kinds.items():
        print(f"{kind:15s} POST /login      {_ms([t[0] for t in times])}")
        print(f"{kind:15s} GET+POST /login  {_ms([t[1] for t in times])}")
    print(f"{'ldap bind only':15s} authenticate()   {_ms(binds)}")


class _Later:
    """A WSGI app set after the server has its port: the provider needs sopflow's address for
    its redirect URI before sopflow can be configured with the provider."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _sso_log_in(base: str, issuer: str) -> dict[str, float]:
    """One SSO log-in of budi in a fresh browser (tests/oidc_provider.Browser: requests, every
    redirect followed by hand); seconds: from the button, with GET /login, and per side."""
    browser = Browser(base)
    started = time.perf_counter()
    page = browser.go("GET", "/login")
    if 'id="sso-login"' not in page.text:
        raise SystemExit("no SSO button on the log-in page")
    pressed = time.perf_counter()
    at_provider = browser.go("GET", "/login/oidc")
    landed = browser.sign_in_at_provider(at_provider, "budi", ACCOUNTS["budi"]["password"])
    done = time.perf_counter()
    if landed.status != 200 or urllib.parse.urlsplit(landed.url).path != "/":
        raise SystemExit(f"SSO log-in ended on {landed.url} ({landed.status})")
    hops = browser.hops[1:]  # after GET /login
    provider = urllib.parse.urlsplit(issuer).netloc
    return {
        "button": done - pressed,
        "page": done - started,
        "sopflow": sum(h.seconds for h in hops if h.url.startswith(base)),
        "provider": sum(h.seconds for h in hops if urllib.parse.urlsplit(h.url).netloc == provider),
        "requests": len(hops),
    }


def run_oidc(rounds: int, database_url: str | None) -> None:
    """Single sign-on: the authorization code flow with PKCE against the test suite's provider
    (tests/oidc/provider.mjs: npm ``oidc-provider`` on Node.js, 127.0.0.1), sopflow served over
    real HTTP as in the LDAP part. One round, from the SSO button to the worklist received: GET
    /login/oidc (302 to the provider), the provider's authorization endpoint (303) and log-in
    form (200), the form posted with the password (303, 303 back to sopflow's callback), the
    callback (token request, ID token verified against the JWKS, account updated through
    identities.provision, session opened; 302) and the worklist (200). The first log-in
    (account created; discovery and keys read) is timed apart and left out of the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wsgi = _Later()
        server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        with running_provider(folder / "oidc", base) as provider:
            settings = {
                "SOPFLOW_OIDC_ISSUER": provider.issuer,
                "SOPFLOW_OIDC_CLIENT_ID": CLIENT_ID,
                "SOPFLOW_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "SOPFLOW_OIDC_ROLE_MAP": ROLE_MAP,
            }
            os.environ.update(settings)  # read when the app is made: the client is registered
            try:
                app = _app(database_url, folder)
            finally:
                for name in settings:
                    os.environ.pop(name, None)
            app.config["BASE_URL"] = base
            wsgi.app = app
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                first = _sso_log_in(base, provider.issuer)
                times = [_sso_log_in(base, provider.issuer) for _ in range(rounds)]
            finally:
                server.shutdown()
                thread.join(10)
                server.server_close()
    db_name = (database_url or "sqlite").split(":", 1)[0]
    print(
        f"single sign-on round trip, {rounds} log-ins, database {db_name}, "
        f"oidc-provider on 127.0.0.1, {times[0]['requests']} HTTP requests each"
    )
    print(f"{'oidc':15s} button->worklist {_ms([t['button'] for t in times])}")
    print(f"{'oidc':15s} GET /login+all   {_ms([t['page'] for t in times])}")
    print(f"{'  at sopflow':15s} button->worklist {_ms([t['sopflow'] for t in times])}")
    print(f"{'  at provider':15s} button->worklist {_ms([t['provider'] for t in times])}")
    print(f"{'oidc first':15s} button->worklist {first['button'] * 1000:7.1f} ms (account created)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["ldap", "oidc", "all"], default="all")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default SQLite)")
    args = parser.parse_args()
    if args.part in ("ldap", "all"):
        run_ldap(args.rounds, args.database)
    if args.part in ("oidc", "all"):
        run_oidc(args.rounds, args.database)


if __name__ == "__main__":
    main()
