"""Logging in with an office directory account in a real browser, against a real slapd."""

from __future__ import annotations

import re

import pytest

from tests.slapd import PASSWORDS, closed_port, running_slapd

from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    with running_slapd(tmp_path_factory.mktemp("slapd") / "server") as server:
        yield server


def test_a_directory_account_logs_in_and_sees_its_team_work(live_app, slapd, new_page, live_server):
    from playwright.sync_api import expect

    live_app.config["LDAP"] = slapd.settings()
    live_app.config["LOCAL_LOGIN"] = "admins"
    page = new_page()
    page.goto(f"{live_server}/login")
    expect(page.locator("main")).to_contain_text("akun kantor Anda")
    # A wrong directory password first: the form says so and keeps the name.
    page.locator("#username").fill("budi")
    page.locator("#password").fill("bukan-sandinya")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash, [role=alert], [role=status]").first).to_contain_text(
        "Nama pengguna atau kata sandi salah"
    )
    expect(page.locator("#username")).to_have_value("budi")
    login(page, live_server, "budi", PASSWORDS["budi"])
    # In, as the directory's Budi Santoso, with the role his group gives.
    who = page.locator("header a.who")
    expect(who).to_have_text("Budi Santoso")
    expect(who).to_have_attribute("title", re.compile("Ketua Tim"))
    # His password lives in the directory: the password page says so and offers no form.
    who.click()
    expect(page.locator("main")).to_contain_text("direktori kantor")
    expect(page.locator("#f_current_password")).to_have_count(0)


def test_directory_down_the_page_says_so_and_the_admin_still_gets_in(
    live_app, slapd, new_page, live_server
):
    from playwright.sync_api import expect

    live_app.config["LDAP"] = slapd.settings(urls=[f"ldap://127.0.0.1:{closed_port()}"])
    live_app.config["LOCAL_LOGIN"] = "admins"
    page = new_page()
    page.goto(f"{live_server}/login")
    page.locator("#username").fill("budi")
    page.locator("#password").fill(PASSWORDS["budi"])
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash, [role=alert], [role=status]").first).to_contain_text(
        "Direktori kantor tidak dapat dihubungi"
    )
    login(page, live_server, "admin1", "demo")
    expect(page.locator("header a.who")).to_have_text("Admin Sistem")
