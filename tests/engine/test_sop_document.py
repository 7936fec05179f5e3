"""What the SOP sheet reads from a diagram: header fields, flow order and loop-backs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import service_tasks
from webapp.engine.lint import lint
from webapp.engine.sop_document import (
    DOCUMENT_FIELDS,
    SopDocument,
    doc_sections,
    items,
    lines,
    parse_date,
)
from webapp.views.findings import message

BPMN_FILE = (
    Path(__file__).resolve().parents[2]
    / "processes"
    / "pemeliharaan_sistem_informasi"
    / "pemeliharaan_sistem_informasi.bpmn"
)

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">
  <bpmn:collaboration id="c">
    <bpmn:documentation>SOP 12/PTSP/2024 Perbaikan
Dasar Hukum:
- Perda 1
- Pergub 2</bpmn:documentation>
    <bpmn:participant id="p" processRef="proses"/>
  </bpmn:collaboration>
  <bpmn:process id="proses" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="sopDisahkan" value=" Kepala Dinas "/>
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="uji"/>
    <bpmn:userTask id="uji" name="Uji"/>
    <bpmn:sequenceFlow id="f2" sourceRef="uji" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="uji">
      <bpmn:conditionExpression>hasil_uji == "gagal"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="upload" name="Lulus"/>
    <bpmn:userTask id="upload" name="Upload"/>
    <bpmn:sequenceFlow id="f5" sourceRef="upload" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_header_fields_come_from_properties_then_documentation():
    document = SopDocument(XML, "proses")
    assert document.field("sopDisahkan", ("disahkan",)) == "Kepala Dinas"
    assert document.field("sopDasarHukum", ("dasar hukum",)) == "- Perda 1\n- Pergub 2"
    assert document.field("sopPeralatan", ("peralatan",)) == ""
    assert document.sop_number() == "12/PTSP/2024"


def test_flow_order_and_loop_back_with_its_condition():
    document = SopDocument(XML, "proses")
    order = document.flow_order()
    assert sorted(order, key=order.get) == ["start", "uji", "gw", "upload", "end"]
    index = {"uji": 0, "upload": 1}
    assert document.loop_backs("uji", index) == [("gagal", "uji")]
    assert document.loop_backs("upload", index) == []


def test_documentation_sections_run_on_to_the_next_label():
    assert doc_sections("Peringatan: satu\ndua\nPencatatan: tiga") == {
        "peringatan": "satu\ndua",
        "pencatatan": "tiga",
    }


def test_the_document_fields_are_the_process_properties_and_sopnomor_is_the_sops():
    xml = XML.replace(
        '<spiffworkflow:property name="sopDisahkan" value=" Kepala Dinas "/>',
        '<spiffworkflow:property name="sopDisahkan" value=" Kepala Dinas "/>'
        '<spiffworkflow:property name="sopNomor" value="7/ UJI /2025"/>'
        '<spiffworkflow:property name="sopInstansi" value="PEMKAB A&#10;DINAS B"/>'
        '<spiffworkflow:property name="sopTanggalBerlaku" value="2025-01-02"/>'
        '<spiffworkflow:property name="sopPeralatan" value="Server&#10;- Printer"/>',
    ).replace('<bpmn:userTask id="uji" name="Uji"/>', USER_TASK_WITH_NUMBER)
    document = SopDocument(xml, "proses").document()
    assert [f.prop for f in DOCUMENT_FIELDS] == list(document)
    assert document["sopNomor"] == "7/ UJI /2025"  # the process's, not step 3's
    assert lines(document["sopInstansi"]) == ["PEMKAB A", "DINAS B"]
    assert parse_date(document["sopTanggalBerlaku"]) == date(2025, 1, 2)
    assert items(document["sopPeralatan"]) == ["Server", "Printer"]
    assert items(document["sopDasarHukum"]) == ["Perda 1", "Pergub 2"]  # documentation
    assert document["sopTanggalRevisi"] == ""


USER_TASK_WITH_NUMBER = """<bpmn:userTask id="uji" name="Uji"><bpmn:extensionElements>
<spiffworkflow:properties><spiffworkflow:property name="sopNomor" value="3"/>
</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"""


def test_dates_are_iso_only_and_items_are_lines_or_bullets():
    assert parse_date("2023-06-27") == date(2023, 6, 27)
    assert parse_date("27 Juni 2023") is None and parse_date("2023-02-30") is None
    assert items("- Undang-undang No 11 - Perpres 97") == ["Undang-undang No 11", "Perpres 97"]
    assert items("satu - dua\ntiga") == ["satu - dua", "tiga"]  # lines: a dash inside stays
    assert items("") == []


def test_an_sop_without_number_or_agency_gets_one_lint_warning_naming_them(engine_app):
    bpmn = BPMN_FILE.read_text(encoding="utf-8")
    for name in ("sopNomor", "sopInstansi"):
        start = bpmn.index(f'<spiffworkflow:property name="{name}" value="')
        bpmn = bpmn[:start] + bpmn[bpmn.index("/>", start) + 2 :]
    bpmn = bpmn.replace("SOP 62/1671/DATIN/2023 — ", "")  # no number in the documentation either
    forms = {p.name: p.read_bytes() for p in (BPMN_FILE.parent / "forms").glob("*.json")}
    roles = {"Unit Kerja/Koordinator", "Ketua Tim", "Tim"}
    args = (forms, service_tasks.REGISTRY, roles, "pemeliharaan_sistem_informasi")
    assert lint(BPMN_FILE.read_bytes(), *args) == []
    [finding] = lint(bpmn.encode("utf-8"), *args)
    assert (finding.level, finding.code, finding.element) == (
        "warning",
        "sop-document-missing",
        "pemeliharaan_sistem_informasi",
    )
    assert finding.params["missing"] == ["sopNomor", "sopInstansi"]
    with engine_app.test_request_context():
        words = message(finding.to_dict())
    assert "sopNomor, sopInstansi" in words and "kepala lembar SOP" in words
