"""Parse a BPMN diagram once and describe what sopflow reads from it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .xml import UnsafeXmlError, parse_bpmn_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
# The lane property that gives a lane's tasks to the case's starter alone (issue 12).
STARTER_LANE_PROPERTY = "sopStarterLane"

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
SERIALIZER_VERSION = SERIALIZER.VERSION


class DiagramError(ValueError):
    """The diagram cannot be parsed or executed; ``findings`` says where and why."""

    def __init__(self, message: str, findings: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or [{"level": "error", "element": "", "message": message}]


@dataclass(frozen=True)
class TimerInfo:
    """A timer boundary event attached to a task: the time standard of that step."""

    bpmn_id: str
    expression: str
    interrupting: bool


@dataclass(frozen=True)
class StepInfo:
    """A user or service task as the SOP sheet and the forms need it."""

    bpmn_id: str
    name: str
    lane: str | None
    kind: str  # "user" | "service"
    properties: dict[str, str] = field(default_factory=dict)
    documentation: str = ""
    timer: TimerInfo | None = None
    operator: str | None = None

    @property
    def form_schema_file(self) -> str | None:
        return self.properties.get("formJsonSchemaFilename")

    @property
    def ui_schema_file(self) -> str | None:
        return self.properties.get("formUiSchemaFilename")

    @property
    def time_standard(self) -> str | None:
        """The ISO-8601 duration of the step's boundary timer, without quotes."""
        if self.timer is None:
            return None
        return self.timer.expression.strip().strip("\"'")


@dataclass
class ParsedProcess:
    """A process parsed from one version of its diagram; shared by every instance of it."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    steps: dict[str, StepInfo]
    lanes: list[str]
    content_hash: str
    spec_json: str
    starter_lanes: frozenset[str] = frozenset()

    def is_starter_lane(self, lane: str | None) -> bool:
        """True when the lane's tasks belong to the person who started the case."""
        return lane is not None and lane in self.starter_lanes

    @property
    def user_steps(self) -> list[StepInfo]:
        return [s for s in self.steps.values() if s.kind == "user"]

    def first_user_step(self) -> StepInfo:
        """Return the step reached first from the start event (the start form)."""
        start = self.spec.start
        seen: set[str] = set()
        queue = list(start.outputs)
        while queue:
            task_spec = queue.pop(0)
            if task_spec.name in seen:
                continue
            seen.add(task_spec.name)
            step = self.steps.get(task_spec.name)
            if step is not None and step.kind == "user":
                return step
            queue.extend(task_spec.outputs)
        raise DiagramError("the process has no user task after its start event")


def content_hash(bpmn: bytes, forms: dict[str, bytes] | None = None) -> str:
    """Hash a diagram together with its form files, so a changed form is a new version."""
    digest = hashlib.sha256(bpmn)
    for name in sorted(forms or {}):
        digest.update(b"\0" + name.encode() + b"\0" + (forms or {})[name])
    return digest.hexdigest()


def _documentation(node: etree._Element | None) -> str:
    if node is None:
        return ""
    docs = node.findall("{http://www.omg.org/spec/BPMN/20100524/MODEL}documentation")
    return "\n".join((d.text or "").strip() for d in docs).strip()


def lane_properties(lane: etree._Element) -> dict[str, str]:
    """The ``spiffworkflow:property`` name/value pairs on a lane's extension elements."""
    result: dict[str, str] = {}
    for prop in lane.iterfind(f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property"):
        name = prop.get("name")
        if name:
            result[name] = prop.get("value") or ""
    return result


def is_starter_lane(lane: etree._Element) -> bool:
    """True when a lane element carries ``sopStarterLane`` = ``true``."""
    return lane_properties(lane).get(STARTER_LANE_PROPERTY, "").strip().lower() == "true"


def parse_process(bpmn: bytes, process_id: str | None = None, forms=None) -> ParsedProcess:
    """Parse and validate a diagram; raise DiagramError naming what is wrong."""
    try:
        root = parse_bpmn_xml(bpmn)
    except UnsafeXmlError as exc:
        raise DiagramError(str(exc)) from exc
    parser = SpiffBpmnParser(validator=BpmnValidator())
    try:
        parser.add_bpmn_xml(root, filename=f"{process_id or 'diagram'}.bpmn")
        ids = parser.get_process_ids()
        if not ids:
            raise DiagramError("the file holds no executable process")
        pid: str = process_id if process_id is not None and process_id in ids else ids[0]
        if process_id is not None and process_id not in ids:
            raise DiagramError(f"the file holds no process with id '{process_id}'")
        spec = parser.get_spec(pid)
        subprocess_specs = parser.get_subprocess_specs(pid)
    except ValidationException as exc:
        element = getattr(exc, "id", "") or ""
        raise DiagramError(
            str(exc).splitlines()[0],
            [{"level": "error", "element": element, "message": str(exc).splitlines()[0]}],
        ) from exc
    except DiagramError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is a verdict, never a 500
        raise DiagramError(f"the diagram cannot be read: {exc}") from exc

    nodes = {el.get("id"): el for el in root.iter() if el.get("id")}
    steps: dict[str, StepInfo] = {}
    timers: dict[str, TimerInfo] = {}
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, BoundaryEvent) and isinstance(
            task_spec.event_definition, TimerEventDefinition
        ):
            node = nodes.get(task_spec.bpmn_id)
            attached = node.get("attachedToRef") if node is not None else None
            if attached:
                timers[attached] = TimerInfo(
                    bpmn_id=task_spec.bpmn_id,
                    expression=task_spec.event_definition.expression,
                    interrupting=bool(task_spec.cancel_activity),
                )
    for task_spec in spec.task_specs.values():
        kind = None
        if isinstance(task_spec, UserTask):
            kind = "user"
        elif isinstance(task_spec, ServiceTask):
            kind = "service"
        if kind is None:
            continue
        extensions = getattr(task_spec, "extensions", {}) or {}
        steps[task_spec.bpmn_id] = StepInfo(
            bpmn_id=task_spec.bpmn_id,
            name=task_spec.bpmn_name or task_spec.bpmn_id,
            lane=task_spec.lane,
            kind=kind,
            properties=dict(extensions.get("properties", {})),
            documentation=_documentation(nodes.get(task_spec.bpmn_id)),
            timer=timers.get(task_spec.bpmn_id),
            operator=getattr(task_spec, "operation_name", None),
        )
    lane_elements = list(root.iter(f"{BPMN}lane"))
    lanes = [str(el.get("name") or el.get("id") or "") for el in lane_elements]
    # Tasks carry their lane by name (task_spec.lane), so the starter lanes are kept by name.
    starter_lanes = frozenset(
        str(el.get("name") or el.get("id") or "") for el in lane_elements if is_starter_lane(el)
    )
    spec_dict = {
        "spec": SERIALIZER.to_dict(spec),
        "subprocess_specs": {k: SERIALIZER.to_dict(v) for k, v in subprocess_specs.items()},
    }
    return ParsedProcess(
        process_id=pid,
        name=str(spec.description or pid),
        spec=spec,
        subprocess_specs=subprocess_specs,
        steps=steps,
        lanes=lanes,
        content_hash=content_hash(bpmn, forms),
        spec_json=json.dumps(spec_dict),
        starter_lanes=starter_lanes,
    )
