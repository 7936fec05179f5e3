"""Single sign-on with OpenID Connect (issue 16, point 1), against a real provider the tests
start on 127.0.0.1 (tests/oidc/provider.mjs: the npm package ``oidc-provider``).

Each test walks the authorization code flow hop by hop: sopflow through Flask's test client,
the provider over HTTP, every redirect followed by hand.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import demo_app, suite_config
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, ROLE_MAP, Browser, free_port
from tests.oidc_provider import running_provider as start_provider
from webapp.config import ConfigError, build_config
from webapp.extensions import db
from webapp.models import AuditEvent, Role, User, UserSession

SOPFLOW = "http://sopflow.test"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with start_provider(tmp_path_factory.mktemp("oidc"), SOPFLOW) as running:
        yield running


def _sso_env(monkeypatch, issuer: str) -> None:
    monkeypatch.setenv("SOPFLOW_OIDC_ISSUER", issuer)
    monkeypatch.setenv("SOPFLOW_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SOPFLOW_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SOPFLOW_OIDC_ROLE_MAP", ROLE_MAP)
    monkeypatch.setenv("SOPFLOW_OIDC_TIMEOUT", "3")


def _make_app(database_url, tmp_path):
    return demo_app(suite_config(database_url, tmp_path / "attachments", BASE_URL=SOPFLOW))


@pytest.fixture
def sso_app(database_url, tmp_path, monkeypatch, provider):
    """The suite's app (demo users, fresh database) with single sign-on at ``provider``."""
    provider.reset_accounts()
    _sso_env(monkeypatch, provider.issuer)
    app = _make_app(database_url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _browser(app) -> Browser:
    return Browser(SOPFLOW, client=app.test_client())


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            _ = user.role_names  # loaded before the session closes
        return user


def _flashes(text: str) -> str:
    found = re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', text, re.S)
    return html.unescape(" ".join(found))


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            event.detail
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def _sso_failures(app) -> list[str]:
    return [detail["reason"] for detail in _audit(app, "auth.sso_failed")]


def _signed_in(browser: Browser) -> bool:
    return browser.go("GET", "/").path != "/login"


# --- the flow ---------------------------------------------------------------------------------


def test_the_log_in_page_shows_the_sso_button_and_starts_the_flow_with_pkce(sso_app, provider):
    browser = _browser(sso_app)
    page = browser.go("GET", "/login")
    assert "Masuk dengan SSO kantor" in page.text
    status, location = browser.step("GET", "/login/oidc")
    assert status == 302
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}" == provider.issuer
    query = parse_qs(url.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"{SOPFLOW}/login/oidc/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url SHA-256
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()


def test_first_log_in_creates_the_user_with_mapped_roles_and_lands_on_the_worklist(sso_app):
    assert _user(sso_app, "budi") is None
    browser = _browser(sso_app)
    page = browser.sso_log_in("budi")
    assert page.status == 200 and page.path == "/", (page.url, _flashes(page.text))
    assert "Budi Santoso" in page.text
    user = _user(sso_app, "budi")
    assert user.auth_source == "oidc"
    assert user.external_id.endswith("|3f6c1d2e-budi")
    assert (user.full_name, user.email) == ("Budi Santoso", "budi@kantor.test")
    assert user.role_names == {"Tim", "Ketua Tim"}
    with sso_app.app_context():
        events = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.user_id == user.id)
        ).all()
    assert "auth.account_created" in events and "auth.login" in events
    # The session is a real server-side one, like a password log-in's.
    with sso_app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
            )
            == 1
        )


def test_second_log_in_updates_name_email_and_roles_keeping_a_hand_given_role(sso_app, provider):
    assert _browser(sso_app).sso_log_in("budi").path == "/"
    with sso_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "budi"))
        user.roles.append(db.session.scalar(select(Role).where(Role.name == "process_owner")))
        db.session.commit()
    provider.set_account(
        "budi",
        name="Budi Santoso, S.Kom.",
        email="budi.santoso@kantor.test",
        groups=["sopflow-ketua", "pegawai"],  # left the team
    )
    page = _browser(sso_app).sso_log_in("budi")
    assert page.path == "/", _flashes(page.text)
    user = _user(sso_app, "budi")
    assert (user.full_name, user.email) == ("Budi Santoso, S.Kom.", "budi.santoso@kantor.test")
    assert user.role_names == {"Ketua Tim", "process_owner"}
    with sso_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 7  # 6 demo + budi


def test_roles_can_come_from_a_nested_claim_such_as_keycloaks_realm_roles(
    database_url, tmp_path, monkeypatch, provider
):
    provider.reset_accounts()
    provider.set_account("sari", realm_access={"roles": ["offline_access", "sopflow-tim"]})
    _sso_env(monkeypatch, provider.issuer)
    monkeypatch.setenv("SOPFLOW_OIDC_GROUPS_CLAIM", "realm_access.roles")
    app = _make_app(database_url, tmp_path)
    assert _browser(app).sso_log_in("sari").path == "/"
    assert _user(app, "sari").role_names == {"Tim"}


def test_a_person_without_a_mapped_role_gets_in_and_is_told_to_ask_for_one(sso_app):
    page = _browser(sso_app).sso_log_in("sari")
    assert page.path == "/"
    assert "belum mempunyai peran" in _flashes(page.text)
    assert _user(sso_app, "sari").role_names == set()


def test_a_wrong_password_at_the_provider_stays_there(sso_app):
    browser = _browser(sso_app)
    page = browser.sign_in_at_provider(browser.press_sso_button(), "budi", "salah")
    assert "/interaction/" in page.url and "salah" in page.text
    assert _user(sso_app, "budi") is None


def test_with_local_log_in_off_the_button_alone_logs_in(sso_app):
    sso_app.config["LOCAL_LOGIN"] = "off"  # no passwords kept in sopflow, no directory
    browser = _browser(sso_app)
    login = browser.go("GET", "/login").text
    assert 'id="password"' not in login and 'id="sso-login"' in login
    assert "Atau masuk dengan nama pengguna" not in login
    page = browser.sso_log_in("budi")
    assert page.path == "/" and "Budi Santoso" in page.text


def test_the_page_asked_for_before_log_in_opens_after_it(sso_app):
    browser = _browser(sso_app)
    assert browser.go("GET", "/notifications").path == "/login"
    login = browser.go("GET", "/login?next=/notifications")
    assert "next=/notifications" in html.unescape(login.text)
    at_provider = browser.go("GET", "/login/oidc?next=/notifications")
    page = browser.sign_in_at_provider(at_provider, "budi", "sandi-budi")
    assert page.path == "/notifications"


def test_a_session_planted_before_log_in_does_not_carry_over(sso_app):
    # Session fixation: whatever the anonymous cookie held (a planted server-side session id
    # included) is dropped, and the log-in gets a session of its own.
    browser = _browser(sso_app)
    with browser.client.session_transaction() as planted:
        planted["sid"] = "ditanam-penyerang"
        planted["planted"] = True
    assert browser.sso_log_in("budi").path == "/"
    with browser.client.session_transaction() as after:
        assert "planted" not in after
        assert after["oidc"] is True and after["oidc_id_token"].count(".") == 2
    [login] = _audit(sso_app, "auth.login")
    assert login["session_id"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_a_next_address_off_this_site_is_not_followed_after_sso(sso_app, target):
    browser = _browser(sso_app)
    at_provider = browser.go("GET", "/login/oidc?" + urlencode({"next": target}))
    page = browser.sign_in_at_provider(at_provider, "budi", "sandi-budi")
    assert page.url == f"{SOPFLOW}/"


# --- refusals ---------------------------------------------------------------------------------


def test_a_wrong_state_is_refused_and_nobody_is_logged_in(sso_app):
    browser = _browser(sso_app)
    at_provider = browser.press_sso_button()
    # Sign in at the provider, but stop at its redirect back to sopflow.
    status, location = browser.step(
        "POST", at_provider.url, {"login": "budi", "password": "sandi-budi", "action": "login"}
    )
    while not location.startswith(SOPFLOW):
        status, location = browser.step("GET", location)
    callback = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    assert query["code"] and query["state"]
    query["state"] = "bukan-state-yang-dikirim"
    page = browser.go("GET", f"{callback.path}?{urlencode(query)}")
    assert page.path == "/login"
    assert "state tidak cocok" in _flashes(page.text)
    assert not _signed_in(browser)
    assert _user(sso_app, "budi") is None


def test_a_callback_nobody_started_is_refused(sso_app):
    browser = _browser(sso_app)
    page = browser.go("GET", "/login/oidc/callback?code=abc&state=xyz")
    assert page.path == "/login" and "state tidak cocok" in _flashes(page.text)
    assert not _signed_in(browser)


def test_denying_at_the_provider_comes_back_with_a_plain_message(sso_app):
    browser = _browser(sso_app)
    page = browser.sign_in_at_provider(browser.press_sso_button(), "", "", action="deny")
    assert page.path == "/login"
    assert "dibatalkan atau ditolak" in _flashes(page.text)
    assert not _signed_in(browser)


def test_a_local_account_with_the_same_username_is_refused_not_taken_over(sso_app):
    page = _browser(sso_app).sso_log_in("ketua1")
    assert page.path == "/login"
    message = _flashes(page.text)
    assert "ketua1" in message and "tidak diambil alih" in message
    ketua = _user(sso_app, "ketua1")
    assert (ketua.auth_source, ketua.external_id) == ("local", None)
    assert ketua.role_names == {"Ketua Tim"}  # not the provider's admin group
    assert _sso_failures(sso_app) == ["conflict"]
    [conflict] = _audit(sso_app, "auth.identity_conflict")
    assert conflict == {"username": "ketua1", "source": "oidc", "existing_source": "local"}


def test_an_account_deactivated_in_sopflow_stays_out_whatever_the_provider_says(sso_app):
    assert _browser(sso_app).sso_log_in("budi").path == "/"
    with sso_app.app_context():
        db.session.scalar(select(User).where(User.username == "budi")).active = False
        db.session.commit()
    browser = _browser(sso_app)
    page = browser.sso_log_in("budi")
    assert page.path == "/login" and "dinonaktifkan" in _flashes(page.text)
    assert not _signed_in(browser)


def test_an_address_the_provider_has_not_verified_is_not_kept(sso_app, provider):
    provider.set_account("sari", email="siapa@contoh.test", email_verified=False)
    assert _browser(sso_app).sso_log_in("sari").path == "/"
    assert _user(sso_app, "sari").email == ""


def test_a_provider_that_cannot_be_reached_is_said_plainly_on_the_log_in_page(
    database_url, tmp_path, monkeypatch
):
    _sso_env(monkeypatch, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    app = _make_app(database_url, tmp_path)
    browser = _browser(app)
    page = browser.press_sso_button()
    assert page.status == 200 and page.path == "/login"
    assert "tidak dapat dihubungi" in _flashes(page.text)
    assert "Traceback" not in page.text
    # The password form goes on working for the break-glass administrator.
    response = app.test_client().post("/login", data={"username": "admin1", "password": "demo"})
    assert response.status_code == 302


# --- log-out ----------------------------------------------------------------------------------


def test_log_out_ends_the_session_and_the_providers(sso_app, provider):
    browser = _browser(sso_app)
    assert browser.sso_log_in("budi").path == "/"
    old_cookie = browser.client.get_cookie("session").value
    page = browser.go("POST", "/logout")
    # A page that sends the browser on (a form's redirect to another site would be stopped by
    # the CSP's form-action 'self'), by itself and by a button.
    assert page.path == "/logout" and page.status == 200
    location = html.unescape(re.search(r'id="sso-logout" href="([^"]+)"', page.text).group(1))
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page.text)
    assert html.unescape(refresh.group(1)) == location
    end = urlsplit(location)
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{provider.issuer}/session/end"
    query = parse_qs(end.query)
    assert query["post_logout_redirect_uri"] == [f"{SOPFLOW}/login"]
    assert query["id_token_hint"][0].count(".") == 2  # the ID token sopflow got
    # The old cookie is worthless now, even replayed by someone who copied it.
    replay = sso_app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/").headers["Location"].startswith("/login")
    with sso_app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "budi"))
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(UserSession)
                .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            )
            == 0
        )
    # At the provider: confirm the log-out, and come back to sopflow's log-in page.
    confirm = browser.go("GET", location)
    form = re.search(r'<form[^>]*action="([^"]+)"', confirm.text)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', confirm.text))
    back = browser.go("POST", form.group(1), {**fields, "logout": "yes"})
    assert back.url == f"{SOPFLOW}/login"
    # The provider's own session is over: the next log-in asks for the password again.
    assert "/interaction/" in browser.press_sso_button().url


def test_a_password_log_out_is_unchanged_by_single_sign_on(sso_app):
    client = sso_app.test_client()
    assert client.post("/login", data={"username": "tim1", "password": "demo"}).status_code == 302
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"


# --- settings ---------------------------------------------------------------------------------


def test_without_an_issuer_there_is_no_button_and_no_route(app):
    client = app.test_client()
    assert "SSO" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=a&state=b").status_code == 404


@pytest.mark.parametrize(
    "env, fault",
    [
        ({"OIDC_ISSUER": "https://sso.kantor.test"}, "OIDC_CLIENT_ID"),
        ({"OIDC_ISSUER": "sso.kantor.test", "OIDC_CLIENT_ID": "x"}, "OIDC_ISSUER"),
        (
            {"OIDC_ISSUER": "https://sso.kantor.test", "OIDC_CLIENT_ID": "x", "OIDC_SCOPES": "a"},
            "OIDC_SCOPES",
        ),
        ({"OIDC_ROLE_MAP": "sopflow-tim"}, "OIDC_ROLE_MAP"),
        ({"OIDC_TIMEOUT": "0"}, "OIDC_TIMEOUT"),
        (
            {
                "ENV": "production",
                "SECRET_KEY": "k",
                "OIDC_ISSUER": "http://sso.kantor.test",
                "OIDC_CLIENT_ID": "x",
            },
            "https",
        ),
    ],
)
def test_bad_settings_fail_fast(monkeypatch, tmp_path, env, fault):
    for name, value in env.items():
        monkeypatch.setenv(f"SOPFLOW_{name}", value)
    with pytest.raises(ConfigError, match=fault):
        build_config(str(tmp_path))


def test_a_provider_that_names_another_issuer_is_not_trusted(
    database_url, tmp_path, monkeypatch, provider
):
    # The same server under another name: its discovery document names 127.0.0.1, not the
    # configured issuer, so its tokens are not trusted and nothing starts.
    _sso_env(monkeypatch, provider.issuer.replace("127.0.0.1", "localhost"))
    app = _make_app(database_url, tmp_path)
    page = _browser(app).press_sso_button()
    assert page.path == "/login"
    assert "Pengaturan SSO tidak cocok" in _flashes(page.text)


# --- what the provider says that sopflow cannot take --------------------------------------------


def test_a_subject_too_long_for_sopflow_is_a_plain_refusal_not_an_error_page(sso_app, provider):
    provider.set_account("sari", sub="8a1b2c3d-" + "x" * 300)
    browser = _browser(sso_app)
    page = browser.sso_log_in("sari")
    assert page.status == 200 and page.path == "/login"
    message = _flashes(page.text)
    assert "terlalu panjang" in message and message.count(".") == 1
    assert not _signed_in(browser)
    assert _user(sso_app, "sari") is None
    assert _sso_failures(sso_app) == ["external_id"]
    [refusal] = _audit(sso_app, "auth.identity_refused")
    assert refusal["reason"] == "external_id" and refusal["length"] > 255


def test_the_refusal_reads_in_english_for_an_english_reader(sso_app, provider):
    provider.set_account("sari", sub="8a1b2c3d-" + "x" * 300)
    browser = _browser(sso_app)
    browser.go("POST", "/lang/en")
    page = browser.sso_log_in("sari")
    assert "The identity provider gave an account identifier too long" in _flashes(page.text)


def test_a_very_long_name_and_email_from_the_provider_do_not_break_the_log_in(sso_app, provider):
    provider.set_account("sari", name="Sari " + "W" * 400, email="s" * 260 + "@kantor.test")
    page = _browser(sso_app).sso_log_in("sari")
    assert page.path == "/", _flashes(page.text)
    sari = _user(sso_app, "sari")
    assert sari.full_name == ("Sari " + "W" * 400)[:200] and sari.email == ""


@pytest.fixture
def email_usernames(sso_app):
    """Usernames from the e-mail claim, as with Google Workspace."""
    sso_app.config["OIDC"] = {**sso_app.config["OIDC"], "username_claim": "email"}
    return sso_app


def test_a_verified_email_becomes_the_username(email_usernames):
    assert _browser(email_usernames).sso_log_in("sari").path == "/"
    assert _user(email_usernames, "sari@kantor.test").auth_source == "oidc"


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_is_never_a_username(email_usernames, provider, verified):
    # A person may type any address at many providers; unverified, it could be someone else's.
    if verified is None:
        provider.drop_claims("sari", "email_verified")  # the provider does not say
    else:
        provider.set_account("sari", email_verified=verified)
    browser = _browser(email_usernames)
    page = browser.sso_log_in("sari")
    assert page.path == "/login" and not _signed_in(browser)
    assert "belum diverifikasi" in _flashes(page.text)
    assert _user(email_usernames, "sari@kantor.test") is None
    assert _sso_failures(email_usernames) == ["email_unverified"]


def test_an_unverified_email_does_not_link_an_account_made_ahead_for_it(email_usernames, provider):
    with email_usernames.app_context():
        db.session.add(
            User(username="budi@kantor.test", auth_source="oidc", password_hash="!x", full_name="B")
        )
        db.session.commit()
    # sari's provider account claims budi's address, unverified.
    provider.set_account("sari", email="budi@kantor.test", email_verified=False)
    page = _browser(email_usernames).sso_log_in("sari")
    assert page.path == "/login" and "belum diverifikasi" in _flashes(page.text)
    assert _user(email_usernames, "budi@kantor.test").external_id is None


def test_a_linked_person_whose_email_became_unverified_still_logs_in(email_usernames, provider):
    # Matched by issuer and subject, not by the address: as Keycloak's linked identities.
    assert _browser(email_usernames).sso_log_in("sari").path == "/"
    provider.set_account("sari", email="sari.baru@kantor.test", email_verified=False)
    assert _browser(email_usernames).sso_log_in("sari").path == "/"
    sari = _user(email_usernames, "sari@kantor.test")
    assert sari.email == "sari@kantor.test"  # the unverified new address is not taken


@pytest.mark.parametrize("verified", [False, "false"])
def test_an_unverified_email_as_the_preferred_username_is_never_a_username(
    sso_app, provider, verified
):
    # Keycloak's "email as username": preferred_username is the address the person typed.
    with sso_app.app_context():
        db.session.add(
            User(username="budi@kantor.test", auth_source="oidc", password_hash="!x", full_name="B")
        )
        db.session.commit()
    for address in ("Budi@Kantor.test", "siapa@kantor.test"):  # made ahead, and nobody's yet
        provider.set_account(
            "sari", preferred_username=address, email=address.lower(), email_verified=verified
        )
        browser = _browser(sso_app)
        page = browser.sso_log_in("sari")
        assert page.path == "/login" and not _signed_in(browser)
        assert "belum diverifikasi" in _flashes(page.text)
    assert _user(sso_app, "budi@kantor.test").external_id is None
    assert _user(sso_app, "siapa@kantor.test") is None
    assert _sso_failures(sso_app) == ["email_unverified"] * 2


def test_a_verified_email_as_the_preferred_username_logs_in(sso_app, provider):
    provider.set_account("sari", preferred_username="sari@kantor.test")
    assert _browser(sso_app).sso_log_in("sari").path == "/"
    assert _user(sso_app, "sari@kantor.test").auth_source == "oidc"


def _groups_elsewhere(provider, login: str) -> None:
    """Have the provider send ``login``'s groups as a distributed claim, as Azure AD does past
    200 groups (the token names a source to ask instead of listing them)."""
    provider.drop_claims(login, "groups")
    provider.set_account(
        login,
        _claim_names={"groups": "src1"},
        _claim_sources={"src1": {"endpoint": "https://graph.kantor.test/v1.0/me/memberOf"}},
    )


def test_groups_the_provider_keeps_elsewhere_do_not_strip_the_roles(sso_app, provider):
    assert _browser(sso_app).sso_log_in("budi").path == "/"
    _groups_elsewhere(provider, "budi")
    browser = _browser(sso_app)
    page = browser.sso_log_in("budi")
    assert page.path == "/login" and not _signed_in(browser)
    assert "tidak mengirim daftar grup" in _flashes(page.text)
    assert _user(sso_app, "budi").role_names == {"Tim", "Ketua Tim"}  # untouched
    assert _sso_failures(sso_app) == ["groups_missing"]


def test_without_a_role_map_groups_kept_elsewhere_do_not_matter(sso_app, provider):
    sso_app.config["OIDC"] = {**sso_app.config["OIDC"], "role_map": {}}
    _groups_elsewhere(provider, "sari")
    assert _browser(sso_app).sso_log_in("sari").path == "/"


def test_a_sign_on_completed_over_a_live_session_ends_that_session_on_the_server(sso_app):
    # A single sign-on started in one tab and finished after the browser was signed in
    # (another tab, another account): the old session's cookie is dropped, and a copy of it
    # must not live on either.
    browser = _browser(sso_app)
    at_provider = browser.press_sso_button()  # the flow's state is in this browser's cookie
    other = sso_app.test_client()
    assert other.post("/login", data={"username": "unit1", "password": "demo"}).status_code == 302
    with other.session_transaction() as signed_in:
        live = dict(signed_in)
    with browser.client.session_transaction() as held:
        held.update(live)
    old_cookie = browser.client.get_cookie("session").value
    assert _signed_in(Browser(SOPFLOW, client=_replayed(sso_app, old_cookie)))

    page = browser.sign_in_at_provider(at_provider, "budi", "sandi-budi")
    assert page.path == "/" and "Budi Santoso" in page.text

    assert not _signed_in(Browser(SOPFLOW, client=_replayed(sso_app, old_cookie)))
    unit1 = _user(sso_app, "unit1")
    with sso_app.app_context():
        [ended] = db.session.scalars(
            select(UserSession).where(
                UserSession.user_id == unit1.id, UserSession.ended_at.is_not(None)
            )
        ).all()
    assert ended.end_reason == "replaced_by_log_in"
    assert {"session_id": ended.id, "reason": "replaced_by_log_in"} in _audit(
        sso_app, "auth.logout"
    )


def _replayed(app, cookie: str):
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client
