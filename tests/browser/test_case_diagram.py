"""The case diagram as a person reads it: fitted and legible, zoom and pan, full screen on a
phone, the path the case took, a loop's count, and a step's data under its form's own titles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_report_story import finished_after_one_failed_test
from tests.conftest import Actions
from webapp.extensions import db
from webapp.models import HumanTask
from webapp.models.types import utcnow

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def element(page: Page, element_id: str):
    return page.locator(f'g.djs-element[data-element-id="{element_id}"]')


def scale_and_x(page: Page) -> tuple[float, float]:
    """The diagram's zoom and horizontal offset, from the transform bpmn-js sets."""
    transform = page.locator(".diagram .viewport").get_attribute("transform") or ""
    a, _, _, _, e, _ = (float(n) for n in re.findall(r"-?[\d.]+(?:e-?\d+)?", transform))
    return a, e


def opened(page: Page, base: str, instance_id: int) -> None:
    page.goto(f"{base}/cases/{instance_id}")
    expect(page.locator(".diagram")).to_have_attribute("data-ready", "1")


def test_a_finished_looped_case_shows_its_path_loop_counts_and_labelled_step_data(
    new_page, live_server, live_app, deployment
):
    instance_id = finished_after_one_failed_test(live_app)
    page = new_page("unit1", viewport=DESKTOP)
    opened(page, live_server, instance_id)

    # Every element the case passed is marked: steps, service steps, the gateway, the end.
    for step in [
        "Task_1_pesan_perbaikan",
        "Task_2_analisa",
        "Task_3_troubleshooting",
        "Task_4_uji_implementasi",
        "Task_5_upload_colocation",
        "Task_6_laporan",
        "EndEvent_selesai",
    ]:
        expect(element(page, step)).to_have_class(re.compile(r"\bstep-done\b"))
    for passed in ["StartEvent_permintaan", "Gateway_hasil_uji"]:
        expect(element(page, passed)).to_have_class(re.compile(r"\bstep-passed\b"))
    # Both branches of the test were taken (failed once, then passed); no escalation was.
    for flow in ["Flow_start_ke_1", "Flow_2_ke_3", "Flow_uji_gagal", "Flow_uji_berhasil"]:
        expect(element(page, flow)).to_have_class(re.compile(r"\bflow-taken\b"))
    expect(element(page, "Flow_timer_3_ke_eskalasi")).not_to_have_class(re.compile("flow-taken"))
    expect(element(page, "Escalate_3")).not_to_have_class(re.compile("step-passed"))
    expect(page.locator("g.step-active")).to_have_count(0)

    # A loop's count on the steps done twice, none on the ones done once.
    counts = page.locator(".djs-overlays .loop-count")
    expect(counts).to_have_count(2)
    expect(page.locator('.djs-overlays[data-container-id="Task_3_troubleshooting"]')).to_have_text(
        "×2"
    )
    expect(page.locator('.djs-overlays[data-container-id="Task_4_uji_implementasi"]')).to_have_text(
        "×2"
    )

    # The first view is legible (test_at_1366_...); "Sesuaikan" fits the whole drawing in its
    # box, its labels still readable (lines at least 8 px tall on screen).
    page.get_by_role("button", name="Sesuaikan").click()
    box = page.locator(".diagram").bounding_box()
    drawn = element(page, "Participant_pemeliharaan").locator(".djs-visual > rect").bounding_box()
    assert drawn["x"] >= box["x"] - 1 and drawn["x"] + drawn["width"] <= box["x"] + box["width"] + 1
    assert (
        drawn["y"] >= box["y"] - 1 and drawn["y"] + drawn["height"] <= box["y"] + box["height"] + 1
    )
    line = element(page, "Task_2_analisa").locator("text tspan").first.bounding_box()
    assert line["height"] >= 8, line

    # Clicking a step shows its data under the form's titles and choice labels, who and when.
    element(page, "Task_1_pesan_perbaikan").click()
    detail = page.locator(".element-detail")
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("Tingkat urgensi")
    expect(detail).to_contain_text("Tinggi")
    expect(detail).to_contain_text("Aplikasi Perizinan Online")
    expect(detail).to_contain_text("Rina Unit Kerja")
    expect(detail).to_contain_text("selesai")
    expect(detail).not_to_contain_text("perizinan_online")
    expect(detail).not_to_contain_text("completed")
    element(page, "Task_4_uji_implementasi").click()
    expect(detail.locator(".step-record")).to_have_count(2)
    expect(detail).to_contain_text("Putaran 2")
    expect(detail).to_contain_text("Gagal — kembali ke pemecahan masalah")
    expect(detail).to_contain_text("Berhasil — siap diunggah")
    expect(detail).to_contain_text("Sari Anggota Tim")
    element(page, "Task_5_upload_colocation").click()
    expect(detail).to_contain_text("berhasil")
    element(page, "Gateway_hasil_uji").click()
    expect(detail).to_contain_text("Dilalui oleh kasus ini.")


LABEL_SIZES = """() => Array.from(document.querySelectorAll(
    '.diagram g.djs-element.djs-shape[data-element-id^="Task_"] > .djs-visual > text'
)).map(text => ({
    id: text.closest('g.djs-element').dataset.elementId,
    // The font size as drawn: the label's CSS size times the zoom (the CTM's scale) ...
    drawn: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a,
    // ... and as the screen has it: the height of a line's box.
    line: text.querySelector('tspan').getBoundingClientRect().height,
}))"""


def test_at_1366_the_first_view_draws_step_labels_at_11_px_or_more(new_page, live_server, live_app):
    actions = Actions(live_app)
    instance_id = actions.run_to("Task_3_troubleshooting")
    page = new_page("tim1", viewport=DESKTOP)
    opened(page, live_server, instance_id)
    sizes = page.evaluate(LABEL_SIZES)
    assert len(sizes) >= 5, sizes
    for label in sizes:
        assert label["drawn"] >= 11, label
        assert label["line"] >= 11, label
    # The current step is in view, and the box is no wider than the page (it pans instead).
    box = page.locator(".diagram").bounding_box()
    step = element(page, "Task_3_troubleshooting").bounding_box()
    assert box["x"] <= step["x"] and step["x"] + step["width"] <= box["x"] + box["width"]
    assert box["y"] <= step["y"] and step["y"] + step["height"] <= box["y"] + box["height"]
    assert box["x"] + box["width"] <= DESKTOP["width"]
    # The lanes' whole height is in view at once: no label is cut at the top or the bottom.
    for lane in page.locator('.diagram g.djs-element[data-element-id^="Lane_"]').all():
        drawn = lane.bounding_box()
        assert (
            drawn["y"] >= box["y"] - 1
            and drawn["y"] + drawn["height"] <= box["y"] + box["height"] + 1
        )


def test_the_diagram_zooms_and_pans_by_buttons_and_keyboard(new_page, live_server, live_app):
    instance_id = Actions(live_app).start("unit1")["id"]
    page = new_page("unit1", viewport=DESKTOP)
    opened(page, live_server, instance_id)
    page.get_by_role("button", name="Sesuaikan").click()
    fitted, _ = scale_and_x(page)

    page.get_by_role("button", name="Perbesar").click()
    bigger, _ = scale_and_x(page)
    assert bigger > fitted * 1.2
    page.get_by_role("button", name="Perkecil").click()
    page.get_by_role("button", name="Perkecil").click()
    assert scale_and_x(page)[0] < fitted

    page.locator(".diagram").focus()
    page.keyboard.press("0")
    assert scale_and_x(page)[0] == pytest.approx(fitted, rel=0.01)
    page.keyboard.press("+")
    assert scale_and_x(page)[0] > fitted * 1.2
    _, x = scale_and_x(page)
    page.keyboard.press("ArrowRight")
    assert scale_and_x(page)[1] < x - 40  # the drawing moved left: the view went right
    page.keyboard.press("-")
    assert scale_and_x(page)[0] == pytest.approx(fitted, rel=0.01)


def test_on_a_phone_the_diagram_opens_full_screen_with_active_and_late_steps_distinct(
    new_page, live_server, live_app
):
    actions = Actions(live_app)
    instance_id = actions.run_to("Task_3_troubleshooting")
    with live_app.app_context():
        task = db.session.get(
            HumanTask, actions.open_task(instance_id, "Task_3_troubleshooting").id
        )
        task.due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = new_page("tim1", viewport=PHONE)
    opened(page, live_server, instance_id)
    expect(element(page, "Task_3_troubleshooting")).to_have_class(re.compile(r"\bstep-overdue\b"))
    expect(element(page, "Task_2_analisa")).to_have_class(re.compile(r"\bstep-done\b"))
    expect(element(page, "Task_2_analisa")).not_to_have_class(re.compile("step-overdue|active"))

    full = page.get_by_role("button", name="Layar penuh")
    full.click()
    card = page.locator(".diagram-card")
    expect(card).to_have_class(re.compile(r"\bis-full\b"))
    # The browser's own full screen (Fullscreen API), not only a card fixed over the page.
    assert page.evaluate("document.fullscreenElement?.classList.contains('diagram-card')")
    expect(page.get_by_role("button", name="Tutup layar penuh")).to_have_attribute(
        "aria-pressed", "true"
    )
    shown = card.bounding_box()
    assert (shown["x"], shown["y"]) == (0, 0) and shown["width"] == PHONE["width"]
    assert shown["height"] == PHONE["height"]
    assert page.locator(".diagram").bounding_box()["height"] >= 0.6 * PHONE["height"]
    page.keyboard.press("Escape")
    expect(card).not_to_have_class(re.compile(r"\bis-full\b"))
    expect(page.get_by_role("button", name="Layar penuh")).to_have_attribute(
        "aria-pressed", "false"
    )


def test_without_the_fullscreen_api_the_card_covers_the_phones_screen(
    new_page, live_server, live_app
):
    instance_id = Actions(live_app).start("unit1")["id"]
    page = new_page("unit1", viewport=PHONE)
    # A browser without element full screen (as Safari on an iPhone).
    page.add_init_script(
        "Object.defineProperty(Document.prototype, 'fullscreenEnabled', { get: () => false });"
    )
    opened(page, live_server, instance_id)
    page.get_by_role("button", name="Layar penuh").click()
    card = page.locator(".diagram-card")
    expect(card).to_have_class(re.compile(r"\bis-full\b"))
    assert page.evaluate("document.fullscreenElement") is None
    shown = card.bounding_box()
    assert (shown["x"], shown["y"]) == (0, 0) and shown["width"] == PHONE["width"]
    assert shown["height"] == PHONE["height"]
    page.get_by_role("button", name="Tutup layar penuh").click()
    expect(card).not_to_have_class(re.compile(r"\bis-full\b"))
