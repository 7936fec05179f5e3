"""An owner's edit cannot silently undo another's: which version the modeler opens, and what a
save built on an older version would drop from the newest one.

The modeler opens the newest version (a draft newer than the published one, else the published
one) and names the others. A draft is saved on top of the version its editor started from (its
*base*); when a newer version exists by then, the save is held back and the owner sees what the
newest version has that this diagram would leave out, before choosing to save anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..engine import lint as linting
from ..engine.diff import changed_forms, diff_processes
from ..engine.spec import DiagramError, parse_process
from ..extensions import db
from ..models import ProcessDefinition, ProcessVersion
from .processes import LIGHT, parsed, published_version


def versions_of(process_id: str) -> list[ProcessVersion]:
    """Every version of a process, newest first (without their diagrams)."""
    return list(
        db.session.scalars(
            select(ProcessVersion)
            .join(ProcessVersion.definition)
            .where(ProcessDefinition.process_id == process_id)
            .order_by(ProcessVersion.version.desc())
            .options(*LIGHT)
        )
    )


def version_to_open(process_id: str) -> ProcessVersion | None:
    """The version "Buka modeler" opens: the newest draft after the published one, else that."""
    published = published_version(process_id)
    newest = next(iter(versions_of(process_id)), None)
    if newest is not None and newest.published_at is None:
        if published is None or newest.version > published.version:
            return newest
    return published


def newest_after(process_id: str, base: int) -> ProcessVersion | None:
    """The newest version numbered after ``base`` (a draft or a published one), or None."""
    newest = next(iter(versions_of(process_id)), None)
    return newest if newest is not None and newest.version > base else None


@dataclass
class Dropped:
    """A newer version than the editor's base, and what saving the edited diagram would drop."""

    newest: ProcessVersion
    changes: list[dict]


def would_drop(process_id: str, base: int, bpmn: bytes, forms: dict[str, bytes]) -> Dropped | None:
    """What the newest version has that ``bpmn``/``forms`` built on ``base`` leave out, or None.

    None when nothing newer than ``base`` exists, or the diagram says the same as the newest
    version; a diagram that does not parse is left to the save's own findings.
    """
    newest = newest_after(process_id, base)
    if newest is None:
        return None
    normalized, _notes = linting.normalize(bpmn)
    try:
        edited = parse_process(normalized, process_id)
    except DiagramError:
        return None
    newest_forms = _encoded(newest)
    edited_forms = {**newest_forms, **forms}
    # Only what the newest version itself changed since the base counts: the editor's own
    # changes are not "dropped".
    base_version = next((v for v in versions_of(process_id) if v.version == base), None)
    theirs = None
    if base_version is not None:
        theirs = diff_processes(parsed(base_version), parsed(newest))
        theirs += changed_forms(_encoded(base_version), newest_forms)
    found = diff_processes(parsed(newest), edited)
    found += changed_forms(newest_forms, edited_forms)
    if theirs is not None:
        touched = {c.element for c in theirs}
        found = [c for c in found if c.element in touched]
    if not found:
        return None
    return Dropped(newest, [c.to_dict() for c in found])


def _encoded(version: ProcessVersion) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in version.forms.items()}
