"""The SOP sheet (lembar SOP) in the Permenpan-RB 35/2012 printed form, built from a diagram.

The sheet is generated from one version of the process diagram so the printed SOP and the
running process cannot disagree: steps, lanes, time standards and loop-backs come from the
BPMN; what the diagram does not hold is shown as "—", never invented.

The header is the SOP document's own fields (``webapp.engine.sop_document.DOCUMENT_FIELDS``):
``spiffworkflow:properties`` on the ``bpmn:process`` (``sopInstansi``, ``sopNomor``,
``sopTanggalPembuatan``, ``sopTanggalRevisi``, ``sopTanggalBerlaku``, ``sopDisahkan``,
``sopDasarHukum``, ``sopKualifikasiPelaksana``, ``sopKeterkaitan``, ``sopPeralatan``,
``sopPeringatan``, ``sopPencatatan``), else on the collaboration, else ``Label: value``
sections of their documentation. Dates are the document's (ISO in the diagram, printed
"27 Juni 2023"), never sopflow's records or today. Only a diagram without ``sopInstansi``
falls back to ``SOPFLOW_AGENCY_LINES``.

A row's Uraian is the step's ``sopUraian`` (the signed document's wording), else its name;
Keterangan is its ``sopKeterangan``. The Pelaksana columns draw the flowchart (``sop_flowchart``);
a decision's ways are also written under its diamond, as the paper form labels its arrows.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from service_tasks.pdf import PdfUnavailable, render_pdf  # noqa: F401 - the views print through here

from ..engine import durations
from ..engine.sop_document import DOCUMENT_FIELDS, SopDocument, items, lines, parse_date
from ..engine.spec import ParsedProcess, StepInfo
from ..extensions import db
from ..models import ProcessDefinition, ProcessVersion
from . import storage
from .processes import parsed, published_version
from .sop_flowchart import FlowCell, FlowStep, flowchart

EMPTY = "—"

# The blocks under the header, two by two as the office's form lays them out.
META_PROPS = (
    "sopDasarHukum",
    "sopKualifikasiPelaksana",
    "sopKeterkaitan",
    "sopPeralatan",
    "sopPeringatan",
    "sopPencatatan",
)
LABELS = {f.prop: f.label for f in DOCUMENT_FIELDS}


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
    # A decision's ways, labelled as the paper form labels its arrows: "↺ Jika gagal kembali
    # ke langkah 3" for a way back, "↓ Jika berhasil lanjut ke langkah 5" for a way on.
    flow_notes: list[str] = field(default_factory=list)
    decision: bool = False

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
    disahkan: tuple[str, ...]
    meta: list[MetaBlock]
    lanes: list[str]
    steps: list[SheetStep]
    # The flowchart's lane cells, row by row in ``lanes`` order (see ``sop_flowchart``).
    flow: list[list[FlowCell]] = field(default_factory=list)
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
    local = value.astimezone(ZoneInfo(current_app.config["WORK_TIMEZONE"]))
    return format_date(local.date(), "d MMMM y", locale="id")


def document_date(document: dict[str, str], prop: str, warnings: list[str]) -> str:
    """A date field as the sheet prints it ('27 Juni 2023'); '' when the diagram has none."""
    raw = document.get(prop, "").strip()
    if not raw:
        return ""
    day = parse_date(raw)
    if day is None:
        warnings.append(
            _(
                "%(field)s “%(value)s” bukan tanggal YYYY-MM-DD; dicetak apa adanya.",
                field=LABELS[prop],
                value=raw,
            )
        )
        return raw
    return format_date(day, "d MMMM y", locale="id")


def _agency(document: dict[str, str], warnings: list[str]) -> tuple[str, ...]:
    """The agency lines: the diagram's sopInstansi, else the configured fallback."""
    own = tuple(lines(document.get("sopInstansi", "")))
    if own:
        return own
    fallback = tuple(current_app.config.get("AGENCY_LINES") or ())
    if fallback:
        warnings.append(
            _("Diagram tidak memuat sopInstansi; lembar SOP memakai SOPFLOW_AGENCY_LINES.")
        )
    else:
        warnings.append(
            _("Diagram tidak memuat sopInstansi; lembar SOP tidak mencetak nama instansi.")
        )
    return fallback


def _sheet_steps(
    process: ParsedProcess, diagram: SopDocument
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
    standard = durations.try_parse(step.time_standard)
    if standard is None:
        return written or EMPTY
    # Said as the office's calendar counts it: "3 hari kerja" under working hours.
    calendar = current_app.config["SLA_CALENDAR"]
    timer = calendar.words_id(standard)
    if written:
        said = durations.from_words_id(written)
        if (said is None or calendar.length(said) != calendar.length(standard)) and (
            written.lower() != timer
        ):
            warnings.append(
                f"Langkah {nomor}: sopWaktu tertulis “{written}”, tetapi timer diagram "
                f"{step.time_standard} ({timer}); lembar SOP memakai timer yang dijalankan sistem."
            )
    return timer


def sheet(version: ProcessVersion) -> SopSheet:
    """Build the SOP sheet of one version of a process from its diagram."""
    process = parsed(version)
    process_id = version.definition.process_id
    diagram = SopDocument(version.bpmn_xml, process_id)
    steps, warnings = _sheet_steps(process, diagram)
    index = {step.bpmn_id: i for i, (_, step) in enumerate(steps)}
    numbers = {step.bpmn_id: nomor for nomor, step in steps}

    rows = []
    back_to: list[tuple[int, ...]] = []
    leads_on: list[bool] = []
    jump_to: list[tuple[int, ...]] = []
    for nomor, step in steps:
        ways = diagram.branches(step.bpmn_id, index)
        backs = [(label, t) for label, t in ways if index[t] <= index[step.bpmn_id]]
        decision = len(ways) > 1  # one way back alone is an arrow, not a decision
        flow_notes = []
        for label, target in sorted(ways, key=lambda way: way in backs):  # ways on first
            back = (label, target) in backs
            where = f"{'kembali' if back else 'lanjut'} ke langkah {numbers[target]}"
            if back or (decision and label):
                said = f"Jika {label} {where}" if label else where[0].upper() + where[1:]
                # The full stop ends the way for readers of the text (the import among them).
                flow_notes.append(("↺ " if back else "↓ ") + said + ".")
        back_to.append(tuple(index[t] for _, t in backs))
        following = index[step.bpmn_id] + 1
        leads_on.append(not ways or any(index[t] == following for _, t in ways))
        jump_to.append(tuple(index[t] for _, t in ways if index[t] > following))
        rows.append(
            SheetStep(
                nomor=nomor,
                bpmn_id=step.bpmn_id,
                uraian=step.properties.get("sopUraian", "").strip() or step.name,
                lane=step.lane,
                kind=step.kind,
                kelengkapan=step.properties.get("sopKelengkapan", "").strip() or EMPTY,
                waktu=_waktu(nomor, step, warnings),
                produk=step.properties.get("sopProduk", "").strip() or EMPTY,
                keterangan=step.properties.get("sopKeterangan", "").strip(),
                flow_notes=flow_notes,
                decision=decision,
            )
        )

    lanes = list(process.lanes)
    for row in rows:  # a step outside every declared lane still needs a column
        if row.lane and row.lane not in lanes:
            lanes.append(row.lane)

    column = {lane: k for k, lane in enumerate(lanes)}
    flow = flowchart(
        [
            FlowStep(column.get(row.lane or ""), row.decision, backs, on, jumps)
            for row, backs, on, jumps in zip(rows, back_to, leads_on, jump_to, strict=True)
        ],
        len(lanes),
    )
    document = diagram.document()
    if not document["sopNomor"]:
        warnings.append(_("Diagram tidak memuat sopNomor; Nomor SOP kosong pada lembar SOP."))
    return SopSheet(
        process_id=process_id,
        version=version.version,
        published=version.published_at is not None,
        agency_lines=_agency(document, warnings),
        nama=process.name or version.definition.name or process_id,
        nomor=document["sopNomor"] or EMPTY,
        tanggal_pembuatan=document_date(document, "sopTanggalPembuatan", warnings) or EMPTY,
        # A blank revision date is what a first edition prints: it was never revised.
        tanggal_revisi=document_date(document, "sopTanggalRevisi", warnings),
        tanggal_berlaku=document_date(document, "sopTanggalBerlaku", warnings) or EMPTY,
        disahkan=tuple(lines(document["sopDisahkan"])),
        meta=[MetaBlock(label=LABELS[p], items=items(document[p])) for p in META_PROPS],
        lanes=lanes,
        steps=rows,
        flow=flow,
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


log = logging.getLogger(__name__)


def pdf_of(data: SopSheet) -> bytes:
    """The sheet printed to PDF, kept in the file store under the page's own digest: the page
    depends only on the diagram version and the language (never today), so a page printed once,
    on any machine, is not printed again. The store failing only costs the printing."""
    html = render_html(data)
    key = f"sop-sheets/{hashlib.sha256(html.encode('utf-8')).hexdigest()}.pdf"
    current = storage.store()
    try:
        return current.get(key)
    except storage.MissingObject:
        pass
    except storage.StoreError as exc:
        log.warning("SOP sheet PDF not read from the store: %s", exc)
    pdf = render_pdf(html)
    try:
        current.put(key, pdf, "application/pdf")
    except storage.StoreError as exc:
        log.warning("SOP sheet PDF not kept in the store: %s", exc)
    return pdf
