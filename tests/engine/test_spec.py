"""webapp.engine.spec: every diagram parses with validation; the SOP says what its sheet says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from service_tasks import REGISTRY
from webapp.engine.spec import DiagramError, ParsedProcess, parse_process

from .helpers import (
    DATA,
    DIAGRAMS,
    LANE_KETUA,
    LANE_TIM,
    LANE_UNIT,
    SOP_BPMN,
    SOP_FORMS,
    SOP_ID,
    TASK_1,
    TASK_2,
    TASK_3,
    TASK_4,
    TASK_5,
    sop_process,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

SOP_STEPS = [TASK_1, TASK_2, TASK_3, TASK_4, TASK_5]


def _diagram_id(path: Path) -> str:
    return path.parent.name


def _parse(path: Path) -> ParsedProcess:
    return parse_process(path.read_bytes(), path.stem)


def test_the_sop_diagram_is_among_the_globbed_diagrams():
    # Guards the glob itself: if it matched nothing, the parametrized tests would silently vanish.
    assert SOP_BPMN in DIAGRAMS


@pytest.mark.parametrize("path", DIAGRAMS, ids=_diagram_id)
def test_every_diagram_parses_with_validation(path):
    process = _parse(path)

    assert process.process_id == path.stem
    assert process.steps, "a diagram without user or service tasks is not an SOP"
    assert process.first_user_step().kind == "user"


@pytest.mark.parametrize("path", DIAGRAMS, ids=_diagram_id)
def test_every_service_operator_is_registered(path):
    process = _parse(path)
    operators = {s.operator for s in process.steps.values() if s.kind == "service"}

    assert None not in operators, "a service task without spiffworkflow:serviceTaskOperator"
    assert operators <= set(REGISTRY), f"unregistered operators: {operators - set(REGISTRY)}"


@pytest.mark.parametrize(
    "path", DIAGRAMS + sorted(DATA.glob("*.bpmn")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_element_ids_start_and_end_are_not_used(path):
    root = etree.fromstring(path.read_bytes())
    ids = {el.get("id") for el in root.iter() if el.get("id")}

    assert ids, "no element ids found: the check would be vacuous"
    assert not ids & {"Start", "End"}


def test_sop_has_exactly_the_three_lanes():
    assert sop_process().lanes == [LANE_UNIT, LANE_KETUA, LANE_TIM]


@pytest.mark.parametrize(
    ("bpmn_id", "lane", "time_standard"),
    [
        (TASK_1, LANE_UNIT, "PT10M"),
        (TASK_2, LANE_KETUA, "PT30M"),
        (TASK_3, LANE_TIM, "PT2H"),
        (TASK_4, LANE_TIM, "PT1H"),
    ],
)
def test_steps_1_to_4_are_user_tasks_in_their_lanes_with_non_interrupting_timers(
    bpmn_id, lane, time_standard
):
    step = sop_process().steps[bpmn_id]

    assert step.kind == "user"
    assert step.lane == lane
    assert step.timer is not None
    assert step.time_standard == time_standard
    assert step.timer.interrupting is False


def test_step_5_is_the_deploy_service_task_with_a_30_minute_timer():
    step = sop_process().steps[TASK_5]

    assert step.kind == "service"
    assert step.operator == "deploy_to_colocation"
    assert step.lane == LANE_TIM
    assert step.timer is not None
    assert step.time_standard == "PT30M"
    assert step.timer.interrupting is False


@pytest.mark.parametrize("bpmn_id", SOP_STEPS)
def test_steps_1_to_5_carry_sop_properties_and_documentation(bpmn_id):
    step = sop_process().steps[bpmn_id]

    for name in ("sopKelengkapan", "sopWaktu", "sopProduk"):
        assert step.properties.get(name, "").strip(), f"{bpmn_id} lacks {name}"
    assert step.documentation.strip(), f"{bpmn_id} has no documentation"


@pytest.mark.parametrize("path", DIAGRAMS, ids=_diagram_id)
def test_every_user_task_references_existing_valid_form_files(path):
    process = _parse(path)
    forms = path.parent / "forms"
    assert process.user_steps

    for step in process.user_steps:
        assert step.form_schema_file, f"{step.bpmn_id} names no formJsonSchemaFilename"
        assert step.ui_schema_file, f"{step.bpmn_id} names no formUiSchemaFilename"
        schema_path = forms / step.form_schema_file
        ui_path = forms / step.ui_schema_file
        assert schema_path.is_file(), f"{step.bpmn_id}: {schema_path} does not exist"
        assert ui_path.is_file(), f"{step.bpmn_id}: {ui_path} does not exist"

        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        assert schema.get("$schema") == DRAFT_2020_12, f"{schema_path.name} is not Draft 2020-12"
        Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object"
        assert isinstance(json.loads(ui_path.read_text(encoding="utf-8")), dict)


def test_sop_form_files_are_the_expected_ones():
    names = {sop_process().steps[t].form_schema_file for t in (TASK_1, TASK_2, TASK_3, TASK_4)}

    assert names == {p.name for p in SOP_FORMS.glob("*.schema.json")}


def test_first_user_step_is_task_1():
    assert sop_process().first_user_step().bpmn_id == TASK_1


# -- broken files ------------------------------------------------------------------------------

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="{SPIFF_NS}"'
    ' id="Definitions_broken" targetNamespace="http://bpmn.io/schema/bpmn">'
    '<bpmn:process id="broken" isExecutable="true">'
)
_TAIL = "</bpmn:process></bpmn:definitions>"

BROKEN = {
    "not-xml": (b"this is not XML at all", None),
    "empty": (b"", None),
    "truncated-xml": (SOP_BPMN.read_bytes()[:2000], SOP_ID),
    "xml-not-bpmn": (b'<?xml version="1.0"?><root><child id="a"/></root>', None),
    "bpmn-unknown-element": (
        (
            _HEAD + '<bpmn:startEvent id="StartEvent_x"/><bpmn:bogusTask id="Bogus_1"/>' + _TAIL
        ).encode(),
        "broken",
    ),
    "bpmn-element-order": (
        (
            _HEAD
            + '<bpmn:userTask id="Task_x"><bpmn:startEvent id="StartEvent_x"/></bpmn:userTask>'
            + _TAIL
        ).encode(),
        "broken",
    ),
    "bpmn-duplicate-ids": (
        (_HEAD + '<bpmn:startEvent id="Twice"/><bpmn:endEvent id="Twice"/>' + _TAIL).encode(),
        "broken",
    ),
    "bpmn-flow-to-missing-node": (
        (
            _HEAD + '<bpmn:startEvent id="StartEvent_x"><bpmn:outgoing>Flow_x</bpmn:outgoing>'
            "</bpmn:startEvent>"
            '<bpmn:sequenceFlow id="Flow_x" sourceRef="StartEvent_x" targetRef="Nowhere"/>' + _TAIL
        ).encode(),
        "broken",
    ),
    "bpmn-without-start-event": (
        (_HEAD + '<bpmn:userTask id="Task_x"/>' + _TAIL).encode(),
        "broken",
    ),
    "doctype": (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]>'
        + (_HEAD + '<bpmn:startEvent id="StartEvent_x"/>' + _TAIL).encode(),
        "broken",
    ),
    "process-id-not-in-file": (SOP_BPMN.read_bytes(), "no_such_process"),
}


@pytest.mark.parametrize(("content", "process_id"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_file_raises_diagram_error_only(content, process_id):
    # pytest.raises lets any other exception type propagate, which fails the test.
    with pytest.raises(DiagramError) as info:
        parse_process(content, process_id)

    assert str(info.value)
    assert info.value.findings
    assert all(f["level"] == "error" and f["message"] for f in info.value.findings)


def test_process_id_not_in_file_names_the_id():
    with pytest.raises(DiagramError, match="no_such_process"):
        parse_process(SOP_BPMN.read_bytes(), "no_such_process")
