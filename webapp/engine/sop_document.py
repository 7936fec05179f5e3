"""Read what an SOP sheet needs from a BPMN diagram that the parsed spec does not keep.

The SOP document's own fields (``DOCUMENT_FIELDS``: ``spiffworkflow:properties`` on the
process, else on the collaboration, else ``Label: value`` documentation sections), the SOP
number, and the sequence flows: the order of the nodes from the start event and the
loop-backs to earlier steps with their conditions.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import date

from lxml import etree

from .xml import parse_bpmn_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"

_LABEL_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z /]{2,40}?)\s*:\s*(.*)$")
_SOP_NUMBER = re.compile(r"\s*SOP\s+(?:Nomor\s+|No\.\s*)?([^\s—–,;()]*\d[^\s—–,;()]*)")
_EQUALS_TEXT = re.compile(r"[\w.]+\s*==\s*(['\"])(.+?)\1")


@dataclass(frozen=True)
class DocumentField:
    """One field of the SOP document's header, kept as a process-level property.

    ``kind`` says how it is written: ``text`` one value, ``lines`` a value printed line by
    line, ``date`` an ISO date (YYYY-MM-DD), ``items`` a list, one item per line.
    """

    prop: str
    kind: str
    label: str
    doc_labels: tuple[str, ...]


# The complete set, in the order the signed document prints them. On a task, ``sopNomor`` is
# the step number; on the process it is the SOP's number.
DOCUMENT_FIELDS = (
    DocumentField("sopInstansi", "lines", "Instansi", ("instansi",)),
    DocumentField("sopNomor", "text", "Nomor SOP", ("nomor sop", "nomor")),
    DocumentField("sopTanggalPembuatan", "date", "Tanggal Pembuatan", ("tanggal pembuatan",)),
    DocumentField("sopTanggalRevisi", "date", "Tanggal Revisi", ("tanggal revisi",)),
    DocumentField(
        "sopTanggalBerlaku", "date", "Tanggal Berlaku", ("tanggal berlaku", "tanggal efektif")
    ),
    DocumentField("sopDisahkan", "lines", "Disahkan", ("disahkan oleh", "disahkan")),
    DocumentField("sopDasarHukum", "items", "Dasar Hukum", ("dasar hukum",)),
    DocumentField(
        "sopKualifikasiPelaksana",
        "items",
        "Kualifikasi Pelaksana",
        ("kualifikasi pelaksana", "kualifikasi"),
    ),
    DocumentField("sopKeterkaitan", "items", "Keterkaitan", ("keterkaitan",)),
    DocumentField(
        "sopPeralatan",
        "items",
        "Peralatan/Perlengkapan",
        ("peralatan/perlengkapan", "peralatan / perlengkapan", "peralatan", "perlengkapan"),
    ),
    DocumentField("sopPeringatan", "items", "Peringatan", ("peringatan",)),
    DocumentField(
        "sopPencatatan", "items", "Pencatatan dan Pendataan", ("pencatatan dan pendataan",)
    ),
)
FIELDS_BY_PROP = {f.prop: f for f in DOCUMENT_FIELDS}


def parse_date(value: str) -> date | None:
    """Return the date of an ISO 'YYYY-MM-DD' value, None when it is not one."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def lines(value: str) -> list[str]:
    """Return the non-empty lines of a value, each stripped."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def items(value: str) -> list[str]:
    """Return the items of a list field: one per line, else '- item' bullets run together."""
    text = value.strip()
    parts = text.splitlines() if "\n" in text else re.split(r"(?:^|\s)-\s+(?=\S)", text)
    found = []
    for part in parts:
        part = part.strip()
        part = part[1:].strip() if part[:1] in ("-", "•") else part
        if part:
            found.append(part)
    return found


@dataclass(frozen=True)
class Flow:
    """A sequence flow: where it goes, and how the sheet names its condition."""

    target: str
    label: str


def _properties(element: etree._Element | None) -> dict[str, str]:
    if element is None:
        return {}
    result = {}
    for prop in element.iterfind(f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property"):
        name = prop.get("name")
        if name:
            result[name] = (prop.get("value") or "").strip()
    return result


def _documentation(element: etree._Element | None) -> str:
    if element is None:
        return ""
    docs = element.findall(f"{BPMN}documentation")
    return "\n".join((d.text or "").strip() for d in docs).strip()


def doc_sections(text: str) -> dict[str, str]:
    """Return the 'Label: value' sections of a documentation text (values may run on)."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = _LABEL_LINE.match(line)
        if match:
            current = match.group(1).strip().lower()
            sections[current] = [match.group(2)]
        elif current is not None:
            sections[current].append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


def flow_label(flow: etree._Element) -> str:
    """Return 'gagal' for a flow named 'Gagal' or conditioned ``hasil_uji == "gagal"``."""
    name = (flow.get("name") or "").strip()
    if name:
        return name[0].lower() + name[1:]
    condition = flow.find(f"{BPMN}conditionExpression")
    text = (condition.text or "").strip() if condition is not None else ""
    match = _EQUALS_TEXT.fullmatch(text)
    if match:
        return match.group(2)
    return text


class SopDocument:
    """The SOP-sheet view of one process in a BPMN document."""

    def __init__(self, xml: str | bytes, process_id: str) -> None:
        self._read(parse_bpmn_xml(xml), process_id)

    @classmethod
    def from_root(cls, root: etree._Element, process_id: str) -> SopDocument:
        """Read an already parsed document (the linter has one)."""
        document = cls.__new__(cls)
        document._read(root, process_id)
        return document

    def _read(self, root: etree._Element, process_id: str) -> None:
        process = next((p for p in root.iter(f"{BPMN}process") if p.get("id") == process_id), None)
        collaboration = None
        for candidate in root.iter(f"{BPMN}collaboration"):
            refs = {p.get("processRef") for p in candidate.iter(f"{BPMN}participant")}
            if process_id in refs or collaboration is None:
                collaboration = candidate
        self.properties = {**_properties(collaboration), **_properties(process)}
        self.documentation = "\n".join(
            d for d in (_documentation(collaboration), _documentation(process)) if d
        )
        self.sections = doc_sections(self.documentation)
        scope = process if process is not None else root
        self.flows: dict[str, list[Flow]] = {}
        for flow in scope.iter(f"{BPMN}sequenceFlow"):
            self.flows.setdefault(flow.get("sourceRef") or "", []).append(
                Flow(target=flow.get("targetRef") or "", label=flow_label(flow))
            )
        self.starts = [
            e.get("id") or ""
            for e in scope.iter(f"{BPMN}startEvent")
            if e.getparent() is scope  # not the start of an embedded subprocess
        ]

    def field(self, prop: str, labels: tuple[str, ...]) -> str:
        """Return a header field: the property ``prop``, else the first documented label."""
        value = self.properties.get(prop, "")
        if value:
            return value
        for label in labels:
            if self.sections.get(label):
                return self.sections[label]
        return ""

    def document_field(self, prop: str) -> str:
        """Return one of ``DOCUMENT_FIELDS`` as the diagram writes it ('' when absent)."""
        spec = FIELDS_BY_PROP[prop]
        if prop == "sopNomor":
            return self.sop_number()
        return self.field(prop, spec.doc_labels)

    def document(self) -> dict[str, str]:
        """Return every field of ``DOCUMENT_FIELDS`` by property name."""
        return {f.prop: self.document_field(f.prop) for f in DOCUMENT_FIELDS}

    def sop_number(self) -> str:
        """Return the SOP number: the property or label, else 'SOP <nomor>' in the text."""
        value = self.field("sopNomor", ("nomor sop", "nomor"))
        if value:
            return value
        match = _SOP_NUMBER.match(self.documentation)
        return match.group(1) if match else ""

    def flow_order(self) -> dict[str, int]:
        """Return the position of each node along the flows from the start event (BFS)."""
        order: dict[str, int] = {}
        queue = deque(self.starts)
        while queue:
            node = queue.popleft()
            if node in order:
                continue
            order[node] = len(order)
            queue.extend(f.target for f in self.flows.get(node, []))
        return order

    def loop_backs(self, start: str, index: dict[str, int]) -> list[tuple[str, str]]:
        """Return (condition, target step) for paths from ``start`` back to an earlier step."""
        return [(label, t) for label, t in self.branches(start, index) if index[t] <= index[start]]

    def branches(self, start: str, index: dict[str, int]) -> list[tuple[str, str]]:
        """Return (condition, target step) for every path from ``start`` to a sheet step.

        Walks the flows leaving the step through nodes that are not sheet steps (gateways,
        events); the label is the one of the first named or conditioned flow on the path.
        """
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        queue: deque[tuple[str, str]] = deque([(start, "")])
        while queue:
            node, label = queue.popleft()
            for flow in self.flows.get(node, []):
                target = flow.target
                path_label = label or flow.label
                if target in index:
                    if (path_label, target) not in found:
                        found.append((path_label, target))
                    continue
                if target not in seen:
                    seen.add(target)
                    queue.append((target, path_label))
        return found
