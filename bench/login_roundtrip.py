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

OIDC part: single sign-on's round trip goes in ``run_oidc`` (the authorization-code flow
against the test suite's OIDC provider), added by the single sign-on work.
"""

from __future__ import annotations

import argparse
import http.client
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


def run_oidc(rounds: int, database_url: str | None) -> None:
    raise SystemExit("the OIDC part is not written yet (single sign-on work)")


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
