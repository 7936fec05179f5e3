"""Directory log-in (LDAP) through the log-in form, against a real slapd the tests start, and
the SOPFLOW_LOCAL_LOGIN switch for sopflow's own passwords (issue 16, point 2)."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import ldap3.core.pooling
import pytest
from ldap3 import Connection
from ldap3.core.exceptions import LDAPSocketSendError
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tests.conftest import deadline
from tests.slapd import (
    GROUPS,
    PASSWORDS,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PW,
    closed_port,
    running_slapd,
)
from webapp.config import ConfigError, build_config
from webapp.extensions import db
from webapp.models import AuditEvent, LoginAttempt, Role, User

WRONG = "Nama pengguna atau kata sandi salah."


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    with running_slapd(tmp_path_factory.mktemp("slapd") / "server") as server:
        yield server


@pytest.fixture
def ldap_app(app, slapd):
    """The suite's app (demo users, fresh database) with directory log-in configured."""
    app.config["LDAP"] = slapd.settings()
    app.config["LOCAL_LOGIN"] = "on"
    return app


def _login(app, username: str, password: str):
    return app.test_client().post("/login", data={"username": username, "password": password})


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            _ = user.role_names  # loaded before the session closes
        return user


def _failed_attempts(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == username)
        )


def _body(response) -> str:
    return response.get_data(as_text=True)


def test_good_directory_password_logs_in_and_creates_the_user_with_roles_from_groups(ldap_app):
    assert _user(ldap_app, "budi") is None
    client = ldap_app.test_client()
    response = client.post("/login", data={"username": "budi", "password": PASSWORDS["budi"]})
    assert response.status_code == 302, _body(response)[:500]
    user = _user(ldap_app, "budi")
    assert user.auth_source == "ldap"
    assert user.external_id and user.external_id != f"uid=budi,{PEOPLE}"  # entryUUID, stable
    assert user.full_name == "Budi Santoso"
    assert user.email == "budi@kantor.test"
    assert user.role_names == {"Ketua Tim"}
    # The session is a real one: the worklist opens, with the person's name in the header.
    page = client.get("/")
    assert page.status_code == 200
    assert "Budi Santoso" in _body(page)


def test_a_directory_account_in_no_mapped_group_logs_in_and_is_told_it_has_no_role(ldap_app, slapd):
    ldap_app.config["LDAP"] = slapd.settings(role_map={})
    client = ldap_app.test_client()
    response = client.post("/login", data={"username": "budi", "password": PASSWORDS["budi"]})
    assert response.status_code == 302
    assert _user(ldap_app, "budi").role_names == set()
    page = client.get(response.headers["Location"])
    assert "belum mempunyai peran" in _body(page)


def test_group_search_instead_of_member_of_gives_the_same_roles(ldap_app, slapd):
    ldap_app.config["LDAP"] = slapd.settings(groups="search")
    assert _login(ldap_app, "sari", PASSWORDS["sari"]).status_code == 302
    assert _user(ldap_app, "sari").role_names == {"Tim"}


def test_wrong_directory_password_is_refused_and_counted(ldap_app):
    response = _login(ldap_app, "budi", "bukan-sandinya")
    assert response.status_code == 401
    assert WRONG in _body(response)
    assert _user(ldap_app, "budi") is None
    assert _failed_attempts(ldap_app, "budi") == 1


def test_unknown_directory_user_is_refused_like_a_wrong_password(ldap_app):
    response = _login(ldap_app, "tidakada", "apa-saja")
    assert response.status_code == 401
    assert WRONG in _body(response)


def test_disabled_directory_account_is_refused(ldap_app):
    # dodi's password is right, but the entry matches LDAP_DISABLED_FILTER (employeeType=nonaktif).
    response = _login(ldap_app, "dodi", PASSWORDS["dodi"])
    assert response.status_code == 403
    assert "dinonaktifkan" in _body(response)
    assert _user(ldap_app, "dodi") is None


def test_disabled_filter_is_what_refuses_dodi(ldap_app, slapd):
    # Without the filter the same entry logs in: the refusal above came from the setting.
    ldap_app.config["LDAP"] = slapd.settings(disabled_filter="")
    assert _login(ldap_app, "dodi", PASSWORDS["dodi"]).status_code == 302


@pytest.mark.parametrize("groups", ["memberof", "search"])
def test_a_group_change_in_the_directory_updates_roles_at_the_next_log_in(ldap_app, slapd, groups):
    ldap_app.config["LDAP"] = slapd.settings(groups=groups)
    assert _login(ldap_app, "sari", PASSWORDS["sari"]).status_code == 302
    assert _user(ldap_app, "sari").role_names == {"Tim"}
    # An administrator gives sari a role by hand, outside the role map: it stays.
    with ldap_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "sari"))
        user.roles.append(db.session.scalar(select(Role).where(Role.name == "process_owner")))
        db.session.commit()
    sari = f"uid=sari,{PEOPLE}"
    try:
        # sari moves from the team to the team leads.
        slapd.modify(
            f"dn: cn=sopflow-tim,{GROUPS}\nchangetype: modify\ndelete: member\nmember: {sari}\n\n"
            f"dn: cn=sopflow-ketua,{GROUPS}\nchangetype: modify\nadd: member\nmember: {sari}\n"
        )
        assert _login(ldap_app, "sari", PASSWORDS["sari"]).status_code == 302
        assert _user(ldap_app, "sari").role_names == {"Ketua Tim", "process_owner"}
    finally:
        slapd.modify(
            f"dn: cn=sopflow-ketua,{GROUPS}\nchangetype: modify\ndelete: member\nmember: {sari}\n\n"
            f"dn: cn=sopflow-tim,{GROUPS}\nchangetype: modify\nadd: member\nmember: {sari}\n"
        )


def _entries_unescaped(slapd, user_filter: str, typed: str) -> list[str]:
    """The entries the filter would find with ``typed`` put in as is (never done by sopflow)."""
    conn = Connection(slapd.url, user=SERVICE_DN, password=SERVICE_PW, auto_bind=True)
    try:
        conn.search(PEOPLE, user_filter.format(username=typed), attributes=["uid"])
        return [entry.entry_dn for entry in conn.entries]
    finally:
        conn.unbind()


ONLY_SARI = "(&(uid={username})(mail=sari@kantor.test))"


@pytest.mark.parametrize(
    "typed, owner, user_filter",
    [
        ("*", "sari", ONLY_SARI),  # a wildcard that finds exactly one person
        ("s*", "sari", "(uid={username})"),
        ("*ari", "sari", "(uid={username})"),
        ("bud*", "budi", "(uid={username})"),
        ("*)(uid=*", "sari", ONLY_SARI),
        ("budi)(|(uid=*", "budi", "(uid={username})"),
    ],
)
def test_ldap_injection_in_the_username_finds_nobody(ldap_app, slapd, typed, owner, user_filter):
    ldap_app.config["LDAP"] = slapd.settings(user_filter=user_filter)
    if "(" not in typed:
        # Put in as is, the typed name would find exactly the owner's entry, whose password
        # then signs in: the refusal below is the escaping's doing.
        assert _entries_unescaped(slapd, user_filter, typed) == [f"uid={owner},{PEOPLE}"]
    for person, password in PASSWORDS.items():
        response = _login(ldap_app, typed, password)
        assert response.status_code == 401, person
        assert WRONG in _body(response)
    with ldap_app.app_context():
        assert db.session.scalar(select(User).where(User.auth_source == "ldap")) is None
        failed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
        ).all()
        assert [e.detail["username"] for e in failed] == [typed.lower()] * len(PASSWORDS)


def test_directory_down_gives_a_clear_message_and_the_local_admin_still_logs_in(ldap_app, slapd):
    ldap_app.config["LDAP"] = slapd.settings(urls=[f"ldap://127.0.0.1:{closed_port()}"])
    ldap_app.config["LOCAL_LOGIN"] = "admins"
    response = _login(ldap_app, "budi", PASSWORDS["budi"])
    assert response.status_code == 503
    assert "Direktori kantor tidak dapat dihubungi" in _body(response)
    assert _failed_attempts(ldap_app, "budi") == 0  # not the person's fault: not throttled
    # The break-glass administrator's local password still works ...
    assert _login(ldap_app, "admin1", "demo").status_code == 302
    # ... but not a local account outside the admin role.
    refused = _login(ldap_app, "tim1", "demo")
    assert refused.status_code == 403
    assert "tidak diizinkan" in _body(refused)


def test_a_directory_that_hangs_is_given_up_after_the_timeout(ldap_app, slapd):
    ldap_app.config["LDAP"] = slapd.settings(timeout=1.0)
    with slapd.hung(), deadline(20):
        response = _login(ldap_app, "budi", PASSWORDS["budi"])
    assert response.status_code == 503
    assert "Direktori kantor tidak dapat dihubungi" in _body(response)
    # Once it answers again, so does the log-in.
    assert _login(ldap_app, "budi", PASSWORDS["budi"]).status_code == 302


def test_a_wrong_service_account_password_reads_as_the_directory_unreachable(ldap_app, slapd):
    ldap_app.config["LDAP"] = slapd.settings(bind_password="salah")
    response = _login(ldap_app, "budi", PASSWORDS["budi"])
    assert response.status_code == 503
    assert "Direktori kantor tidak dapat dihubungi" in _body(response)
    assert "salah" not in _body(response).replace(WRONG, "")


def test_local_login_off_refuses_local_passwords_and_the_directory_still_works(ldap_app):
    ldap_app.config["LOCAL_LOGIN"] = "off"
    for username in ("admin1", "tim1"):
        response = _login(ldap_app, username, "demo")
        assert response.status_code == 403, username
        assert "tidak diizinkan" in _body(response)
    # A wrong local password still reads as a wrong password (nothing told to a guesser).
    assert _login(ldap_app, "admin1", "salah").status_code == 401
    assert _login(ldap_app, "budi", PASSWORDS["budi"]).status_code == 302


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password hash checks a log-in makes (the local one and the stand-in alike)."""
    from webapp.models import user as user_model
    from webapp.services import password_login

    checks: list[str] = []

    def counted(pwhash, password):
        checks.append(pwhash.split("$", 1)[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(user_model, "check_password_hash", counted)
    monkeypatch.setattr(password_login, "check_password_hash", counted, raising=False)
    return checks


@pytest.mark.parametrize("with_directory", [False, True])
def test_an_unknown_name_costs_one_password_hash_check_like_a_known_one(
    app, slapd, hash_checks, with_directory
):
    # No telling by the time taken which local names exist: an unknown one is checked against
    # a stand-in hash of the same method.
    if with_directory:
        app.config["LDAP"] = slapd.settings()
    assert _login(app, "tim1", "salah").status_code == 401
    known = list(hash_checks)
    hash_checks.clear()
    assert _login(app, "tidak-ada", "salah").status_code == 401
    assert len(known) == 1 and hash_checks == known  # one check, the same method
    hash_checks.clear()
    with app.app_context():
        db.session.add(User(username="sso1", auth_source="oidc", password_hash="!x"))
        db.session.commit()
    assert _login(app, "sso1", "salah").status_code == 401
    assert hash_checks == known


def test_local_login_on_still_lets_every_local_account_in(ldap_app):
    assert _login(ldap_app, "tim1", "demo").status_code == 302


def test_without_directory_and_local_login_off_there_is_no_password_form(app):
    app.config["LOCAL_LOGIN"] = "off"
    page = app.test_client().get("/login")
    assert page.status_code == 200
    assert 'name="password"' not in _body(page)
    response = _login(app, "admin1", "demo")
    assert response.status_code == 403


def test_directory_log_ins_are_throttled_like_local_ones(ldap_app):
    for _ in range(5):
        assert _login(ldap_app, "budi", "salah").status_code == 401
    response = _login(ldap_app, "budi", PASSWORDS["budi"])
    assert response.status_code == 429
    assert _user(ldap_app, "budi") is None


def test_a_directory_account_cannot_change_its_password_in_sopflow(ldap_app):
    client = ldap_app.test_client()
    client.post("/login", data={"username": "budi", "password": PASSWORDS["budi"]})
    page = client.get("/account/password")
    assert page.status_code == 200
    assert "direktori kantor" in _body(page)
    assert 'name="current_password"' not in _body(page)
    response = client.post(
        "/account/password",
        data={"current_password": "x", "password": "baru-sekali-2026", "password_confirm": "x"},
    )
    assert response.status_code == 403


def test_a_local_account_is_never_taken_over_by_the_directory(ldap_app, slapd):
    # The directory knows "tim1" too; sopflow's local tim1 keeps logging in with its own password
    # and the directory's password for tim1 does not work.
    slapd.modify(
        f"dn: uid=tim1,{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: tim1\n"
        "cn: Tim Satu\nsn: Satu\nuserPassword: sandi-direktori\n"
    )
    try:
        assert _login(ldap_app, "tim1", "sandi-direktori").status_code == 401
        assert _login(ldap_app, "tim1", "demo").status_code == 302
        assert _user(ldap_app, "tim1").auth_source == "local"
    finally:
        slapd.modify(f"dn: uid=tim1,{PEOPLE}\nchangetype: delete\n")


def test_settings_refuse_bad_directory_combinations(monkeypatch, tmp_path):
    monkeypatch.setenv("SOPFLOW_LOCAL_LOGIN", "kadang")
    with pytest.raises(ConfigError, match="LOCAL_LOGIN"):
        build_config(str(tmp_path))
    monkeypatch.setenv("SOPFLOW_LOCAL_LOGIN", "admins")
    monkeypatch.setenv("SOPFLOW_LDAP_URL", "ldap://127.0.0.1:389")
    with pytest.raises(ConfigError, match="LDAP_BASE_DN"):
        build_config(str(tmp_path))
    monkeypatch.setenv("SOPFLOW_LDAP_BASE_DN", "dc=kantor,dc=test")
    monkeypatch.setenv("SOPFLOW_LDAP_USER_FILTER", "(uid=budi)")
    with pytest.raises(ConfigError, match="username"):
        build_config(str(tmp_path))
    monkeypatch.setenv("SOPFLOW_LDAP_USER_FILTER", "uid={username}")  # no parentheses
    with pytest.raises(ConfigError, match="not a valid LDAP filter"):
        build_config(str(tmp_path))
    monkeypatch.delenv("SOPFLOW_LDAP_USER_FILTER")
    monkeypatch.setenv("SOPFLOW_LDAP_DISABLED_FILTER", "(employeeType=nonaktif")
    with pytest.raises(ConfigError, match="LDAP_DISABLED_FILTER"):
        build_config(str(tmp_path))
    monkeypatch.delenv("SOPFLOW_LDAP_DISABLED_FILTER")
    monkeypatch.setenv("SOPFLOW_LDAP_ROLE_MAP", "sopflow-tim")
    with pytest.raises(ConfigError, match="ROLE_MAP"):
        build_config(str(tmp_path))
    monkeypatch.setenv("SOPFLOW_LDAP_ROLE_MAP", "sopflow-tim=Tim;sopflow-ketua=Ketua Tim")
    monkeypatch.setenv("SOPFLOW_LDAP_URL", "ldaps://dc1.kantor.test ldaps://dc2.kantor.test")
    config = build_config(str(tmp_path))
    assert config["LOCAL_LOGIN"] == "admins"
    assert config["LDAP"]["urls"] == ["ldaps://dc1.kantor.test", "ldaps://dc2.kantor.test"]
    assert config["LDAP"]["role_map"] == {"sopflow-tim": ["Tim"], "sopflow-ketua": ["Ketua Tim"]}


def test_a_directory_name_sopflow_cannot_use_is_refused_plainly_and_audited(ldap_app, slapd):
    # Found by its cn, "Budi Santoso" is the directory's person, but not a sopflow username.
    ldap_app.config["LDAP"] = slapd.settings(user_filter="(cn={username})")
    response = _login(ldap_app, "Budi Santoso", PASSWORDS["budi"])
    assert response.status_code == 403
    assert "nama pengguna yang dapat dipakai" in _body(response)
    with ldap_app.app_context():
        assert db.session.scalar(select(User).where(User.auth_source == "ldap")) is None
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.identity_refused")
        ).all()
        assert event.detail == {"reason": "username", "source": "ldap", "username": "Budi Santoso"}


def test_a_session_planted_before_a_directory_log_in_does_not_carry_over(ldap_app):
    client = ldap_app.test_client()
    with client.session_transaction() as planted:
        planted["sid"] = "ditanam-penyerang"
        planted["planted"] = True
    response = client.post(
        "/login?next=//evil.example/", data={"username": "budi", "password": PASSWORDS["budi"]}
    )
    assert response.headers["Location"] == "/"
    with client.session_transaction() as after:
        assert "planted" not in after
        assert "oidc" not in after


@pytest.mark.parametrize("username", ["budi" + " " * 70, "b" * 65, "budi" + "x" * 300])
def test_a_name_longer_than_any_account_reads_as_a_wrong_one_not_a_silent_page(ldap_app, username):
    # Not cut to 64 characters: what is left could be someone's name.
    response = _login(ldap_app, username, PASSWORDS["budi"])
    assert response.status_code == 401
    assert WRONG in _body(response)
    assert _user(ldap_app, "budi") is None
    with ldap_app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
        ).all()
    assert event.detail["reason"] == "too_long"
    assert event.detail["username"] == username.strip()[:64]


def test_a_password_longer_than_any_reads_as_a_wrong_one_and_is_audited(ldap_app):
    response = _login(ldap_app, "budi", "x" * 201)
    assert response.status_code == 401 and WRONG in _body(response)
    with ldap_app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
        ).all()
    assert (event.detail["reason"], event.detail["username"]) == ("too_long", "budi")


def test_an_empty_field_is_said(ldap_app):
    response = _login(ldap_app, "budi", "")
    assert response.status_code == 400
    assert "Isi nama pengguna dan kata sandi." in _body(response)


def test_local_log_in_off_without_sso_or_directory_refuses_to_start(monkeypatch, tmp_path):
    # Nobody, the administrators included, could log in: the app says so before it serves.
    monkeypatch.setenv("SOPFLOW_LOCAL_LOGIN", "off")
    with pytest.raises(ConfigError, match="nobody could log in"):
        build_config(str(tmp_path))
    monkeypatch.setenv("SOPFLOW_LDAP_URL", "ldap://127.0.0.1:389")
    monkeypatch.setenv("SOPFLOW_LDAP_BASE_DN", "dc=kantor,dc=test")
    assert build_config(str(tmp_path))["LOCAL_LOGIN"] == "off"
    monkeypatch.delenv("SOPFLOW_LDAP_URL")
    monkeypatch.setenv("SOPFLOW_OIDC_ISSUER", "https://sso.kantor.test")
    monkeypatch.setenv("SOPFLOW_OIDC_CLIENT_ID", "sopflow")
    assert build_config(str(tmp_path))["LOCAL_LOGIN"] == "off"


def test_a_directory_account_deactivated_in_sopflow_stays_out_with_the_right_password(ldap_app):
    assert _login(ldap_app, "budi", PASSWORDS["budi"]).status_code == 302
    with ldap_app.app_context():
        db.session.scalar(select(User).where(User.username == "budi")).active = False
        db.session.commit()
    response = _login(ldap_app, "budi", PASSWORDS["budi"])
    assert response.status_code == 403
    assert "Akun Anda di sopflow dinonaktifkan" in _body(response)
    with ldap_app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.identity_refused")
        ).all()
        assert (event.user_id, event.detail["reason"]) == (
            _user(ldap_app, "budi").id,
            "deactivated",
        )


def test_a_username_in_capitals_is_the_same_person_on_every_database(ldap_app):
    # Usernames are stored in lower case; PostgreSQL and SQLite compare case-sensitively.
    assert _login(ldap_app, "ADMIN1", "demo").status_code == 302
    assert _login(ldap_app, "Budi", PASSWORDS["budi"]).status_code == 302
    assert _login(ldap_app, "BUDI", PASSWORDS["budi"]).status_code == 302
    with ldap_app.app_context():
        assert db.session.scalars(
            select(User.username).where(User.auth_source == "ldap")
        ).all() == ["budi"]


def test_a_local_account_is_not_reached_through_the_directory_in_capitals(ldap_app, slapd):
    # The directory knows tim1 too: "TIM1" with the directory's password is still the local
    # tim1, checked against its own password, never the directory's.
    slapd.modify(
        f"dn: uid=tim1,{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: tim1\n"
        "cn: Tim Satu\nsn: Satu\nuserPassword: sandi-direktori\n"
    )
    try:
        assert _login(ldap_app, "TIM1", "sandi-direktori").status_code == 401
        assert _user(ldap_app, "tim1").auth_source == "local"
        with ldap_app.app_context():
            assert not db.session.scalars(select(User).where(User.auth_source == "ldap")).all()
    finally:
        slapd.modify(f"dn: uid=tim1,{PEOPLE}\nchangetype: delete\n")


def _no_pool_sleep(seconds):
    raise AssertionError(f"the log-in slept {seconds} s waiting for the directory servers")


def test_with_two_directory_servers_a_dead_first_one_is_passed_over(ldap_app, slapd, monkeypatch):
    # Two domain controllers, as SOPFLOW_LDAP_URL lists them: the first does not answer.
    dead = f"ldap://127.0.0.1:{closed_port()}"
    ldap_app.config["LDAP"] = slapd.settings(urls=[dead, slapd.url])
    assert _login(ldap_app, "budi", PASSWORDS["budi"]).status_code == 302
    assert _user(ldap_app, "budi").role_names == {"Ketua Tim"}
    # Both dead: the plain message, not a wrong password, and at once: ldap3's server pool
    # slept 10 s before giving up, holding a web worker per log-in while the directory is down.
    ldap_app.config["LDAP"] = slapd.settings(urls=[dead, f"ldap://127.0.0.1:{closed_port()}"])
    monkeypatch.setattr(ldap3.core.pooling, "sleep", _no_pool_sleep)
    response = _login(ldap_app, "sari", PASSWORDS["sari"])
    assert response.status_code == 503
    assert "Direktori kantor tidak dapat dihubungi" in _body(response)


def test_a_connection_that_cannot_be_closed_does_not_break_the_log_in(ldap_app, slapd, monkeypatch):
    # Closing a connection whose socket already broke raises (LDAPSocketSendError): the dead
    # first server is still passed over, and the log-in still ends, not in an error page.
    def broken_unbind(self, controls=None):
        raise LDAPSocketSendError("socket sending error")

    monkeypatch.setattr(Connection, "unbind", broken_unbind)
    ldap_app.config["LDAP"] = slapd.settings(urls=[f"ldap://127.0.0.1:{closed_port()}", slapd.url])
    assert _login(ldap_app, "budi", PASSWORDS["budi"]).status_code == 302
    assert _user(ldap_app, "budi").role_names == {"Ketua Tim"}


@contextmanager
def _silent_server():
    """A TCP port that accepts connections and never answers (a hung domain controller)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes the handshake; nothing ever reads or writes
        yield f"ldap://127.0.0.1:{listener.getsockname()[1]}"


def test_with_a_hung_first_directory_server_the_second_logs_the_person_in(ldap_app, slapd):
    with _silent_server() as hung, deadline(30):
        ldap_app.config["LDAP"] = slapd.settings(urls=[hung, slapd.url], timeout=1.0)
        response = _login(ldap_app, "budi", PASSWORDS["budi"])
    assert response.status_code == 302
    assert _user(ldap_app, "budi").role_names == {"Ketua Tim"}
