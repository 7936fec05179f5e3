"""A process owner brings the second SOP in through the pages, as the lead's note describes.

The path, click by click: Pustaka SOP › + SOP baru › process id, the .bpmn and its forms ›
Simpan sebagai draf › one "Buat peran …" per new lane (each lints the draft again) ›
Terbitkan; then the applicant:
Ajukan permintaan › Isi formulir › Kirim.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from tests.services.test_second_sop import (
    LANES,
    PASSWORD,
    PERMOHONAN,
    PID,
    SOP_DIR,
    _user,
)
from webapp.extensions import db
from webapp.models import HumanTask, ProcessInstance, Role
from webapp.services import users

pytestmark = pytest.mark.browser

STEPS = [f"Task_{n}" for n in range(1, 9)]


def _upload_through_the_pages(page: Page, base: str) -> None:
    """Pustaka SOP › SOP baru › files › Simpan sebagai draf; each new lane's role created."""
    page.goto(f"{base}/")
    page.locator("header nav").get_by_role("link", name="Pustaka SOP").click()
    page.get_by_role("link", name="SOP baru").click()
    page.locator("#process_id").fill(PID)
    page.locator("#bpmn").set_input_files(str(SOP_DIR / f"{PID}.bpmn"))
    page.locator("#forms").set_input_files(sorted(str(p) for p in (SOP_DIR / "forms").iterdir()))
    page.get_by_role("button", name="Simpan sebagai draf").click()
    expect(page).to_have_url(f"{base}/processes/{PID}/v/1")
    for lane in LANES:
        page.get_by_role("button", name=f"Buat peran “{lane}”").click()
        expect(page.locator(".flash-success")).to_contain_text(f"Peran “{lane}” tersedia")


def test_owner_uploads_the_second_sop_creates_its_roles_and_sees_it_drawn(
    new_page, live_server, live_app
):
    page = new_page("owner1")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _upload_through_the_pages(page, live_server)
    with live_app.app_context():
        assert set(LANES) <= set(db.session.scalars(db.select(Role.name)))
    # bpmn-js draws all six lanes and the eight numbered steps from the diagram's BPMNDI.
    diagram = page.locator(".diagram")
    expect(diagram).to_have_attribute("data-ready", "1")
    for lane in ("Lane_pemohon", "Lane_front_office", "Lane_kepala_dinas"):
        expect(page.locator(f'g.djs-shape[data-element-id="{lane}"]')).to_have_count(1)
    for prefix in STEPS:
        expect(page.locator(f'g.djs-shape[data-element-id^="{prefix}_"]')).to_have_count(1)
    for end in ("EndEvent_berkas_dikembalikan", "EndEvent_izin_terbit"):
        expect(page.locator(f'g.djs-shape[data-element-id="{end}"]')).to_have_count(1)
    assert errors == []


def test_owner_publishes_and_the_first_applicant_starts_a_case(new_page, live_server, live_app):
    page = new_page("owner1")
    _upload_through_the_pages(page, live_server)
    # Creating the lanes' roles linted version 1 again: it is ready to publish as it is.
    expect(page.locator(".findings .error")).to_have_count(0)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.locator(".flash-success")).to_contain_text("Versi 1 diterbitkan")
    with live_app.app_context():
        pemohon = db.session.scalar(db.select(Role).where(Role.name == "Pemohon"))
        users.create_user(
            _user("admin1"), "pemohon1", "Siti Pemohon", "", PASSWORD, PASSWORD, [pemohon.id]
        )

    applicant = new_page()
    login(applicant, live_server, "pemohon1", PASSWORD)
    applicant.locator("header nav").get_by_role("link", name="Ajukan permintaan").click()
    applicant.locator(f'a[href$="/start/{PID}"]').click()
    form = applicant.locator("main form")
    form.get_by_label("Nama pemohon").fill(PERMOHONAN["nama_pemohon"])
    form.get_by_label("NIK").fill(PERMOHONAN["nik"])
    form.get_by_label("Alamat pemohon").fill(PERMOHONAN["alamat"])
    form.get_by_label("Jenis reklame").select_option("papan")
    form.get_by_label("Lokasi pemasangan").fill(PERMOHONAN["lokasi_reklame"])
    form.get_by_label("Ukuran reklame").fill(PERMOHONAN["ukuran_reklame"])
    form.locator("button[type=submit]").last.click()
    expect(applicant.locator(".flash-success")).to_be_visible()
    with live_app.app_context():
        [case] = db.session.scalars(
            db.select(ProcessInstance).where(ProcessInstance.process_id == PID)
        ).all()
        assert case.started_by.username == "pemohon1"
        steps = db.session.scalars(
            db.select(HumanTask.bpmn_id).where(HumanTask.instance_id == case.id)
        ).all()
    assert re.fullmatch(r"Task_\d_\w+", steps[-1]) and "Task_2_pemeriksaan" in steps
