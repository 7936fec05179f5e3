"""webapp.engine.lint_structure: nameless tasks, unconnected and unreachable elements are errors;
what the engine enters without a flow (start events, event subprocesses, boundary events,
link catch events) is not taken for unreachable."""

from __future__ import annotations

from service_tasks import REGISTRY
from webapp.engine.lint import lint

from .helpers import LANE_KETUA, LANE_TIM, LANE_UNIT, SOP_BPMN, SOP_FORMS, SOP_ID

SOP = SOP_BPMN.read_text(encoding="utf-8")
FORMS = {p.name: p.read_bytes() for p in SOP_FORMS.iterdir()}
CODES = {"task-no-name", "not-connected", "unreachable"}


def _structure(extra: str) -> list[tuple[str, str]]:
    """The structure findings of the SOP with ``extra`` elements added to its process."""
    bpmn = SOP.replace("</bpmn:process>", extra + "</bpmn:process>", 1)
    found = lint(bpmn.encode(), FORMS, REGISTRY, {LANE_UNIT, LANE_KETUA, LANE_TIM}, SOP_ID)
    return sorted((f.code, f.element) for f in found if f.code in CODES)


def test_the_sop_has_no_structure_findings():
    assert _structure("") == []


def test_a_task_with_no_flow_at_all_is_not_connected():
    assert _structure('<bpmn:task id="T" name="Lupa" />') == [("not-connected", "T")]


def test_a_nameless_task_is_an_error_even_when_connected():
    extra = (
        '<bpmn:task id="T" name="  " />'
        '<bpmn:sequenceFlow id="F1" sourceRef="Task_1_pesan_perbaikan" targetRef="T" />'
    )
    assert _structure(extra) == [("task-no-name", "T")]


def test_a_chain_no_start_leads_to_is_unreachable_element_by_element():
    extra = (
        '<bpmn:task id="A" name="A" /><bpmn:task id="B" name="B" />'
        '<bpmn:sequenceFlow id="F1" sourceRef="A" targetRef="B" />'
    )
    assert _structure(extra) == [("unreachable", "A"), ("unreachable", "B")]


def test_a_loop_no_start_leads_into_is_still_unreachable():
    extra = (
        '<bpmn:task id="A" name="A" /><bpmn:task id="B" name="B" />'
        '<bpmn:sequenceFlow id="F1" sourceRef="A" targetRef="B" />'
        '<bpmn:sequenceFlow id="F2" sourceRef="B" targetRef="A" />'
    )
    assert _structure(extra) == [("unreachable", "A"), ("unreachable", "B")]


def test_an_event_subprocess_and_its_inner_steps_count_as_reachable():
    extra = (
        '<bpmn:subProcess id="Ev" name="Pembatalan" triggeredByEvent="true">'
        '<bpmn:startEvent id="EvStart"><bpmn:signalEventDefinition /></bpmn:startEvent>'
        '<bpmn:task id="EvTask" name="Catat" />'
        '<bpmn:endEvent id="EvEnd" />'
        '<bpmn:sequenceFlow id="E1" sourceRef="EvStart" targetRef="EvTask" />'
        '<bpmn:sequenceFlow id="E2" sourceRef="EvTask" targetRef="EvEnd" />'
        "</bpmn:subProcess>"
    )
    assert _structure(extra) == []


def test_a_link_catch_event_is_entered_without_a_flow():
    extra = (
        '<bpmn:intermediateCatchEvent id="L"><bpmn:linkEventDefinition name="x" />'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:endEvent id="LEnd" />'
        '<bpmn:sequenceFlow id="L1" sourceRef="L" targetRef="LEnd" />'
    )
    assert _structure(extra) == []
