"""One language at a time (issue 14, point 8, the parts done): role names instead of role codes,
the system's own version note in the reader's language, four-digit years, and percentages as
the locale writes them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Actions
from webapp.extensions import db
from webapp.models import HumanTask
from webapp.models.types import utcnow

pytestmark = pytest.mark.browser

PROCESS = "pemeliharaan_sistem_informasi"
TWO_DIGIT_YEAR = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b")


def to_english(page: Page) -> None:
    page.locator("header").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_role_names_not_codes_in_either_language(new_page, live_server):
    page = new_page("admin1")
    page.goto(f"{live_server}/admin/users/")
    owner = page.locator("tr", has_text="owner1")
    expect(owner).to_contain_text("Pemilik proses")
    expect(page.locator("main")).not_to_contain_text("process_owner")
    to_english(page)
    page.goto(f"{live_server}/admin/users/")
    expect(page.locator("tr", has_text="owner1")).to_contain_text("Process owner")
    expect(page.locator("main")).not_to_contain_text("process_owner")
    expect(page.locator("main")).not_to_contain_text("Pemilik proses")


def test_the_import_note_speaks_the_readers_language(new_page, live_server):
    page = new_page("owner1")
    page.goto(f"{live_server}/processes/{PROCESS}/")
    main = page.locator("main")
    expect(main).to_contain_text("diimpor dari folder processes/")
    expect(main).not_to_contain_text("imported from processes/")
    to_english(page)
    page.goto(f"{live_server}/processes/{PROCESS}/")
    expect(main).to_contain_text("imported from the processes/ folder")


def test_dates_have_four_digit_years_and_percentages_follow_the_locale(
    new_page, live_server, live_app
):
    actions = Actions(live_app)
    case = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(case, "Task_3_troubleshooting")
    with live_app.app_context():
        db.session.get(HumanTask, task.id).due_at = utcnow() + timedelta(hours=1)
        db.session.commit()
    year = str(utcnow().year)

    page = new_page("admin1")
    page.goto(f"{live_server}/admin/cases/")
    row = page.locator(f'tr[data-instance-id="{case}"]')
    started = row.locator('td[data-label="Diajukan"]')
    expect(started).to_contain_text(year)
    assert not TWO_DIGIT_YEAR.search(started.inner_text())

    page.goto(f"{live_server}/admin/dashboard/")
    compliance = page.locator('[data-card="compliance"] .stat-value')
    # Steps 1 and 2 finished on time this month: "100,0 %", as Indonesian writes it.
    expect(compliance).to_have_text("100,0\u00a0%")

    to_english(page)
    page.goto(f"{live_server}/admin/cases/")
    started = page.locator(f'tr[data-instance-id="{case}"] td').last
    expect(started).to_contain_text(year)
    assert not TWO_DIGIT_YEAR.search(started.inner_text())


def test_the_modelers_status_save_result_and_findings_follow_the_language(new_page, live_server):
    page = new_page("owner1")
    to_english(page)
    page.goto(f"{live_server}/processes/{PROCESS}/modeler")
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "1")
    expect(page.locator("#dirty-state")).to_have_text("All changes saved")
    page.locator("#btn-save").click()
    result = page.locator("#save-result")
    # The modeler's export differs from the file as stored: a new draft, worded in English.
    expect(result).to_contain_text("Draft version 2 saved: 0 errors, 0 warnings.")
    expect(result.get_by_role("link", name="Open the page of version 2")).to_be_visible()
    expect(page.locator("#save-findings")).to_contain_text(
        "No findings: the diagram is ready to be published."
    )
    expect(page.locator("main")).not_to_contain_text("Semua perubahan tersimpan")

    # The properties panel: type, sections, the time standard and the SOP table's fields.
    page.locator('g.djs-shape[data-element-id="Task_3_troubleshooting"]').click()
    props = page.locator("#props-body")
    expect(props).to_have_attribute("data-element", "Task_3_troubleshooting")
    expect(props).to_contain_text("Staff task · bpmn:UserTask")
    expect(props.locator("h3", has_text="SOP table")).to_be_visible()
    expect(props.get_by_label("Time standard", exact=True)).to_have_value("2 jam")
    expect(props.get_by_label("Step number", exact=True)).to_have_value("3")
    expect(props).to_contain_text("Follows the time standard above.")
    expect(props).not_to_contain_text("Mutu baku waktu")


def test_a_task_done_meanwhile_says_when_with_a_four_digit_year(new_page, live_server, live_app):
    from tests.browser.test_journeys import fill_step3
    from tests.conftest import STEP3

    actions = Actions(live_app)
    case = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(case, "Task_3_troubleshooting").id
    page = new_page("tim1")
    page.goto(f"{live_server}/tasks/{task}")
    fill_step3(page)
    # The same person finishes it from another tab (the API here) before this tab sends.
    assert actions.complete("tim1", task, STEP3).status_code == 200
    page.get_by_role("button", name="Selesaikan tugas").click()

    said = page.locator(".card.warn", has_text="Tugas ini sudah diselesaikan oleh")
    expect(said).to_contain_text(str(utcnow().year))
    assert not TWO_DIGIT_YEAR.search(said.inner_text()), said.inner_text()
