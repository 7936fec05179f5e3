"""Ending access in a real browser: a password change signs out the other computer, an
administrator ends a person's sessions, and the case list tells an administrator whether the
background worker is alive."""

from __future__ import annotations

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_changing_my_password_signs_out_my_other_computer(new_page, live_server):
    from playwright.sync_api import expect

    office = new_page("tim1")
    laptop = new_page("tim1")  # the same person, another computer
    office.goto(f"{live_server}/")
    office.locator("header a.who").click()
    expect(office.locator("h1")).to_have_text(re.compile("Ganti kata sandi"))
    office.locator("#f_current_password").fill("demo")
    office.locator("#f_password").fill("kata-sandi-baru-2026")
    office.locator("#f_password_confirm").fill("kata-sandi-baru-2026")
    office.locator("main form button[type=submit]").click()
    expect(office.locator(".flash, [role=status]").first).to_contain_text("Kata sandi Anda diganti")
    # This computer goes on; the other one meets the log-in page on its next click.
    office.goto(f"{live_server}/")
    expect(office.locator("#username")).to_have_count(0)
    laptop.goto(f"{live_server}/")
    expect(laptop.locator("#username")).to_be_visible()
    login(laptop, live_server, "tim1", "kata-sandi-baru-2026")


def test_admin_ends_a_users_sessions_from_the_user_page(new_page, live_server):
    from playwright.sync_api import expect

    staff = new_page("tim2")
    admin = new_page("admin1")
    admin.goto(f"{live_server}/admin/users/")
    admin.get_by_role("link", name=re.compile("tim2")).first.click()
    sessions = admin.locator("section", has_text="Sesi aktif")
    expect(sessions.locator("tbody tr")).to_have_count(1)
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Akhiri semua sesi").click()
    expect(admin.locator("body")).to_contain_text("sesi tim2 diakhiri")
    staff.goto(f"{live_server}/")
    expect(staff.locator("#username")).to_be_visible()


def test_case_list_says_when_no_worker_is_running(new_page, live_server):
    from playwright.sync_api import expect

    admin = new_page("admin1")
    admin.goto(f"{live_server}/admin/cases/")
    panel = admin.locator("section.workers")
    expect(panel.get_by_role("heading")).to_have_text("Pekerja latar")
    expect(panel.get_by_role("alert")).to_contain_text("Tidak ada pekerja latar yang aktif")
