"""The repair report: assemble the case history for the connector, store what it produced.

What names the office and the SOP (agency, SOP number and name, lanes, how records are kept)
comes from the case's own diagram version, never from code: any SOP can produce a report.
"""

from __future__ import annotations

import base64
import uuid

from flask import current_app, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from service_tasks import operators

from ..engine.sop_document import SopDocument, items, lines
from ..extensions import db
from ..models import (
    Attachment,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
    TaskStatus,
)
from ..models.types import utcnow
from . import attachments, audit, forms, notifications, storage
from .processes import parsed
from .report_steps import deployment_words, sop_steps
from .runtime import tasks_of

REPORT_FIELDS = ("laporan_html", "laporan_pdf")
REPORT_IDS = uuid.UUID("7d1f0c52-5e0b-4a8e-9a39-4f3c1d2b6a10")  # namespace of report file ids


def _when(value) -> str:
    return format_datetime(value, "d MMM yyyy HH.mm") if value else "—"


def _label(form: forms.TaskForm | None, data: dict) -> list[tuple[str, str]]:
    if form is None:
        return [(k, str(v)) for k, v in data.items()]
    rows = []
    for f in form.fields:
        value = data.get(f.name)
        if value in (None, "", []):
            continue
        if f.widget == "file":
            value = _("(lampiran tersimpan di kasus)")
        elif f.choices:
            labels = {c.value: c.label for c in f.choices}
            values = value if isinstance(value, list) else [value]
            value = ", ".join(labels.get(str(v), str(v)) for v in values)
        elif f.widget == "checkbox":
            value = _("Ya") if value else _("Tidak")
        rows.append((f.label, str(value)))
    return rows


# Pictures people attached (a screenshot of the error) are printed in the report, up to a size.
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGES = 6


def _images(instance_id: int) -> dict[int, list[dict]]:
    """The case's attached pictures as data URLs, by the task they were attached on."""
    rows = db.session.scalars(
        select(Attachment)
        .where(
            Attachment.instance_id == instance_id,
            Attachment.human_task_id.isnot(None),
            Attachment.content_type.in_(IMAGE_TYPES),
            Attachment.size <= MAX_IMAGE_BYTES,
        )
        .order_by(Attachment.uploaded_at)
        .limit(MAX_IMAGES)
    )
    found: dict[int, list[dict]] = {}
    for row in rows:
        content = attachments.read(row)
        if content is None:
            continue
        data = base64.b64encode(content).decode("ascii")
        found.setdefault(row.human_task_id or 0, []).append(
            {"name": row.filename, "src": f"data:{row.content_type};base64,{data}"}
        )
    return found


def document_header(row: ProcessInstance) -> dict:
    """The SOP document fields a produced document prints, from the case's diagram version."""
    process_id = row.version.definition.process_id
    document = SopDocument(row.version.bpmn_xml, process_id).document()
    agency = tuple(lines(document["sopInstansi"])) or tuple(
        current_app.config.get("AGENCY_LINES") or ()
    )
    return {
        "agency_lines": agency,
        "sop_number": document["sopNomor"],
        "records": items(document["sopPencatatan"]),
    }


def _signers(process_lanes: list[str], steps: list[dict]) -> list[tuple[str, str]]:
    """Each lane of the diagram that worked on the case, with the last person who did."""
    last = {
        s["lane"]: r["by"]
        for s in steps
        if s["kind"] == "user" and s["lane"] != "—"
        for r in s["rounds"]
        if r["by"] != "—"
    }
    return [(lane, last[lane]) for lane in process_lanes if lane in last]


def case_context(call: ServiceCall) -> dict:
    """Everything the report shows, from sopflow's own records (never the workflow state)."""
    row = db.session.get(ProcessInstance, call.instance_id)
    process = parsed(row.version)
    calendar = current_app.config["SLA_CALENDAR"]
    done = [t for t in tasks_of(row.id) if t.status == TaskStatus.COMPLETED]

    def fields_of(task, step) -> list[tuple[str, str]]:
        try:
            form = forms.load_form(row.version_id, step) if step else None
        except forms.FormDefinitionError:
            form = None
        return _label(form, task.form_data or {})

    images = _images(row.id)
    deployment = db.session.scalar(
        select(ServiceCall)
        .where(
            ServiceCall.instance_id == row.id,
            ServiceCall.operator.in_(operators("releases")),
            ServiceCall.status.in_([ServiceCallStatus.SUCCEEDED, ServiceCallStatus.SKIPPED]),
        )
        .order_by(ServiceCall.id.desc())
        .limit(1)
    )
    steps = sop_steps(
        process, done, deployment, calendar, _when, fields_of, lambda t: images.get(t.id, [])
    )
    params = (deployment.parameters or {}) if deployment else {}
    result = (deployment.result or {}) if deployment else {}
    first = steps[0]["rounds"][0]["fields"] if steps else []
    application = next((v for k, v in first if k.lower().startswith("aplikasi")), "—")
    return {
        "id": row.id,
        "title": row.title,
        **document_header(row),
        "process_name": process.name,
        "requester": row.started_by.display_name if row.started_by else "—",
        "signers": _signers(list(process.lanes), steps),
        "started_at": _when(row.started_at),
        "finished_at": _when(utcnow()),
        "application": application,
        "release": params.get("rilis", "—"),
        "target": result.get("target", "—"),
        "steps": steps,
        "deployment": {
            "name": deployment.name,
            "attempt": deployment.attempt,
            "started_at": _when(deployment.started_at),
            "finished_at": _when(deployment.finished_at),
            "exit_code": deployment.exit_code if deployment.exit_code is not None else "—",
            "reason": deployment.reason,
            "result": deployment_words(deployment),
            "log": (deployment.log or "")[-8000:],
        }
        if deployment
        else None,
        "generated_at": _when(utcnow()),
        # Relative to the report's own address (/cases/<id>/report.html): the way back to the
        # case, and the one script the page may run (its print button).
        "case_href": f"../{row.id}",
        "print_script": "../../static/report-print.js",
    }


def store(row: ProcessInstance, call: ServiceCall, result: dict) -> None:
    """Attach the report's HTML and PDF to the case and tell the recipients (same transaction)."""
    html = result.get("html", "")
    pdf = result.get("pdf", b"")
    kept: list[str] = []
    try:
        for field, name, content, kind in (
            ("laporan_html", f"laporan-{row.id}.html", html.encode("utf-8"), "text/html"),
            ("laporan_pdf", f"laporan-{row.id}.pdf", pdf, "application/pdf"),
        ):
            # One id per call and file: finish() tried again after a deadlock rewrites the same
            # objects rather than leaving the first try's in the store.
            same = uuid.uuid5(REPORT_IDS, f"{call.id}:{call.attempt}:{field}").hex
            stored = attachments.store_generated(row.id, field, name, content, kind, same)
            kept.append(attachments.key_of(stored))
    except attachments.StoreUnavailable:
        # The PDF did not fit in the store after the HTML did: take the HTML back too. The call
        # fails with an incident; trying it again writes both.
        storage.discard(kept)
        raise
    users = notifications.resolve(list(result.get("kepada", [])), None, row)
    title = _("Laporan hasil perbaikan #%(id)s tersedia", id=row.id)
    body = _(
        "Perbaikan “%(title)s” selesai dan laporan hasil perbaikannya dapat dibuka dan dicetak.",
        title=row.title,
    )
    notifications.notify(users, "report", title, body, row)
    audit.record("report.generated", None, row, recipients=len(users))


# Built once: every look-up of a case through the API asks for its report's links.
_REPORT_FILES = (
    select(Attachment)
    .where(Attachment.instance_id == bindparam("instance_id"), Attachment.field.in_(REPORT_FIELDS))
    .order_by(Attachment.uploaded_at)
)


def report_files(instance_id: int) -> dict[str, Attachment]:
    """The newest report HTML and PDF of a case, by field name."""
    rows = db.session.scalars(_REPORT_FILES, {"instance_id": instance_id})
    return {a.field: a for a in rows}


def report_urls(
    instance_id: int, external: bool = False, endpoint: str = "instances.report"
) -> dict[str, str | None]:
    """Links to the newest report (page and PDF) of a case, or None while there is none."""
    files = report_files(instance_id)
    urls = {}
    for key, field, fmt in (
        ("report_html_url", "laporan_html", "html"),
        ("report_pdf_url", "laporan_pdf", "pdf"),
    ):
        urls[key] = (
            url_for(endpoint, instance_id=instance_id, fmt=fmt, _external=external)
            if field in files
            else None
        )
    return urls
