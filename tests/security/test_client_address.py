"""Finding 7: behind a reverse proxy, log-in limits and the audit log use the person's address.

With ``TRUSTED_PROXIES=1`` the address is taken from X-Forwarded-For (the proxy's own entry);
with the default 0 the header is ignored, so a client cannot pick its address.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import FAST_HASH
from webapp import create_app
from webapp.auth import MAX_PER_ADDR
from webapp.config import ConfigError, build_config
from webapp.engine.calendar import WallClockCalendar
from webapp.extensions import db
from webapp.models import AuditEvent, LoginAttempt, UserSession

ADDR_A = "203.0.113.7"
ADDR_B = "198.51.100.23"


@pytest.fixture
def proxied_app(app, database_url):
    """The same (seeded) database, served as behind one reverse proxy."""
    proxied = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "SLA_CALENDAR": WallClockCalendar(),
            "TRUSTED_PROXIES": 1,
        }
    )
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def fail_logins(app, addr: str, n: int) -> None:
    client = app.test_client()
    for i in range(n):
        response = client.post(
            "/login",
            # A different name each time: only the per-address limit can trip.
            data={"username": f"tamu{i}", "password": "salah"},
            headers={"X-Forwarded-For": addr},
        )
        assert response.status_code == 401, (i, response.status_code)


def good_login(app, addr: str):
    return app.test_client().post(
        "/login",
        data={"username": "unit1", "password": "demo"},
        headers={"X-Forwarded-For": addr},
    )


def audit_addresses(app, action: str) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(AuditEvent.remote_addr).where(AuditEvent.action == action)
            ).all()
        )


def test_behind_a_proxy_one_address_locked_out_does_not_lock_out_the_office(proxied_app):
    fail_logins(proxied_app, ADDR_A, MAX_PER_ADDR)
    # A is now limited, even with a right password ...
    assert good_login(proxied_app, ADDR_A).status_code == 429
    # ... but B, behind the same proxy, signs in.
    assert good_login(proxied_app, ADDR_B).status_code == 302
    assert audit_addresses(proxied_app, "auth.login_failed") == {ADDR_A}
    assert audit_addresses(proxied_app, "auth.login") == {ADDR_B}
    with proxied_app.app_context():
        assert set(db.session.scalars(select(LoginAttempt.remote_addr))) == {ADDR_A}


def test_behind_a_proxy_the_session_records_the_person(proxied_app):
    client = proxied_app.test_client()
    headers = {"X-Forwarded-For": ADDR_B}
    response = client.post(
        "/login", data={"username": "admin1", "password": "demo"}, headers=headers
    )
    assert response.status_code == 302
    page = client.get("/admin/users/", headers=headers)
    assert page.status_code == 200  # same address and browser: strong session protection holds
    with proxied_app.app_context():
        assert db.session.scalars(select(UserSession.remote_addr)).all() == [ADDR_B]


def test_only_the_proxys_own_entry_is_believed(proxied_app):
    # A client sends its own X-Forwarded-For; the proxy appends the address it saw.
    fail_logins(proxied_app, f"10.9.9.9, {ADDR_A}", 1)
    assert audit_addresses(proxied_app, "auth.login_failed") == {ADDR_A}


def test_without_the_setting_x_forwarded_for_is_ignored(app):
    assert app.config["TRUSTED_PROXIES"] == 0
    fail_logins(app, ADDR_A, MAX_PER_ADDR)
    # The header cannot pick an address: every try came from the socket's address.
    assert good_login(app, ADDR_B).status_code == 429
    assert audit_addresses(app, "auth.login_failed") == {"127.0.0.1"}


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "6", " "])
def test_a_wrong_number_of_proxies_stops_the_app(monkeypatch, tmp_path, value):
    monkeypatch.setenv("SOPFLOW_TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match="SOPFLOW_TRUSTED_PROXIES"):
        build_config(str(tmp_path))


def test_the_number_of_proxies_is_read_from_the_environment(monkeypatch, tmp_path):
    assert build_config(str(tmp_path))["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("SOPFLOW_TRUSTED_PROXIES", "2")
    assert build_config(str(tmp_path))["TRUSTED_PROXIES"] == 2


def test_the_scheme_and_address_come_from_the_proxy_only_when_trusted(app, proxied_app):
    headers = {"X-Forwarded-For": ADDR_A, "X-Forwarded-Proto": "https"}
    seen = {}
    for name, flask_app in (("direct", app), ("proxied", proxied_app)):

        @flask_app.route("/_seen")
        def _seen(name=name):
            from flask import request

            seen[name] = (request.scheme, request.remote_addr)
            return ""

        assert flask_app.test_client().get("/_seen", headers=headers).status_code == 200
    assert seen == {"direct": ("http", "127.0.0.1"), "proxied": ("https", ADDR_A)}
