"""Single sign-on in a real browser: the log-in page's SSO button, the provider's own log-in
form (tests/oidc/provider.mjs, the npm package ``oidc-provider`` on 127.0.0.1), and back to
sopflow's worklist, signed in with the roles the provider's groups give."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.browser.conftest import TIMEOUT_MS
from tests.conftest import demo_app, suite_config
from tests.oidc_provider import ACCOUNTS, CLIENT_ID, CLIENT_SECRET, ROLE_MAP, running_provider
from webapp.extensions import db
from webapp.models import User

pytestmark = pytest.mark.browser


class _Later:
    """A WSGI app whose app is set after the server has its port (the provider needs the
    port for its redirect URI before sopflow can be configured with the provider)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def sso_site(database_url, tmp_path, monkeypatch):
    """sopflow served for real (CSRF on) with single sign-on at a provider of its own."""
    wsgi = _Later()
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    with running_provider(tmp_path / "oidc", base) as provider:
        monkeypatch.setenv("SOPFLOW_OIDC_ISSUER", provider.issuer)
        monkeypatch.setenv("SOPFLOW_OIDC_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("SOPFLOW_OIDC_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("SOPFLOW_OIDC_ROLE_MAP", ROLE_MAP)
        config = suite_config(
            database_url, tmp_path / "attachments", WTF_CSRF_ENABLED=True, BASE_URL=base
        )
        app = demo_app(config)
        wsgi.app = app
        thread = threading.Thread(target=server.serve_forever, name="sso-site", daemon=True)
        thread.start()
        try:
            yield app, base
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_the_sso_button_logs_in_at_the_provider_and_lands_on_the_worklist(browser, sso_site):
    from playwright.sync_api import expect

    app, base = sso_site
    context = browser.new_context(locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{base}/login")
        button = page.get_by_role("link", name="Masuk dengan SSO kantor")
        expect(button).to_be_visible()
        button.click()
        # The provider's own page, on its own address.
        expect(page.locator("#login")).to_be_visible()
        assert not page.url.startswith(base)
        page.locator("#login").fill("budi")
        page.locator("#password").fill(ACCOUNTS["budi"]["password"])
        page.locator("#submit").click()
        page.wait_for_url(f"{base}/")
        expect(page.locator("body")).to_contain_text("Budi Santoso")
        expect(page.locator("h1")).to_be_visible()
        expect(page.get_by_role("link", name="Masuk dengan SSO kantor")).to_have_count(0)
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "budi"))
            assert user.auth_source == "oidc"
            assert user.role_names == {"Tim", "Ketua Tim"}
        # Log-out ends sopflow's session and goes on to the provider's: confirmed there, the
        # browser comes back to sopflow's log-in page.
        page.get_by_role("button", name="Keluar").click()
        page.get_by_role("button", name=re.compile("sign me out", re.I)).click()
        page.wait_for_url(f"{base}/login")
        expect(page.get_by_role("link", name="Masuk dengan SSO kantor")).to_be_visible()
        # Signed out for real: the worklist asks for a log-in again.
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/login?"), page.url
    finally:
        context.close()
