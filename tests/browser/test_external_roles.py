"""An administrator marks a role external on the roles page and sees the flag on its row."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_admin_marks_a_role_external_and_back(new_page, live_server):
    page = new_page("admin1")
    page.goto(f"{live_server}/admin/users/roles")
    row = page.locator('tr[data-role="Unit Kerja/Koordinator"]')
    expect(row.locator("[data-external]")).to_contain_text("tidak")
    row.get_by_role("button", name="Tandai eksternal").click()
    expect(page.locator(".flash")).to_contain_text("kini eksternal")
    expect(row.locator("[data-external]")).to_contain_text("ya — hanya kasus sendiri")
    row.get_by_role("button", name="Jadikan peran kantor").click()
    expect(page.locator(".flash")).to_contain_text("kini peran kantor")
    expect(row.locator("[data-external]")).to_contain_text("tidak")
    # System roles have no flag to set.
    expect(page.locator('tr[data-role="admin"] form')).to_have_count(0)


def test_admin_creates_an_external_role(new_page, live_server):
    page = new_page("admin1")
    page.goto(f"{live_server}/admin/users/roles")
    page.get_by_label("Nama peran").fill("Pemohon")
    page.get_by_label("Peran eksternal (pemohon)").check()
    page.get_by_role("button", name="Tambah peran").click()
    expect(page.locator(".flash")).to_contain_text("Pemohon")
    row = page.locator('tr[data-role="Pemohon"]')
    expect(row.locator("[data-external]")).to_contain_text("ya — hanya kasus sendiri")
