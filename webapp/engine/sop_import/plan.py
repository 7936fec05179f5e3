"""The draft diagram an SOP table becomes, as plain records: nodes in lanes, flows, findings.

``plan(table)`` decides what each row turns into; ``generate`` writes it as BPMN and
``diagram_layout`` places it. Every id is made here from row numbers and counters, never from the
document's text, so a name can hold anything without reaching an id or an expression.

- ``task`` row: a user task with the row's ``sop*`` properties and a skeleton form.
- ``service`` row: a service task without an operator (lint asks the owner to choose one).
- ``decision`` row: the person's step (a user task whose form asks the decision) then an
  exclusive gateway, one conditioned flow per branch (``keputusan_<no> == "<label>"``).
- ``end`` row: an end event (a terminator such as "berkas dikembalikan").
- a row with a time standard: a non-interrupting boundary timer, the ``notify_sla_breach``
  escalation and its end event, as the modeler's one-field time standard draws them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .. import durations
from ..sop_document import FIELDS_BY_PROP, parse_date
from .table import END

ESCALATION_OPERATOR = "notify_sla_breach"
ESCALATION_TO = "assignee"  # the lane's people; the owner adds e.g. "role:Ketua Tim"
NAME_MAX = 120
# Lane names that mean the person who applies, not a unit of the office.
APPLICANT_WORDS = ("pemohon", "pelaku usaha", "masyarakat", "wajib pajak")
# Characters XML 1.0 cannot hold (lxml refuses them): control characters, lone surrogates.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: Any) -> str:
    """Return ``text`` as a string XML can hold (characters it cannot are dropped)."""
    return _NOT_XML.sub("", str(text or "")).strip()


def short_name(text: str) -> str:
    """Return the one-line name of a step: blanks collapsed, a leading bullet dropped, cut."""
    one_line = " ".join(clean(text).split())
    one_line = one_line[1:].strip() if one_line[:1] in ("-", "•") else one_line
    return one_line if len(one_line) <= NAME_MAX else one_line[: NAME_MAX - 1] + "…"


def process_id_for(table: dict[str, Any]) -> str:
    """Return the table's process id, else one made from its name ('Izin Reklame': izin_reklame)."""
    given = table.get("process_id")
    if given:
        return str(given)
    ascii_name = unicodedata.normalize("NFKD", str(table.get("name", ""))).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.decode().lower()).strip("_")
    if not slug[:1].isalpha():
        slug = f"sop_{slug}".rstrip("_")
    return slug[:63].rstrip("_")


@dataclass
class Node:
    """A flow node: ``kind`` is its BPMN tag; ``lane`` the index of its lane."""

    id: str
    kind: str  # startEvent, userTask, serviceTask, exclusiveGateway, endEvent, boundaryEvent
    name: str
    lane: int
    slot: int  # the column of the row it belongs to
    role: str = "step"  # step, gateway, start, end, branch_end, timer, escalation, escalation_end
    properties: dict[str, str] = field(default_factory=dict)
    attached_to: str = ""
    duration: str = ""  # a timer's ISO duration
    operator: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    documentation: str = ""
    index: int = 0  # the position of a branch's end event among its decision's


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str = ""


@dataclass
class Plan:
    process_id: str
    name: str
    header: dict[str, str]
    lanes: list[str]
    nodes: list[Node] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    # user task id -> (row, branch labels or None): what its skeleton form asks
    forms: dict[str, tuple[dict[str, Any], list[str] | None]] = field(default_factory=dict)
    slots: int = 0
    starter_lane: int | None = None  # the applicant's lane: its steps go to the case's starter

    def node(self, node: Node) -> Node:
        self.nodes.append(node)
        return node

    def flow(self, source: str, target: str, name: str = "", condition: str = "") -> None:
        self.flows.append(Flow(f"Flow_{len(self.flows) + 1}", source, target, name, condition))

    def finding(self, level: str, code: str, element: str = "", **params: Any) -> None:
        self.findings.append(
            {
                "level": level,
                "code": code,
                "element": element,
                "name": "",
                "params": params,
                "fix": None,
            }
        )


def decision_field(no: int) -> str:
    """The form field of a decision row's step that holds the answer."""
    return f"keputusan_{no}"


def task_id(row: dict[str, Any]) -> str:
    return f"Task_{row['no']}" if row["kind"] != "end" else f"EndEvent_{row['no']}"


def plan(table: dict[str, Any]) -> Plan:
    """Decide every node and flow of the draft a (``table_errors``-clean) table becomes."""
    result = Plan(
        process_id=process_id_for(table),
        name=short_name(table["name"]),
        header=_header(table.get("header") or {}),
        lanes=[clean(lane) for lane in table["lanes"]],
    )
    _check_header(result)
    rows = table["rows"]
    lane_of = _lanes_of_rows(result, table)
    _applicant(result, lane_of[rows[0]["no"]])
    entry = {row["no"]: task_id(row) for row in rows}
    slot = 1
    slots: dict[int, int] = {}
    for row in rows:
        slots[row["no"]] = slot
        ends = sum(b["target"] == END for b in row.get("branches") or [])
        slot += 1 + (1 if ends else 0)
    result.slots = slot + 1  # the final end event's column

    start = result.node(Node("StartEvent_1", "startEvent", "Mulai", lane_of[rows[0]["no"]], 0))
    start.role = "start"
    result.flow(start.id, entry[rows[0]["no"]])
    final = Node("EndEvent_selesai", "endEvent", "Selesai", lane_of[rows[-1]["no"]], slot)
    final.role = "end"
    for position, row in enumerate(rows):
        following = entry[rows[position + 1]["no"]] if position + 1 < len(rows) else final.id
        _row(result, row, lane_of[row["no"]], slots[row["no"]], following, entry)
    if any(f.target == final.id for f in result.flows):
        result.nodes.append(final)
    _reachability(result, rows, entry)
    _imported_findings(result, table, entry)
    return result


def _header(header: dict[str, Any]) -> dict[str, str]:
    return {prop: clean(header[prop]) for prop in FIELDS_BY_PROP if header.get(prop) is not None}


def _check_header(result: Plan) -> None:
    for prop, value in result.header.items():
        if value and FIELDS_BY_PROP[prop].kind == "date" and parse_date(value) is None:
            name = FIELDS_BY_PROP[prop].label
            result.finding(
                "warning", "import-date-unread", result.process_id, name=name, value=value
            )


def _applicant(result: Plan, first: int) -> None:
    """The lane of the first step is the applicant's when its name says so ("Pemohon")."""
    name = result.lanes[first].lower()
    if any(word in name for word in APPLICANT_WORDS):
        result.starter_lane = first
        result.finding(
            "warning", "import-starter-lane", f"Lane_{first + 1}", lane=result.lanes[first]
        )


def _lanes_of_rows(result: Plan, table: dict[str, Any]) -> dict[int, int]:
    """Each row's lane index; a row without one takes the lane before it (a finding says so)."""
    lane_of: dict[int, int] = {}
    previous = 0
    for row in table["rows"]:
        lane = row.get("lane")
        if lane is None:
            result.finding(
                "warning",
                "import-lane-assumed",
                task_id(row),
                row=row["no"],
                lane=result.lanes[previous],
            )
            lane_of[row["no"]] = previous
        else:
            lane_of[row["no"]] = previous = table["lanes"].index(lane)
    used = set(lane_of.values())
    for index, lane in enumerate(result.lanes):
        if index not in used:
            result.finding("warning", "import-lane-empty", "", lane=lane)
    return lane_of


def _row(
    result: Plan, row: dict[str, Any], lane: int, slot: int, following: str, entry: dict[int, str]
) -> None:
    no, kind = row["no"], row["kind"]
    name = short_name(row["uraian"])
    if kind == "end":
        node = result.node(Node(task_id(row), "endEvent", name, lane, slot, role="end"))
        node.documentation = _end_documentation(result, row, node.id)
        return
    node = result.node(
        Node(task_id(row), "serviceTask" if kind == "service" else "userTask", name, lane, slot)
    )
    node.properties = _sop_properties(result, row, node.id)
    if kind == "service":
        result.finding("warning", "import-service-operator", node.id, row=no)
    else:
        node.properties["formJsonSchemaFilename"] = f"langkah_{no}.schema.json"
        node.properties["formUiSchemaFilename"] = f"langkah_{no}.uischema.json"
    labels = _branch_labels(result, row) if kind == "decision" else None
    if kind != "service":
        result.forms[node.id] = (row, labels)
    if node.properties.get("sopWaktu") and durations.try_parse(row.get("duration") or ""):
        _time_standard(result, node, row)
    if kind != "decision":
        result.flow(node.id, following)
        return
    gateway = result.node(
        Node(f"Gateway_{no}", "exclusiveGateway", _gateway_name(row), lane, slot, role="gateway")
    )
    result.flow(node.id, gateway.id)
    ends = 0
    for label, branch in zip(labels or [], row["branches"], strict=False):
        condition = f"{decision_field(no)} == {json.dumps(label, ensure_ascii=False)}"
        if branch["target"] == END:
            end = result.node(
                Node(f"EndEvent_{no}_{ends + 1}", "endEvent", short_name(label), lane, slot + 1)
            )
            end.role, end.index = "branch_end", ends
            ends += 1
            result.flow(gateway.id, end.id, short_name(label), condition)
        else:
            result.flow(gateway.id, entry[branch["target"]], short_name(label), condition)


def _gateway_name(row: dict[str, Any]) -> str:
    name = short_name(row["uraian"])
    return name if name.endswith("?") else f"Hasil langkah {row['no']}?"


def _branch_labels(result: Plan, row: dict[str, Any]) -> list[str]:
    """The decision's answers as its form offers them: cleaned, each once."""
    labels: list[str] = []
    for branch in row["branches"]:
        label = " ".join(clean(branch["label"]).split()) or f"Pilihan {len(labels) + 1}"
        if label in labels:
            result.finding(
                "warning", "import-branch-repeated", task_id(row), row=row["no"], label=label
            )
            label = f"{label} ({len(labels) + 1})"
        labels.append(label)
    return labels


def _sop_properties(result: Plan, row: dict[str, Any], element: str) -> dict[str, str]:
    waktu = clean(row.get("waktu"))
    duration = row.get("duration") or ""
    parsed = durations.try_parse(duration)
    if duration and parsed is None:
        result.finding(
            "warning", "import-duration-invalid", element, row=row["no"], value=clean(duration)
        )
    elif waktu and parsed is None:
        result.finding("warning", "import-waktu-unread", element, row=row["no"], waktu=waktu)
    return {
        "sopNomor": str(row["no"]),
        "sopUraian": clean(row["uraian"]),
        "sopKelengkapan": clean(row.get("kelengkapan")),
        # As the modeler writes it: the standard in words ("30'" → "30 menit").
        "sopWaktu": parsed.words_id() if parsed is not None else waktu,
        "sopProduk": clean(row.get("output")),
        "sopKeterangan": clean(row.get("keterangan")),
    }


def _end_documentation(result: Plan, row: dict[str, Any], element: str) -> str:
    """What an end row's cells said: an end event keeps no SOP properties, so a finding says so."""
    cells = (
        ("Kelengkapan", row.get("kelengkapan")),
        ("Waktu", row.get("waktu")),
        ("Produk", row.get("output")),
        ("Keterangan", row.get("keterangan")),
    )
    kept = [f"{label}: {clean(value)}" for label, value in cells if clean(value)]
    if kept:
        result.finding("warning", "import-end-row-data", element, row=row["no"])
    return "\n".join([clean(row["uraian"]), *kept])


def _time_standard(result: Plan, task: Node, row: dict[str, Any]) -> None:
    no, words = row["no"], task.properties["sopWaktu"]
    iso = durations.parse(row["duration"]).iso()
    timer = result.node(
        Node(
            f"Timer_{no}", "boundaryEvent", f"Melewati {words}", task.lane, task.slot, role="timer"
        )
    )
    timer.attached_to, timer.duration = task.id, iso
    timer.documentation = (
        f"Batas waktu mutu baku langkah {no} ({words}) terlampaui; "
        "tugas tetap berjalan dan eskalasi dicatat."
    )
    escalation = result.node(
        Node(
            f"Escalate_{no}",
            "serviceTask",
            f"Eskalasi keterlambatan langkah {no}",
            task.lane,
            task.slot,
            role="escalation",
        )
    )
    escalation.operator = ESCALATION_OPERATOR
    escalation.parameters = {
        "langkah": json.dumps(task.id),
        "batas": json.dumps(words, ensure_ascii=False),
        "kepada": json.dumps(ESCALATION_TO),
    }
    end = result.node(
        Node(f"EndEvent_eskalasi_{no}", "endEvent", "Eskalasi tercatat", task.lane, task.slot)
    )
    end.role = "escalation_end"
    result.flow(timer.id, escalation.id)
    result.flow(escalation.id, end.id)


def _reachability(result: Plan, rows: list[dict[str, Any]], entry: dict[int, str]) -> None:
    """A row no flow reaches never runs: a finding, so the owner joins it or removes it."""
    targets = {f.target for f in result.flows}
    for row in rows[1:]:
        if entry[row["no"]] not in targets:
            result.finding("warning", "import-row-unreachable", entry[row["no"]], row=row["no"])


def _imported_findings(result: Plan, table: dict[str, Any], entry: dict[int, str]) -> None:
    """What the reader could not read or was unsure of, kept as findings on the draft."""
    items = [(None, f) for f in table.get("findings") or []]
    items += [(row["no"], f) for row in table["rows"] for f in row.get("uncertain") or []]
    for no, item in items:
        if not item["code"].startswith("import-"):
            continue  # the table is untrusted: it cannot pass for one of lint's own findings
        row = item.get("row", no)
        params = {
            k: clean(v) if isinstance(v, str) else v for k, v in (item.get("params") or {}).items()
        }
        if row is not None:
            params["row"] = row
        if item.get("field"):
            params["field"] = clean(item["field"])
        element = entry.get(row, "") if row is not None else ""
        result.finding("warning", item["code"], element, **params)
