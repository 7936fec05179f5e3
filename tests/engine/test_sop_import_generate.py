"""The generator: an SOP table becomes a diagram that parses, lints clean and runs.

Tables are written by hand here (the readers have tests of their own); the end-to-end run
through the services and the database is in tests/services/test_sop_import.py.
"""

from __future__ import annotations

import copy
import json

import pytest
from lxml import etree

import service_tasks
from webapp.engine import lint
from webapp.engine.instance import ProcessInstance
from webapp.engine.sop_document import SopDocument
from webapp.engine.sop_import.generate import table_to_diagram
from webapp.engine.sop_import.table import END, MAX_ROWS, table_errors
from webapp.engine.spec import parse_process
from webapp.engine.xml import parse_bpmn_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
PID = "pemeliharaan_sistem_informasi"
LANES = ["Unit Kerja/Koordinator", "Ketua Tim", "Tim"]


def first_sop_table() -> dict:
    """The first SOP as its reader gives it, with the failed-test loop added in review."""
    row = {"kind": "task", "kelengkapan": "", "output": "", "keterangan": ""}
    return {
        "process_id": PID,
        "name": "Pemeliharaan Sistem Informasi",
        "header": {
            "sopInstansi": "PEMERINTAH PROVINSI JAWA BARAT",
            "sopNomor": "62/ 1671 / DATIN /2023",
            "sopTanggalBerlaku": "2023-06-27",
        },
        "lanes": list(LANES),
        "rows": [
            {**row, "no": 1, "uraian": "Menyampaikan pesan perbaikan sistem informasi",
             "lane": LANES[0], "waktu": "10 menit", "duration": "PT10M",
             "kelengkapan": "Web dan Aplikasi DPMPSTP",
             "output": "Disposisi helpdesk pengembangan sistem informasi"},
            {**row, "no": 2, "uraian": "- Menerima dan menganalisa permasalahan",
             "lane": LANES[1], "waktu": "30'", "duration": "PT30M"},
            {**row, "no": 3, "uraian": "Melakukan pemecahan masalah sistem", "lane": LANES[2],
             "waktu": "2 jam", "duration": "PT2H"},
            {**row, "no": 4, "uraian": "Uji implementasi aplikasi", "lane": LANES[2],
             "kind": "decision", "waktu": "1 jam", "duration": "PT1H",
             "keterangan": "jika gagal kembali ke langkah 3",
             "branches": [{"label": "Berhasil", "target": 5}, {"label": "Gagal", "target": 3}]},
            {**row, "no": 5, "uraian": "Upload ke server colocation", "lane": LANES[2],
             "waktu": "30 menit", "duration": "PT30M"},
        ],
    }  # fmt: skip


def owner_only(findings) -> list:
    """The lint errors left once the owner has created the lanes' roles: must be none."""
    return [f for f in findings if f.level == lint.ERROR]


def lint_of(bpmn: bytes, forms: dict, roles=LANES, pid: str = PID):
    return lint.lint(bpmn, forms, service_tasks.REGISTRY, set(roles), pid)


def complete(instance: ProcessInstance, bpmn_id: str, data: dict) -> None:
    [task] = [t for t in instance.ready_user_tasks() if t.bpmn_id == bpmn_id]
    instance.complete_user_task(task.id, data)


def test_the_table_is_sound_and_the_diagram_lints_clean_with_the_lanes_roles():
    table = first_sop_table()
    assert table_errors(table) == []
    bpmn, forms, findings = table_to_diagram(table)
    assert owner_only(lint_of(bpmn, forms)) == []
    assert findings == []
    # Without the roles, the only errors are the owner's to fix: one per lane.
    errors = owner_only(lint_of(bpmn, forms, roles=()))
    assert {(f.code, f.params["lane"]) for f in errors} == {("lane-no-role", n) for n in LANES}


def test_steps_lanes_time_standards_and_sop_properties_as_the_table_says():
    bpmn, forms, _ = table_to_diagram(first_sop_table())
    process = parse_process(bpmn, PID)
    assert process.lanes == LANES
    steps = {s.properties["sopNomor"]: s for s in process.steps.values() if s.kind == "user"}
    assert sorted(steps) == ["1", "2", "3", "4", "5"]
    assert [steps[n].lane for n in "12345"] == [LANES[0], LANES[1], LANES[2], LANES[2], LANES[2]]
    assert [steps[n].time_standard for n in "12345"] == ["PT10M", "PT30M", "PT2H", "PT1H", "PT30M"]
    assert all(not steps[n].timer.interrupting for n in "12345")
    # The document's "30'" is written as the modeler writes a standard: in words.
    assert steps["2"].properties["sopWaktu"] == "30 menit"
    assert steps["1"].properties["sopKelengkapan"] == "Web dan Aplikasi DPMPSTP"
    assert steps["1"].properties["sopProduk"] == "Disposisi helpdesk pengembangan sistem informasi"
    assert steps["4"].properties["sopKeterangan"] == "jika gagal kembali ke langkah 3"
    assert steps["2"].name == "Menerima dan menganalisa permasalahan"  # the bullet dropped
    assert steps["2"].properties["sopUraian"] == "- Menerima dan menganalisa permasalahan"
    escalations = [s for s in process.steps.values() if s.kind == "service"]
    assert {s.operator for s in escalations} == {"notify_sla_breach"}
    assert len(escalations) == 5
    document = SopDocument(bpmn, PID).document()
    assert document["sopNomor"] == "62/ 1671 / DATIN /2023"
    assert document["sopTanggalBerlaku"] == "2023-06-27"
    assert document["sopInstansi"] == "PEMERINTAH PROVINSI JAWA BARAT"
    # The sheet reads the loop back to step 3 from the decision's branch.
    diagram = SopDocument(bpmn, PID)
    index = {f"Task_{n}": n for n in range(1, 6)}
    assert diagram.loop_backs("Task_4", index) == [("gagal", "Task_3")]


def test_a_decision_runs_both_ways_in_spiffworkflow():
    bpmn, forms, _ = table_to_diagram(first_sop_table())
    schema = json.loads(forms["langkah_4.schema.json"])
    assert schema["properties"]["keputusan_4"]["oneOf"] == [
        {"const": "Berhasil", "title": "Berhasil"},
        {"const": "Gagal", "title": "Gagal"},
    ]
    instance = ProcessInstance.start(parse_process(bpmn, PID))
    for no in (1, 2, 3):
        complete(instance, f"Task_{no}", {f"produk_{no}": "ok"})
    complete(instance, "Task_4", {"keputusan_4": "Gagal", "produk_4": "masih galat"})
    assert [t.bpmn_id for t in instance.ready_user_tasks()] == ["Task_3"]  # back to step 3
    complete(instance, "Task_3", {"produk_3": "diperbaiki"})
    complete(instance, "Task_4", {"keputusan_4": "Berhasil", "produk_4": "selesai"})
    complete(instance, "Task_5", {"produk_5": "terunggah"})
    assert instance.completed
    assert instance.outcome.id == "EndEvent_selesai"


def test_an_end_branch_and_an_end_row_finish_the_case_early():
    table = first_sop_table()
    table["rows"][1] |= {
        "kind": "decision",
        "branches": [{"label": "Lengkap", "target": 3}, {"label": "Tidak lengkap", "target": END}],
    }
    bpmn, forms, findings = table_to_diagram(table)
    assert owner_only(lint_of(bpmn, forms)) == []
    instance = ProcessInstance.start(parse_process(bpmn, PID))
    complete(instance, "Task_1", {"produk_1": "pesan"})
    complete(instance, "Task_2", {"keputusan_2": "Tidak lengkap", "produk_2": "-"})
    assert instance.completed and instance.outcome.name == "Tidak lengkap"


def test_every_user_task_has_a_skeleton_form_with_its_output_and_notes():
    bpmn, forms, _ = table_to_diagram(first_sop_table())
    assert sorted(forms) == sorted(
        f"langkah_{n}.{kind}.json" for n in range(1, 6) for kind in ("schema", "uischema")
    )
    schema = json.loads(forms["langkah_1.schema.json"])
    main = schema["properties"]["produk_1"]
    assert main["title"] == "Disposisi helpdesk pengembangan sistem informasi"
    assert schema["required"] == ["produk_1"] and "catatan_1" in schema["properties"]
    ui = json.loads(forms["langkah_1.uischema.json"])
    assert ui["ui:order"] == ["produk_1", "catatan_1"]


def test_a_service_row_leaves_only_the_operator_to_choose():
    table = first_sop_table()
    table["rows"][4]["kind"] = "service"
    bpmn, forms, findings = table_to_diagram(table)
    assert [(f["code"], f["element"]) for f in findings] == [("import-service-operator", "Task_5")]
    assert "langkah_5.schema.json" not in forms
    errors = owner_only(lint_of(bpmn, forms))
    assert [(f.code, f.element) for f in errors] == [("operator-missing", "Task_5")]


def test_untrusted_text_is_escaped_and_never_reaches_an_id_or_an_expression():
    table = first_sop_table()
    hostile = 'Gagal" or __import__("os").system("id") or "</bpmn:name><x a=\'1\'>&amp;\x01'
    table["name"] = "<script>alert(1)</script> & Co"
    table["lanes"][0] = 'Unit "Kerja" <Koordinator>'
    table["rows"][0]["lane"] = table["lanes"][0]
    table["rows"][0]["uraian"] = hostile
    table["rows"][3]["branches"][1]["label"] = hostile[:100]
    table["process_id"] = "impor_uji"
    bpmn, forms, _ = table_to_diagram(table)
    root = parse_bpmn_xml(bpmn)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert all(i.replace("_", "").isalnum() for i in ids), ids
    process = root.find(f"{BPMN}process")
    assert process.get("name") == "<script>alert(1)</script> & Co"
    assert root.find(f".//{BPMN}userTask").get("name") == hostile.replace("\x01", "")
    lanes = [e.get("name") for e in root.iter(f"{BPMN}lane")]
    assert lanes[0] == 'Unit "Kerja" <Koordinator>'
    roles = [lanes[0], *LANES[1:]]
    assert owner_only(lint_of(bpmn, forms, roles=roles, pid="impor_uji")) == []
    # The label is a quoted string in the condition: choosing it takes that branch, nothing runs.
    instance = ProcessInstance.start(parse_process(bpmn, "impor_uji"))
    for no in (1, 2, 3):
        complete(instance, f"Task_{no}", {f"produk_{no}": "ok"})
    complete(
        instance, "Task_4", {"keputusan_4": hostile[:100].replace("\x01", ""), "produk_4": "-"}
    )
    assert [t.bpmn_id for t in instance.ready_user_tasks()] == ["Task_3"]


def test_lanes_are_bands_and_steps_run_left_to_right_in_row_order():
    bpmn, _, _ = table_to_diagram(first_sop_table())
    root = parse_bpmn_xml(bpmn)
    bounds = {}
    for shape in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape"):
        b = shape.find(f"{DC}Bounds")
        bounds[shape.get("bpmnElement")] = tuple(
            int(b.get(k)) for k in ("x", "y", "width", "height")
        )
    lanes = [bounds[f"Lane_{i}"] for i in (1, 2, 3)]
    for upper, lower in zip(lanes, lanes[1:], strict=False):
        assert upper[1] + upper[3] == lower[1] and upper[0] == lower[0]  # stacked, no gap
    xs = [bounds[f"Task_{n}"][0] for n in range(1, 6)]
    assert xs == sorted(xs) and len(set(xs)) == 5
    for n, lane in zip(range(1, 6), [0, 1, 2, 2, 2], strict=True):
        x, y, w, h = bounds[f"Task_{n}"]
        top, height = lanes[lane][1], lanes[lane][3]
        assert top <= y and y + h <= top + height  # the step sits inside its lane's band
        for part in (f"Timer_{n}", f"Escalate_{n}", f"EndEvent_eskalasi_{n}"):
            px, py, pw, ph = bounds[part]
            assert top <= py and py + ph <= top + height
    # No two shapes of the flow overlap.
    boxes = [b for k, b in bounds.items() if not k.startswith(("Lane_", "Participant_", "Timer_"))]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0]
            assert apart or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1], (a, b)


def test_rows_without_a_lane_and_the_readers_doubts_become_findings():
    table = first_sop_table()
    table["rows"][2]["lane"] = None
    table["rows"][2]["uncertain"] = [
        {"field": "lane", "code": "import-lane-unknown", "params": {"actor": "?"}}
    ]
    table["findings"] = [
        {"code": "import-row-unread", "params": {"text": "catatan kaki"}},
        {"code": "lane-no-role", "params": {"lane": "Tim"}},  # not the reader's: not kept
    ]
    bpmn, forms, findings = table_to_diagram(table)
    got = {(f["code"], f["element"]) for f in findings}
    assert ("import-lane-assumed", "Task_3") in got
    assert ("import-lane-unknown", "Task_3") in got
    assert ("import-row-unread", "") in got
    assert not [code for code, _ in got if not code.startswith("import-")]
    assert all(f["level"] == "warning" for f in findings)
    assert owner_only(lint_of(bpmn, forms)) == []  # placed in the lane before it: it runs


def test_a_table_of_max_rows_generates_and_lints():
    table = first_sop_table()
    base = copy.deepcopy(table["rows"][0])
    table["rows"] = [
        {**base, "no": n, "lane": LANES[n % 3], "uraian": f"Langkah {n}"}
        for n in range(1, MAX_ROWS + 1)
    ]
    assert table_errors(table) == []
    bpmn, forms, findings = table_to_diagram(table)
    assert len(forms) == 2 * MAX_ROWS and findings == []
    assert owner_only(lint_of(bpmn, forms)) == []
    assert len(etree.fromstring(bpmn).findall(f".//{BPMN}userTask")) == MAX_ROWS


@pytest.mark.parametrize(
    "waktu,duration,code",
    [("sebentar", None, "import-waktu-unread"), ("10 menit", "PT1.5H", "import-duration-invalid")],
)
def test_a_time_the_reader_could_not_read_is_kept_in_words_and_said(waktu, duration, code):
    table = first_sop_table()
    table["rows"][0] |= {"waktu": waktu, "duration": duration}
    bpmn, _, findings = table_to_diagram(table)
    assert [f["code"] for f in findings] == [code]
    step = parse_process(bpmn, PID).steps["Task_1"]
    assert step.properties["sopWaktu"] == waktu and step.timer is None


def test_a_first_lane_named_for_the_applicant_is_the_starters_lane():
    table = first_sop_table()
    table["lanes"][0] = "Pemohon"
    table["rows"][0]["lane"] = "Pemohon"
    bpmn, _, findings = table_to_diagram(table)
    assert parse_process(bpmn, PID).starter_lanes == {"Pemohon"}
    assert [(f["code"], f["params"]) for f in findings] == [
        ("import-starter-lane", {"lane": "Pemohon"})
    ]
    # A lane of the office's own staff is never taken for the applicant's.
    assert parse_process(table_to_diagram(first_sop_table())[0], PID).starter_lanes == set()
