"""Process owners' versions: save a draft (lint it), publish it, and migrate running cases.

A draft is a ``process_version`` without ``published_at``. Saving never runs anything from the
file: it is parsed with the hardened XML parser, normalized (Camunda Modeler's bare timer
durations), linted, and stored with its findings. Publishing re-lints (roles may have
changed) and refuses errors. Running instances stay on their version until an administrator
migrates them, each in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from service_tasks import REGISTRY

from ..engine import lint as linting
from ..engine.diff import changed_forms, diff_processes
from ..engine.migration import check as check_migration
from ..engine.migration import migrate as migrate_engine
from ..engine.spec import DiagramError, content_hash, parse_process
from ..extensions import db
from ..models import (
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    Role,
    User,
)
from ..models.types import utcnow
from . import audit, runtime, users
from .errors import Forbidden, Invalid, NotFound, ServiceError
from .processes import (
    add_version,
    definition_of,
    new_definition,
    parsed,
    published_version,
    version_with_content,
)

MAX_FORM_BYTES = 512 * 1024
NOTE_MAX = 2000  # characters of a draft's note
MOVABLE = (
    InstanceStatus.WAITING,
    InstanceStatus.RUNNING,
    InstanceStatus.ERROR,
    InstanceStatus.SUSPENDED,
)


class Refused(ServiceError):
    """The file cannot be a draft (or the draft cannot be published); ``findings`` say why."""

    status = 422

    def __init__(self, message: str, findings: list[dict]) -> None:
        super().__init__(message, findings=findings)
        self.findings = findings


def can_edit(user: User) -> bool:
    return user.has_role("process_owner") or user.has_role("admin")


def _owner(user: User) -> None:
    if not can_edit(user):
        raise Forbidden(_("Hanya pemilik proses yang dapat mengubah diagram SOP."))


def _roles() -> set[str]:
    return set(db.session.scalars(select(Role.name)))


def findings_for(bpmn: bytes, forms: dict[str, bytes], process_id: str) -> list[dict]:
    """Lint a diagram with its forms against the registered operators and existing roles."""
    found = linting.lint(bpmn, forms, REGISTRY, _roles(), process_id)
    return [f.to_dict() for f in found]


def save_draft(
    user: User,
    process_id: str,
    bpmn: bytes,
    forms: dict[str, bytes] | None = None,
    note: str = "",
) -> tuple[ProcessVersion, list[dict], bool]:
    """Store a draft; return it, its findings, and whether it is new (same content = same row).

    Forms not sent are taken from the published version, so a diagram can be uploaded alone.
    Raises Refused (422) when the file cannot be parsed as a BPMN process at all.
    """
    _owner(user)
    if len(note) > NOTE_MAX:
        # Refused, never cut: the note is kept as the owner wrote it or not at all.
        raise Refused(
            _(
                "Catatan draf terlalu panjang: %(n)s karakter, paling banyak %(max)s. "
                "Persingkat catatan; tidak ada yang dipotong.",
                n=len(note),
                max=NOTE_MAX,
            ),
            [],
        )
    if not process_id or len(process_id) > 100 or not process_id.replace("_", "").isalnum():
        raise Refused(_("Id proses hanya boleh huruf, angka dan garis bawah."), [])
    current = published_version(process_id)
    all_forms = {k: v.encode("utf-8") for k, v in (current.forms if current else {}).items()}
    for name, content in (forms or {}).items():
        if len(content) > MAX_FORM_BYTES:
            raise Refused(_("Berkas formulir %(f)s terlalu besar.", f=name), [])
        all_forms[name] = content
    normalized, notes = linting.normalize(bpmn)
    findings = [n.to_dict() for n in notes] + findings_for(normalized, all_forms, process_id)
    fatal = {
        "xml-invalid",
        "bpmn-invalid",
        "no-executable-process",
        "process-not-found",
        "lint-failed",
    }
    if any(f["code"] in fatal for f in findings):
        raise Refused(_("Berkas ini tidak dapat disimpan sebagai draf."), findings)
    try:
        text_forms = {k: v.decode("utf-8") for k, v in all_forms.items()}
        text_bpmn = normalized.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(_("Berkas harus berenkode UTF-8."), findings) from exc
    digest = content_hash(normalized, all_forms)
    definition = definition_of(process_id)
    same = version_with_content(definition, digest)
    if same is not None:
        return same, same.findings or findings, False
    try:
        name = parsed_name(normalized, process_id)
    except DiagramError as exc:
        raise Refused(str(exc), findings) from exc
    definition = definition or new_definition(process_id, name)
    version = add_version(
        definition,
        text_bpmn,
        text_forms,
        digest,
        author_id=user.id,
        note=note,
        findings=findings,
    )
    db.session.flush()
    audit.record(
        "process.draft_saved",
        user,
        process_id=process_id,
        version=version.version,
        errors=sum(f["level"] == "error" for f in findings),
    )
    db.session.commit()
    return version, findings, True


def parsed_name(bpmn: bytes, process_id: str) -> str:
    """The name a diagram gives its process."""
    return parse_process(bpmn, process_id).name


def get_version(process_id: str, number: int) -> ProcessVersion:
    version = db.session.scalar(
        select(ProcessVersion)
        .join(ProcessVersion.definition)
        .where(ProcessDefinition.process_id == process_id, ProcessVersion.version == number)
    )
    if version is None:
        raise NotFound(_("Versi %(n)s dari proses %(p)s tidak ditemukan.", n=number, p=process_id))
    return version


def create_lane_role(user: User, name: str) -> Role:
    """Create the role a lane needs, then lint again the drafts that were waiting for it.

    Findings are stored at upload; without this a draft would keep its "lane has no role"
    error after the role exists, and Terbitkan would stay disabled until the next upload.
    """
    role = users.create_role(user, name)
    drafts = db.session.scalars(select(ProcessVersion).where(ProcessVersion.published_at.is_(None)))
    for version in drafts:
        fixes = [(f.get("fix") or {}).get("create_role") for f in version.findings or []]
        if role.name in fixes:
            forms = {k: v.encode("utf-8") for k, v in version.forms.items()}
            process_id = version.definition.process_id
            relinted = findings_for(version.bpmn_xml.encode("utf-8"), forms, process_id)
            version.findings = imported_findings(version) + relinted
    db.session.commit()
    return role


def imported_findings(version: ProcessVersion) -> list[dict]:
    """What an import could not express (``import-`` codes): kept when the draft is linted again."""
    return [f for f in version.findings or [] if str(f.get("code", "")).startswith("import-")]


def publish(user: User, process_id: str, number: int) -> ProcessVersion:
    """Make a version the one new instances start on; refused while lint finds errors."""
    _owner(user)
    version = get_version(process_id, number)
    forms = {k: v.encode("utf-8") for k, v in version.forms.items()}
    findings = findings_for(version.bpmn_xml.encode("utf-8"), forms, process_id)
    version.findings = imported_findings(version) + findings
    if any(f["level"] == "error" for f in findings):
        db.session.commit()
        raise Refused(_("Perbaiki kesalahan sebelum menerbitkan."), findings)
    version.published_at = utcnow()
    version.published_by_id = user.id
    version.definition.name = parsed(version).name
    audit.record("process.published", user, process_id=process_id, version=number)
    db.session.commit()
    return version


def changes(version: ProcessVersion) -> list[dict]:
    """What this version changes against the published one (diagram and forms)."""
    current = published_version(version.definition.process_id)
    if current is None or current.id == version.id:
        return []
    found = diff_processes(parsed(current), parsed(version))
    old_forms = {k: v.encode("utf-8") for k, v in current.forms.items()}
    new_forms = {k: v.encode("utf-8") for k, v in version.forms.items()}
    found += changed_forms(old_forms, new_forms)
    return [c.to_dict() for c in found]


@dataclass
class Library:
    """One SOP for the process library: its published version, drafts and running counts."""

    definition: ProcessDefinition
    published: ProcessVersion | None
    drafts: list[ProcessVersion]
    running: dict[int, int]


def library() -> list[Library]:
    """Every SOP with its versions and how many instances run on each (one grouped query)."""
    running = dict(
        db.session.execute(
            select(ProcessInstance.version_id, func.count())
            .where(ProcessInstance.status.in_(MOVABLE))
            .group_by(ProcessInstance.version_id)
        ).all()
    )
    result = []
    for definition in db.session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.name)
    ):
        published = published_version(definition.process_id)
        drafts = [
            v
            for v in definition.versions
            if v.published_at is None and (published is None or v.version > published.version)
        ]
        result.append(Library(definition, published, drafts, running))
    return result


@dataclass
class MigrationPlanItem:
    instance: ProcessInstance
    possible: bool
    reason: str


def migration_plan(target: ProcessVersion, instance_ids: list[int] | None = None):
    """Which running instances of older versions could move to ``target``, and why not."""
    query = select(ProcessInstance).where(
        ProcessInstance.process_id == target.definition.process_id,
        ProcessInstance.version_id != target.id,
        ProcessInstance.status.in_(MOVABLE),
    )
    if instance_ids:
        query = query.where(ProcessInstance.id.in_(instance_ids))
    target_process = parsed(target)
    items = []
    for row in db.session.scalars(query.order_by(ProcessInstance.id).limit(500)):
        verdict = check_migration(runtime.load(row), target_process)
        items.append(MigrationPlanItem(row, verdict.possible, verdict.reason))
    return items


def migrate(user: User, target: ProcessVersion, instance_ids: list[int]) -> dict[int, str]:
    """Move each chosen instance to ``target`` in its own transaction; return id → outcome."""
    if not user.has_role("admin"):
        raise Forbidden(_("Hanya administrator yang dapat memindahkan kasus ke versi lain."))
    if target.published_at is None:
        raise Invalid(_("Kasus hanya dapat dipindahkan ke versi yang sudah terbit."), {})
    outcome: dict[int, str] = {}
    target_process = parsed(target)
    for instance_id in instance_ids:
        try:
            row = runtime.lock_instance(instance_id)
            if row.process_id != target.definition.process_id or row.status not in MOVABLE:
                raise ValueError(_("kasus ini tidak dapat dipindahkan"))
            moved = migrate_engine(runtime.load(row), target_process)
            previous, status = row.version.version, row.status
            row.version_id = target.id
            runtime.sync_rows(row, moved)
            if status in (InstanceStatus.SUSPENDED, InstanceStatus.ERROR):
                row.status = status  # a held or failed case stays so after moving

            audit.record(
                "instance.migrated", user, row, from_version=previous, to_version=target.version
            )
            db.session.commit()
            outcome[instance_id] = "ok"
        except Exception as exc:  # noqa: BLE001 - each instance gets its own verdict
            db.session.rollback()
            outcome[instance_id] = str(exc) or type(exc).__name__
    return outcome
