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

The diagram is read by ``webapp.engine.sop_document``; this module assembles the sheet.

Dates come from sopflow's records: Tanggal Berlaku is when this version was published,
Tanggal Revisi is the same date for a version after the first, Tanggal Pembuatan is when
the first version of the process was created (unless the diagram says otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app, render_template
from sqlalchemy import select

from service_tasks.pdf import PdfUnavailable, render_pdf  # noqa: F401 - the views print through here

from ..engine import durations
from ..engine.sop_document import SopDocument
from ..engine.spec import ParsedProcess, StepInfo
from ..extensions import db
from ..models import ProcessDefinition, ProcessVersion
from .processes import parsed, published_version

EMPTY = "—"

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
    local = value.astimezone(ZoneInfo(current_app.config["WORK_TIMEZONE"]))
    return format_date(local.date(), "d MMMM y", locale="id")


def _items(text: str) -> list[str]:
    """Split a block written as lines or '- item' bullets into items."""
    items = []
    for line in re.split(r"\n|(?:^|\s)-\s+(?=\S)", text.strip()):
        line = line.strip().lstrip("-•").strip()
        if line:
            items.append(line)
    return items


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
    diagram = SopDocument(version.bpmn_xml, process_id)
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
