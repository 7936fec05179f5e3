"""Small things a daily user notices: the SOP's name in admin lists, breadcrumbs that follow the
role's own menu, the administrator's actions grouped, a focus ring visible on white, and filter
forms that fold away on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_one_language_walk import deployment_fails_for_pengaduan  # noqa: F401
from tests.conftest import STEP1, STEP2, STEP3, STEP4_PASS, Actions
from webapp.services import service_calls

pytestmark = pytest.mark.browser

SOP_NAME = "Pemeliharaan Sistem Informasi"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def test_admin_case_list_names_the_sop_not_its_id(new_page, live_server, live_app):
    case = Actions(live_app).run_to("Task_2_analisa")
    page = new_page("admin1")
    page.goto(f"{live_server}/admin/cases/")
    cell = page.locator(f'tr[data-instance-id="{case}"] td[data-label="SOP / versi"]')
    expect(cell).to_have_text(f"{SOP_NAME} · v1")
    page_has_no_raw_sop_id(page)


def test_breadcrumbs_lead_back_through_the_roles_own_menu(new_page, live_server, live_app):
    case = Actions(live_app).run_to("Task_2_analisa")  # started by unit1
    admin = new_page("admin1")
    admin.goto(f"{live_server}/cases/{case}")
    crumbs = admin.locator("nav.crumbs")
    expect(crumbs.get_by_role("link")).to_have_text("Semua kasus")
    crumbs.get_by_role("link", name="Semua kasus").click()
    expect(admin).to_have_url(re.compile(r"/admin/cases/$"))

    starter = new_page("unit1")
    starter.goto(f"{live_server}/cases/{case}")
    expect(starter.locator("nav.crumbs").get_by_role("link")).to_have_text("Kasus saya")


def test_admin_actions_are_grouped_with_ending_the_case_apart(new_page, live_server, live_app):
    actions = Actions(live_app)
    case = actions.run_to("Task_3_troubleshooting")
    page = new_page("admin1")
    page.goto(f"{live_server}/cases/{case}")
    panel = page.locator(".admin-card")
    groups = panel.get_by_role("group")
    expect(groups).to_have_count(3)
    expect(groups.locator("h3")).to_have_text(
        ["Status kasus", "Tugas yang terbuka", "Akhiri kasus"]
    )
    state = panel.get_by_role("group", name="Status kasus")
    expect(state.get_by_role("button", name="Tangguhkan")).to_be_visible()
    tasks = panel.get_by_role("group", name="Tugas yang terbuka")
    expect(tasks.get_by_role("button", name="Alihkan")).to_be_visible()
    end = panel.get_by_role("group", name="Akhiri kasus")
    expect(end.get_by_role("button", name="Hentikan")).to_be_visible()
    expect(state.get_by_role("button", name="Hentikan")).to_have_count(0)


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast_on_white(color: str) -> float:
    rgb = tuple(int(n) for n in re.findall(r"\d+", color)[:3])
    return 1.05 / (_luminance(rgb) + 0.05)


def test_keyboard_focus_ring_is_clearly_visible_on_white(new_page, live_server):
    page = new_page("tim1")
    page.goto(f"{live_server}/cases/")
    expect(page.locator("h1")).to_have_text("Kasus saya")
    # Tab until a control inside the white page body has the focus.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('main')"):
            break
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; })()"
    )
    style, width, color = ring
    assert style == "solid"
    assert float(width.removesuffix("px")) >= 3
    assert _contrast_on_white(color) >= 3, color  # WCAG 2.2 focus appearance: 3:1


@pytest.mark.parametrize(
    "path, label",
    [
        ("/admin/cases/", "Cari"),
        ("/admin/users/", "Cari"),
        ("/admin/dashboard/", "Dari"),
        ("/sla", "Dari"),
    ],
)
def test_filter_forms_fold_away_on_a_phone_and_stay_open_on_a_desktop(
    new_page, live_server, path, label
):
    phone = new_page("admin1", viewport=PHONE)
    phone.goto(f"{live_server}{path}")
    search = phone.locator("form[role=search]").get_by_label(label)
    toggle = phone.locator(".filters-fold > summary")
    expect(toggle).to_be_visible()
    expect(search).to_be_hidden()
    toggle.click()
    expect(search).to_be_visible()

    desktop = new_page("admin1", viewport=DESKTOP)
    desktop.goto(f"{live_server}{path}")
    expect(desktop.locator("form[role=search]").get_by_label(label)).to_be_visible()
    expect(desktop.locator(".filters-fold > summary")).to_be_hidden()


def page_has_no_raw_sop_id(page: Page) -> None:
    expect(page.locator("main")).not_to_contain_text("pemeliharaan_sistem_informasi")


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("unit1", "/start/pemeliharaan_sistem_informasi"),
        ("owner1", "/processes/pemeliharaan_sistem_informasi/v/1"),
        ("owner1", "/processes/import"),
        ("admin1", "/admin/users/new"),
    ],
)
def test_the_first_crumb_is_the_menu_entry_the_page_is_under(new_page, live_server, user, path):
    page = new_page(user)
    page.goto(f"{live_server}{path}")
    current = page.locator("header nav a[aria-current=page]")
    expect(current).to_have_count(1)
    first = page.locator("nav.crumbs a, p.crumbs a").first
    expect(first).to_have_text(current.inner_text())
    assert first.get_attribute("href") == current.get_attribute("href")


@pytest.mark.usefixtures("deployment_fails_for_pengaduan")
def test_an_incident_is_headed_by_the_steps_name_not_its_element_id(
    new_page, live_server, live_app
):
    actions = Actions(live_app)
    case = actions.start(data={**STEP1, "aplikasi": "pengaduan"})["id"]
    for step, user, data in (
        ("Task_2_analisa", "ketua1", STEP2),
        ("Task_3_troubleshooting", "tim1", STEP3),
        ("Task_4_uji_implementasi", "tim1", STEP4_PASS),
    ):
        assert actions.complete(user, actions.open_task(case, step).id, data).status_code == 200
    with live_app.app_context():
        service_calls.run_queued()  # the deployment fails: an incident for the administrator
    page = new_page("admin1")
    page.goto(f"{live_server}/cases/{case}")
    heading = page.locator("section.incident h2")
    expect(heading).to_have_text("Insiden: Upload ke server colocation")
    expect(page.locator("main")).not_to_contain_text("Task_5_upload_colocation")
