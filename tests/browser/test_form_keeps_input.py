"""Issue 14, point 1: a refused form loses nothing typed or chosen, and says what to do."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import PROCESS, field, fill_step1
from tests.conftest import PNG

pytestmark = pytest.mark.browser

TOO_LONG = "Halaman pendaftaran izin tidak dapat dibuka " * 6  # 264 characters, the field takes 200


def test_refused_form_names_the_file_to_choose_again_and_focuses_the_first_error(
    new_page, live_server, tmp_path
):
    screenshot = tmp_path / "layar.png"
    screenshot.write_bytes(PNG)
    page = new_page("unit1")
    page.goto(f"{live_server}/start/{PROCESS}")
    fill_step1(page, judul="abc")
    page.locator("#f_lampiran").set_input_files(screenshot)
    page.get_by_role("button", name="Kirim").click()

    expect(field(page, "judul").locator("p.error")).to_have_text("Minimal 5 karakter.")
    expect(page.locator("#f_judul")).to_be_focused()
    note = field(page, "lampiran").locator("p.dropped-file")
    expect(note).to_be_visible()
    expect(note).to_contain_text("layar.png")
    expect(note).to_contain_text("pilih berkas itu lagi")
    expect(page.locator("#f_lampiran")).to_have_attribute(
        "aria-describedby", re.compile("f_lampiran_dropped")
    )

    # Chosen again with the title fixed, the request goes through with its file.
    page.locator("#f_judul").fill("Halaman pendaftaran izin tidak dapat dibuka")
    page.locator("#f_lampiran").set_input_files(screenshot)
    page.get_by_role("button", name="Kirim").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+\?submitted=1$"))
    expect(page.get_by_role("link", name="layar.png")).to_be_visible()


def test_text_longer_than_allowed_is_refused_with_a_message_never_cut(new_page, live_server):
    page = new_page("unit1")
    page.goto(f"{live_server}/start/{PROCESS}")
    fill_step1(page)
    title = page.locator("#f_judul")
    title.fill("")
    title.focus()
    page.keyboard.insert_text(TOO_LONG)  # as a paste: a maxlength attribute would cut it

    expect(title).to_have_value(TOO_LONG)
    note = field(page, "judul").locator("p.length-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text(f"{len(TOO_LONG)} karakter, paling banyak 200")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_attribute("aria-describedby", re.compile("f_judul_length"))

    page.get_by_role("button", name="Kirim").click()
    expect(page).to_have_url(f"{live_server}/start/{PROCESS}")
    expect(title).to_be_focused()
    expect(title).to_have_value(TOO_LONG)

    title.press("End")
    for _ in range(len(TOO_LONG) - 200):
        title.press("Backspace")
    expect(note).to_be_hidden()
    page.get_by_role("button", name="Kirim").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+\?submitted=1$"))


def test_without_javascript_the_server_refuses_too_long_text_and_keeps_it(new_page, live_server):
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server}/login")
    page.locator("#username").fill("unit1")
    page.locator("#password").fill("demo")
    page.locator("main form button[type=submit]").click()
    page.goto(f"{live_server}/start/{PROCESS}")
    fill_step1(page)
    page.locator("#f_judul").fill("")
    page.locator("#f_judul").focus()
    page.keyboard.insert_text(TOO_LONG)
    page.get_by_role("button", name="Kirim").click()

    expect(field(page, "judul").locator("p.error")).to_have_text("Maksimal 200 karakter.")
    expect(page.locator("#f_judul")).to_have_value(TOO_LONG.strip())
