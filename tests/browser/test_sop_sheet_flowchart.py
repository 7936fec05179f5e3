"""The official SOP sheet as a person reads it: the flowchart drawn in the lane columns, the
document's own dates, and on a phone a table that scrolls inside the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

URL = "/processes/pemeliharaan_sistem_informasi/sop"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def lane_cell(page: Page, step: str, lane: str):
    return page.locator(f'tr[data-step="{step}"] td[data-lane="{lane}"]')


def test_the_sheet_draws_the_flowchart_in_the_lane_columns(new_page, live_server):
    page = new_page("tim1", viewport=DESKTOP)
    page.goto(f"{live_server}{URL}")
    # Symbols, not tick marks: a terminator to start and end, rectangles, the test a diamond.
    expect(page.locator("table.steps")).not_to_contain_text("✓")
    first = lane_cell(page, "Task_1_pesan_perbaikan", "Unit Kerja/Koordinator")
    expect(first.locator("svg.symbol rect[rx]")).to_be_visible()
    expect(
        lane_cell(page, "Task_2_analisa", "Ketua Tim").locator("svg.symbol rect")
    ).to_be_visible()
    test_step = lane_cell(page, "Task_4_uji_implementasi", "Tim")
    expect(test_step.locator("svg.symbol polygon").first).to_be_visible()
    expect(test_step).to_have_attribute("data-shape", "decision")
    last = lane_cell(page, "Task_5_upload_colocation", "Tim")
    expect(last.locator("svg.symbol rect[rx]")).to_be_visible()
    # The mark in words is for the text layer: not seen on the sheet.
    assert first.locator(".mark").evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    # The decision's ways labelled under its diamond.
    expect(test_step.locator("small.flow").nth(0)).to_have_text(
        "↓ Jika berhasil lanjut ke langkah 5."
    )
    expect(test_step.locator("small.flow").nth(1)).to_have_text(
        "↺ Jika gagal kembali ke langkah 3."
    )
    # Arrows: down from step 1, across Ketua Tim's column at step 2's row into its symbol; the
    # way back runs up Tim's column from the diamond to step 3, which it enters from the side.
    step1 = page.locator('tr[data-step="Task_1_pesan_perbaikan"]')
    assert "linear-gradient" in (first.get_attribute("style") or "")
    step2_unit = lane_cell(page, "Task_2_analisa", "Unit Kerja/Koordinator")
    assert "linear-gradient" in (step2_unit.get_attribute("style") or "")
    expect(step1.locator('td[data-lane="Tim"]')).not_to_have_attribute("style", re.compile("."))
    step3 = lane_cell(page, "Task_3_troubleshooting", "Tim")
    expect(step3.locator("svg.symbol polygon")).to_have_count(2)  # arrow in from above and side
    # Dates are the SOP's own, as the signed sheet prints them.
    made = page.locator("table.head tr", has_text="Tanggal Pembuatan").locator("td").last
    expect(made).to_have_text("27 Juni 2023")


def test_on_a_phone_the_steps_table_scrolls_inside_the_page(new_page, live_server):
    page = new_page("tim1", viewport=PHONE)
    page.goto(f"{live_server}{URL}")
    scroller = page.locator(".steps-scroll")
    expect(scroller).to_be_visible()
    # The page itself does not scroll sideways; the table does, inside its box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] > widths[1], widths
    scroller.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    expect(page.locator("table.steps th", has_text="Keterangan")).to_be_in_viewport()
