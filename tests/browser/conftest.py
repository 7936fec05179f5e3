"""Browser fixtures: the app served for real (CSRF on), Debian's Chromium, per-user pages."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from tests.conftest import demo_app, missing, suite_config
from webapp.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


class InFlight:
    """WSGI middleware counting requests being served, so a test can wait until none is.

    It can also hold the next POST at the door (``hold_next_post``) until the test releases
    it: the browser then has a request in flight, as over a slow office network.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.count = 0
        self.cond = threading.Condition()
        self._hold: threading.Event | None = None
        self._arrived = threading.Event()

    def __call__(self, environ, start_response):
        with self.cond:
            self.count += 1
            hold = self._hold if environ["REQUEST_METHOD"] == "POST" else None
            if hold is not None:
                self._hold = None  # only the first POST waits
        try:
            if hold is not None:
                self._arrived.set()
                hold.wait(30)
            yield from self.wsgi_app(environ, start_response)
        finally:
            with self.cond:
                self.count -= 1
                self.cond.notify_all()

    def wait_idle(self, timeout: float = 10) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.count == 0, timeout), "server still busy"

    @contextmanager
    def hold_next_post(self) -> Iterator[Callable[[], None]]:
        """Hold the next POST until the block ends; yields a wait-until-it-arrived function."""
        release = threading.Event()
        self._arrived.clear()
        with self.cond:
            self._hold = release

        def arrived(timeout: float = 10) -> None:
            assert self._arrived.wait(timeout), "the POST never reached the server"

        try:
            yield arrived
        finally:
            with self.cond:
                self._hold = None
            release.set()


@pytest.fixture
def live_app(database_url, tmp_path):
    """The app like tests/conftest.py's ``app`` fixture, but with CSRF protection left on."""
    config = suite_config(database_url, tmp_path / "attachments", WTF_CSRF_ENABLED=True)
    app = demo_app(config)
    assert app.config["WTF_CSRF_ENABLED"], "browser tests need real CSRF tokens"
    app.wsgi_app = InFlight(app.wsgi_app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    """Serve ``live_app`` on a free local port in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def server_idle(live_app) -> Callable[[], None]:
    """Wait until the live server has answered every request it received."""
    return live_app.wsgi_app.wait_idle


@pytest.fixture
def hold_next_post(live_app):
    """``with hold_next_post() as arrived:`` keeps the next POST waiting at the server."""
    return live_app.wsgi_app.hold_next_post


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Playwright's sync API)."""
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package"
        missing(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def login(page, base: str, username: str, password: str = "demo") -> None:
    """Sign ``username`` in through the log-in form and wait until the app lets them in."""
    from playwright.sync_api import expect

    if "/login" not in page.url:
        page.goto(f"{base}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#username")).to_have_count(0)
    # The next page has committed but may still be fetching its stylesheet: a layout read now
    # would measure the unstyled page.
    page.wait_for_load_state("load")


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """``new_page(username=None, **context_options)``: a page in a fresh context, logged in.

    Each call is a separate browser context (own cookies and localStorage), like another person
    on another computer. Contexts are closed before the server stops.
    """
    contexts = []

    def make(username: str | None = None, **options):
        context = browser.new_context(locale="id-ID", **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        if username:
            login(page, live_server, username)
        return page

    yield make
    for context in contexts:
        context.close()
