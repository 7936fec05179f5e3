"""Each role's main journey, driven through Chromium against the app served for real."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.conftest import login
from tests.conftest import PNG, STEP1, STEP2, STEP3, Actions
from webapp.extensions import db
from webapp.models import HumanTask, ProcessInstance
from webapp.models.types import utcnow

pytestmark = pytest.mark.browser

PROCESS = "pemeliharaan_sistem_informasi"
STEP2_NAME = "Menerima dan menganalisa permasalahan"
STEP3_NAME = "Melakukan pemecahan masalah sistem"
STEP4_NAME = "Uji implementasi aplikasi"
CASE_URL = re.compile(r"/cases/(\d+)")


def field(page: Page, name: str):
    return page.locator(f"div.field[data-field={name}]")


def fill_step1(page: Page, judul: str = STEP1["judul"]) -> None:
    page.locator("#f_aplikasi").select_option(STEP1["aplikasi"])
    page.locator("#f_judul").fill(judul)
    page.locator("#f_deskripsi").fill(STEP1["deskripsi"])
    page.locator(f"input[name=urgensi][value={STEP1['urgensi']}]").check()
    page.locator("#f_langkah_reproduksi").fill(STEP1["langkah_reproduksi"])
    page.locator("#f_kontak").fill("0812-3456-7890")


def fill_step3(page: Page) -> None:
    page.locator("#f_akar_masalah").fill(STEP3["akar_masalah"])
    page.locator("#f_komponen").fill(STEP3["komponen"])
    page.locator("#f_bahasa_pemrograman").select_option(STEP3["bahasa_pemrograman"])
    page.locator("#f_rekomendasi_perbaikan").fill(STEP3["rekomendasi_perbaikan"])
    page.locator("#f_rilis").fill(STEP3["rilis"])
    page.locator("#f_perkiraan_jam").fill("1.5")


def fill_step4(page: Page, result: str, note: str) -> None:
    page.locator(f"input[name=hasil_uji][value={result}]").check()
    page.locator("#f_tanggal_uji").fill("2026-11-25")
    page.locator("#f_catatan_uji").fill(note)


def submit_task(page: Page) -> None:
    page.get_by_role("button", name="Selesaikan tugas").click()
    expect(page).to_have_url(re.compile(r"/\?done=\d+$"))
    expect(page.locator(".flash-success")).to_be_visible()


def work_on(page: Page, base: str, step_name: str) -> None:
    """From the worklist, open the one task named ``step_name``."""
    page.goto(f"{base}/")
    row = page.locator("tr[data-task-id]", has_text=step_name)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Kerjakan").click()
    expect(page.locator("h1")).to_contain_text(step_name)


def test_unit_user_submits_repair_request_with_screenshot(new_page, live_server, tmp_path):
    screenshot = tmp_path / "layar.png"
    screenshot.write_bytes(PNG)
    page = new_page("unit1")

    page.locator("header nav").get_by_role("link", name="Ajukan permintaan").click()
    page.get_by_role("link", name="Isi formulir").click()
    expect(page).to_have_url(f"{live_server}/start/{PROCESS}")

    # Too short a title: the error sits by the field and nothing typed is lost.
    fill_step1(page, judul="abc")
    page.get_by_role("button", name="Kirim").click()
    expect(field(page, "judul").locator("p.error")).to_be_visible()
    expect(field(page, "judul").locator("p.error")).not_to_be_empty()
    expect(page.locator("#f_judul")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("div.field p.error")).to_have_count(1)
    expect(page.locator("#f_judul")).to_have_value("abc")
    expect(page.locator("#f_aplikasi")).to_have_value(STEP1["aplikasi"])
    expect(page.locator("#f_deskripsi")).to_have_value(STEP1["deskripsi"])
    expect(page.locator(f"input[name=urgensi][value={STEP1['urgensi']}]")).to_be_checked()
    expect(page.locator("#f_langkah_reproduksi")).to_have_value(STEP1["langkah_reproduksi"])
    expect(page.locator("#f_kontak")).to_have_value("0812-3456-7890")

    page.locator("#f_judul").fill(STEP1["judul"])
    page.locator("#f_lampiran").set_input_files(screenshot)
    page.get_by_role("button", name="Kirim").click()

    expect(page).to_have_url(re.compile(r"/cases/\d+\?submitted=1$"))
    expect(page.locator("h1")).to_contain_text(STEP1["judul"])
    link = page.get_by_role("link", name="layar.png")
    expect(link).to_be_visible()

    href = link.get_attribute("href")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/png")
    assert response.body() == PNG

    with page.expect_response(lambda r: r.url == f"{live_server}{href}") as clicked:
        link.click()
    assert clicked.value.status == 200
    assert clicked.value.header_value("content-type").startswith("image/")


def test_team_leader_claims_analyses_and_assigns(new_page, live_server, live_app):
    actions = Actions(live_app)
    instance_id = actions.start("unit1")["id"]
    step2 = actions.open_task(instance_id, "Task_2_analisa")
    page = new_page("ketua1")

    row = page.locator(f"tr[data-task-id='{step2.id}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text(STEP1["judul"])
    expect(row).to_contain_text("belum diambil")
    row.get_by_role("button", name="Ambil").click()

    expect(page).to_have_url(f"{live_server}/tasks/{step2.id}")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".meta")).to_contain_text("Dipegang: Budi Ketua Tim")
    page.goto(f"{live_server}/")
    expect(row).to_contain_text("Budi Ketua Tim")
    expect(row.get_by_role("button", name="Ambil")).to_have_count(0)

    row.get_by_role("link", name="Kerjakan").click()
    expect(page.locator("h1")).to_contain_text(STEP2_NAME)
    casefile = page.locator("details.casefile")
    casefile.locator("summary").click()
    expect(casefile).to_contain_text(STEP1["judul"])
    expect(casefile).to_contain_text(STEP1["deskripsi"])
    expect(casefile).to_contain_text("Aplikasi Perizinan Online")

    page.locator("#f_kategori").select_option(STEP2["kategori"])
    page.locator(f"input[name=prioritas][value={STEP2['prioritas']}]").check()
    page.locator("#f_analisis").fill(STEP2["analisis"])
    page.locator("#f_arahan_pengembangan").fill(STEP2["arahan_pengembangan"])
    page.get_by_label("Sari Anggota Tim").check()
    submit_task(page)
    expect(page.locator(f"tr[data-task-id='{step2.id}']")).to_have_count(0)

    step3 = actions.open_task(instance_id, "Task_3_troubleshooting")
    tim1 = new_page("tim1")
    expect(tim1.locator(f"tr[data-task-id='{step3.id}']")).to_contain_text(STEP3_NAME)

    tim2 = new_page("tim2")
    expect(tim2.locator("h1")).to_have_text("Tugas saya")
    expect(tim2.locator(f"tr[data-task-id='{step3.id}']")).to_have_count(0)
    expect(tim2.locator("tr[data-task-id]")).to_have_count(0)


def test_team_member_troubleshoots_tests_and_loops_back(new_page, live_server, live_app):
    instance_id = Actions(live_app).run_to("Task_3_troubleshooting")
    page = new_page("tim1")

    work_on(page, live_server, STEP3_NAME)
    fill_step3(page)
    submit_task(page)

    work_on(page, live_server, STEP4_NAME)
    fill_step4(page, "gagal", "Masih galat 500 pada NIB lama.")
    submit_task(page)

    # A failed test sends the case back to troubleshooting.
    expect(page.locator("tr[data-task-id]", has_text=STEP4_NAME)).to_have_count(0)
    work_on(page, live_server, STEP3_NAME)
    fill_step3(page)
    submit_task(page)

    work_on(page, live_server, STEP4_NAME)
    fill_step4(page, "berhasil", "Semua uji lulus.")
    page.locator("#f_lulus_regresi").check()
    submit_task(page)
    expect(page.locator("tr[data-task-id]")).to_have_count(0)

    page.goto(f"{live_server}/cases/{instance_id}")
    expect(page.locator(".page-head .badge")).to_have_text("berjalan")
    expect(page.locator(".meta")).to_contain_text("Langkah saat ini: Upload ke server colocation")
    expect(page.locator(".timeline > li", has_text=STEP3_NAME)).to_have_count(2)
    expect(page.locator(".timeline > li", has_text=STEP4_NAME)).to_have_count(2)


def test_language_switch_to_english(new_page, live_server):
    page = new_page("ketua1")
    expect(page.locator("html")).to_have_attribute("lang", "id")

    page.locator("header").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header nav")).to_contain_text("My tasks")
    expect(page.locator("header nav")).to_contain_text("New request")
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("header").get_by_role("button", name="Bahasa Indonesia")).to_be_visible()

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{live_server}/cases/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("header").get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")


def test_phone_viewport_worklist_is_usable(new_page, live_server, live_app):
    actions = Actions(live_app)
    instance_id = actions.start("unit1")["id"]
    step2 = actions.open_task(instance_id, "Task_2_analisa")
    page = new_page("ketua1", viewport={"width": 390, "height": 844}, has_touch=True)

    row = page.locator(f"tr[data-task-id='{step2.id}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text(STEP1["judul"])
    button = row.get_by_role("link", name="Kerjakan")
    expect(button).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 400
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390

    button.click()
    expect(page).to_have_url(f"{live_server}/tasks/{step2.id}")
    expect(page.locator("h1")).to_contain_text(STEP2_NAME)
    page.wait_for_load_state("load")  # measure the styled page, not one still fetching app.css
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 400


def test_draft_survives_expired_session(new_page, live_server, live_app):
    actions = Actions(live_app)
    instance_id = actions.run_to("Task_3_troubleshooting")
    step3 = actions.open_task(instance_id, "Task_3_troubleshooting")
    page = new_page("tim1")
    typed = "Indeks tabel izin hilang setelah migrasi semalam."

    page.goto(f"{live_server}/tasks/{step3.id}")
    page.locator("#f_akar_masalah").press_sequentially(typed)
    expect(page.locator(".draft-note")).to_be_visible()

    page.context.clear_cookies()
    page.get_by_role("button", name="Selesaikan tugas").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator(".flash-error")).to_contain_text("Sesi Anda telah berakhir")

    login(page, live_server, "tim1")
    # Log-in leads straight back to the form that was being filled in.
    expect(page).to_have_url(f"{live_server}/tasks/{step3.id}")
    expect(page.locator("#f_akar_masalah")).to_have_value(typed)
    expect(page.locator(".draft-note")).to_be_visible()
    # Nothing reached the case while logged out.
    assert actions.open_task(instance_id, "Task_3_troubleshooting").id == step3.id


def test_double_click_submits_once(new_page, live_server, live_app, server_idle, hold_next_post):
    page = new_page("unit1")
    page.goto(f"{live_server}/start/{PROCESS}")
    fill_step1(page)
    button = page.get_by_role("button", name="Kirim")
    box = button.bounding_box()
    assert box is not None

    # The server holds the first POST, as a slow network would: the double click, and one
    # more impatient click, all land while the request is still in flight.
    with hold_next_post() as arrived:
        button.dblclick()
        arrived()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(r"/cases/\d+\?submitted=1$"))
    server_idle()

    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 1
    page.locator("header nav").get_by_role("link", name="Kasus saya").click()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody tr")).to_contain_text(STEP1["judul"])


def test_case_page_draws_the_diagram_with_done_active_and_overdue_steps(
    new_page, live_server, live_app
):
    actions = Actions(live_app)
    instance_id = actions.start("unit1")["id"]
    page = new_page("unit1")
    page.goto(f"{live_server}/cases/{instance_id}")
    diagram = page.locator(".diagram")
    expect(diagram).to_have_attribute("data-ready", "1")
    # bpmn-js imported the SOP diagram without a single warning.
    expect(diagram).to_have_attribute("data-warnings", "0")
    expect(page.locator('g.step-done[data-element-id="Task_1_pesan_perbaikan"]')).to_have_count(1)
    expect(page.locator('g.step-active[data-element-id="Task_2_analisa"]')).to_have_count(1)
    expect(page.locator("g.step-overdue")).to_have_count(0)

    # Past its 30-minute standard, step 2 is marked overdue.
    with live_app.app_context():
        task = db.session.get(HumanTask, actions.open_task(instance_id, "Task_2_analisa").id)
        task.due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page.reload()
    expect(page.locator('g.step-overdue[data-element-id="Task_2_analisa"]')).to_have_count(1)
