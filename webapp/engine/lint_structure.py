"""Lint of a diagram's shape: nameless tasks, and elements with no connection or that no path
reaches.

A step nobody can reach never runs, and a nameless one shows as a bare id on the worklist and
the SOP sheet; both are easy to leave behind while editing, and SpiffWorkflow accepts them.
"""

from __future__ import annotations

from lxml import etree

from .lint_base import ERROR, Findings, label, q

# The activities: what the SOP sheet lists as steps when numbered, and what must have a name.
ACTIVITIES = (
    "task",
    "userTask",
    "serviceTask",
    "manualTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
)
GATEWAYS = ("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway")
EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent")
FLOW_NODES = frozenset(q(tag) for tag in ACTIVITIES + GATEWAYS + EVENTS)


def _is_entry(node: etree._Element) -> bool:
    """Whether the engine can enter here without a sequence flow."""
    if node.tag == q("startEvent") or node.get("isForCompensation") == "true":
        return True
    if node.tag == q("subProcess") and node.get("triggeredByEvent") == "true":
        return True
    # A link catch event is entered by its throw event, not by a flow.
    return node.find(q("linkEventDefinition")) is not None


def check_structure(found: Findings, process: etree._Element) -> None:
    """Name every activity; connect and reach every flow node."""
    nodes = [n for n in process.iter() if n.tag in FLOW_NODES]
    flows = list(process.iter(q("sequenceFlow")))
    incoming = {f.get("targetRef") for f in flows}
    outgoing: dict[str, list[str]] = {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow.get("targetRef", ""))
    for node in nodes:
        if node.tag in {q(t) for t in ACTIVITIES} and not (node.get("name") or "").strip():
            found.add(ERROR, "task-no-name", node, {"id": node.get("id", "")})
    unconnected = {
        node.get("id")
        for node in nodes
        if not _is_entry(node) and node.get("id") not in incoming and node.get("id") not in outgoing
    }
    for node in nodes:
        if node.get("id") in unconnected:
            found.add(ERROR, "not-connected", node, {"label": label(node)})
    reached = _reached(process, nodes, outgoing)
    for node in nodes:
        node_id = node.get("id")
        if node_id not in reached and node_id not in unconnected:
            found.add(ERROR, "unreachable", node, {"label": label(node)})


def _reached(
    process: etree._Element, nodes: list[etree._Element], outgoing: dict[str, list[str]]
) -> set[str]:
    """The ids of the flow nodes some path from an entry reaches (boundary events included)."""
    by_id = {n.get("id"): n for n in nodes}
    boundaries: dict[str, list[str]] = {}
    for event in process.iter(q("boundaryEvent")):
        boundaries.setdefault(event.get("attachedToRef", ""), []).append(event.get("id", ""))
    todo = [n.get("id", "") for n in nodes if _is_entry(n)]
    seen: set[str] = set()
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(outgoing.get(node_id, ()))
        todo.extend(boundaries.get(node_id, ()))
        node = by_id.get(node_id)
        if node is not None and node.tag == q("subProcess"):
            todo.extend(c.get("id", "") for c in node if c.tag == q("startEvent"))
    return seen
