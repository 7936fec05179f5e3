"""webapp.engine.lint: a draft is checked before publishing; every problem is a finding."""

from __future__ import annotations

import ast
import io
import json
import random
import zipfile

import pytest
from flask_babel import force_locale
from lxml import etree

from service_tasks import REGISTRY
from webapp.engine.lint import Finding, has_errors, lint, normalize
from webapp.engine.spec import parse_process
from webapp.views.findings import message

from .helpers import (
    DATA,
    LANE_KETUA,
    LANE_TIM,
    LANE_UNIT,
    ROOT,
    SOP_BPMN,
    SOP_FORMS,
    SOP_ID,
    TASK_1,
    TASK_2,
    TASK_3,
    TASK_4,
)
from .test_xml import LAUGHS

LINT_DATA = DATA / "lint"
ROLES = {LANE_UNIT, LANE_KETUA, LANE_TIM}
OPERATORS = REGISTRY
SOP = SOP_BPMN.read_text(encoding="utf-8")
FORMS = {p.name: p.read_bytes() for p in SOP_FORMS.iterdir()}
TIMER_3 = "Timer_3_mutu_baku"
TASK_5 = "Task_5_upload_colocation"
TASK_6 = "Task_6_laporan"
GATEWAY = "Gateway_hasil_uji"


def _lint(bpmn: str | bytes, forms=None, roles=None, process_id=SOP_ID) -> list[Finding]:
    content = bpmn.encode("utf-8") if isinstance(bpmn, str) else bpmn
    return lint(
        content,
        FORMS if forms is None else forms,
        OPERATORS,
        ROLES if roles is None else roles,
        process_id,
    )


# Step 1's properties (the process's own come first in the file).
TASK_1_PROPERTIES = (
    '<spiffworkflow:properties>\n          <spiffworkflow:property name="sopNomor" value="1" />'
)


def _sop(old: str, new: str, count: int = 1) -> str:
    """The SOP with ``old`` replaced by ``new``; fails loudly if ``old`` is not in the file."""
    assert SOP.count(old) >= count, f"{old!r} not found {count} time(s) in the SOP"
    return SOP.replace(old, new, count)


def _words(finding: Finding) -> str:
    """The finding as an Indonesian reader sees it (the view layer words it)."""
    return message(finding.to_dict())


def _only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.to_dict() for f in findings]
    return findings[0]


def test_the_sop_lints_with_zero_errors_and_zero_warnings():
    assert _lint(SOP) == []


def test_the_sop_lints_clean_without_a_process_id():
    assert _lint(SOP, process_id=None) == []


def test_lint_and_diff_import_neither_flask_nor_sqlalchemy_nor_models():
    for name in (
        "lint.py",
        "lint_base.py",
        "lint_forms.py",
        "lint_services.py",
        "form_schema.py",
        "diff.py",
    ):
        tree = ast.parse((ROOT / "webapp" / "engine" / name).read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                modules.add(("." * node.level) + (node.module or ""))
        banned = [
            m
            for m in modules
            if m.split(".")[0] in ("flask", "flask_sqlalchemy", "sqlalchemy") or "models" in m
        ]
        assert banned == [], (name, banned)


def test_finding_to_dict_is_json_ready():
    params = {"case": "unknown", "lane": "X"}
    finding = Finding("error", "lane-no-role", "Lane_x", "X", params, {"create_role": "X"})
    assert json.loads(json.dumps(finding.to_dict())) == {
        "level": "error",
        "code": "lane-no-role",
        "element": "Lane_x",
        "name": "X",
        "params": {"case": "unknown", "lane": "X"},
        "fix": {"create_role": "X"},
    }


def test_has_errors_is_true_only_for_error_findings():
    warning = Finding("warning", "no-time-standard", "T", "", {"label": "T"})
    error = Finding("error", "task-no-lane", "T", "", {"label": "T"})
    assert not has_errors([])
    assert not has_errors([warning])
    assert has_errors([warning, error])


# --- one broken diagram per check -------------------------------------------------------------

BROKEN = {
    # a: no executable process / not the requested process / schema and parser errors
    "no-executable-process": (
        lambda: _sop('isExecutable="true"', 'isExecutable="false"'),
        "error",
        SOP_ID,
    ),
    "bpmn-invalid": (
        lambda: _sop(
            '<bpmn:endEvent id="EndEvent_selesai"',
            '<bpmn:frobnicate id="Frob_1" /><bpmn:endEvent id="EndEvent_selesai"',
        ),
        "error",
        "",
    ),
    # b: ids SpiffWorkflow uses for its own start and end
    "reserved-id": (
        lambda: SOP.replace("StartEvent_permintaan", "Start"),
        "error",
        "Start",
    ),
    # c: a misspelled spiffworkflow: tag
    "unknown-extension": (
        lambda: _sop(
            TASK_1_PROPERTIES,
            "<spiffworkflow:instructionForEndUser>Isi formulir."
            "</spiffworkflow:instructionForEndUser>" + TASK_1_PROPERTIES,
        ),
        "error",
        TASK_1,
    ),
    # d: lanes
    "task-no-lane": (
        lambda: _sop(f"<bpmn:flowNodeRef>{TASK_3}</bpmn:flowNodeRef>", ""),
        "error",
        TASK_3,
    ),
    "lane-no-role": (
        lambda: _sop('name="Ketua Tim">', 'name="Ketua Tim Baru">'),
        "error",
        "Lane_ketua_tim",
    ),
    # e: timers
    "timer-unquoted": (
        lambda: _sop('>"PT2H"</bpmn:timeDuration>', ">PT2H</bpmn:timeDuration>"),
        "warning",
        TIMER_3,
    ),
    "timer-invalid": (
        lambda: _sop('>"PT2H"</bpmn:timeDuration>', '>"2 jam"</bpmn:timeDuration>'),
        "error",
        TIMER_3,
    ),
    "timer-interrupting": (
        lambda: _sop(
            f'cancelActivity="false" attachedToRef="{TASK_3}"',
            f'cancelActivity="true" attachedToRef="{TASK_3}"',
        ),
        "warning",
        TIMER_3,
    ),
    # f: service task operators
    "operator-unknown": (
        lambda: _sop('id="generate_repair_report"', 'id="generate_repair_reprot"'),
        "error",
        TASK_6,
    ),
    "operator-missing": (
        lambda: _sop(
            '<spiffworkflow:serviceTaskOperator id="generate_repair_report" ',
            "<spiffworkflow:serviceTaskOperator ",
        ),
        "error",
        TASK_6,
    ),
    # g: forms
    "form-missing-ref": (
        lambda: _sop(
            '<spiffworkflow:property name="formJsonSchemaFilename" '
            'value="langkah_2_analisa.schema.json" />',
            "",
        ),
        "warning",
        TASK_2,
    ),
    "form-not-found": (
        lambda: _sop(
            'value="langkah_2_analisa.schema.json"', 'value="langkah_2_analisis.schema.json"'
        ),
        "error",
        TASK_2,
    ),
    # h: gateways and expressions
    "gateway-condition": (
        lambda: _sop(' default="Flow_uji_berhasil"', ""),
        "error",
        GATEWAY,
    ),
    "expression-invalid": (
        lambda: _sop('hasil_uji == "gagal"', 'hasil_uji == "gagal" and'),
        "error",
        "Flow_uji_gagal",
    ),
    # i: SOP sheet data and time standards
    "sop-data-missing": (
        lambda: _sop(
            '<spiffworkflow:property name="sopProduk" '
            'value="Arahan pengembangan sistem informasi" />',
            "",
        ),
        "warning",
        TASK_2,
    ),
    "no-time-standard": (
        lambda: _sop(f'attachedToRef="{TASK_4}"', 'attachedToRef="Task_5_upload_colocation"'),
        "warning",
        TASK_4,
    ),
    "step-no-time-standard": (
        lambda: _sop(f'attachedToRef="{TASK_5}"', f'attachedToRef="{TASK_4}"'),
        "warning",
        TASK_5,
    ),
    "step-not-numbered": (
        lambda: _sop('<spiffworkflow:property name="sopNomor" value="2" />', ""),
        "warning",
        TASK_2,
    ),
}


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_each_broken_diagram_gives_exactly_its_finding(code):
    make, level, element = BROKEN[code]

    finding = _only(_lint(make()))

    assert (finding.code, finding.level, finding.element) == (code, level, element)
    assert _words(finding).endswith(".")  # worded by the view layer, not the code alone


def test_reserved_end_id_is_an_error():
    finding = _only(_lint(SOP.replace("EndEvent_selesai", "End")))
    assert (finding.code, finding.level, finding.element) == ("reserved-id", "error", "End")


def test_unknown_extension_names_the_misspelled_tag():
    finding = _only(_lint(BROKEN["unknown-extension"][0]()))
    assert finding.params["tag"] == "spiffworkflow:instructionForEndUser"
    assert finding.fix == {"tag": "spiffworkflow:instructionForEndUser"}


def test_lane_without_role_offers_to_create_the_role():
    finding = _only(_lint(SOP, roles={LANE_UNIT, LANE_KETUA}))
    assert (finding.code, finding.element, finding.name) == ("lane-no-role", "Lane_tim", LANE_TIM)
    assert finding.fix == {"create_role": LANE_TIM}
    assert finding.params == {"case": "unknown", "lane": LANE_TIM}
    assert "“Tim”" in _words(finding)


def test_task_outside_a_lane_message_says_what_to_do():
    finding = _only(_lint(BROKEN["task-no-lane"][0]()))
    assert _words(finding) == (
        "Tugas “Melakukan pemecahan masalah sistem sesuai bahasa pemrograman eksisting” tidak "
        "berada di lane mana pun. Seret tugas ke dalam lane pelaksananya."
    )


def test_no_executable_process_without_a_process_id_is_an_error():
    bpmn = _sop('isExecutable="true"', 'isExecutable="false"')
    finding = _only(_lint(bpmn, process_id=None))
    assert (finding.code, finding.level, finding.element) == ("no-executable-process", "error", "")


def test_process_id_not_in_the_file_is_an_error():
    finding = _only(_lint(SOP, process_id="proses_lain"))
    assert (finding.code, finding.level) == ("process-not-found", "error")


@pytest.mark.parametrize(
    "expression",
    ['"2 jam"', '"P"', '"PT"', '"1D"', '"PT1.5H"', "42", '"PT2H" +', "__import__('os')", ""],
)
def test_timer_duration_that_is_not_iso_is_timer_invalid(expression):
    finding = _only(
        _lint(_sop('>"PT2H"</bpmn:timeDuration>', f">{expression}</bpmn:timeDuration>"))
    )
    assert (finding.code, finding.level, finding.element) == ("timer-invalid", "error", TIMER_3)


@pytest.mark.parametrize(
    ("tag", "expression"),
    [
        ("timeDuration", '"P1DT2H"'),
        ("timeDate", '"2026-12-01T08:00:00+07:00"'),
        ("timeCycle", '"R3/PT1H"'),
    ],
)
def test_valid_timer_expressions_lint_clean(tag, expression):
    bpmn = _sop(
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration>',
        f'<bpmn:{tag} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{tag}>',
    )
    assert _lint(bpmn) == []


@pytest.mark.parametrize(
    ("tag", "expression"),
    [("timeDate", '"besok pagi"'), ("timeDate", '"PT1H"'), ("timeCycle", '"PT1H"')],
)
def test_timer_date_or_cycle_that_is_not_iso_is_timer_invalid(tag, expression):
    bpmn = _sop(
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration>',
        f'<bpmn:{tag} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{tag}>',
    )
    finding = _only(_lint(bpmn))
    assert (finding.code, finding.element) == ("timer-invalid", TIMER_3)


def test_huge_power_in_a_timer_is_refused_at_upload_with_the_timer_named():
    # Red-team finding 3: 10 ** 10 ** 8 would run for hours; the guard refuses it before
    # computing anything, so the upload answers at once with a finding on that timer.
    bpmn = _sop('>"PT2H"</bpmn:timeDuration>', '>"x" * (10 ** 10 ** 8)</bpmn:timeDuration>')
    finding = _only(_lint(bpmn))
    assert (finding.code, finding.element) == ("timer-invalid", TIMER_3)
    assert finding.params["case"] == "unevaluable"
    assert "number too large" in finding.params["detail"]


def test_timer_with_a_call_is_left_to_run_time():
    # Calls may loop in C for the whole sandbox budget: an upload never waits for that.
    bpmn = _sop('>"PT2H"</bpmn:timeDuration>', ">str(sum(range(10 ** 12)))</bpmn:timeDuration>")
    assert _lint(bpmn) == []


def test_timer_that_reads_process_data_is_not_flagged():
    assert _lint(_sop('>"PT2H"</bpmn:timeDuration>', ">batas_waktu</bpmn:timeDuration>")) == []


def test_gateway_condition_finding_names_the_flow_ids():
    finding = _only(_lint(BROKEN["gateway-condition"][0]()))
    assert finding.params["flows"] == ["Flow_uji_berhasil"]
    assert "Flow_uji_berhasil" in _words(finding)
    assert finding.fix == {"flows": ["Flow_uji_berhasil"]}


def test_gateway_with_two_unconditioned_flows_names_both():
    bpmn = _sop(' default="Flow_uji_berhasil"', "")
    bpmn = bpmn.replace(
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">hasil_uji == "gagal"'
        "</bpmn:conditionExpression>",
        "",
    )
    errors = [f for f in _lint(bpmn) if f.level == "error"]
    finding = _only(errors)
    assert finding.code == "gateway-condition"
    assert set(finding.params["flows"]) == {"Flow_uji_gagal", "Flow_uji_berhasil"}
    assert finding.params["case"] == "many"


def test_condition_that_imports_is_expression_invalid():
    finding = _only(_lint(_sop('hasil_uji == "gagal"', '__import__("os").getcwd() == "x"')))
    assert (finding.code, finding.element) == ("expression-invalid", "Flow_uji_gagal")


def test_service_parameter_that_does_not_parse_is_expression_invalid():
    finding = _only(
        _lint(
            _sop(
                'id="aplikasi" type="str" value="aplikasi"',
                'id="aplikasi" type="str" value="aplikasi +"',
            )
        )
    )
    assert (finding.code, finding.element) == ("expression-invalid", "Task_5_upload_colocation")
    assert (finding.params["case"], finding.params["parameter"]) == ("parameter", "aplikasi")


def test_pre_script_that_imports_is_expression_invalid():
    bpmn = _sop(
        TASK_1_PROPERTIES,
        "<spiffworkflow:preScript>import os</spiffworkflow:preScript>" + TASK_1_PROPERTIES,
    )
    finding = _only(_lint(bpmn))
    assert (finding.code, finding.element) == ("expression-invalid", TASK_1)


def test_script_task_that_imports_is_expression_invalid():
    findings = lint((LINT_DATA / "script_import.bpmn").read_bytes(), {}, OPERATORS, ROLES)
    finding = _only(findings)
    assert (finding.code, finding.level, finding.element) == (
        "expression-invalid",
        "error",
        "Script_impor",
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not-json"),
        (b"\xff\xfe\x00", "not-utf8"),
        (b"[1, 2]", "not-an-object"),
        (b'{"type": "objekt"}', "bad-type"),
        (b'{"type": "object", "required": "judul"}', "bad-required"),
    ],
)
def test_form_that_is_not_a_valid_json_schema_is_form_invalid(content, reason):
    forms = dict(FORMS, **{"langkah_2_analisa.schema.json": content})
    finding = _only(_lint(SOP, forms=forms))
    assert (finding.code, finding.level, finding.element) == (
        "form-invalid",
        "error",
        "langkah_2_analisa.schema.json",
    )


def test_ui_schema_that_is_not_json_is_form_invalid():
    forms = dict(FORMS, **{"langkah_3_troubleshooting.uischema.json": b"ui:order: [a]"})
    finding = _only(_lint(SOP, forms=forms))
    assert (finding.code, finding.level, finding.element) == (
        "form-invalid",
        "error",
        "langkah_3_troubleshooting.uischema.json",
    )


def test_missing_ui_schema_file_is_form_not_found():
    forms = {k: v for k, v in FORMS.items() if k != "langkah_1_pesan_perbaikan.uischema.json"}
    finding = _only(_lint(SOP, forms=forms))
    assert (finding.code, finding.element) == ("form-not-found", TASK_1)
    assert finding.fix == {"upload_form": "langkah_1_pesan_perbaikan.uischema.json"}


def test_sop_data_missing_names_the_missing_fields():
    finding = _only(_lint(BROKEN["sop-data-missing"][0]()))
    assert finding.fix == {"missing": ["sopProduk"]}
    assert finding.params["missing"] == ["sopProduk"]
    assert "produk (sopProduk)" in _words(finding)


def _without_task_5_waktu(bpmn: str) -> str:
    """The diagram with the sopWaktu of step 5 (a service task) removed."""
    start = bpmn.index(f'<bpmn:serviceTask id="{TASK_5}"')
    end = bpmn.index("</bpmn:serviceTask>", start)
    waktu = '<spiffworkflow:property name="sopWaktu" value="30 menit" />'
    assert waktu in bpmn[start:end]
    return bpmn[:start] + bpmn[start:end].replace(waktu, "") + bpmn[end:]


def test_numbered_step_without_timer_or_waktu_will_have_an_empty_waktu_on_the_sheet():
    bpmn = _without_task_5_waktu(BROKEN["step-no-time-standard"][0]())
    finding = _only(_lint(bpmn))
    assert (finding.code, finding.element) == ("step-no-time-standard", TASK_5)
    assert finding.params == {"label": "Upload ke server colocation", "nomor": "5"}
    words = _words(finding)
    assert words.startswith("Langkah 5 “Upload ke server colocation”")
    assert "kolom Waktu pada lembar SOP akan kosong" in words
    assert "Mutu baku waktu" in words


def test_numbered_step_with_only_a_written_waktu_is_incomplete_on_the_sheet():
    finding = _only(_lint(BROKEN["step-no-time-standard"][0]()))
    assert finding.params["case"] == "written"
    assert finding.params["written"] == "30 menit"
    words = _words(finding)
    assert "“30 menit”" in words
    assert "tidak ada timer yang mengawasinya" in words
    assert "lembar SOP tidak lengkap" in words


def test_numbered_step_with_a_timer_has_no_step_finding_even_without_waktu():
    assert [f.code for f in _lint(_without_task_5_waktu(SOP))] == []


def test_numbered_user_task_without_timer_keeps_only_the_existing_finding():
    finding = _only(_lint(BROKEN["no-time-standard"][0]()))
    assert finding.code == "no-time-standard"


def test_user_task_without_sop_nomor_will_be_missing_from_the_sheet():
    finding = _only(_lint(BROKEN["step-not-numbered"][0]()))
    assert finding.params == {
        "label": "Menerima dan menganalisa permasalahan, meneruskan ke Tim untuk troubleshooting",
        "case": "",
    }
    words = _words(finding)
    assert "tidak memiliki nomor langkah (sopNomor)" in words
    assert "tidak akan tercantum pada lembar SOP" in words


def test_unnumbered_service_task_is_not_a_sheet_finding():
    task_6 = SOP[SOP.index(f'id="{TASK_6}"') :]
    assert "sopNomor" not in task_6[: task_6.index("</bpmn:serviceTask>")]
    assert _lint(SOP) == []


def test_when_no_step_is_numbered_every_user_task_says_the_sheet_follows_the_flow():
    bpmn = SOP
    for n in range(1, 6):
        old = f'<spiffworkflow:property name="sopNomor" value="{n}" />'
        assert old in bpmn
        bpmn = bpmn.replace(old, "")
    findings = [f for f in _lint(bpmn) if f.code == "step-not-numbered"]
    assert sorted(f.element for f in findings) == [TASK_1, TASK_2, TASK_3, TASK_4]
    assert {f.params["case"] for f in findings} == {"none-numbered"}
    assert "mengurutkan langkah menurut alur" in _words(findings[0])
    assert all(f.code == "step-not-numbered" for f in _lint(bpmn))


def test_the_sheet_warnings_are_worded_in_english_for_an_english_reader(app):
    step = _only(_lint(_without_task_5_waktu(BROKEN["step-no-time-standard"][0]())))
    unnumbered = _only(_lint(BROKEN["step-not-numbered"][0]()))
    with app.test_request_context(), force_locale("en"):
        assert _words(step).startswith("Step 5 “Upload ke server colocation” has no time standard")
        assert "will be empty" in _words(step)
        assert "will not appear on the SOP sheet" in _words(unnumbered)


def test_findings_are_ordered_errors_first_then_by_element():
    bpmn = _sop(f"<bpmn:flowNodeRef>{TASK_3}</bpmn:flowNodeRef>", "")
    bpmn = bpmn.replace('>"PT2H"</bpmn:timeDuration>', ">PT2H</bpmn:timeDuration>")
    bpmn = bpmn.replace('id="generate_repair_report"', 'id="tidak_ada"')
    findings = _lint(bpmn, roles={LANE_UNIT, LANE_KETUA})
    keys = [(f.level, f.element) for f in findings]
    assert keys == [
        ("error", "Lane_tim"),
        ("error", TASK_3),
        ("error", TASK_6),
        ("warning", TIMER_3),
    ]


# --- normalize ----------------------------------------------------------------------------------


def test_normalize_quotes_the_camunda_timer_and_the_result_lints_clean_and_parses():
    original = (LINT_DATA / "camunda_timer.bpmn").read_bytes()
    forms = {"siapkan.schema.json": b'{"type": "object", "properties": {}}'}
    before = lint(original, forms, OPERATORS, {"Petugas"})
    assert [(f.code, f.element) for f in before] == [("timer-unquoted", "Timer_siapkan")]

    normalized, findings = normalize(original)

    finding = _only(findings)
    assert (finding.code, finding.level, finding.element) == (
        "timer-normalized",
        "warning",
        "Timer_siapkan",
    )
    assert b'>"PT10M"</bpmn:timeDuration>' in normalized
    assert b">PT10M<" not in normalized
    assert lint(normalized, forms, OPERATORS, {"Petugas"}) == []
    process = parse_process(normalized, "camunda_timer")
    assert process.steps["Task_siapkan"].time_standard == "PT10M"


def test_normalize_keeps_declaration_namespaces_and_diagram_interchange():
    original = (LINT_DATA / "camunda_timer.bpmn").read_bytes()
    normalized, _ = normalize(original)

    assert normalized.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- Test only')
    old_root, new_root = etree.fromstring(original), etree.fromstring(normalized)
    assert new_root.nsmap == old_root.nsmap
    di = "{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram"
    assert etree.tostring(new_root.find(di), method="c14n") == etree.tostring(
        old_root.find(di), method="c14n"
    )


@pytest.mark.parametrize(
    ("tag", "bare"),
    [
        ("timeDuration", "PT10M"),
        ("timeDuration", "P1D"),
        ("timeCycle", "R3/PT1H"),
        ("timeDate", "2026-12-01T08:00:00Z"),
    ],
)
def test_normalize_quotes_every_kind_of_bare_iso_timer(tag, bare):
    bpmn = _sop(
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration>',
        f'<bpmn:{tag} xsi:type="bpmn:tFormalExpression">{bare}</bpmn:{tag}>',
    )
    assert [f.code for f in _lint(bpmn)] == ["timer-unquoted"]

    normalized, findings = normalize(bpmn.encode("utf-8"))

    assert [(f.code, f.element) for f in findings] == [("timer-normalized", TIMER_3)]
    assert f'>"{bare}"</bpmn:{tag}>'.encode() in normalized
    assert _lint(normalized) == []
    parse_process(normalized, SOP_ID)


def test_normalize_leaves_an_already_quoted_file_byte_for_byte():
    content = SOP_BPMN.read_bytes()
    assert normalize(content) == (content, [])


def test_normalize_of_garbage_returns_it_unchanged_with_an_error():
    content, findings = normalize(b"\x89PNG\r\n")
    assert content == b"\x89PNG\r\n"
    assert [(f.code, f.level) for f in findings] == [("xml-invalid", "error")]


# --- garbage never raises -------------------------------------------------------------------------


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(random.Random(1).randbytes(200))


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", "<w:document xmlns:w='urn:w'><w:body/></w:document>")
    return buffer.getvalue()


def _six_megabytes() -> bytes:
    return SOP_BPMN.read_bytes().replace(
        b"</bpmn:definitions>", b"<!--" + b"x" * (6 * 1024 * 1024) + b"--></bpmn:definitions>"
    )


GARBAGE = {
    "empty": lambda: b"",
    "whitespace": lambda: b"   \n",
    "random": lambda: random.Random(0).randbytes(4096),
    "png": _png,
    "docx-zip": _docx,
    "xml-not-bpmn": lambda: (LINT_DATA / "not_bpmn.xml").read_bytes(),
    "truncated-bpmn": lambda: SOP_BPMN.read_bytes()[:5000],
    "six-megabytes": _six_megabytes,
    "billion-laughs": lambda: LAUGHS.encode(),
    "bpmn-without-process": lambda: (
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'id="D" targetNamespace="x"/>'
    ),
    "none": lambda: None,
}


EXPECTED_GARBAGE_CODE = {
    "xml-not-bpmn": "bpmn-invalid",
    "bpmn-without-process": "no-executable-process",
}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_input_gives_an_error_finding_and_no_exception(kind):
    finding = _only(lint(GARBAGE[kind](), FORMS, OPERATORS, ROLES))

    assert finding.level == "error"
    assert finding.code == EXPECTED_GARBAGE_CODE.get(kind, "xml-invalid")
    assert _words(finding)


def test_garbage_forms_and_odd_arguments_do_not_raise():
    findings = lint(
        SOP_BPMN.read_bytes(), {"langkah_1_pesan_perbaikan.schema.json": None}, set(), set()
    )
    assert has_errors(findings)
    codes = {f.code for f in findings}
    assert {"form-invalid", "operator-unknown", "lane-no-role", "form-not-found"} <= codes


# -- service task parameters: only what the connector declares ---------------------------------

TASK_DEPLOY = "Task_5_upload_colocation"
DEPLOY_PARAMS = '<spiffworkflow:parameter id="rilis" type="str" value="rilis" />'


def _deploy_with(extra: str) -> str:
    return _sop(DEPLOY_PARAMS, DEPLOY_PARAMS + extra)


def test_red_team_config_path_and_script_on_the_deployment_are_refused_with_the_task_named():
    # Red-team finding: config_path pointed at an uploaded TOML whose post_deploy gave a root
    # shell, and script="/usr/bin/env" printed the worker's environment into the call log.
    bpmn = _deploy_with(
        '<spiffworkflow:parameter id="config_path" type="str" value="lampiran_toml" />'
        '<spiffworkflow:parameter id="script" type="str" value=\'"/usr/bin/env"\' />'
    )

    findings = _lint(bpmn)

    assert has_errors(findings)
    assert [(f.level, f.code, f.element, f.name) for f in findings] == [
        ("error", "parameter-undeclared", TASK_DEPLOY, "Upload ke server colocation"),
    ] * 2
    by_param = {f.fix["parameter"]: f for f in findings}
    assert set(by_param) == {"config_path", "script"}
    for name, finding in by_param.items():
        assert finding.params == {
            "label": "Upload ke server colocation",
            "operator": "deploy_to_colocation",
            "parameter": name,
            "allowed": ["aplikasi", "rilis"],
        }
        assert "parameter yang diizinkan: aplikasi, rilis" in _words(finding)
        assert finding.fix == {"operator": "deploy_to_colocation", "parameter": name}


def test_a_missing_required_parameter_is_an_error_on_the_task():
    finding = _only(_lint(_sop(DEPLOY_PARAMS, "")))

    assert (finding.level, finding.code, finding.element) == (
        "error",
        "parameter-missing",
        TASK_DEPLOY,
    )
    assert (finding.params["parameter"], finding.params["operator"]) == (
        "rilis",
        "deploy_to_colocation",
    )
    assert "parameter wajib “rilis”" in _words(finding)


def test_an_optional_parameter_may_be_left_out():
    report = (
        '<spiffworkflow:parameter id="kepada" type="str" value=\'"starter, role:Ketua Tim"\' />'
    )
    assert _lint(_sop(report, "")) == []


def test_a_literal_of_the_wrong_type_is_an_error_and_an_expression_is_left_to_run_time():
    finding = _only(
        _lint(_sop('id="rilis" type="str" value="rilis"', 'id="rilis" type="str" value="42"'))
    )
    assert (finding.code, finding.element) == ("parameter-type", TASK_DEPLOY)
    assert (finding.params["parameter"], finding.params["type"]) == ("rilis", "teks")

    assert (
        _lint(_sop('id="rilis" type="str" value="rilis"', 'id="rilis" type="str" value="str(42)"'))
        == []
    )


def test_an_unknown_operator_is_reported_once_without_parameter_findings():
    finding = _only(_lint(_sop('id="deploy_to_colocation"', 'id="deploy_ke_mars"')))
    assert (finding.code, finding.element) == ("operator-unknown", TASK_DEPLOY)


def test_a_service_task_in_another_process_of_the_file_is_checked_too():
    # A call activity can run the file's other processes: their service tasks run as well.
    other = (
        '<bpmn:process id="proses_lain" isExecutable="false">'
        '<bpmn:serviceTask id="Task_lain" name="Deploy lain"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="deploy_to_colocation">'
        "<spiffworkflow:parameters>"
        '<spiffworkflow:parameter id="aplikasi" type="str" value="aplikasi" />'
        '<spiffworkflow:parameter id="rilis" type="str" value="rilis" />'
        '<spiffworkflow:parameter id="script" type="str" value=\'"/usr/bin/env"\' />'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
        "</bpmn:extensionElements></bpmn:serviceTask></bpmn:process>"
    )
    bpmn = _sop("</bpmn:definitions>", other + "</bpmn:definitions>")

    findings = [f for f in _lint(bpmn) if f.code.startswith("parameter-")]

    assert [(f.level, f.code, f.element, f.name) for f in findings] == [
        ("error", "parameter-undeclared", "Task_lain", "Deploy lain")
    ]


def test_operator_names_without_records_declare_nothing_so_every_parameter_is_refused():
    # Fail closed: a caller that passes bare names (the old API) gets errors, not a pass.
    findings = lint(SOP_BPMN.read_bytes(), FORMS, set(REGISTRY), ROLES, SOP_ID)
    assert {f.code for f in findings} == {"parameter-undeclared"}
    assert {TASK_DEPLOY, TASK_6} <= {f.element for f in findings}


# -- forms the renderer cannot draw ------------------------------------------------------------

STEP_1_FORM = "langkah_1_pesan_perbaikan.schema.json"


def _form_with(prop: dict) -> dict[str, bytes]:
    schema = json.loads(FORMS[STEP_1_FORM])
    schema["properties"]["alamat"] = prop
    return dict(FORMS, **{STEP_1_FORM: json.dumps(schema).encode("utf-8")})


@pytest.mark.parametrize(
    "prop",
    [
        {"type": "object", "properties": {"jalan": {"type": "string"}}},
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "object", "properties": {}}},
        {"type": "null"},
        {"type": ["string", "integer"]},
        {"type": "object", "format": "date"},
    ],
    ids=["nested-object", "free-array", "array-of-objects", "null", "two-types", "object-date"],
)
def test_a_form_property_the_renderer_cannot_draw_is_an_error_naming_task_file_and_property(prop):
    finding = _only(_lint(SOP, forms=_form_with(prop)))

    assert (finding.level, finding.code, finding.element) == ("error", "form-unsupported", TASK_1)
    assert finding.params == {"label": finding.name, "file": STEP_1_FORM, "property": "alamat"}
    assert "“alamat”" in _words(finding) and STEP_1_FORM in _words(finding)


@pytest.mark.parametrize(
    "prop",
    [
        {"type": "string"},
        {},
        {"type": ["string", "null"]},
        {"type": "string", "format": "date"},
        {"type": "string", "format": "data-url"},
        {"type": "integer", "minimum": 1},
        {"type": "boolean"},
        {"type": "string", "enum": ["a", "b"]},
        {"type": "array", "items": {"enum": ["a", "b"]}},
        {"type": "array", "items": {"type": "string"}, "x-options-from-role": "Tim"},
    ],
)
def test_a_form_property_the_renderer_draws_is_no_finding(prop):
    assert _lint(SOP, forms=_form_with(prop)) == []
