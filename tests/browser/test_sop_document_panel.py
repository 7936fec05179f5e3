"""The SOP document's header fields in the modeler: edited in the panel, printed on the sheet."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from webapp.services import versions

pytestmark = pytest.mark.browser

PROCESS = "pemeliharaan_sistem_informasi"


def watch_errors(page: Page) -> list[str]:
    """Collect script errors and CSP violations the page reports."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def header_cell(page: Page, label: str):
    return page.locator("table.head tr", has=page.locator("th", has_text=label)).locator("td").last


def test_owner_edits_the_sop_header_in_the_panel_and_the_drafts_sheet_shows_it(
    new_page, live_server, live_app
):
    page = new_page("owner1")
    errors = watch_errors(page)
    page.goto(f"{live_server}/processes/{PROCESS}/modeler")
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "1")

    # Nothing selected: the panel shows the process's document fields.
    panel = page.locator("#props-body")
    expect(panel.get_by_role("heading", name="Dokumen SOP")).to_be_visible()
    number = panel.get_by_label("Nomor SOP", exact=True)
    expect(number).to_have_value("62/ 1671 / DATIN /2023")
    expect(panel.get_by_label("Tanggal Berlaku", exact=True)).to_have_attribute("type", "date")
    expect(panel.get_by_label("Tanggal Berlaku", exact=True)).to_have_value("2023-06-27")
    expect(panel.get_by_label("Dasar Hukum", exact=True)).to_have_value(
        "Undang-undang Nomor 11 thn 2008 Tentang Informasi dan Transaksi "
        "Elektronik\nPeraturan Pemerintah Nomor 82 thn 2012 Tentang Penyelenggara Sistem dan "
        "Transaksi Elektronik\nPeraturan Presiden Nomor 97 thn 2014 Tentang Penyelenggaraan PTSP."
        "\nPeraturan Pemerintah Nomor 5 Tahun 2021 tentang Penyelenggaraan Perizinan Berusaha "
        "Berbasis Risiko.\nPeraturan Pemerintah Nomor 6 Tahun 2021 tentang Penyelenggaraan "
        "Perizinan Berusaha di Daerah\nPeraturan Gubernur Jawa Barat Nomor 22 Tahun 2022 tentang "
        "Kedudukan dan Susunan Organisasi Perangkat Daerah Provinsi Jawa Barat"
    )

    number.fill("62/ 1671 / DATIN /2024")
    number.press("Tab")
    expect(page.locator("#dirty-state")).to_have_text("Ada perubahan yang belum disimpan")
    revision = panel.get_by_label("Tanggal Revisi", exact=True)
    revision.fill("2024-03-01")
    revision.press("Tab")
    equipment = panel.get_by_label("Peralatan/Perlengkapan", exact=True)
    equipment.fill("Server\nKomputer\nsmartphone\nPrinter\nPemindai")
    equipment.press("Tab")

    page.locator("#draft-note").fill("Revisi kepala SOP")
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#save-result")).to_contain_text("Draf versi 2 tersimpan")

    with live_app.app_context():
        draft = versions.get_version(PROCESS, 2).bpmn_xml
    assert 'name="sopNomor" value="62/ 1671 / DATIN /2024"' in draft
    assert 'name="sopTanggalRevisi" value="2024-03-01"' in draft

    page.goto(f"{live_server}/processes/{PROCESS}/sop?version=2")
    expect(page.locator(".draft")).to_contain_text("DRAF")
    expect(header_cell(page, "Nomor SOP")).to_have_text("62/ 1671 / DATIN /2024")
    expect(header_cell(page, "Tanggal Revisi")).to_have_text("1 Maret 2024")
    expect(header_cell(page, "Tanggal Berlaku")).to_have_text("27 Juni 2023")
    expect(page.locator("table.meta td").nth(3).locator("li")).to_have_text(
        ["Server", "Komputer", "smartphone", "Printer", "Pemindai"]
    )
    # Untouched multi-line fields survive the modeler's round trip line by line.
    expect(page.locator("table.meta td").nth(0).locator("li")).to_have_count(6)
    expect(page.locator("td.agency span.line")).to_have_count(2)
    # The published version's sheet still shows the signed number.
    page.goto(f"{live_server}/processes/{PROCESS}/sop")
    expect(header_cell(page, "Nomor SOP")).to_have_text("62/ 1671 / DATIN /2023")
    assert errors == []
