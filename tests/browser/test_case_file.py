"""Issue 14, point 4: a task page shows the case file (earlier steps, their files with image
previews) beside the form on a desktop, and above it, folded to a summary, on a phone; open at
first for the step that reads it (the team leader reading the request)."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from tests.conftest import PNG, STEP1, STEP2, Actions

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SCREENSHOT = "data:image/png;name=layar.png;base64," + base64.b64encode(PNG).decode()


def _case_at_step2(live_app) -> tuple[Actions, int]:
    actions = Actions(live_app)
    instance_id = actions.start("unit1", {**STEP1, "lampiran": SCREENSHOT})["id"]
    return actions, instance_id


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_desktop_shows_the_case_file_beside_the_form_with_the_screenshot(
    new_page, live_server, live_app
):
    actions, instance_id = _case_at_step2(live_app)
    step2 = actions.open_task(instance_id, "Task_2_analisa")
    page = new_page("ketua1", viewport=DESKTOP)
    page.goto(f"{live_server}/tasks/{step2.id}")

    casefile = page.locator("details.casefile")
    expect(casefile).to_have_attribute("open", "")
    expect(casefile.locator("dl.data")).to_be_visible()
    expect(casefile).to_contain_text(STEP1["deskripsi"])
    expect(casefile).to_contain_text("Aplikasi Perizinan Online")
    preview = casefile.locator("figure.preview img")
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("alt", "Pratinjau layar.png")
    assert page.evaluate("(img) => img.complete && img.naturalWidth", preview.element_handle()) == 1

    form, side = _box(page.locator("form.taskform")), _box(casefile)
    assert side["x"] >= form["x"] + form["width"], "the case file is beside the form"
    assert side["y"] < form["y"] + form["height"] and form["y"] < side["y"] + side["height"]
    assert side["x"] + side["width"] <= DESKTOP["width"]

    # Beside the form it stays open: its heading is not a toggle there.
    casefile.locator("summary").click()
    expect(casefile).to_have_attribute("open", "")


def test_phone_shows_the_case_file_above_the_form_open_for_the_request_reader(
    new_page, live_server, live_app
):
    actions, instance_id = _case_at_step2(live_app)
    step2 = actions.open_task(instance_id, "Task_2_analisa")
    page = new_page("ketua1", viewport=PHONE, has_touch=True)
    page.goto(f"{live_server}/tasks/{step2.id}")

    casefile = page.locator("details.casefile")
    expect(casefile).to_have_attribute("open", "")
    expect(casefile).to_contain_text(STEP1["judul"])
    side, form = _box(casefile), _box(page.locator("form.taskform"))
    assert side["y"] + side["height"] <= form["y"], "the case file is above the form"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_phone_folds_the_case_file_to_a_summary_for_later_steps(new_page, live_server, live_app):
    actions, instance_id = _case_at_step2(live_app)
    step2 = actions.open_task(instance_id, "Task_2_analisa")
    assert actions.complete("ketua1", step2.id, STEP2).status_code == 200
    step3 = actions.open_task(instance_id, "Task_3_troubleshooting")
    page = new_page("tim1", viewport=PHONE, has_touch=True)
    page.goto(f"{live_server}/tasks/{step3.id}")

    casefile = page.locator("details.casefile")
    expect(casefile).not_to_have_attribute("open", "")
    summary = casefile.locator("summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("2 langkah sebelumnya")
    expect(summary).to_contain_text("1 gambar")
    expect(summary).to_contain_text(STEP1["judul"])
    expect(casefile.locator("dl.data").first).to_be_hidden()
    assert _box(casefile)["y"] < _box(page.locator("form.taskform"))["y"]

    summary.click()
    expect(casefile.locator("dl.data").first).to_be_visible()
    expect(casefile).to_contain_text(STEP2["analisis"])

    # The same step on a desktop: open beside the form.
    desk = new_page("tim1", viewport=DESKTOP)
    desk.goto(f"{live_server}/tasks/{step3.id}")
    expect(desk.locator("details.casefile")).to_have_attribute("open", "")
    expect(desk.locator("details.casefile dl.data").first).to_be_visible()
