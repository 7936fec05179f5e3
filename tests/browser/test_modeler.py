"""The in-browser modeler: process owners revise an SOP diagram and its forms, save a draft."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from webapp.services import versions

pytestmark = pytest.mark.browser

PROCESS = "pemeliharaan_sistem_informasi"
SOP_DIR = Path(__file__).resolve().parents[2] / "processes" / PROCESS
SOP_BPMN = SOP_DIR / f"{PROCESS}.bpmn"
TASK_6 = "Task_6_laporan"
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


BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"


def exported(page: Page, tmp_path: Path) -> etree._Element:
    """The diagram as the modeler exports it (the "Unduh .bpmn" button), parsed."""
    with page.expect_download() as info:
        page.get_by_role("button", name="Unduh .bpmn").click()
    target = tmp_path / "unduhan.bpmn"
    info.value.save_as(target)
    return etree.fromstring(target.read_bytes())


def drawn_standard(root: etree._Element, task_id: str) -> dict:
    """The boundary timers on the task and what each leads to, read from the exported XML."""
    process = root.find(f"{BPMN}process")
    by_id = {el.get("id"): el for el in process.iter() if el.get("id")}
    flows = process.findall(f"{BPMN}sequenceFlow")

    def after(node_id: str) -> list[etree._Element]:
        return [by_id[f.get("targetRef")] for f in flows if f.get("sourceRef") == node_id]

    timers = [
        el for el in process.findall(f"{BPMN}boundaryEvent") if el.get("attachedToRef") == task_id
    ]
    task = by_id[task_id]
    props = {p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property") if p.get("name")}
    lanes = {
        ref.text: lane.get("name")
        for lane in process.iter(f"{BPMN}lane")
        for ref in lane.findall(f"{BPMN}flowNodeRef")
    }
    bounds = {
        shape.get("bpmnElement"): shape.find(f"{DC}Bounds") for shape in root.iter(f"{DI}BPMNShape")
    }
    result: dict = {"timers": timers, "props": props, "lanes": lanes, "bounds": bounds}
    if len(timers) == 1:
        escalations = after(timers[0].get("id"))
        result["escalations"] = escalations
        if len(escalations) == 1:
            escalation = escalations[0]
            result["params"] = {
                p.get("id"): p.get("value") for p in escalation.iter(f"{SPIFF}parameter")
            }
            result["operator"] = escalation.find(f".//{SPIFF}serviceTaskOperator").get("id")
            result["ends"] = after(escalation.get("id"))
    return result


def timer_expression(timer: etree._Element) -> str:
    return timer.find(f"{BPMN}timerEventDefinition/{BPMN}timeDuration").text


def set_standard(page: Page, value: str) -> None:
    standard = props_field(page, "Mutu baku waktu")
    standard.fill(value)
    standard.press("Tab")


def test_one_time_standard_field_draws_updates_and_removes_timer_escalation_and_end(
    new_page, live_server, live_app, tmp_path
):
    page = new_page("owner1")
    errors = watch_errors(page)
    open_modeler(page, live_server)

    select_shape(page, TASK_6)
    number = props_field(page, "Nomor langkah")
    number.fill("6")
    number.press("Tab")
    standard = props_field(page, "Mutu baku waktu")
    expect(standard).to_have_value("")
    expect(page.locator("#props-body")).to_contain_text("Belum ada timer mutu baku")
    standard.fill("2 jem")
    expect(page.locator("#props-body .field.has-error .error")).to_contain_text("tidak sah")
    set_standard(page, "2 jam")  # in words, as the SOP says it: written as ISO in the timer
    expect(props_field(page, "Mutu baku waktu")).to_have_value("2 jam")

    timer_shape = page.locator(f'g.djs-shape[data-element-id="Timer_mutu_baku_{TASK_6}"]')
    expect(timer_shape).to_be_visible()
    expect(page.locator(f'g.djs-shape[data-element-id="Eskalasi_{TASK_6}"]')).to_be_visible()
    expect(page.locator("#props-body")).to_contain_text("Waktu pada lembar SOP: 2 jam.")
    expect(page.locator("#props-body")).to_contain_text("Melewati 2 jam")
    expect(props_field(page, "Waktu")).to_have_value("2 jam")

    drawn = drawn_standard(exported(page, tmp_path), TASK_6)
    [timer] = drawn["timers"]
    assert timer_expression(timer) == '"PT2H"'
    assert timer.get("cancelActivity") == "false"
    assert timer.get("name") == "Melewati 2 jam"
    [escalation] = drawn["escalations"]
    assert escalation.tag == f"{BPMN}serviceTask"
    assert escalation.get("name") == "Eskalasi keterlambatan langkah 6"
    assert drawn["operator"] == "notify_sla_breach"
    assert drawn["params"] == {
        "langkah": f'"{TASK_6}"',
        "batas": '"2 jam"',
        "kepada": '"assignee, role:Ketua Tim"',
    }
    [end] = drawn["ends"]
    assert end.tag == f"{BPMN}endEvent"
    assert drawn["props"]["sopWaktu"] == "2 jam"
    ids = {"timer": timer.get("id"), "escalation": escalation.get("id"), "end": end.get("id")}
    # Laid out in the task's lane, below the task.
    for element_id in (TASK_6, ids["escalation"], ids["end"]):
        assert drawn["lanes"][element_id] == "Tim"
    task_box, escalation_box = drawn["bounds"][TASK_6], drawn["bounds"][ids["escalation"]]
    assert float(escalation_box.get("y")) > float(task_box.get("y")) + float(task_box.get("height"))

    # The task stays selected (clicking it again would deselect it).
    set_standard(page, "PT1H30M")  # ISO is still read, and shown back in words
    expect(page.locator("#props-body")).to_contain_text("Waktu pada lembar SOP: 1 jam 30 menit.")
    expect(props_field(page, "Mutu baku waktu")).to_have_value("1 jam 30 menit")
    drawn = drawn_standard(exported(page, tmp_path), TASK_6)
    [timer] = drawn["timers"]
    assert timer.get("id") == ids["timer"]
    assert timer_expression(timer) == '"PT1H30M"'
    assert timer.get("name") == "Melewati 1 jam 30 menit"
    assert [e.get("id") for e in drawn["escalations"]] == [ids["escalation"]]
    assert drawn["params"]["batas"] == '"1 jam 30 menit"'
    assert [e.get("id") for e in drawn["ends"]] == [ids["end"]]
    assert drawn["props"]["sopWaktu"] == "1 jam 30 menit"

    set_standard(page, "")
    expect(timer_shape).to_have_count(0)
    root = exported(page, tmp_path)
    drawn = drawn_standard(root, TASK_6)
    assert drawn["timers"] == []
    assert "sopWaktu" not in drawn["props"]
    assert root.find(f".//*[@id='{ids['escalation']}']") is None
    assert root.find(f".//*[@id='{ids['end']}']") is None

    # One undo brings the whole standard back, as one step.
    page.get_by_role("button", name="Urungkan").click()
    expect(timer_shape).to_have_count(1)
    drawn = drawn_standard(exported(page, tmp_path), TASK_6)
    assert [t.get("id") for t in drawn["timers"]] == [ids["timer"]]
    assert [e.get("id") for e in drawn["ends"]] == [ids["end"]]
    assert drawn["props"]["sopWaktu"] == "1 jam 30 menit"

    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#save-result")).to_contain_text("Draf versi 2 tersimpan")
    draft = saved_draft(live_app, 2)
    mine = {TASK_6, *ids.values()}
    assert [f for f in draft.findings or [] if f["element"] in mine] == []
    assert errors == []


def test_the_field_updates_a_hand_drawn_timer_and_its_escalation_instead_of_adding_one(
    new_page, live_server, tmp_path
):
    page = new_page("owner1")
    errors = watch_errors(page)
    open_modeler(page, live_server)

    select_shape(page, "Task_3_troubleshooting")
    standard = props_field(page, "Mutu baku waktu")
    expect(standard).to_have_value("2 jam")
    expect(page.locator("#props-body")).to_contain_text("Timer “Melewati 2 jam” → eskalasi")
    set_standard(page, "3 jam")
    expect(page.locator("#props-body")).to_contain_text("Waktu pada lembar SOP: 3 jam.")

    drawn = drawn_standard(exported(page, tmp_path), "Task_3_troubleshooting")
    [timer] = drawn["timers"]
    assert (timer.get("id"), timer_expression(timer)) == ("Timer_3_mutu_baku", '"PT3H"')
    assert timer.get("name") == "Melewati 3 jam"
    assert [e.get("id") for e in drawn["escalations"]] == ["Escalate_3"]
    assert drawn["params"]["batas"] == '"3 jam"'
    assert drawn["params"]["kepada"] == '"assignee, role:Ketua Tim"'
    assert [e.get("id") for e in drawn["ends"]] == ["EndEvent_eskalasi_3"]
    assert drawn["props"]["sopWaktu"] == "3 jam"
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
