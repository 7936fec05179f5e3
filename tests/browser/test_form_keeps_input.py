"""Issue 14, point 1: a refused form loses nothing typed or chosen, and says what to do."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import PROCESS, field, fill_step1
from tests.conftest import PNG

pytestmark = pytest.mark.browser

TOO_LONG = "Halaman pendaftaran izin tidak dapat dibuka " * 6  # 264 characters, the field takes 200


def _refuse_with_file(page, live_server, screenshot) -> None:
    page.goto(f"{live_server}/start/{PROCESS}")
    fill_step1(page, judul="abc")
    page.locator("#f_lampiran").set_input_files(screenshot)
    page.get_by_role("button", name="Kirim").click()
    expect(field(page, "judul").locator("p.error")).to_have_text("Minimal 5 karakter.")


def _chosen(page) -> list[str]:
    return page.locator("#f_lampiran").evaluate("i => Array.from(i.files).map(f => f.name)")


def test_refused_form_keeps_the_chosen_file_by_name_and_focuses_the_first_error(
    new_page, live_server, tmp_path
):
    screenshot = tmp_path / "layar.png"
    screenshot.write_bytes(PNG)
    page = new_page("unit1")
    _refuse_with_file(page, live_server, screenshot)

    expect(page.locator("#f_judul")).to_be_focused()
    note = page.locator("#f_lampiran_dropped")
    expect(note).to_have_class("kept-file")
    expect(note).to_contain_text("Berkas “layar.png” dipilih kembali dari pengiriman sebelumnya.")
    expect(note.get_by_role("button", name="Hapus layar.png")).to_be_visible()
    expect(page.locator("#f_lampiran")).to_have_attribute(
        "aria-describedby", re.compile("f_lampiran_dropped")
    )
    assert _chosen(page) == ["layar.png"]

    # With the title fixed the request goes through with the kept file, not chosen again.
    page.locator("#f_judul").fill("Halaman pendaftaran izin tidak dapat dibuka")
    page.get_by_role("button", name="Kirim").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+\?submitted=1$"))
    link = page.get_by_role("link", name="layar.png")
    expect(link).to_be_visible()
    assert page.request.get(f"{live_server}{link.get_attribute('href')}").body() == PNG
    # Sent: the browser keeps the file no longer (the case page clears it, then says so).
    expect(page.locator("html")).to_have_attribute("data-kept-files", "0")
    page.goto(f"{live_server}/start/{PROCESS}")
    kept = page.evaluate(
        """() => new Promise(done => {
             const r = indexedDB.open("sopflow-pending-files", 1);
             r.onsuccess = () => {
               const q = r.result.transaction("files").objectStore("files").count();
               q.onsuccess = () => done(q.result);
             };
           })"""
    )
    assert kept == 0


def test_a_kept_file_can_be_removed_before_sending(new_page, live_server, tmp_path):
    screenshot = tmp_path / "layar.png"
    screenshot.write_bytes(PNG)
    page = new_page("unit1")
    _refuse_with_file(page, live_server, screenshot)
    note = page.locator("#f_lampiran_dropped")
    note.get_by_role("button", name="Hapus layar.png").click()
    expect(note).to_have_text("Berkas dihapus dari isian ini.")
    assert _chosen(page) == []
    expect(page.locator("#f_lampiran")).to_be_focused()

    page.locator("#f_judul").fill("Halaman pendaftaran izin tidak dapat dibuka")
    page.get_by_role("button", name="Kirim").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+\?submitted=1$"))
    expect(page.get_by_role("link", name="layar.png")).to_have_count(0)


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


def test_without_javascript_the_server_refuses_too_long_text_and_keeps_it(
    new_page, live_server, tmp_path
):
    screenshot = tmp_path / "layar.png"
    screenshot.write_bytes(PNG)
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
    page.locator("#f_lampiran").set_input_files(screenshot)
    page.get_by_role("button", name="Kirim").click()

    expect(field(page, "judul").locator("p.error")).to_have_text("Maksimal 200 karakter.")
    expect(page.locator("#f_judul")).to_have_value(TOO_LONG.strip())
    # Without JavaScript the file cannot be put back: the field says so plainly.
    expect(page.locator("#f_lampiran_dropped")).to_have_text(
        "Berkas “layar.png” belum tersimpan karena formulir belum diterima: "
        "pilih berkas itu lagi sebelum mengirim."
    )
