"""The import review screen in a browser: the table next to the drawn diagram, the uncertain
cells highlighted, a lane corrected, the diagram redrawn, the draft created."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import ProcessVersion

pytestmark = pytest.mark.browser

SEED = Path(__file__).resolve().parents[1] / "data" / "seed" / "000_aaf86235defc21c3.txt"
# Each step's lane as the first SOP has it (the seed has no marks: the review gives them).
LANES = {1: "Unit Kerja/Koordinator", 2: "Ketua Tim", 3: "Tim", 4: "Tim", 5: "Tim"}


def watch_errors(page: Page) -> list[str]:
    """Collect script errors and CSP violations the page reports."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessVersion))


def review_ready(page: Page) -> None:
    expect(page.locator("#import-diagram")).to_have_attribute("data-ready", "1")


def sop_docx() -> bytes:
    """A small SOP as an office writes it in Word: header block, then the procedure table with
    a mark in each row's Pelaksana column (one row without a mark: its lane is asked)."""
    from docx import Document

    document = Document()
    head = document.add_table(rows=3, cols=2)
    for row, (label, value) in zip(
        head.rows,
        [
            ("Nomor SOP", "12/ 345 / UJI /2024"),
            ("Nama SOP", "Layanan Pengaduan"),
            ("Tanggal Pembuatan", "2 Januari 2024"),
        ],
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = label, value
    lanes = ["Front Office", "Petugas", "Kepala Seksi"]
    columns = ["No", "Uraian", *lanes, "Kelengkapan", "Waktu", "Output", "Keterangan"]
    steps = [
        (1, "Front Office menerima pengaduan", "Front Office", "Formulir", "10 menit", "Tiket"),
        (2, "Menelaah pengaduan", "Petugas", "Tiket", "2 jam", "Telaah"),
        (3, "Menyetujui jawaban", None, "Telaah", "1 hari", "Jawaban"),
    ]
    table = document.add_table(rows=1 + len(steps), cols=len(columns))
    for cell, text in zip(table.rows[0].cells, columns, strict=True):
        cell.text = text
    for row, (no, uraian, lane, kelengkapan, waktu, output) in zip(
        table.rows[1:], steps, strict=True
    ):
        values = [str(no), uraian, *("√" if lane == x else "" for x in lanes)]
        values += [kelengkapan, waktu, output, ""]
        for cell, text in zip(row.cells, values, strict=True):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_owner_pastes_the_seed_corrects_the_lanes_redraws_and_creates_the_draft(
    new_page, live_server, live_app
):
    page = new_page("owner1", viewport={"width": 1440, "height": 900})
    errors = watch_errors(page)
    page.goto(f"{live_server}/processes/")
    page.get_by_role("link", name="Impor dari dokumen").click()
    page.get_by_label("Atau tempel tabel SOP (teks atau HTML)").fill(SEED.read_text("utf-8"))
    page.get_by_role("button", name="Baca dokumen").click()

    # The table next to the drawn diagram.
    review_ready(page)
    expect(page.locator("tr[data-row]")).to_have_count(5)
    table_box = page.locator("section.import-table").bounding_box()
    diagram_box = page.locator("#import-diagram").bounding_box()
    assert diagram_box["x"] > table_box["x"] + table_box["width"] - 1, "side by side"
    expect(page.locator("#import-diagram .djs-shape[data-element-id]").first).to_be_visible()

    # The seed has no marks in its Pelaksana columns: each lane is highlighted and asked.
    first_lane = page.locator("tr[data-row='2'] [data-cell='lane']")
    expect(first_lane).to_have_class(re.compile(r"\bunsure\b"))
    expect(first_lane.locator(".unsure-reason")).not_to_be_empty()
    expect(first_lane.locator(".unsure-reason")).not_to_contain_text("import-")
    assert int(page.locator("#import-diagram").get_attribute("data-unsure")) >= 1

    # Correct each row's lane, then redraw without saving.
    before = versions(live_app)
    for no, lane in LANES.items():
        select = page.get_by_label(f"Pelaksana langkah {no}", exact=True)
        if select.input_value() == lane:  # guessed right: say so, or it stays uncertain
            ok = page.locator(f"tr[data-row='{no}'] [data-cell='lane'] .unsure-ok input")
            if ok.count():
                ok.check()
        else:
            select.select_option(lane)
    page.get_by_role("button", name="Gambar ulang diagram").click()
    review_ready(page)
    expect(page.get_by_label("Pelaksana langkah 2", exact=True)).to_have_value("Ketua Tim")
    expect(page.locator("tr[data-row='2'] [data-cell='lane']")).not_to_have_class(
        re.compile(r"\bunsure\b")
    )
    expect(page.locator("#import-diagram .djs-element.import-unsure")).to_have_count(0)
    assert versions(live_app) == before, "redrawing saves nothing"

    # Confirm: the draft is created and its version page shows its findings.
    page.get_by_label("Id proses").fill("pemeliharaan_dari_dokumen")
    page.get_by_role("button", name="Buat draf").click()
    expect(page).to_have_url(f"{live_server}/processes/pemeliharaan_dari_dokumen/v/1")
    expect(page.locator(".flash-success")).to_contain_text("Draf versi 1 dibuat dari dokumen SOP")
    expect(page.get_by_role("heading", name="Pemeriksaan")).to_be_visible()
    expect(page.locator(".diagram[data-ready='1']")).to_have_count(1)
    assert versions(live_app) == before + 1
    assert not errors, errors


def test_owner_uploads_a_docx_and_sees_the_unmarked_row_asked(new_page, live_server, tmp_path):
    path = tmp_path / "SOP Layanan Pengaduan.docx"
    path.write_bytes(sop_docx())
    page = new_page("owner1")
    errors = watch_errors(page)
    page.goto(f"{live_server}/processes/import")
    page.get_by_label("Berkas dokumen (DOCX, XLSX, PDF, teks atau HTML)").set_input_files(path)
    page.get_by_role("button", name="Baca dokumen").click()
    review_ready(page)
    expect(page.get_by_label("Pelaksana langkah 1", exact=True)).to_have_value("Front Office")
    expect(page.get_by_label("Pelaksana langkah 2", exact=True)).to_have_value("Petugas")
    asked = page.locator("tr[data-row='3'] [data-cell='lane']")
    expect(asked).to_have_class(re.compile(r"\bunsure\b"))
    page.get_by_label("Pelaksana langkah 3", exact=True).select_option("Kepala Seksi")
    page.get_by_role("button", name="Buat draf").click()
    expect(page).to_have_url(re.compile(r"/processes/[a-z0-9_]+/v/1$"))
    assert not errors, errors


def test_a_file_over_the_limit_is_refused_in_the_browser_and_the_text_stays(
    new_page, live_server, live_app, tmp_path
):
    live_app.config["MAX_UPLOAD_BYTES"] = 2048
    path = tmp_path / "besar.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * 4096)
    page = new_page("owner1")
    page.goto(f"{live_server}/processes/import")
    page.get_by_label("Atau tempel tabel SOP (teks atau HTML)").fill("teks yang ditempel")
    page.get_by_label("Berkas dokumen (DOCX, XLSX, PDF, teks atau HTML)").set_input_files(path)
    expect(page.locator("#file_error")).to_contain_text("lebih besar dari")
    page.get_by_role("button", name="Baca dokumen").click()
    expect(page).to_have_url(f"{live_server}/processes/import")
    expect(page.get_by_label("Atau tempel tabel SOP (teks atau HTML)")).to_have_value(
        "teks yang ditempel"
    )
