"""Issue 14, point 1 on every form, not only the request's: text longer than a field allows is
refused with a message and kept whole (a browser's own maxlength would cut a paste without a
word), the focus goes to the first error after a refusal, and a chosen file is kept or its
field says plainly what became of it — the task forms of steps 3-4, the administrator's user
form, a person's notification channels and the SOP import."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import field
from tests.conftest import PNG, STEP3, Actions

pytestmark = pytest.mark.browser


def paste(page: Page, selector: str, text: str) -> None:
    """Put ``text`` into the field as a paste does (a maxlength attribute would cut it)."""
    box = page.locator(selector)
    box.fill("")
    box.focus()
    page.keyboard.insert_text(text)


def posts(page: Page) -> list[str]:
    """The forms the page sends from now on, by address: a refusal in the page sends none."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


def expect_refused_whole(page: Page, selector: str, text: str, limit: int) -> None:
    box = page.locator(selector)
    expect(box).to_have_value(text)
    note = page.locator(f"{selector}_length")
    expect(note).to_be_visible()
    expect(note).to_contain_text(f"{len(text)} karakter, paling banyak {limit}")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", re.compile(f"{selector[1:]}_length"))


def test_admin_user_form_refuses_a_too_long_name_whole_then_focuses_the_first_error(
    new_page, live_server
):
    page = new_page("admin1")
    page.goto(f"{live_server}/admin/users/new")
    name = "Nama Lengkap Pegawai Dinas " * 10  # 270 characters, the field takes 200
    paste(page, "#f_full_name", name)
    expect_refused_whole(page, "#f_full_name", name, 200)
    sent = posts(page)

    page.get_by_role("button", name="Buat pengguna").click()
    expect(page).to_have_url(f"{live_server}/admin/users/new")
    expect(page.locator("#f_full_name")).to_be_focused()

    # Shortened, the form goes to the server, which refuses the username: focus goes there.
    page.locator("#f_full_name").fill("Dewi Pegawai Baru")
    expect(page.locator("#f_full_name_length")).to_be_hidden()
    page.locator("#f_username").fill("ab")
    page.locator("#f_password").fill("rahasia-panjang")
    page.locator("#f_password_confirm").fill("rahasia-panjang")
    page.get_by_role("button", name="Buat pengguna").click()
    expect(field(page, "username").locator("p.error")).to_contain_text("3–64 karakter")
    expect(page.locator("#f_username")).to_be_focused()
    expect(page.locator("#f_full_name")).to_have_value("Dewi Pegawai Baru")
    # The server refuses a too-long name too, on the same address with the same focus: only
    # the count of forms sent tells the page's refusal from the server's.
    assert sent == [f"{live_server}/admin/users/new"]


def test_notification_channels_refuse_too_long_text_whole_and_focus_the_first_error(
    new_page, live_server
):
    page = new_page("tim1")
    page.goto(f"{live_server}/account/notifications")
    chat = "1234567890" * 10  # 100 characters, the field takes 80
    paste(page, "#f_telegram_chat_id", chat)
    expect_refused_whole(page, "#f_telegram_chat_id", chat, 80)
    sent = posts(page)
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator("#f_telegram_chat_id")).to_be_focused()

    page.locator("#f_telegram_chat_id").fill("bukan-id")
    page.locator("#f_phone").fill("12345")
    page.get_by_role("button", name="Simpan").click()
    expect(field(page, "phone").locator("p.error")).to_be_visible()
    expect(page.locator("#f_phone")).to_be_focused()
    assert sent == [f"{live_server}/account/notifications"]


def test_step_3_refuses_a_too_long_component_whole(new_page, live_server, live_app):
    actions = Actions(live_app)
    case = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(case, "Task_3_troubleshooting").id
    page = new_page("tim1")
    page.goto(f"{live_server}/tasks/{task}")
    page.locator("#f_akar_masalah").fill(STEP3["akar_masalah"])
    component = "app/Http/Controllers/DaftarController.php " * 6  # 252 characters, takes 200
    paste(page, "#f_komponen", component)
    expect_refused_whole(page, "#f_komponen", component, 200)
    sent = posts(page)
    page.get_by_role("button", name="Selesaikan tugas").click()
    expect(page).to_have_url(f"{live_server}/tasks/{task}")
    expect(page.locator("#f_komponen")).to_be_focused()

    # Shortened, the form goes to the server, which refuses the empty release: the one form
    # sent is that one (the server's refusal of a too-long field looks the same, but is sent).
    page.locator("#f_komponen").fill(STEP3["komponen"])
    page.get_by_role("button", name="Selesaikan tugas").click()
    expect(field(page, "rilis").locator("p.error")).to_be_visible()
    assert sent == [f"{live_server}/tasks/{task}"]


def test_step_4_keeps_the_evidence_file_after_a_refusal(new_page, live_server, live_app, tmp_path):
    actions = Actions(live_app)
    case = actions.run_to("Task_4_uji_implementasi")
    task = actions.open_task(case, "Task_4_uji_implementasi").id
    evidence = tmp_path / "bukti.png"
    evidence.write_bytes(PNG)
    page = new_page("tim1")
    page.goto(f"{live_server}/tasks/{task}")
    page.locator("#f_bukti_uji").set_input_files(evidence)
    page.locator("#f_catatan_uji").fill("ok")  # the test's notes need 5 characters
    page.get_by_role("button", name="Selesaikan tugas").click()

    expect(field(page, "catatan_uji").locator("p.error")).to_have_text("Minimal 5 karakter.")
    expect(page.locator("input[name=hasil_uji]").first).to_be_focused()
    note = page.locator("#f_bukti_uji_dropped")
    expect(note).to_contain_text("Berkas “bukti.png” dipilih kembali")
    files = page.locator("#f_bukti_uji").evaluate("i => Array.from(i.files).map(f => f.name)")
    assert files == ["bukti.png"]


def test_sop_import_says_next_to_the_file_field_that_the_refused_file_must_be_chosen_again(
    new_page, live_server, tmp_path
):
    letter = tmp_path / "surat.txt"
    letter.write_text("Ini surat biasa, bukan tabel SOP.\n", encoding="utf-8")
    page = new_page("owner1")
    page.goto(f"{live_server}/processes/import")
    page.locator("#file").set_input_files(letter)
    page.get_by_role("button", name="Baca dokumen").click()

    expect(page.locator("#import-problem")).to_contain_text("Tidak ditemukan tabel prosedur SOP")
    file_field = page.locator("#file")
    expect(file_field).to_be_focused()
    expect(file_field).to_have_attribute("aria-invalid", "true")
    expect(file_field).to_have_attribute("aria-describedby", re.compile("file_refused"))
    expect(page.locator("#file_refused")).to_have_text(
        "Berkas “surat.txt” ditolak dan tidak disimpan. "
        "Pilih berkas yang sudah diperbaiki, atau tempel tabelnya di bawah."
    )


@pytest.mark.parametrize("where", ["new", "version"])
def test_a_refused_diagram_upload_keeps_the_note_and_names_each_file_to_choose_again(
    new_page, live_server, tmp_path, where
):
    diagram = tmp_path / "sop_baru.bpmn"
    diagram.write_text("ini bukan diagram", encoding="utf-8")
    form = tmp_path / "langkah_1.schema.json"
    form.write_text("{}", encoding="utf-8")
    page = new_page("owner1")
    if where == "new":
        page.goto(f"{live_server}/processes/new")
        page.locator("#process_id").fill("sop_baru")
    else:
        page.goto(f"{live_server}/processes/pemeliharaan_sistem_informasi/")
    page.locator("#bpmn").set_input_files(diagram)
    page.locator("#forms").set_input_files(form)
    page.locator("#note").fill("Revisi alur uji")
    page.get_by_role("button", name="Simpan sebagai draf").click()

    expect(page.locator(".flash-error, .flash.flash-error").first).to_be_visible()
    expect(page.locator("#note")).to_have_value("Revisi alur uji")
    expect(page.locator("#bpmn")).to_be_focused()
    expect(page.locator("#bpmn")).to_have_attribute("aria-describedby", "bpmn_dropped")
    expect(page.locator("#bpmn_dropped")).to_have_text(
        "Berkas “sop_baru.bpmn” belum tersimpan karena formulir belum diterima: "
        "pilih berkas itu lagi sebelum mengirim."
    )
    expect(page.locator("#forms_dropped")).to_contain_text("“langkah_1.schema.json”")


def test_sop_import_review_focuses_the_first_cell_in_error(new_page, live_server):
    from tests.browser.test_sop_import import SEED, review_ready

    page = new_page("owner1")
    page.goto(f"{live_server}/processes/import")
    page.get_by_label("Atau tempel tabel SOP (teks atau HTML)").fill(SEED.read_text("utf-8"))
    page.get_by_role("button", name="Baca dokumen").click()
    review_ready(page)
    waktu = page.get_by_label("Waktu langkah 2", exact=True)
    waktu.fill("secepatnya")
    page.get_by_role("button", name="Buat draf").click()

    cell = page.locator("tr[data-row='2'] [data-cell='waktu']")
    expect(cell).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.get_by_label("Waktu langkah 2", exact=True)).to_be_focused()
    expect(page.get_by_label("Waktu langkah 2", exact=True)).to_have_value("secepatnya")
