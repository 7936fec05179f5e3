"""Finding 5: log-out, password changes and resets, and deactivation end access on the server.

A session cookie copied before the event is replayed afterwards (the Flask test client, the
cookie set back by hand): it must be anonymous. API tokens of the user answer 401.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update

from webapp.extensions import db
from webapp.models import ApiToken, AuditEvent, LoginAttempt, User, UserSession
from webapp.models.types import utcnow

NEW_PASSWORD = "sandi-baru-yang-panjang"


def cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.value
    return cookie.value


def replay(app, cookie: str, **extra_cookies) -> FlaskClient:
    """A fresh browser holding a copied session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    for name, value in extra_cookies.items():
        client.set_cookie(name, value)
    return client


def to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def api_status(app, headers: dict) -> int:
    response = app.test_client().get("/api/v1/tasks", headers=headers)
    if response.status_code == 401:
        assert response.is_json and response.get_json()["message"]
    return response.status_code


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def live_sessions(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(UserSession)
            .join(User, User.id == UserSession.user_id)
            .where(User.username == username, UserSession.ended_at.is_(None))
        )


def last_event(app, action: str) -> AuditEvent:
    with app.app_context():
        found = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
        )
        assert found is not None, f"no {action} event"
        db.session.expunge(found)
        return found


def login(app, username: str, password: str = "demo"):
    return app.test_client().post("/login", data={"username": username, "password": password})


# -- log-out -----------------------------------------------------------------------------------


def test_a_cookie_replayed_after_logout_is_anonymous(app, actions):
    client = actions.client("unit1")
    elsewhere = actions.client("unit1")  # the same person on another computer
    cookie = cookie_of(client)
    assert signed_in(replay(app, cookie))  # the copy works while the session lives

    assert to_login(client.post("/logout"))

    stolen = replay(app, cookie)
    assert to_login(stolen.get("/"))
    assert to_login(stolen.get("/sla"))
    assert to_login(stolen.post("/tasks/1/claim"))
    client.set_cookie("session", cookie)  # the same browser, cookie put back
    assert to_login(client.get("/"))
    # Log-out ends that session only.
    assert signed_in(elsewhere)
    with app.app_context():
        ended = db.session.scalars(
            select(UserSession).where(UserSession.ended_at.is_not(None))
        ).all()
        assert [s.end_reason for s in ended] == ["logout"]
    assert last_event(app, "auth.logout").detail["session_id"] == ended[0].id


def test_a_remember_me_cookie_does_not_resurrect_an_ended_session(app, actions):
    from flask_login.utils import encode_cookie

    client = actions.client("admin1")
    cookie = cookie_of(client)
    client.post("/logout")
    with app.test_request_context():
        remember = encode_cookie(str(user_id(app, "admin1")))
    assert to_login(replay(app, cookie, remember_token=remember).get("/"))
    # Nor alone: sopflow never issues one, and a session needs its server-side record.
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert to_login(fresh.get("/"))


def test_a_session_unused_past_its_lifetime_is_refused_on_the_server(app, actions):
    client = actions.client("unit1")
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=9)))
        db.session.commit()
    assert to_login(client.get("/"))


# -- password reset by an administrator ---------------------------------------------------------


def test_after_an_admin_password_reset_old_sessions_and_tokens_are_refused(app, actions):
    victim = actions.client("tim1")
    cookie = cookie_of(victim)
    headers = actions.token("tim1")
    assert api_status(app, headers) == 200

    admin = actions.client("admin1")
    response = admin.post(
        f"/admin/users/{user_id(app, 'tim1')}/password",
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302

    assert to_login(victim.get("/"))
    assert to_login(replay(app, cookie).get("/"))
    assert api_status(app, headers) == 401
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user_id(app, "tim1")))
        assert token.revoked_at is not None
    detail = last_event(app, "user.password_reset").detail
    assert detail["sessions_ended"] == 1 and detail["tokens_revoked"] == 1
    assert login(app, "tim1").status_code == 401
    assert login(app, "tim1", NEW_PASSWORD).status_code == 302
    assert signed_in(admin)  # the administrator's own session is untouched


def test_an_admin_resetting_their_own_password_keeps_only_this_browser(app, actions):
    here = actions.client("admin1")
    there = actions.client("admin1")
    old_cookie = cookie_of(here)
    response = here.post(
        f"/admin/users/{user_id(app, 'admin1')}/password",
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert here.get(response.headers["Location"]).status_code == 200
    assert cookie_of(here) != old_cookie  # re-issued
    assert to_login(there.get("/"))
    assert to_login(replay(app, old_cookie).get("/"))
    assert live_sessions(app, "admin1") == 1


# -- the user changes their own password ----------------------------------------------------------


def test_changing_your_password_ends_your_other_sessions_and_tokens(app, actions):
    here = actions.client("unit1")
    there = actions.client("unit1")
    old_cookie = cookie_of(here)
    headers = actions.token("unit1")

    assert here.get("/account/password").status_code == 200
    response = here.post(
        "/account/password",
        data={
            "current_password": "demo",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302

    # This browser continues under a new session; every earlier cookie is worthless.
    assert signed_in(here)
    assert cookie_of(here) != old_cookie
    assert to_login(replay(app, old_cookie).get("/"))
    assert to_login(there.get("/"))
    assert api_status(app, headers) == 401
    assert live_sessions(app, "unit1") == 1
    detail = last_event(app, "user.password_changed").detail
    assert detail == {
        "user_id": user_id(app, "unit1"),
        "username": "unit1",
        "sessions_ended": 2,
        "tokens_revoked": 1,
    }
    assert login(app, "unit1").status_code == 401
    assert login(app, "unit1", NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_log_in(app, actions):
    here = actions.client("unit1")
    there = actions.client("unit1")
    with app.app_context():
        before = db.session.scalar(select(User.password_hash).where(User.username == "unit1"))
    data = {"current_password": "salah", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    response = here.post("/account/password", data=data)
    assert response.status_code == 422
    assert "Kata sandi saat ini salah." in response.get_data(as_text=True)
    assert signed_in(there)
    with app.app_context():
        after = db.session.scalar(select(User.password_hash).where(User.username == "unit1"))
        assert after == before
        attempts = db.session.scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == "unit1")
        )
        assert attempts == 1
    # Guessing through this form meets the log-in limit (5 per username).
    for _ in range(4):
        assert here.post("/account/password", data=data).status_code == 422
    assert here.post("/account/password", data=data).status_code == 429


def test_a_new_password_is_checked_like_the_administrators_form(app, actions):
    here = actions.client("unit1")
    response = here.post(
        "/account/password",
        data={"current_password": "demo", "password": "pendek", "password_confirm": "pendek"},
    )
    assert response.status_code == 422
    assert "minimal 8" in response.get_data(as_text=True)
    assert live_sessions(app, "unit1") == 1


# -- deactivation ------------------------------------------------------------------------------


def test_deactivation_ends_sessions_and_tokens_and_reactivation_brings_neither_back(app, actions):
    victim = actions.client("tim1")
    cookie = cookie_of(victim)
    headers = actions.token("tim1")
    admin = actions.client("admin1")
    target = user_id(app, "tim1")
    assert admin.post(f"/admin/users/{target}/deactivate").status_code == 302
    assert to_login(replay(app, cookie).get("/"))
    assert api_status(app, headers) == 401
    detail = last_event(app, "user.deactivated").detail
    assert detail["sessions_ended"] == 1 and detail["tokens_revoked"] == 1

    assert admin.post(f"/admin/users/{target}/reactivate").status_code == 302
    assert to_login(replay(app, cookie).get("/"))
    assert to_login(victim.get("/"))
    assert api_status(app, headers) == 401
    assert login(app, "tim1").status_code == 302  # the password still works


# -- administrators see and end sessions --------------------------------------------------------


def test_an_admin_sees_a_users_sessions_and_ends_them_all(app, actions):
    first = actions.client("ketua1")
    second = actions.client("ketua1")
    headers = actions.token("ketua1")
    admin = actions.client("admin1")
    target = user_id(app, "ketua1")
    page = admin.get(f"/admin/users/{target}").get_data(as_text=True)
    assert page.count("data-session-id=") == 2
    assert "127.0.0.1" in page

    response = admin.post(f"/admin/users/{target}/sessions/end")
    assert response.status_code == 302
    assert to_login(first.get("/")) and to_login(second.get("/"))
    assert api_status(app, headers) == 200  # tokens are left alone
    event_ = last_event(app, "user.sessions_ended")
    assert event_.detail == {"user_id": target, "username": "ketua1", "sessions_ended": 2}
    assert event_.user_id == user_id(app, "admin1")
    page = admin.get(f"/admin/users/{target}").get_data(as_text=True)
    assert "data-session-id=" not in page
    assert "Tidak ada sesi aktif." in page


def test_an_admin_ending_their_own_sessions_keeps_this_browser(app, actions):
    here = actions.client("admin1")
    there = actions.client("admin1")
    response = here.post(f"/admin/users/{user_id(app, 'admin1')}/sessions/end")
    assert response.status_code == 302
    assert here.get("/admin/users/").status_code == 200
    assert to_login(there.get("/"))


def test_only_admins_end_sessions(app, actions):
    victim = actions.client("ketua1")
    for username in ("unit1", "owner1"):
        response = actions.client(username).post(
            f"/admin/users/{user_id(app, 'ketua1')}/sessions/end"
        )
        assert response.status_code == 403
    assert signed_in(victim)


# -- cost ----------------------------------------------------------------------------------------


@pytest.fixture
def statements(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


def test_checking_the_session_is_one_indexed_query_per_request(app, actions, statements):
    client = actions.client("unit1")
    client.get("/")
    statements.clear()
    assert client.get("/").status_code == 200
    on_sessions = [s for s in statements if "user_session" in s]
    assert len(on_sessions) == 1 and on_sessions[0].lstrip().upper().startswith("SELECT")
    assert "token_hash" in on_sessions[0]
    # Every few minutes the session's last use is noted: one UPDATE more.
    with app.app_context():
        db.session.execute(
            update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=10))
        )
        db.session.commit()
    statements.clear()
    assert client.get("/").status_code == 200
    on_sessions = [s.lstrip().split()[0].upper() for s in statements if "user_session" in s]
    assert on_sessions == ["SELECT", "UPDATE"]


# -- a log-in over a live session ----------------------------------------------------------


def test_a_password_log_in_over_a_live_session_ends_that_session(app, actions):
    # /login sends a signed-in browser to its worklist, so a password or directory log-in meets
    # a live session only when finish_log_in is reached some other way; it is the one end of
    # every log-in, so it is held here directly: the old cookie is worthless afterwards.
    from webapp.auth import finish_log_in

    cookie = cookie_of(actions.client("unit1"))
    with app.test_request_context("/login", method="POST", headers={"Cookie": f"session={cookie}"}):
        other = db.session.scalar(select(User).where(User.username == "admin1"))
        assert finish_log_in(other, None).status_code == 302
    assert not signed_in(replay(app, cookie))
    with app.app_context():
        [ended] = db.session.scalars(
            select(UserSession).where(UserSession.ended_at.is_not(None))
        ).all()
        assert (ended.user_id, ended.end_reason) == (user_id(app, "unit1"), "replaced_by_log_in")
    assert last_event(app, "auth.logout").detail == {
        "session_id": ended.id,
        "reason": "replaced_by_log_in",
    }
