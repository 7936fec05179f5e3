"""Process definitions and versions: import from ``processes/``, parse once per version."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager, defer, joinedload

from service_tasks import REGISTRY

from ..engine.lint import lint
from ..engine.spec import DiagramError, ParsedProcess, content_hash, parse_process
from ..extensions import db
from ..models import ProcessDefinition, ProcessVersion, Role, User
from ..models.types import utcnow
from .version_cache import compiled

# A version row without its (large) diagram and forms, for lists and the hot path.
LIGHT = (defer(ProcessVersion.bpmn_xml), defer(ProcessVersion.forms_json))


def parsed(version: ProcessVersion) -> ParsedProcess:
    """Return the parsed spec of a version, parsed once per version (see ``version_cache``)."""
    return compiled(version.id).process


def published_version(process_id: str) -> ProcessVersion | None:
    """Return the newest published version of a process, or None.

    Its diagram and forms are read only if used: the parsed ones come from ``version_cache``.
    """
    return db.session.scalar(_PUBLISHED_VERSION, {"process_id": process_id})


# Built once (with its cache key): every case started runs it.
_PUBLISHED_VERSION = (
    select(ProcessVersion)
    .join(ProcessVersion.definition)
    .where(
        ProcessDefinition.process_id == bindparam("process_id"),
        ProcessVersion.published_at.isnot(None),
    )
    .order_by(ProcessVersion.published_at.desc(), ProcessVersion.version.desc())
    .limit(1)
    .options(*LIGHT, contains_eager(ProcessVersion.definition))
)


def published_versions() -> list[ProcessVersion]:
    """Return the newest published version of every process."""
    # The version published last is the one new instances use (re-publishing an older
    # version is how an owner rolls back).
    newest = (
        select(ProcessVersion.definition_id, func.max(ProcessVersion.published_at).label("at"))
        .where(ProcessVersion.published_at.isnot(None))
        .group_by(ProcessVersion.definition_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(ProcessVersion)
        .join(
            newest,
            (ProcessVersion.definition_id == newest.c.definition_id)
            & (ProcessVersion.published_at == newest.c.at),
        )
        .order_by(ProcessVersion.definition_id, ProcessVersion.version.desc())
        .options(*LIGHT, joinedload(ProcessVersion.definition))
    )
    result: dict[int, ProcessVersion] = {}
    for version in rows:
        result.setdefault(version.definition_id, version)
    return list(result.values())


def definition_of(process_id: str) -> ProcessDefinition | None:
    """Return the definition (the SOP) with this process id, or None."""
    return db.session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
    )


def version_with_content(
    definition: ProcessDefinition | None, digest: str
) -> ProcessVersion | None:
    """Return the definition's version with this content hash, or None: same content, same row."""
    if definition is None:
        return None
    return db.session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.definition_id == definition.id, ProcessVersion.content_hash == digest
        )
    )


def _read_folder(folder: Path) -> tuple[bytes, dict[str, bytes]]:
    bpmn = (folder / f"{folder.name}.bpmn").read_bytes()
    forms = {}
    forms_dir = folder / "forms"
    if forms_dir.is_dir():
        for path in sorted(forms_dir.glob("*.json")):
            forms[path.name] = path.read_bytes()
    return bpmn, forms


def new_definition(process_id: str, name: str) -> ProcessDefinition:
    """Add a process definition (an SOP) and give it its id."""
    definition = ProcessDefinition(process_id=process_id, name=name)
    db.session.add(definition)
    db.session.flush()
    return definition


def add_version(
    definition: ProcessDefinition, bpmn: str, forms: dict[str, str], digest: str, **fields
) -> ProcessVersion:
    """Add the next version of a definition (its number is one more than the highest)."""
    highest = db.session.scalar(
        select(func.max(ProcessVersion.version)).where(
            ProcessVersion.definition_id == definition.id
        )
    )
    version = ProcessVersion(
        definition=definition,
        version=(highest or 0) + 1,
        bpmn_xml=bpmn,
        forms_json=json.dumps(forms),
        content_hash=digest,
        **fields,
    )
    db.session.add(version)
    return version


def import_version(
    process_id: str,
    bpmn: bytes,
    forms: dict[str, bytes],
    author: User | None = None,
    note: str = "",
    publish: bool = True,
) -> tuple[ProcessVersion, bool]:
    """Store a diagram and its forms as a version unless identical content exists.

    Returns the version and whether it is new. Raises DiagramError when it cannot be parsed.
    """
    digest = content_hash(bpmn, forms)
    definition = definition_of(process_id)
    existing = version_with_content(definition, digest)
    if existing is not None:
        return existing, False
    process = parse_process(bpmn, process_id, forms)
    # The same lint as an upload: an unknown operator or a broken form stops the import here,
    # not a case at run time. Lanes become roles below, so a new lane is not an error.
    roles = set(db.session.scalars(select(Role.name))) | set(process.lanes)
    errors = [f for f in lint(bpmn, forms, REGISTRY, roles, process_id) if f.level == "error"]
    if errors:
        raise DiagramError(
            f"{process_id}: {len(errors)} error(s): "
            + "; ".join(f"{f.element or '-'}: {f.code} {f.params}" for f in errors),
            [f.to_dict() for f in errors],
        )
    definition = definition or new_definition(process_id, process.name)
    definition.name = process.name
    version = add_version(
        definition,
        bpmn.decode("utf-8"),
        {k: v.decode("utf-8") for k, v in forms.items()},
        digest,
        author_id=author.id if author else None,
        note=note,
        published_at=utcnow() if publish else None,
    )
    for lane in process.lanes:
        Role.get_or_create(lane, f"Lane: {lane}")
    return version, True


def import_folder(processes_dir: str | Path) -> list[tuple[str, int, bool]]:
    """Import every ``processes/<id>/<id>.bpmn``; return (process id, version, new?) each."""
    result = []
    for folder in sorted(Path(processes_dir).iterdir()):
        if not (folder / f"{folder.name}.bpmn").is_file():
            continue
        bpmn, forms = _read_folder(folder)
        version, new = import_version(folder.name, bpmn, forms, note="imported from processes/")
        result.append((folder.name, version.version, new))
    db.session.commit()
    return result
