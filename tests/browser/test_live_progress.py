"""Issue 14, point 3: after the test passes, the page says what comes next, and the case page
follows the deployment by itself: Indonesian status words, a bar that moves and ends full, the
output, the elapsed time against the standard, and the report's links when it is ready."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

import service_tasks
from tests.browser.test_journeys import STEP4_NAME, fill_step4, submit_task, work_on
from tests.conftest import Actions
from webapp.extensions import db
from webapp.models import ServiceCall
from webapp.models.types import utcnow
from webapp.services import reports, service_calls

pytestmark = pytest.mark.browser

UPLOAD = "Upload ke server colocation"
ENGLISH = re.compile(r"\b(queued|running|succeeded|failed|completed|waiting)\b")


@pytest.fixture
def quiet_deployment(monkeypatch):
    """The deployment connector writes two lines of output and succeeds."""

    def deploy(aplikasi, rilis, *, on_output=None):
        if on_output:
            on_output("[2/3] Menyalin berkas ke server colocation")
            on_output("[3/3] Selesai")
        return {"target": "colo:/var/www/app", "exit_code": 0, "log": ""}

    record = dataclasses.replace(service_tasks.REGISTRY["deploy_to_colocation"], function=deploy)
    monkeypatch.setitem(service_tasks.REGISTRY, "deploy_to_colocation", record)


def _started_minutes_ago(app, call_id: int, minutes: int) -> None:
    with app.app_context():
        db.session.execute(
            update(ServiceCall)
            .where(ServiceCall.id == call_id)
            .values(started_at=utcnow() - timedelta(minutes=minutes))
        )
        db.session.commit()


def _due_minutes_ago(app, call_id: int, minutes: int) -> None:
    with app.app_context():
        db.session.execute(
            update(ServiceCall)
            .where(ServiceCall.id == call_id)
            .values(due_at=utcnow() - timedelta(minutes=minutes))
        )
        db.session.commit()


def _progress(page) -> int:
    value = (
        page.locator(".service-calls .call").first.locator(".bar").get_attribute("aria-valuenow")
    )
    return int(value or 0)


def test_case_page_follows_the_deployment_without_a_reload(
    new_page, live_server, live_app, quiet_deployment
):
    instance_id = Actions(live_app).run_to("Task_4_uji_implementasi")
    page = new_page("tim1")

    # Step 4 passes: the worklist says what happens next and links to the case.
    work_on(page, live_server, STEP4_NAME)
    fill_step4(page, "berhasil", "Semua uji lulus.")
    page.locator("#f_lulus_regresi").check()
    submit_task(page)
    next_step = page.locator(".next-step")
    expect(next_step).to_contain_text(f'Langkah "{UPLOAD}" kini dijalankan otomatis')
    next_step.get_by_role("link", name=f"Lihat kasus #{instance_id}").click()
    expect(page).to_have_url(f"{live_server}/cases/{instance_id}")

    calls = page.locator(".service-calls")
    deploy = calls.locator(".call").first
    expect(deploy.locator(".call-status")).to_have_text("menunggu worker")
    expect(page.locator(".page-head .badge")).to_have_text("berjalan")
    expect(page.locator(".report-card")).to_be_hidden()
    expect(page.locator(".meta .current-step")).to_contain_text(UPLOAD)
    page.evaluate("window.sameDocument = true")

    # A worker takes the call and writes output; a quarter hour passes.
    with live_app.app_context():
        call = service_calls.claim_next()
        call_id = call.id
        sink = service_calls._LogSink(call_id)
        sink("[1/3] Memeriksa sumber rilis <b>v2.4.1</b>")
        sink.flush()
    _started_minutes_ago(live_app, call_id, 15)
    expect(deploy.locator(".call-status")).to_have_text("sedang berjalan")
    expect(deploy.locator("pre.log")).to_contain_text("[1/3] Memeriksa sumber rilis <b>v2.4.1</b>")
    expect(deploy.locator(".progress")).to_be_visible()
    expect(deploy.locator(".elapsed")).to_contain_text("15 menit")
    expect(deploy.locator(".elapsed")).to_contain_text("dari mutu baku 30 menit 00 detik")
    expect(deploy.locator(".bar")).to_have_attribute("aria-valuenow", re.compile(r"^(49|50|51)$"))

    # Ten minutes later the bar has moved on.
    _started_minutes_ago(live_app, call_id, 25)
    expect(deploy.locator(".elapsed")).to_contain_text("25 menit")
    assert 80 <= _progress(page) <= 85
    expect(deploy.locator(".elapsed")).to_contain_text("dari mutu baku")

    # Past its due time the bar says late: the server's rule (lateness), not the bar's sum.
    _due_minutes_ago(live_app, call_id, 1)
    expect(deploy.locator(".progress")).to_have_class(re.compile(r"\blate\b"))
    expect(deploy.locator(".elapsed")).to_contain_text("melewati mutu baku 30 menit 00 detik")
    expect(deploy.locator(".call-verdict")).to_have_text("melewati mutu baku")

    # The deployment ends and the report step writes the report.
    with live_app.app_context():
        call = db.session.get(ServiceCall, call_id)
        result, error, output, exit_code = service_calls.execute(call, reports.case_context)
        service_calls.finish(call_id, result, error, output, exit_code)
        assert service_calls.run_queued() == 1
    expect(deploy.locator(".call-status")).to_have_text("berhasil")
    expect(deploy.locator(".bar")).to_have_attribute("aria-valuenow", "100")
    expect(deploy.locator(".bar span")).to_have_attribute("style", re.compile(r"width: 100%"))
    expect(deploy.locator("pre.log")).to_contain_text("[3/3] Selesai")
    expect(calls.locator(".call")).to_have_count(2)
    expect(calls.locator(".call").nth(1).locator(".call-status")).to_have_text("berhasil")
    report = page.locator(".report-card")
    expect(report).to_be_visible()
    expect(report.get_by_role("link", name="Buka dan cetak")).to_have_attribute(
        "href", f"/cases/{instance_id}/report.html"
    )
    expect(report.get_by_role("link", name="Unduh PDF")).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("selesai")
    expect(page.locator(".meta .current-step")).to_be_hidden()
    assert page.evaluate("window.sameDocument === true"), "the page reloaded"
    assert not ENGLISH.search(calls.inner_text() + page.locator(".page-head").inner_text())

    # The case's audit trail says what happened in words, not in codes.
    page.reload()
    trail = page.locator("details", has_text="Jejak audit")
    trail.locator("summary").click()
    expect(trail).to_contain_text("langkah otomatis berhasil")
    expect(trail).to_contain_text("laporan dibuat")
    expect(trail).not_to_contain_text("service.succeeded")
    assert not ENGLISH.search(trail.inner_text())
    # Drawn again on the finished case (no polling), the upload still says it ran late.
    expect(page.locator(".service-calls .call").first.locator(".call-verdict")).to_have_text(
        "melewati mutu baku"
    )
