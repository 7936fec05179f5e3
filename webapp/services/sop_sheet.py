"""The SOP sheet (lembar SOP) in DPMPTSP Jawa Barat's printed format, built from a diagram.

The sheet is generated from one version of the process diagram so the printed SOP and the
running process cannot disagree: steps, lanes, time standards and loop-backs come from the
BPMN; what the diagram does not hold is shown as "—", never invented.

Where the header fields come from, in this order:

* ``spiffworkflow:properties`` on the ``bpmn:collaboration`` or the ``bpmn:process``
  (``sopNomor``, ``sopTanggalPembuatan``, ``sopDisahkan``, ``sopDasarHukum``,
  ``sopKualifikasiPelaksana``, ``sopKeterkaitan``, ``sopPeralatan``, ``sopPeringatan``,
  ``sopPencatatan``);
* ``Label: value`` sections in the collaboration or process documentation
  (``Dasar Hukum:`` followed by ``- item`` lines, and so on);
* the SOP number written as ``SOP <nomor>`` at the start of that documentation.

Dates come from sopflow's records: Tanggal Berlaku is when this version was published,
Tanggal Revisi is the same date for a version after the first, Tanggal Pembuatan is when
the first version of the process was created (unless the diagram says otherwise).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from lxml import etree
from sqlalchemy import select

from service_tasks.pdf import PdfUnavailable, render_pdf  # noqa: F401 - the views print through here

from ..engine.spec import ParsedProcess, StepInfo
from ..engine.xml import parse_bpmn_xml
from ..extensions import db
from ..models import ProcessDefinition, ProcessVersion
from .processes import parsed, published_version

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
EMPTY = "—"

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
# ISO-8601 duration designators, largest first, with their Indonesian names and seconds.
_UNITS = (
    ("Y", "tahun", 365 * 86400),
    ("M", "bulan", 30 * 86400),
    ("W", "minggu", 7 * 86400),
    ("D", "hari", 86400),
    ("H", "jam", 3600),
    ("TM", "menit", 60),
    ("S", "detik", 1),
)
_ISO = re.compile(
    r"^P(?!$)(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?!$)(?:(?P<H>\d+)H)?(?:(?P<TM>\d+)M)?(?:(?P<S>\d+)S)?)?$"
)
_WORDS = {name: seconds for _, name, seconds in _UNITS}

# Metadata blocks: (key, label on the sheet, property name, documentation labels).
META_FIELDS = (
    ("dasar_hukum", "Dasar Hukum", "sopDasarHukum", ("dasar hukum",)),
    (
        "kualifikasi",
        "Kualifikasi Pelaksana",
        "sopKualifikasiPelaksana",
        ("kualifikasi pelaksana", "kualifikasi"),
    ),
    ("keterkaitan", "Keterkaitan", "sopKeterkaitan", ("keterkaitan",)),
    (
        "peralatan",
        "Peralatan/Perlengkapan",
        "sopPeralatan",
        ("peralatan/perlengkapan", "peralatan / perlengkapan", "peralatan", "perlengkapan"),
    ),
    ("peringatan", "Peringatan", "sopPeringatan", ("peringatan",)),
    (
        "pencatatan",
        "Pencatatan dan Pendataan",
        "sopPencatatan",
        ("pencatatan dan pendataan", "pencatatan"),
    ),
)
HEADER_FIELDS = (
    ("nomor", "sopNomor", ("nomor sop", "nomor")),
    ("tanggal_pembuatan", "sopTanggalPembuatan", ("tanggal pembuatan",)),
    ("disahkan", "sopDisahkan", ("disahkan", "disahkan oleh")),
)


@dataclass(frozen=True)
class MetaBlock:
    label: str
    items: list[str]  # empty: absent from the diagram, shown as "—"


@dataclass(frozen=True)
class SheetStep:
    nomor: str
    bpmn_id: str
    uraian: str
    lane: str | None
    kind: str
    kelengkapan: str
    waktu: str
    produk: str
    keterangan: str

    def in_lane(self, lane: str) -> bool:
        return self.lane == lane


@dataclass
class SopSheet:
    process_id: str
    version: int
    published: bool
    agency_lines: tuple[str, ...]
    nama: str
    nomor: str
    tanggal_pembuatan: str
    tanggal_revisi: str
    tanggal_berlaku: str
    disahkan: str
    meta: list[MetaBlock]
    lanes: list[str]
    steps: list[SheetStep]
    # Where the diagram contradicts itself (e.g. sopWaktu vs. the timer); shown on screen.
    warnings: list[str] = field(default_factory=list)

    @property
    def meta_rows(self) -> list[tuple[MetaBlock, MetaBlock | None]]:
        """The metadata blocks two by two, as the office's form lays them out."""
        return [
            (self.meta[i], self.meta[i + 1] if i + 1 < len(self.meta) else None)
            for i in range(0, len(self.meta), 2)
        ]

    @property
    def pdf_filename(self) -> str:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.process_id)
        return f"SOP-{safe}-v{self.version}.pdf"


# -- small pieces -------------------------------------------------------------------------


def indonesian_date(value: datetime | None) -> str:
    """'27 Juni 2023' in the office's time zone; '—' when there is no date."""
    if value is None:
        return EMPTY
    tz = ZoneInfo(current_app.config["WORK_TIMEZONE"])
    local = value.astimezone(tz)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def iso_duration_seconds(iso: str | None) -> int | None:
    """Seconds of a literal ISO-8601 duration (months 30 days, years 365), else None."""
    match = _ISO.match((iso or "").strip().upper())
    if not match:
        return None
    return sum(int(match.group(key) or 0) * seconds for key, _, seconds in _UNITS)


def indonesian_duration(iso: str | None) -> str | None:
    """'PT10M' → '10 menit', 'PT1H30M' → '1 jam 30 menit', 'P1D' → '1 hari'; else None."""
    match = _ISO.match((iso or "").strip().upper())
    if not match:
        return None
    parts = [f"{int(match.group(key))} {name}" for key, name, _ in _UNITS if match.group(key)]
    parts = [p for p in parts if not p.startswith("0 ")] or ["0 menit"]
    return " ".join(parts)


def _words_seconds(text: str) -> int | None:
    """Seconds of an Indonesian duration such as '2 jam' or '1 jam 30 menit', else None."""
    pairs = re.findall(r"(\d+)\s*([a-z]+)", text.lower())
    if not pairs or re.sub(r"[\d\s]|[a-z]+", "", text.lower()):
        return None
    total = 0
    for number, word in pairs:
        if word not in _WORDS:
            return None
        total += int(number) * _WORDS[word]
    return total


def _items(text: str) -> list[str]:
    """Split a block written as lines or '- item' bullets into items."""
    items = []
    for line in re.split(r"\n|(?:^|\s)-\s+(?=\S)", text.strip()):
        line = line.strip().lstrip("-•").strip()
        if line:
            items.append(line)
    return items


def _properties(element: etree._Element | None) -> dict[str, str]:
    if element is None:
        return {}
    result = {}
    for prop in element.iterfind(f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property"):
        if prop.get("name"):
            result[prop.get("name")] = (prop.get("value") or "").strip()
    return result


def _documentation(element: etree._Element | None) -> str:
    if element is None:
        return ""
    docs = element.findall(f"{BPMN}documentation")
    return "\n".join((d.text or "").strip() for d in docs).strip()


_LABEL_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z /]{2,40}?)\s*:\s*(.*)$")


def _doc_sections(text: str) -> dict[str, str]:
    """'Label: value' sections of a documentation text (value may continue on next lines)."""
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


# -- reading the diagram ------------------------------------------------------------------


class _Diagram:
    """The parts of the XML the sheet needs that the parsed spec does not keep."""

    def __init__(self, xml: str, process_id: str) -> None:
        root = parse_bpmn_xml(xml)
        self.process = next(
            (p for p in root.iter(f"{BPMN}process") if p.get("id") == process_id), None
        )
        collaboration = None
        for candidate in root.iter(f"{BPMN}collaboration"):
            refs = {p.get("processRef") for p in candidate.iter(f"{BPMN}participant")}
            if process_id in refs or collaboration is None:
                collaboration = candidate
        self.collaboration = collaboration
        self.properties = {**_properties(collaboration), **_properties(self.process)}
        self.documentation = "\n".join(
            d for d in (_documentation(collaboration), _documentation(self.process)) if d
        )
        self.sections = _doc_sections(self.documentation)
        scope = self.process if self.process is not None else root
        self.flows: dict[str, list[etree._Element]] = {}
        for flow in scope.iter(f"{BPMN}sequenceFlow"):
            self.flows.setdefault(flow.get("sourceRef"), []).append(flow)
        self.starts = [
            e.get("id")
            for e in scope.iter(f"{BPMN}startEvent")
            if e.getparent() is scope  # not the start of an embedded subprocess
        ]

    def field(self, prop: str, labels: tuple[str, ...]) -> str:
        value = self.properties.get(prop, "")
        if value:
            return value
        for label in labels:
            if self.sections.get(label):
                return self.sections[label]
        return ""

    def sop_number(self) -> str:
        value = self.field("sopNomor", ("nomor sop", "nomor"))
        if value:
            return value
        match = re.match(
            r"\s*SOP\s+(?:Nomor\s+|No\.\s*)?([^\s—–,;()]*\d[^\s—–,;()]*)", self.documentation
        )
        return match.group(1) if match else ""

    def flow_order(self) -> dict[str, int]:
        """Position of each node along the sequence flows from the start event (BFS)."""
        order: dict[str, int] = {}
        queue = deque(self.starts)
        while queue:
            node = queue.popleft()
            if node in order:
                continue
            order[node] = len(order)
            queue.extend(f.get("targetRef") for f in self.flows.get(node, []))
        return order

    @staticmethod
    def flow_label(flow: etree._Element) -> str:
        """'gagal' from a flow named 'Gagal' or conditioned ``hasil_uji == "gagal"``."""
        name = (flow.get("name") or "").strip()
        if name:
            return name[0].lower() + name[1:]
        condition = flow.find(f"{BPMN}conditionExpression")
        text = (condition.text or "").strip() if condition is not None else ""
        match = re.fullmatch(r"[\w.]+\s*==\s*(['\"])(.+?)\1", text)
        if match:
            return match.group(2)
        return text

    def loop_backs(self, start: str, index: dict[str, int]) -> list[tuple[str, str]]:
        """(condition, target step) for paths from ``start`` back to it or an earlier step.

        Walks the flows leaving the step through nodes that are not sheet steps (gateways,
        events); the label is the one of the first named or conditioned flow on the path.
        """
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        queue: deque[tuple[str, str]] = deque([(start, "")])
        while queue:
            node, label = queue.popleft()
            for flow in self.flows.get(node, []):
                target = flow.get("targetRef")
                flow_label = label or self.flow_label(flow)
                if target in index:
                    if index[target] <= index[start] and (flow_label, target) not in found:
                        found.append((flow_label, target))
                    continue
                if target not in seen:
                    seen.add(target)
                    queue.append((target, flow_label))
        return found


def _sheet_steps(
    process: ParsedProcess, diagram: _Diagram
) -> tuple[list[tuple[str, StepInfo]], list[str]]:
    """The numbered steps in sheet order: by sopNomor, ties and gaps by flow order."""
    order = diagram.flow_order()
    far = len(order) + 1
    numbered = [s for s in process.steps.values() if s.properties.get("sopNomor", "").strip()]
    warnings = []
    if numbered:
        chosen = numbered
    else:
        # No step carries a number: every user/service task on the flow, in flow order.
        chosen = [s for s in process.steps.values() if s.bpmn_id in order]
        warnings.append(
            "Tidak ada langkah yang memiliki properti sopNomor; langkah diurutkan menurut alur."
        )

    def key(step: StepInfo):
        raw = step.properties.get("sopNomor", "").strip()
        number = int(raw) if raw.isdigit() else None
        return (number is None, number or 0, order.get(step.bpmn_id, far), step.bpmn_id)

    chosen.sort(key=key)
    result = []
    for position, step in enumerate(chosen, start=1):
        nomor = step.properties.get("sopNomor", "").strip() or str(position)
        result.append((nomor, step))
    numbers = [n for n, _ in result]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        warnings.append(f"Nomor langkah ganda pada diagram: {', '.join(duplicates)}.")
    return result, warnings


def _waktu(nomor: str, step: StepInfo, warnings: list[str]) -> str:
    """The time standard: the boundary timer the engine enforces, else sopWaktu."""
    written = step.properties.get("sopWaktu", "").strip()
    timer = indonesian_duration(step.time_standard)
    if timer is None:
        return written or EMPTY
    if written:
        a, b = _words_seconds(written), iso_duration_seconds(step.time_standard)
        if a != b and written.lower() != timer:
            warnings.append(
                f"Langkah {nomor}: sopWaktu tertulis “{written}”, tetapi timer diagram "
                f"{step.time_standard} ({timer}); lembar SOP memakai timer yang dijalankan sistem."
            )
    return timer


def _first_version(version: ProcessVersion) -> ProcessVersion | None:
    return db.session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.definition_id == version.definition_id)
        .order_by(ProcessVersion.version)
        .limit(1)
    )


def _is_revision(version: ProcessVersion) -> bool:
    """A later version, or an older one published again after another (a rollback)."""
    if version.published_at is None:
        return False
    if version.version > 1:
        return True
    earlier = db.session.scalar(
        select(ProcessVersion.id)
        .where(
            ProcessVersion.definition_id == version.definition_id,
            ProcessVersion.id != version.id,
            ProcessVersion.published_at.isnot(None),
            ProcessVersion.published_at < version.published_at,
        )
        .limit(1)
    )
    return earlier is not None


def sheet(version: ProcessVersion) -> SopSheet:
    """Build the SOP sheet of one version of a process from its diagram."""
    process = parsed(version)
    process_id = version.definition.process_id
    diagram = _Diagram(version.bpmn_xml, process_id)
    steps, warnings = _sheet_steps(process, diagram)
    index = {step.bpmn_id: i for i, (_, step) in enumerate(steps)}
    numbers = {step.bpmn_id: nomor for nomor, step in steps}

    rows = []
    for nomor, step in steps:
        notes = [step.properties.get("sopKeterangan", "").strip()]
        for label, target in diagram.loop_backs(step.bpmn_id, index):
            back = f"kembali ke langkah {numbers[target]}"
            notes.append(f"Jika {label} {back}" if label else back[0].upper() + back[1:])
        rows.append(
            SheetStep(
                nomor=nomor,
                bpmn_id=step.bpmn_id,
                uraian=step.name,
                lane=step.lane,
                kind=step.kind,
                kelengkapan=step.properties.get("sopKelengkapan", "").strip() or EMPTY,
                waktu=_waktu(nomor, step, warnings),
                produk=step.properties.get("sopProduk", "").strip() or EMPTY,
                keterangan="; ".join(n for n in notes if n),
            )
        )

    lanes = list(process.lanes)
    for row in rows:  # a step outside every declared lane still needs a column
        if row.lane and row.lane not in lanes:
            lanes.append(row.lane)

    header = {key: diagram.field(prop, labels) for key, prop, labels in HEADER_FIELDS}
    header["nomor"] = diagram.sop_number()
    first = _first_version(version)
    created = indonesian_date(first.created_at) if first is not None else EMPTY
    published = version.published_at is not None
    return SopSheet(
        process_id=process_id,
        version=version.version,
        published=published,
        agency_lines=current_app.config["AGENCY_LINES"],
        nama=process.name or version.definition.name or process_id,
        nomor=header["nomor"] or EMPTY,
        tanggal_pembuatan=header["tanggal_pembuatan"] or created,
        tanggal_revisi=indonesian_date(version.published_at) if _is_revision(version) else EMPTY,
        tanggal_berlaku=indonesian_date(version.published_at),
        disahkan=header["disahkan"] or EMPTY,
        meta=[
            MetaBlock(label=label, items=_items(diagram.field(prop, doc_labels)))
            for _, label, prop, doc_labels in META_FIELDS
        ],
        lanes=lanes,
        steps=rows,
        warnings=warnings,
    )


def find_version(process_id: str, number: int | None) -> ProcessVersion | None:
    """The newest published version, or version ``number`` of the process (any state)."""
    if number is None:
        return published_version(process_id)
    return db.session.scalar(
        select(ProcessVersion)
        .join(ProcessVersion.definition)
        .where(ProcessDefinition.process_id == process_id, ProcessVersion.version == number)
    )


def render_html(data: SopSheet) -> str:
    """The sheet as one standalone printable page (escaped: names come from a diagram)."""
    return render_template("sop_sheet/sheet.html", sheet=data)
