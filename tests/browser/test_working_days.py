"""Working-day time standards as a process owner and a team lead see them in the browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from webapp.engine.calendar import make_calendar
from webapp.extensions import db
from webapp.services.processes import import_version

pytestmark = pytest.mark.browser

PROCESS = "pemeliharaan_sistem_informasi"
SOP_DIR = Path(__file__).resolve().parents[2] / "processes" / PROCESS


def _working_hours(live_app) -> None:
    live_app.config["SLA_CALENDAR"] = make_calendar("working-hours", "Asia/Jakarta", None, "", "ID")


def _publish_step3_one_day(live_app) -> None:
    """Publish the SOP with step 3's standard set to one day (P1D)."""
    bpmn = (SOP_DIR / f"{PROCESS}.bpmn").read_bytes().replace(b'"PT2H"', b'"P1D"')
    bpmn = bpmn.replace(b'name="sopWaktu" value="2 jam"', b'name="sopWaktu" value="1 hari"')
    forms = {f.name: f.read_bytes() for f in sorted((SOP_DIR / "forms").glob("*.json"))}
    with live_app.app_context():
        import_version(PROCESS, bpmn, forms, publish=True)
        db.session.commit()


def _duration_hint(page: Page, base: str):
    page.goto(f"{base}/processes/{PROCESS}/modeler")
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "1")
    page.locator('g.djs-shape[data-element-id="Timer_3_mutu_baku"]').click()
    expect(page.locator("#props-body")).to_have_attribute("data-element", "Timer_3_mutu_baku")
    return page.locator("#props-body .field").filter(has=page.get_by_label("Durasi", exact=True))


def test_modeler_duration_hint_says_days_are_working_days(new_page, live_server, live_app):
    _working_hours(live_app)
    hint = _duration_hint(new_page("owner1"), live_server).locator(".help")
    expect(hint).to_contain_text("P1D = 1 hari kerja (jam yang sama pada hari kerja berikutnya)")
    expect(hint).to_contain_text("P1W = 5 hari kerja")


def test_modeler_duration_hint_under_the_wall_clock_says_24_hours(new_page, live_server):
    hint = _duration_hint(new_page("owner1"), live_server).locator(".help")
    expect(hint).to_contain_text("P1D = 1 hari (24 jam)")
    expect(hint).not_to_contain_text("hari kerja")


def test_sop_sheet_and_sla_page_print_one_day_as_one_working_day(new_page, live_server, live_app):
    _working_hours(live_app)
    _publish_step3_one_day(live_app)
    sheet = new_page("owner1")
    sheet.goto(f"{live_server}/processes/{PROCESS}/sop")
    expect(sheet.locator("body")).to_contain_text("1 hari kerja")
    sla = new_page("ketua1")
    sla.goto(f"{live_server}/sla")
    row = sla.locator('tr[data-step="Task_3_troubleshooting"]')
    expect(row.locator("td").nth(2)).to_have_text("1 hari kerja")
