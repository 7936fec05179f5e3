"""The administrator's main journey in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import Actions
from webapp.extensions import db
from webapp.models import HumanTask
from webapp.models.types import utcnow
from webapp.services import service_calls

pytestmark = pytest.mark.browser


def test_admin_finds_an_overdue_case_opens_it_and_reassigns_the_task(
    new_page, live_server, live_app
):
    actions = Actions(live_app)
    on_time = actions.run_to("Task_3_troubleshooting")
    overdue = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(overdue, "Task_3_troubleshooting")
    with live_app.app_context():
        db.session.get(HumanTask, task.id).due_at = utcnow() - timedelta(minutes=5)
        db.session.commit()

    page = new_page("admin1")
    page.locator("header nav").get_by_role("link", name="Semua kasus").click()
    expect(page.locator("tr[data-instance-id]")).to_have_count(2)
    page.get_by_label("Pelaksana").select_option("Tim")
    page.get_by_label("Hanya yang terlambat").check()
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(r"lane=Tim.*overdue=1"))
    rows = page.locator("tr[data-instance-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-instance-id", str(overdue))
    expect(page.locator(f'tr[data-instance-id="{on_time}"]')).to_have_count(0)

    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(f"{live_server}/cases/{overdue}")
    diagram = page.locator(".diagram")
    expect(diagram).to_have_attribute("data-ready", "1")
    expect(page.locator('g.step-overdue[data-element-id="Task_3_troubleshooting"]')).to_have_count(
        1
    )

    # Clicking the step on the diagram shows its history.
    page.locator('g[data-element-id="Task_2_analisa"]').first.click()
    expect(page.locator(".element-detail")).to_contain_text("selesai")

    admin_box = page.locator(f'.task-admin[data-task-id="{task.id}"]')
    admin_box.get_by_label("Berikan kepada").select_option("tim2")
    admin_box.get_by_role("button", name="Alihkan").click()
    expect(page.locator(".flash-success")).to_contain_text("Dedi Anggota Tim")

    tim2 = new_page("tim2")
    expect(tim2.locator(f'tr[data-task-id="{task.id}"]')).to_have_count(1)
    tim1 = new_page("tim1")
    expect(tim1.locator(f'tr[data-task-id="{task.id}"]')).to_have_count(0)


def test_a_finished_case_shows_its_outcome_and_the_admin_filters_by_it(
    new_page, live_server, live_app, deployment
):
    actions = Actions(live_app)
    finished = actions.run_to("end")
    running = actions.start()["id"]
    with live_app.app_context():
        assert service_calls.run_queued() == 2

    page = new_page("unit1")
    page.goto(f"{live_server}/cases/{finished}")
    expect(page.locator(".meta .outcome")).to_contain_text("Hasil: Permasalahan selesai")
    page.goto(f"{live_server}/cases/{running}")
    expect(page.locator(".meta")).to_be_visible()
    expect(page.locator(".meta .outcome")).to_have_count(0)

    admin = new_page("admin1")
    admin.goto(f"{live_server}/admin/cases/")
    expect(admin.get_by_label("Hasil")).to_be_disabled()
    admin.locator("select[name=process]").select_option("pemeliharaan_sistem_informasi")
    admin.get_by_role("button", name="Saring").click()
    admin.get_by_label("Hasil").select_option(label="Permasalahan selesai")
    admin.get_by_role("button", name="Saring").click()
    expect(admin).to_have_url(re.compile(r"outcome=EndEvent_selesai"))
    rows = admin.locator("tr[data-instance-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-instance-id", str(finished))
    expect(rows.first).to_contain_text("Permasalahan selesai")
