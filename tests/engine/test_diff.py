"""webapp.engine.diff: a reviewer sees what a draft changes against the published version."""

from __future__ import annotations

import json

from webapp.engine.diff import Change, changed_forms, diff_processes
from webapp.engine.spec import ParsedProcess, parse_process

from .helpers import (
    LANE_KETUA,
    LANE_TIM,
    SOP_BPMN,
    SOP_FORMS,
    SOP_ID,
    TASK_1,
    TASK_2,
    TASK_3,
    TASK_5,
    sop_process,
)

SOP = SOP_BPMN.read_text(encoding="utf-8")
FORMS = {p.name: p.read_bytes() for p in SOP_FORMS.iterdir()}
TASK_1_NAME = "Menyampaikan pesan perbaikan sistem informasi"
NEW_TASK = "Task_1b_verifikasi"


def _sop(*replacements: tuple[str, str]) -> ParsedProcess:
    text = SOP
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return parse_process(text.encode("utf-8"), SOP_ID)


def _with_new_task() -> ParsedProcess:
    """The SOP with a user task “Verifikasi pesan” between steps 1 and 2, in the first lane."""
    task = (
        f'<bpmn:userTask id="{NEW_TASK}" name="Verifikasi pesan">'
        "<bpmn:incoming>Flow_1_ke_2</bpmn:incoming>"
        "<bpmn:outgoing>Flow_1b_ke_2</bpmn:outgoing></bpmn:userTask>"
    )
    return _sop(
        (
            "<bpmn:flowNodeRef>Timer_1_mutu_baku</bpmn:flowNodeRef>",
            f"<bpmn:flowNodeRef>{NEW_TASK}</bpmn:flowNodeRef>"
            "<bpmn:flowNodeRef>Timer_1_mutu_baku</bpmn:flowNodeRef>",
        ),
        (f'<bpmn:userTask id="{TASK_2}"', f'{task}<bpmn:userTask id="{TASK_2}"'),
        (
            'sourceRef="Task_1_pesan_perbaikan" targetRef="Task_2_analisa" />',
            f'sourceRef="Task_1_pesan_perbaikan" targetRef="{NEW_TASK}" />'
            f'<bpmn:sequenceFlow id="Flow_1b_ke_2" sourceRef="{NEW_TASK}" '
            'targetRef="Task_2_analisa" />',
        ),
        (
            "<bpmn:incoming>Flow_1_ke_2</bpmn:incoming>",
            "<bpmn:incoming>Flow_1b_ke_2</bpmn:incoming>",
        ),
    )


def _by_element(changes: list[Change]) -> dict[str, Change]:
    return {c.element: c for c in changes}


def test_diff_of_the_sop_against_itself_is_empty():
    assert diff_processes(sop_process(), sop_process()) == []


def test_diff_of_the_sop_against_a_fresh_parse_of_the_same_file_is_empty():
    assert diff_processes(sop_process(), parse_process(SOP_BPMN.read_bytes(), SOP_ID)) == []


def test_moving_task_3_to_another_lane_is_a_lane_change():
    new = _sop(
        (f"<bpmn:flowNodeRef>{TASK_3}</bpmn:flowNodeRef>", ""),
        (
            "<bpmn:flowNodeRef>Task_2_analisa</bpmn:flowNodeRef>",
            f"<bpmn:flowNodeRef>Task_2_analisa</bpmn:flowNodeRef>"
            f"<bpmn:flowNodeRef>{TASK_3}</bpmn:flowNodeRef>",
        ),
    )

    changes = diff_processes(sop_process(), new)

    assert changes == [
        Change(
            "changed",
            TASK_3,
            sop_process().steps[TASK_3].name,
            "user",
            [f"lane: {LANE_TIM} → {LANE_KETUA}"],
        )
    ]


def test_changing_pt2h_to_pt3h_is_a_time_standard_change():
    new = _sop(('>"PT2H"</bpmn:timeDuration>', '>"PT3H"</bpmn:timeDuration>'))

    changes = diff_processes(sop_process(), new)

    assert [(c.kind, c.element, c.kind_of_element, c.details) for c in changes] == [
        ("changed", TASK_3, "user", ["mutu baku: PT2H → PT3H"])
    ]


def test_renaming_a_task_is_a_name_change():
    new = _sop((f'name="{TASK_1_NAME}"', 'name="Mengirim pesan perbaikan"'))

    changes = diff_processes(sop_process(), new)

    assert [(c.kind, c.element, c.name, c.details) for c in changes] == [
        (
            "changed",
            TASK_1,
            "Mengirim pesan perbaikan",
            [f"nama: “{TASK_1_NAME}” → “Mengirim pesan perbaikan”"],
        )
    ]


def test_adding_a_task_is_an_added_user_task_with_its_flows():
    changes = diff_processes(sop_process(), _with_new_task())
    by_element = _by_element(changes)

    added = by_element[NEW_TASK]
    assert (added.kind, added.name, added.kind_of_element) == ("added", "Verifikasi pesan", "user")
    assert "lane: Unit Kerja/Koordinator" in added.details
    flows = {(c.kind, c.element) for c in changes if c.kind_of_element == "flow"}
    assert flows == {
        ("removed", f"{TASK_1} → {TASK_2}"),
        ("added", f"{TASK_1} → {NEW_TASK}"),
        ("added", f"{NEW_TASK} → {TASK_2}"),
    }
    assert len(changes) == 4


def test_removing_a_task_is_a_removed_user_task():
    changes = diff_processes(_with_new_task(), sop_process())

    removed = _by_element(changes)[NEW_TASK]
    assert (removed.kind, removed.name, removed.kind_of_element) == (
        "removed",
        "Verifikasi pesan",
        "user",
    )
    assert {c.kind for c in changes if c.kind_of_element == "flow"} == {"added", "removed"}


def test_changing_a_form_file_reference_is_a_form_change():
    new = _sop(
        ('value="langkah_2_analisa.schema.json"', 'value="langkah_2_analisa_v2.schema.json"')
    )

    changes = diff_processes(sop_process(), new)

    assert [(c.kind, c.element, c.details) for c in changes] == [
        (
            "changed",
            TASK_2,
            ["formulir: langkah_2_analisa.schema.json → langkah_2_analisa_v2.schema.json"],
        )
    ]


def test_changing_a_gateway_condition_is_a_flow_condition_change():
    new = _sop(('hasil_uji == "gagal"', 'hasil_uji != "berhasil"'))

    changes = diff_processes(sop_process(), new)

    assert [(c.kind, c.element, c.kind_of_element, c.details) for c in changes] == [
        (
            "changed",
            f"Gateway_hasil_uji → {TASK_3}",
            "flow",
            ['kondisi: hasil_uji == "gagal" → hasil_uji != "berhasil"'],
        )
    ]


def test_changing_the_gateway_default_is_a_gateway_change():
    new = _sop(
        (' default="Flow_uji_berhasil"', ' default="Flow_uji_gagal"'),
        (
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">hasil_uji == "gagal"'
            "</bpmn:conditionExpression>",
            "",
        ),
        (
            'sourceRef="Gateway_hasil_uji" targetRef="Task_5_upload_colocation" />',
            'sourceRef="Gateway_hasil_uji" targetRef="Task_5_upload_colocation">'
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">hasil_uji == "berhasil"'
            "</bpmn:conditionExpression></bpmn:sequenceFlow>",
        ),
    )

    changes = _by_element(diff_processes(sop_process(), new))

    assert changes["Gateway_hasil_uji"].kind_of_element == "gateway"
    assert changes["Gateway_hasil_uji"].details == [f"alur bawaan ke: {TASK_5} → {TASK_3}"]


def test_changing_an_operator_is_an_operator_change():
    new = _sop(('id="deploy_to_colocation"', 'id="notify_sla_breach"'))

    changes = diff_processes(sop_process(), new)

    assert [(c.kind, c.element, c.kind_of_element, c.details) for c in changes] == [
        ("changed", TASK_5, "service", ["operator: deploy_to_colocation → notify_sla_breach"])
    ]


def test_changing_sop_sheet_data_is_a_property_change():
    new = _sop(('value="2 jam"', 'value="3 jam"'))

    changes = diff_processes(sop_process(), new)

    assert [(c.element, c.details) for c in changes] == [(TASK_3, ["waktu: “2 jam” → “3 jam”"])]


def test_renaming_a_lane_is_a_removed_and_an_added_lane_plus_task_lane_changes():
    new = _sop(('name="Ketua Tim">', 'name="Koordinator Tim">'))

    changes = diff_processes(sop_process(), new)

    lanes = [(c.kind, c.element) for c in changes if c.kind_of_element == "lane"]
    assert lanes == [("removed", "Ketua Tim"), ("added", "Koordinator Tim")]
    assert _by_element(changes)[TASK_2].details == ["lane: Ketua Tim → Koordinator Tim"]


def test_diff_against_nothing_lists_every_element_as_added():
    changes = diff_processes(None, sop_process())

    assert changes
    assert {c.kind for c in changes} == {"added"}
    assert {TASK_1, TASK_2, TASK_3, TASK_5} <= {c.element for c in changes}


def test_change_to_dict_is_json_ready():
    change = Change("changed", TASK_3, "Langkah 3", "user", ["mutu baku: PT2H → PT3H"])
    assert json.loads(json.dumps(change.to_dict())) == {
        "kind": "changed",
        "element": TASK_3,
        "name": "Langkah 3",
        "kind_of_element": "user",
        "details": ["mutu baku: PT2H → PT3H"],
    }


# --- forms ----------------------------------------------------------------------------------------


def test_unchanged_forms_give_no_change():
    assert changed_forms(FORMS, dict(FORMS)) == []


def test_changed_form_names_added_removed_and_changed_properties():
    name = "langkah_4_uji_implementasi.schema.json"
    schema = json.loads(FORMS[name])
    schema["properties"]["nomor_tiket"] = {"type": "string", "title": "Nomor tiket"}
    del schema["properties"]["bukti_uji"]
    schema["properties"]["catatan_uji"]["minLength"] = 20
    new_forms = dict(FORMS, **{name: json.dumps(schema).encode()})

    changes = changed_forms(FORMS, new_forms)

    assert len(changes) == 1
    change = changes[0]
    assert (change.kind, change.element, change.kind_of_element) == ("changed", name, "form")
    assert change.details == [
        "properti ditambah: nomor_tiket",
        "properti dihapus: bukti_uji",
        "properti diubah: catatan_uji (minLength)",
    ]


def test_reformatted_form_with_the_same_json_is_not_a_change():
    name = "langkah_4_uji_implementasi.schema.json"
    compact = json.dumps(json.loads(FORMS[name]), separators=(",", ":")).encode()
    assert changed_forms(FORMS, dict(FORMS, **{name: compact})) == []


def test_added_and_removed_form_files_are_listed():
    old = dict(FORMS)
    new = {k: v for k, v in FORMS.items() if k != "langkah_1_pesan_perbaikan.uischema.json"}
    new["langkah_5.schema.json"] = b'{"type": "object"}'

    changes = changed_forms(old, new)

    assert [(c.kind, c.element) for c in changes] == [
        ("removed", "langkah_1_pesan_perbaikan.uischema.json"),
        ("added", "langkah_5.schema.json"),
    ]


def test_changed_ui_schema_names_changed_keys():
    name = "langkah_4_uji_implementasi.uischema.json"
    ui = json.loads(FORMS[name])
    ui["ui:order"] = list(reversed(ui["ui:order"]))
    change = changed_forms(FORMS, dict(FORMS, **{name: json.dumps(ui).encode()}))[0]
    assert change.details == ["kunci diubah: ui:order"]
