"""The dashboard holds step 5 (the upload) to its standard like the report and the SLA page
(issue 14, point 7, the dashboard's part): this month's compliance card counts a late
deployment, and a deployment running past its standard is late work now (card and table)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

import service_tasks
from tests.conftest import STEP1, STEP2, STEP3, STEP4_PASS, Actions
from webapp.models.types import utcnow
from webapp.services import service_calls

pytestmark = pytest.mark.browser

TOOK = timedelta(minutes=45)  # the upload's standard is 30 minutes


def through_the_test(actions: Actions) -> int:
    """A case through steps 1–4, its test passed: step 5 (the deployment) is queued."""
    case = actions.start(data=STEP1)["id"]
    for step, user, data in (
        ("Task_2_analisa", "ketua1", STEP2),
        ("Task_3_troubleshooting", "tim1", STEP3),
        ("Task_4_uji_implementasi", "tim1", STEP4_PASS),
    ):
        task = actions.open_task(case, step)
        assert actions.complete(user, task.id, data).status_code == 200
    return case


@pytest.fixture
def slow_deployment(monkeypatch):
    """A deployment that takes 45 minutes: the clock is moved on while it "runs"."""
    clock = {}

    def deploy(aplikasi, rilis, *, on_output=None):
        clock["traveller"].shift(TOOK)
        return {"target": "colo:/var/www/app", "exit_code": 0, "log": "ok"}

    record = dataclasses.replace(service_tasks.REGISTRY["deploy_to_colocation"], function=deploy)
    monkeypatch.setitem(service_tasks.REGISTRY, "deploy_to_colocation", record)
    return clock


def test_a_late_deployment_counts_in_this_months_card(
    new_page, live_server, live_app, slow_deployment
):
    actions = Actions(live_app)
    # Queued and started an hour ago, finished 45 minutes later: within this month, before now.
    with time_machine.travel(utcnow() - timedelta(hours=1), tick=True) as traveller:
        through_the_test(actions)
        slow_deployment["traveller"] = traveller
        with live_app.app_context():
            assert service_calls.run_queued() == 2  # the deployment, then the report

    page = new_page("admin1")
    page.goto(f"{live_server}/admin/dashboard/")
    card = page.locator('[data-card="compliance"]')
    # Steps 1–4 on time, the upload late: 4 of 5.
    expect(card.locator(".stat-value")).to_have_text("80,0\u00a0%")
    expect(card).to_contain_text("4 dari 5 tugas selesai tepat waktu")
    expect(card.locator('[data-card-part="service"]')).to_have_text(
        "termasuk langkah otomatis: 0 dari 1 tepat waktu"
    )


def test_a_deployment_running_past_its_standard_is_late_now(new_page, live_server, live_app):
    actions = Actions(live_app)
    # Queued 45 minutes ago (its standard counts from then), taken by the worker at once and
    # not finished.
    with time_machine.travel(utcnow() - TOOK, tick=False):
        case = through_the_test(actions)
        with live_app.app_context():
            assert service_calls.claim_next() is not None

    page = new_page("admin1")
    page.goto(f"{live_server}/admin/dashboard/")
    expect(page.locator('[data-card="overdue"] .stat-value')).to_have_text("1")
    late = page.locator('#table-overdue tr[data-step="Task_5_upload_colocation"]')
    expect(late).to_have_count(1)
    expect(late).to_contain_text(f"#{case}")
    expect(late).to_contain_text("Upload ke server colocation")
    expect(late).to_contain_text("sistem (otomatis)")
    running = page.locator('#table-running tr[data-step="Task_5_upload_colocation"]')
    expect(running.locator('td[data-label="Terlambat"]')).to_have_text("1")
