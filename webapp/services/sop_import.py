"""Import an SOP document as a draft: read it, propose a diagram, save it once confirmed.

``propose`` reads a document into the SOP table and proposes the diagram it becomes;
``propose_table`` does the same from a table the owner corrected; neither saves anything.
``create_draft`` saves the confirmed table's diagram as a draft version through
``versions.save_draft`` (so lint runs and the same content stays one row), process owners
only, and keeps what the import could not express as findings on the draft.
"""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import gettext as _

from ..engine import durations, sop_import
from ..engine.sop_import.errors import ImportRefused
from ..engine.sop_import.generate import table_to_diagram
from ..engine.sop_import.plan import process_id_for, short_name
from ..engine.sop_import.table import TABLE_SCHEMA, table_errors
from ..extensions import db
from ..models import ProcessVersion, User
from . import audit, versions
from .errors import Forbidden, Invalid, ServiceError

IMPORT_PREFIX = "import-"


class DocumentRefused(ServiceError):
    """The document cannot be imported; ``code`` and ``params`` say why (worded by the view)."""

    status = 422

    def __init__(self, code: str, params: dict[str, Any]) -> None:
        super().__init__(_("Dokumen tidak dapat diimpor."), code=code, params=params)
        self.code = code
        self.params = params


def read_waktu(text: str) -> str | None:
    """The ISO duration of a Waktu the owner typed ('10 menit', "30'", '1 x 24 jam'), or None."""
    said = durations.from_document_words(text)
    return said.iso() if said is not None and said.total_seconds > 0 else None


def table_schema() -> dict[str, Any]:
    """Return the JSON Schema of the SOP table (for the API's document), as a fresh copy."""
    schema = copy.deepcopy(TABLE_SCHEMA)
    schema.pop("$schema", None)
    return schema


def can_import(user: User) -> bool:
    """Whether the user may import SOP documents (process owners and administrators)."""
    return versions.can_edit(user)


def _check(table: Any) -> dict[str, Any]:
    """Return the table when it is sound; raise Invalid with every reason otherwise."""
    errors = table_errors(table)
    if errors:
        reasons = dict(
            error.split(": ", 1) if ": " in error else ("table", error) for error in errors
        )
        raise Invalid(_("Tabel SOP tidak sah; tidak ada yang disimpan."), reasons)
    return table


def _proposal(table: dict[str, Any]) -> dict[str, Any]:
    process_id = process_id_for(table)
    bpmn, forms, findings = table_to_diagram(table)
    linted = versions.findings_for(bpmn, forms, process_id)
    return {
        "table": table,
        "process_id": process_id,
        "bpmn": bpmn.decode("utf-8"),
        "forms": {name: content.decode("utf-8") for name, content in forms.items()},
        "findings": findings + linted,
    }


def propose(filename: str, data: bytes) -> dict[str, Any]:
    """Read a document and propose its draft: table, BPMN, forms, findings; nothing is saved.

    Raises DocumentRefused (422) when the document cannot be read as an SOP table.
    """
    try:
        table = sop_import.read_document(filename, data)
    except ImportRefused as exc:
        raise DocumentRefused(exc.code, dict(exc.params)) from exc
    return _proposal(_check(table))


def propose_table(table: Any) -> dict[str, Any]:
    """Propose the draft of a corrected table; raise Invalid (422) when the table is not sound."""
    return _proposal(_check(table))


def create_draft(user: User, table: Any, process_id: str | None = None) -> ProcessVersion:
    """Save the confirmed table's diagram and forms as a draft; return the version.

    Process owners and administrators only. The table is checked first: a bad one is refused
    with its reasons (Invalid, 422) and nothing is saved. The same table confirmed twice gives
    the same draft (``save_draft`` keeps one row per content).
    """
    if not can_import(user):
        raise Forbidden(_("Hanya pemilik proses yang dapat mengimpor dokumen SOP."))
    table = dict(_check(table))
    if process_id:
        table["process_id"] = process_id
        _check(table)  # the id must be one a process can have
    pid = process_id_for(table)
    bpmn, forms, findings = table_to_diagram(table)
    note = _("Diimpor dari dokumen SOP “%(name)s”.", name=short_name(table["name"]))
    version, linted, new = versions.save_draft(user, pid, bpmn, forms, note)
    stored = list(version.findings or linted)
    known = {(f["code"], f["element"], repr(f["params"])) for f in stored}
    extra = [f for f in findings if (f["code"], f["element"], repr(f["params"])) not in known]
    if extra:
        version.findings = extra + stored
    if new:
        audit.record(
            "process.draft_imported",
            user,
            process_id=pid,
            version=version.version,
            rows=len(table["rows"]),
            findings=len(findings),
        )
    db.session.commit()
    return version
