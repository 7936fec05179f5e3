"""Turn an SOP table (``table.TABLE_SCHEMA``) into a draft BPMN diagram, its forms and findings.

``table_to_diagram`` writes what ``plan`` decided as BPMN 2.0 with the ``spiffworkflow:``
extensions the engine and the modeler read, and BPMNDI from ``diagram_layout``. The XML is
built with lxml, so whatever the document's text holds ends up escaped in a name or a property
value; ids and expressions are made from row numbers and quoted labels only.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..spec import STARTER_LANE_PROPERTY
from . import skeleton
from .diagram_layout import Box, Layout, lay_out
from .plan import Node, Plan, plan

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NSMAP = {
    "bpmn": BPMN_NS,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
XSI_TYPE = f"{{{NSMAP['xsi']}}}type"


def _q(prefix: str, name: str) -> str:
    return f"{{{NSMAP[prefix]}}}{name}"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, _q(prefix, name), {k: v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def table_to_diagram(table: dict[str, Any]) -> tuple[bytes, dict[str, bytes], list[dict]]:
    """Return the BPMN file, the forms by file name, and the findings of a sound table.

    The table must be one ``table_errors`` accepts (the service checks it first). Findings
    have the shape of lint findings (level, code, element, name, params) with ``import-``
    codes, plus what the reader recorded in the table.
    """
    decided = plan(table)
    root = _definitions(decided)
    _diagram(root, decided, lay_out(decided))
    bpmn = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    forms: dict[str, bytes] = {}
    for row, labels in decided.forms.values():
        forms.update(skeleton.files(row, labels))
    return bpmn, forms, decided.findings


def _properties(parent: etree._Element, values: dict[str, str]) -> None:
    extensions = parent.find(_q("bpmn", "extensionElements"))
    if extensions is None:
        extensions = _el(parent, "bpmn:extensionElements")
    holder = _el(extensions, "spiffworkflow:properties")
    for name, value in values.items():
        _el(holder, "spiffworkflow:property", name=name, value=value)


def _definitions(decided: Plan) -> etree._Element:
    pid = decided.process_id
    root = etree.Element(
        _q("bpmn", "definitions"),
        nsmap=NSMAP,
        id=f"Definitions_{pid}",
        targetNamespace="http://bpmn.io/schema/bpmn",
        exporter="sopflow import",
        exporterVersion="1.0",
    )
    collaboration = _el(root, "bpmn:collaboration", id=f"Collaboration_{pid}")
    _el(
        collaboration,
        "bpmn:participant",
        id=f"Participant_{pid}",
        name=decided.name,
        processRef=pid,
    )
    process = _el(root, "bpmn:process", id=pid, name=decided.name, isExecutable="true")
    if decided.header:
        _properties(process, decided.header)
    lane_set = _el(process, "bpmn:laneSet", id=f"LaneSet_{pid}")
    lanes = [
        _el(lane_set, "bpmn:lane", id=f"Lane_{i + 1}", name=name)
        for i, name in enumerate(decided.lanes)
    ]
    if decided.starter_lane is not None:
        _properties(lanes[decided.starter_lane], {STARTER_LANE_PROPERTY: "true"})
    for node in decided.nodes:
        _el(lanes[node.lane], "bpmn:flowNodeRef", node.id)
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in decided.flows:
        outgoing.setdefault(flow.source, []).append(flow.id)
        incoming.setdefault(flow.target, []).append(flow.id)
    for node in decided.nodes:
        _node(process, node, incoming.get(node.id, []), outgoing.get(node.id, []))
    for flow in decided.flows:
        attrs = {"id": flow.id, "sourceRef": flow.source, "targetRef": flow.target}
        if flow.name:
            attrs["name"] = flow.name
        element = _el(process, "bpmn:sequenceFlow", **attrs)
        if flow.condition:
            condition = _el(element, "bpmn:conditionExpression", flow.condition)
            condition.set(XSI_TYPE, "bpmn:tFormalExpression")
    return root


def _node(process: etree._Element, node: Node, ins: list[str], outs: list[str]) -> None:
    attrs = {"id": node.id, "name": node.name}
    if node.kind == "boundaryEvent":
        attrs.update(cancelActivity="false", attachedToRef=node.attached_to)
    element = _el(process, f"bpmn:{node.kind}", **attrs)
    if node.documentation:
        _el(element, "bpmn:documentation", node.documentation)
    if node.kind == "serviceTask" and not node.operator:
        # An empty operator: the engine parses the draft (so it can be saved and drawn) and
        # lint's operator-missing asks the owner to choose one before publishing.
        extensions = _el(element, "bpmn:extensionElements")
        _el(extensions, "spiffworkflow:serviceTaskOperator", id="")
    if node.operator:
        extensions = _el(element, "bpmn:extensionElements")
        operator = _el(
            extensions,
            "spiffworkflow:serviceTaskOperator",
            id=node.operator,
            resultVariable=f"eskalasi_{node.id.rsplit('_', 1)[-1]}",
        )
        parameters = _el(operator, "spiffworkflow:parameters")
        for name, value in node.parameters.items():
            _el(parameters, "spiffworkflow:parameter", id=name, type="str", value=value)
    if node.properties:
        _properties(element, node.properties)
    for flow in ins:
        _el(element, "bpmn:incoming", flow)
    for flow in outs:
        _el(element, "bpmn:outgoing", flow)
    if node.kind == "boundaryEvent":
        definition = _el(element, "bpmn:timerEventDefinition")
        duration = _el(definition, "bpmn:timeDuration", f'"{node.duration}"')
        duration.set(XSI_TYPE, "bpmn:tFormalExpression")


def _bounds(parent: etree._Element, box: Box) -> None:
    _el(
        parent,
        "dc:Bounds",
        x=str(box.x),
        y=str(box.y),
        width=str(box.width),
        height=str(box.height),
    )


def _diagram(root: etree._Element, decided: Plan, layout: Layout) -> None:
    pid = decided.process_id
    diagram = _el(root, "bpmndi:BPMNDiagram", id=f"BPMNDiagram_{pid}")
    plane = _el(
        diagram, "bpmndi:BPMNPlane", id=f"BPMNPlane_{pid}", bpmnElement=f"Collaboration_{pid}"
    )
    shapes = [(f"Participant_{pid}", layout.pool)]
    shapes += [(f"Lane_{i + 1}", box) for i, box in enumerate(layout.lanes)]
    for element, box in shapes:
        shape = _el(plane, "bpmndi:BPMNShape", id=f"{element}_di", bpmnElement=element)
        shape.set("isHorizontal", "true")
        _bounds(shape, box)
    for node in decided.nodes:
        shape = _el(plane, "bpmndi:BPMNShape", id=f"{node.id}_di", bpmnElement=node.id)
        if node.kind == "exclusiveGateway":
            shape.set("isMarkerVisible", "true")
        _bounds(shape, layout.shapes[node.id])
        if node.id in layout.labels:
            _bounds(_el(shape, "bpmndi:BPMNLabel"), layout.labels[node.id])
    for flow in decided.flows:
        edge = _el(plane, "bpmndi:BPMNEdge", id=f"{flow.id}_di", bpmnElement=flow.id)
        for x, y in layout.edges[flow.id]:
            _el(edge, "di:waypoint", x=str(x), y=str(y))
        if flow.id in layout.labels:
            _bounds(_el(edge, "bpmndi:BPMNLabel"), layout.labels[flow.id])
