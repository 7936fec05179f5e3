"""The repair report tells the SOP's story (issue 14, point 7, the report's part): the SOP's
numbered steps with step 5 (the upload) and its time against the standard, a failed test's
rounds of steps 3–4 under their step, the deployment result in words with its log folded, a
print button and a way back to the case."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import PNG
from tests.conftest import STEP1, STEP2, STEP3, STEP4_FAIL, STEP4_PASS, Actions
from webapp.services import service_calls

pytestmark = pytest.mark.browser


def finished_after_one_failed_test(live_app) -> int:
    """A case with a screenshot whose first test failed (steps 3–4 twice), deployed, reported."""
    actions = Actions(live_app)
    screenshot = "data:image/png;name=layar.png;base64," + base64.b64encode(PNG).decode()
    case = actions.start(data={**STEP1, "lampiran": screenshot})["id"]
    for step, user, data in (
        ("Task_2_analisa", "ketua1", STEP2),
        ("Task_3_troubleshooting", "tim1", STEP3),
        ("Task_4_uji_implementasi", "tim1", STEP4_FAIL),
        ("Task_3_troubleshooting", "tim1", STEP3),
        ("Task_4_uji_implementasi", "tim1", STEP4_PASS),
    ):
        task = actions.open_task(case, step)
        assert actions.complete(user, task.id, data).status_code == 200
    with live_app.app_context():
        assert service_calls.run_queued() == 2  # the deployment, then the report
    return case


def test_report_lists_the_sops_steps_rounds_and_upload_with_print_and_way_back(
    new_page, live_server, live_app, deployment
):
    case = finished_after_one_failed_test(live_app)
    page = new_page("unit1")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/cases/{case}/report.html")

    steps = page.locator("table.steps tr[data-step]")
    numbers = [steps.nth(i).get_attribute("data-step") for i in range(steps.count())]
    assert numbers == ["1", "2", "3", "3", "4", "4", "5"]
    for step in ("3", "4"):
        rounds = page.locator(f'table.steps tr[data-step="{step}"]')
        expect(rounds.nth(0)).to_contain_text("Putaran 1:")
        expect(rounds.nth(1)).to_contain_text("Putaran 2:")
    upload = page.locator('table.steps tr[data-step="5"]')
    expect(upload).to_contain_text("Upload ke server colocation")
    expect(upload).to_contain_text("sistem (otomatis)")
    expect(upload).to_contain_text("30 menit — memenuhi")

    # The reporter's screenshot is in the report itself, under step 1.
    picture = page.locator("figure.attached img")
    expect(picture).to_have_count(1)
    expect(picture).to_have_attribute("alt", "layar.png")
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")

    expect(page.locator("p.result")).to_have_text(
        "Berhasil: rilis " + STEP3["rilis"] + " terpasang di colo:/var/www/app."
    )
    log = page.locator("details.log")
    expect(log.locator("pre.log")).to_be_hidden()
    log.locator("summary").click()
    expect(log.locator("pre.log")).to_be_visible()

    expect(page.get_by_role("button", name="Cetak laporan")).to_be_visible()
    page.get_by_role("link", name=f"← Kembali ke kasus #{case}").click()
    expect(page).to_have_url(f"{live_server}/cases/{case}")
    assert errors == []


def test_the_sla_page_holds_step_5_to_its_standard_too(new_page, live_server, live_app, deployment):
    finished_after_one_failed_test(live_app)
    page = new_page("ketua1")
    page.goto(f"{live_server}/sla?process=pemeliharaan_sistem_informasi")
    upload = page.locator('tr[data-step="Task_5_upload_colocation"]')
    expect(upload.locator('td[data-label="Langkah"]')).to_have_text("Upload ke server colocation")
    expect(upload.locator('td[data-label="Mutu baku"]')).to_have_text("30 menit")
    expect(upload.locator('td[data-label="Selesai"]')).to_have_text("1")
    expect(upload.locator('td[data-label="Memenuhi"]')).to_have_text("1 (100,0\u00a0%)")
    # Steps 3 and 4 ran twice each in this one case.
    expect(
        page.locator('tr[data-step="Task_3_troubleshooting"] td[data-label="Selesai"]')
    ).to_have_text("2")

    admin = new_page("admin1")
    admin.goto(f"{live_server}/admin/dashboard/")
    compliance = admin.locator("#table-compliance")
    expect(compliance).to_contain_text("Upload ke server colocation")
