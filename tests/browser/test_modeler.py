"""The in-browser modeler: process owners revise an SOP diagram and its forms, save a draft."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from webapp.services import versions

pytestmark = pytest.mark.browser

PROCESS = "pemeliharaan_sistem_informasi"
SOP_DIR = Path(__file__).resolve().parents[2] / "processes" / PROCESS
SOP_BPMN = SOP_DIR / f"{PROCESS}.bpmn"
STEP3_SCHEMA = SOP_DIR / "forms" / "langkah_3_troubleshooting.schema.json"


def watch_errors(page: Page) -> list[str]:
    """Collect script errors and CSP violations the page reports."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    return errors


def open_modeler(page: Page, base: str) -> None:
    page.goto(f"{base}/processes/{PROCESS}/modeler")
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "1")
    expect(page.locator("#dirty-state")).to_have_text("Semua perubahan tersimpan")


def select_shape(page: Page, element_id: str) -> None:
    page.locator(f'g.djs-shape[data-element-id="{element_id}"]').click()
    expect(page.locator("#props-body")).to_have_attribute("data-element", element_id)


def props_field(page: Page, label: str):
    return page.locator("#props-body").get_by_label(label, exact=True)


def saved_draft(live_app, number: int):
    with live_app.app_context():
        return versions.get_version(PROCESS, number)


def test_owner_renames_task_and_sets_timer_duration_then_saves_draft(
    new_page, live_server, live_app
):
    page = new_page("owner1")
    errors = watch_errors(page)
    open_modeler(page, live_server)

    select_shape(page, "Task_3_troubleshooting")
    name = props_field(page, "Nama")
    expect(name).to_have_value(
        "Melakukan pemecahan masalah sistem sesuai bahasa pemrograman eksisting"
    )
    name.fill("Pemecahan masalah sistem (revisi)")
    name.press("Tab")
    expect(page.locator("#dirty-state")).to_have_text("Ada perubahan yang belum disimpan")

    select_shape(page, "Timer_3_mutu_baku")
    duration = props_field(page, "Durasi")
    expect(duration).to_have_value("PT2H")
    duration.fill("3 jam")
    expect(page.locator("#props-body .field.has-error .error")).to_contain_text("tidak sah")
    duration.fill("PT0.5S")  # integer components only, as the Python parser
    expect(page.locator("#props-body .field.has-error .error")).to_contain_text("tidak sah")
    duration.fill("PT2H")
    expect(page.locator("#props-body .field.has-error")).to_have_count(0)
    duration.fill("PT3H")
    expect(page.locator("#props-body .field.has-error")).to_have_count(0)
    duration.press("Tab")

    page.locator("#draft-note").fill("Mutu baku langkah 3 menjadi 3 jam")
    page.get_by_role("button", name="Simpan draf").click()

    result = page.locator("#save-result")
    expect(result).to_be_visible()
    expect(result).to_contain_text("Draf versi 2 tersimpan")
    expect(page.locator("#draft-link")).to_have_attribute("href", f"/processes/{PROCESS}/v/2")
    expect(page.locator("#dirty-state")).to_have_text("Semua perubahan tersimpan")

    draft = saved_draft(live_app, 2)
    assert draft.published_at is None
    assert draft.note == "Mutu baku langkah 3 menjadi 3 jam"
    assert '"PT3H"' in draft.bpmn_xml
    assert "Pemecahan masalah sistem (revisi)" in draft.bpmn_xml
    assert "spiffworkflow:properties" in draft.bpmn_xml
    assert 'name="formJsonSchemaFilename"' in draft.bpmn_xml
    assert "spiffworkflow:serviceTaskOperator" in draft.bpmn_xml
    assert errors == []


def test_form_editor_shows_json_error_then_previews_new_field(new_page, live_server):
    page = new_page("owner1")
    errors = watch_errors(page)
    open_modeler(page, live_server)

    page.get_by_role("tab", name="Formulir").click()
    page.locator('#forms-list button[data-form="langkah_3_troubleshooting"]').click()
    preview = page.locator("#form-preview")
    expect(preview).to_contain_text("Akar masalah")

    schema = page.locator("#form-schema")
    schema.fill('{\n  "title": "Langkah 3",\n  "properties": {\n    "x": }\n}')
    error = page.locator("#form-schema-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("baris 4")

    changed = json.loads(STEP3_SCHEMA.read_text(encoding="utf-8"))
    changed["properties"]["nomor_tiket"] = {"type": "string", "title": "Nomor tiket helpdesk"}
    schema.fill(json.dumps(changed, indent=2, ensure_ascii=False))
    expect(error).to_be_hidden()
    expect(preview).to_contain_text("Nomor tiket helpdesk")
    expect(page.locator("#preview-errors")).to_be_hidden()
    expect(page.locator("#dirty-state")).to_have_text("Ada perubahan yang belum disimpan")
    assert errors == []


def test_user_without_process_owner_role_gets_403(new_page, live_server):
    page = new_page("tim1")
    response = page.goto(f"{live_server}/processes/{PROCESS}/modeler")
    assert response is not None
    assert response.status == 403


def test_uploaded_bpmn_file_loads_and_saves_as_new_draft(new_page, live_server, live_app, tmp_path):
    renamed = "Analisa permasalahan (diunggah)"
    original = "Menerima dan menganalisa permasalahan, meneruskan ke Tim untuk troubleshooting"
    xml = SOP_BPMN.read_text(encoding="utf-8")
    assert original in xml
    local = tmp_path / "dari_camunda.bpmn"
    local.write_text(xml.replace(original, renamed), encoding="utf-8")

    page = new_page("owner1")
    errors = watch_errors(page)
    open_modeler(page, live_server)

    page.locator("#upload-bpmn").set_input_files(str(local))
    expect(page.locator("#modeler-messages")).to_contain_text("dari_camunda.bpmn")
    expect(page.locator("#dirty-state")).to_have_text("Ada perubahan yang belum disimpan")
    select_shape(page, "Task_2_analisa")
    expect(props_field(page, "Nama")).to_have_value(renamed)

    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#save-result")).to_contain_text("Draf versi 2 tersimpan")

    draft = saved_draft(live_app, 2)
    assert renamed in draft.bpmn_xml
    assert original not in draft.bpmn_xml
    assert "spiffworkflow:properties" in draft.bpmn_xml
    assert errors == []


def select_lane(page: Page, lane_id: str) -> None:
    """Click a lane's header strip (where its name is written): a lane is selected there."""
    header = page.locator(f'g.djs-shape[data-element-id="{lane_id}"] > .djs-hit-all')
    box = header.bounding_box()
    assert box is not None
    # A label drawn over the strip would take a locator click: click the point instead.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.75)
    expect(page.locator("#props-body")).to_have_attribute("data-element", lane_id)


def test_owner_marks_a_lane_as_the_applicants_and_the_draft_carries_it(
    new_page, live_server, live_app
):
    page = new_page("owner1")
    errors = watch_errors(page)
    open_modeler(page, live_server)

    # The lane's own strip (its label at the left), not a task drawn inside it.
    select_lane(page, "Lane_unit_kerja")
    starter = props_field(page, "Lajur pemohon (hanya pengaju kasus)")
    expect(starter).not_to_be_checked()
    starter.check()
    expect(page.locator("#dirty-state")).to_have_text("Ada perubahan yang belum disimpan")
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#save-result")).to_contain_text("Draf versi 2 tersimpan")

    draft = saved_draft(live_app, 2)
    lane = draft.bpmn_xml.split('id="Lane_unit_kerja"', 1)[1].split("</bpmn:lane>", 1)[0]
    assert 'name="sopStarterLane" value="true"' in lane
    with live_app.app_context():
        from webapp.engine.spec import parse_process

        parsed = parse_process(draft.bpmn_xml.encode(), PROCESS)
    assert parsed.starter_lanes == frozenset({"Unit Kerja/Koordinator"})

    select_shape(page, "Task_2_analisa")
    select_lane(page, "Lane_unit_kerja")
    expect(props_field(page, "Lajur pemohon (hanya pengaju kasus)")).to_be_checked()
    assert errors == []
