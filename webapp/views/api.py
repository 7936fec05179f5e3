"""JSON API v1 for other systems (the office's web portal). Bearer tokens only."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import user_from_bearer
from ..extensions import db
from ..models import HumanTask, ProcessInstance, Role, User
from ..services import (
    access,
    case_view,
    reports,
    sop_import,
    submissions,
    users,
    versions,
)
from ..services import instances as svc
from ..services.case_view import HISTORY_LAST_PAGE, HISTORY_MAX_PAGE, HISTORY_PAGE
from ..services.errors import Forbidden, Invalid, NotFound
from ..services.processes import parsed, published_version, published_versions
from ..services.version_cache import compiled
from .files import send_stored
from .findings import message, worded
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# ``include=history`` on GET instance: the whole history in one answer, up to this many steps
# (a longer one is read a page at a time from /history).
HISTORY_ALL = 1000


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None
    user = user_from_bearer(request)
    if user is None:
        return jsonify(message=_("Token API tidak ada atau tidak sah.")), 401
    g.api_user = user
    return None


def caller() -> User:
    return g.api_user


def body_data() -> dict[str, Any]:
    """Return ``data`` of a JSON body ``{"data": {...}}``; 422 with a message otherwise.

    The body is measured before it is parsed: larger than ``MAX_CONTENT_LENGTH`` is a 413
    (raised by reading it), nested deeper than the data may be is a 422. ``json`` recurses once
    per level, so a body a thousand levels deep must never reach it.
    """
    shape = _l('Badan permintaan harus JSON {"data": {...}}.')  # translated only when said
    if not request.is_json:
        raise Invalid(str(shape), {})
    raw = request.get_data(cache=True)  # 413 above MAX_CONTENT_LENGTH
    payload = submissions.parse_body(raw, shape)
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise Invalid(str(shape), {})
    return payload["data"]


def task_json(task: HumanTask, names: dict[int, str]) -> dict[str, Any]:
    """A task as the API shows it; ``names`` holds the usernames of the people it names."""
    return {
        "id": task.id,
        "instance_id": task.instance_id,
        "name": task.name,
        "step": task.bpmn_id,
        "lane": task.lane,
        "status": task.status,
        "assignee": names.get(task.assigned_user_id) if task.assigned_user_id else None,
        "candidates": [u.username for u in task.candidates],
        "ready_at": iso(task.ready_at),
        "due_at": iso(task.due_at),
        "breached_at": iso(task.breached_at),
        "completed_at": iso(task.completed_at),
        "completed_by": names.get(task.completed_by_id) if task.completed_by_id else None,
    }


def tasks_json(tasks: list[HumanTask]) -> list[dict[str, Any]]:
    names = case_view.people_of(tasks)
    return [task_json(t, names) for t in tasks]


def history_json(tasks: list[HumanTask], names: dict[int, str]) -> list[dict[str, Any]]:
    return [dict(task_json(t, names), data=t.form_data) for t in tasks]


def summary_json(
    instance: ProcessInstance, open_tasks: list[HumanTask], names: dict[int, str]
) -> dict[str, Any]:
    """A case's summary and its open tasks: what an action on it answers with."""
    return {
        "id": instance.id,
        "process_id": instance.process_id,
        "version": compiled(instance.version_id).number,
        "title": instance.title,
        "status": instance.status,
        "current_step": instance.current_step,
        "started_by": names.get(instance.started_by_id) if instance.started_by_id else None,
        "started_at": iso(instance.started_at),
        "completed_at": iso(instance.completed_at),
        "outcome": outcome_json(instance),
        "current_tasks": [task_json(t, names) for t in open_tasks],
        "url": url_for("instances.detail", instance_id=instance.id, _external=True),
    }


def summary_of(instance: ProcessInstance, open_tasks: list[HumanTask]) -> dict[str, Any]:
    return summary_json(
        instance, open_tasks, case_view.people_of(open_tasks, instance.started_by_id)
    )


def instance_json(instance: ProcessInstance, with_history: bool = False) -> dict[str, Any]:
    """The whole case: summary, open tasks, report links, incidents and (asked for) history."""
    open_tasks = case_view.open_tasks(instance.id)
    history: list[HumanTask] = []
    if with_history:
        history, _more = case_view.history_page(instance.id, 0, HISTORY_ALL)
    names = case_view.people_of(open_tasks + history, instance.started_by_id)
    result = summary_json(instance, open_tasks, names)
    if with_history:
        result["history"] = history_json(history, names)
    result.update(reports.report_urls(instance.id, external=True, endpoint="api.report"))
    result["incidents"] = [
        {
            "id": i.id,
            "kind": i.kind,
            "element": i.element,
            "message": i.message,
            "created_at": iso(i.created_at),
            "resolved_at": iso(i.resolved_at),
        }
        for i in case_view.incidents_of(instance.id)
    ]
    return result


def outcome_json(instance: ProcessInstance) -> dict[str, str] | None:
    """The end event a completed case finished at, or None (running, terminated)."""
    if instance.outcome_id is None:
        return None
    return {"id": instance.outcome_id, "name": instance.outcome_name or instance.outcome_id}


def role_json(role: Role) -> dict[str, Any]:
    # ``external`` arrives with the lanes work (migration 0005); until then no role is external.
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "external": bool(getattr(role, "external", False)),
    }


def process_json(version, with_form: bool = False) -> dict[str, Any]:
    process = parsed(version)
    step = process.first_user_step()
    result = {
        "id": version.definition.process_id,
        "name": process.name,
        "version": version.version,
        "start_lane": step.lane,
        "lanes": process.lanes,
    }
    if with_form:
        _version, _step, form = svc.start_form(version.definition.process_id)
        result["start_form"] = form.schema
        result["start_ui_schema"] = form.ui_schema
    return result


@bp.get("/processes")
def processes():
    """List the processes the caller may start."""
    user = caller()
    items = []
    for version in published_versions():
        try:
            step = parsed(version).first_user_step()
        except Exception:  # noqa: BLE001 - a broken diagram is not offered
            continue
        if svc.can_start(user, step):
            items.append(process_json(version))
    return jsonify(items=items)


@bp.get("/processes/<process_id>")
def process(process_id: str):
    """Describe one process with its start form (step 1's JSON Schema)."""
    version = published_version(process_id)
    if version is None:
        raise NotFound(_("Proses tidak ditemukan."))
    return jsonify(process_json(version, with_form=True))


@bp.post("/processes/<process_id>/instances")
def start(process_id: str):
    """Start an instance: the body's data is step 1's submission."""
    key = request.headers.get("Idempotency-Key", "")[:64] or None
    started = svc.start_and_next(process_id, caller(), body_data(), submission_key=key)
    row = started.instance
    location = {"Location": url_for("api.instance", instance_id=row.id)}
    return jsonify(summary_of(row, started.open_tasks)), (201 if started.new else 200), location


@bp.get("/tasks")
def tasks():
    """List the open tasks the caller may work on, soonest due first."""
    limit = min(max(request.args.get("limit", 100, type=int), 1), 500)
    rows = db.session.scalars(access.WORKLIST, access.worklist_params(caller(), limit)).all()
    return jsonify(items=tasks_json(list(rows)))


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    """Describe one task with its form schema."""
    row = svc.task_for(caller(), task_id)
    form = svc.task_form(row)
    body = tasks_json([row])[0]
    return jsonify(dict(body, schema=form.schema, ui_schema=form.ui_schema, data=row.form_data))


@bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int):
    """Claim a task for the caller."""
    return jsonify(tasks_json([svc.claim_task(caller(), task_id)])[0])


@bp.post("/tasks/<int:task_id>/release")
def release(task_id: int):
    """Release a task the caller holds."""
    return jsonify(tasks_json([svc.release_task(caller(), task_id)])[0])


@bp.post("/tasks/<int:task_id>/complete")
def complete(task_id: int):
    """Complete a task with its form data; answer with the case's summary and open tasks."""
    done = svc.complete_and_next(caller(), task_id, body_data())
    names = case_view.people_of([done.task, *done.open_tasks], done.instance.started_by_id)
    return jsonify(
        dict(
            task_json(done.task, names),
            instance=summary_json(done.instance, done.open_tasks, names),
        )
    )


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int):
    """Status, current tasks, incidents and report links of one instance; its history too
    with ``include=history``."""
    included = {part.strip() for part in request.args.get("include", "").split(",")}
    row = svc.instance_for(caller(), instance_id)
    return jsonify(instance_json(row, with_history="history" in included))


@bp.get("/instances/<int:instance_id>/history")
def history(instance_id: int):
    """The completed steps of one instance with their data, in order, a page at a time."""
    # Bounded both ways: an absurd page number is an empty page, never a database error.
    page = min(max(request.args.get("page", 1, type=int), 1), HISTORY_LAST_PAGE)
    size = min(max(request.args.get("per_page", HISTORY_PAGE, type=int), 1), HISTORY_MAX_PAGE)
    row = svc.instance_for(caller(), instance_id)
    items, more = case_view.history_page(row.id, (page - 1) * size, size)
    names = case_view.people_of(items)
    return jsonify(
        items=history_json(items, names),
        page=page,
        per_page=size,
        next=url_for("api.history", instance_id=row.id, page=page + 1, per_page=size)
        if more
        else None,
    )


def _storable(text: str) -> bool:
    """Text every database stores as sent: valid UTF-8, no control characters (NUL, …)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\\ud800") JSON lets through
        return False
    return not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)


@bp.post("/roles")
def create_role():
    """Add a role (process owners and administrators): 201 with it, 422 when the name is taken."""
    user = caller()
    if not (user.has_role(users.ADMIN) or user.has_role(users.PROCESS_OWNER)):
        raise Forbidden(_("Hanya pemilik proses dan administrator yang dapat menambah peran."))
    shape = _('Badan permintaan harus JSON {"name": "...", "description": "..."}.')
    if not request.is_json:
        raise Invalid(shape, {})
    payload = submissions.parse_body(request.get_data(cache=True), shape)
    if not isinstance(payload, dict):
        raise Invalid(shape, {})
    name, description, external = (payload.get(k) for k in ("name", "description", "external"))
    errors = {}
    if not isinstance(name, str):
        errors["name"] = _("Wajib diisi.")
    elif not _storable(name):
        errors["name"] = _("Harus berupa teks tanpa karakter kendali.")
    if description is not None and not (isinstance(description, str) and _storable(description)):
        errors["description"] = _("Harus berupa teks tanpa karakter kendali.")
    if external is not None and not isinstance(external, bool):
        errors["external"] = _("Harus true atau false.")
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    options = {} if external is None else {"external": external}
    role = users.create_role(user, name=name, description=description, **options)
    return jsonify(role_json(role)), 201


@bp.post("/processes/<process_id>/versions")
def upload_version(process_id: str):
    """Save an uploaded diagram (multipart ``bpmn`` + optional ``forms``) as a draft."""
    if not versions.can_edit(caller()):
        raise Forbidden(_("Hanya pemilik proses yang dapat mengubah diagram SOP."))
    bpmn_file = request.files.get("bpmn")
    if bpmn_file is None or not bpmn_file.filename:
        raise versions.Refused(_("Kirim berkas diagram pada isian multipart 'bpmn'."), [])
    forms = {}
    for storage in request.files.getlist("forms"):
        name = (storage.filename or "").rsplit("/", 1)[-1]
        if not name.endswith(".json"):
            raise versions.Refused(_("Berkas formulir harus .json: %(f)s", f=name), [])
        forms[name] = storage.read(versions.MAX_FORM_BYTES + 1)
    try:
        version, findings, new = versions.save_draft(
            caller(),
            process_id,
            bpmn_file.read(5 * 1024 * 1024 + 1),
            forms,
            request.form.get("note", ""),
        )
    except versions.Refused as exc:
        raise _worded_refusal(exc) from exc
    body = version_json(version)
    body["findings"] = worded(findings)
    return jsonify(body), (201 if new else 200)


@bp.post("/processes/<process_id>/versions/<int:version>/publish")
def publish_version(process_id: str, version: int):
    """Publish a draft; 422 with the findings while lint finds errors."""
    try:
        published = versions.publish(caller(), process_id, version)
    except versions.Refused as exc:
        raise _worded_refusal(exc) from exc
    return jsonify(version_json(published))


def _worded_refusal(exc: versions.Refused) -> versions.Refused:
    """The same refusal, its findings worded in the request's language."""
    return versions.Refused(exc.message, worded(exc.findings))


def version_json(version) -> dict[str, Any]:
    return {
        "process_id": version.definition.process_id,
        "version": version.version,
        "published_at": iso(version.published_at),
        "created_at": iso(version.created_at),
        "content_hash": version.content_hash,
        "note": version.note,
        "findings": worded(version.findings),
    }


@bp.post("/processes/import")
def import_process():
    """Import an SOP document (process owners): propose its draft, or create it once confirmed.

    Multipart ``file`` (DOCX, XLSX, PDF, text/HTML) or JSON ``{"text": ...}``: 200 with the
    parsed table and the proposed diagram, nothing saved. JSON ``{"table": {...}}``: the same
    from a corrected table; with ``"confirm": true`` the draft is created (201).
    """
    user = caller()
    if not sop_import.can_import(user):
        raise Forbidden(_("Hanya pemilik proses yang dapat mengimpor dokumen SOP."))
    shape = _('Kirim berkas pada isian multipart "file", atau JSON {"text": ...} / {"table": ...}.')
    try:
        if request.files.get("file") is not None:
            upload = request.files["file"]
            proposal = sop_import.propose(upload.filename or "", upload.read())
            return jsonify(_proposal_json(proposal))
        if not request.is_json:
            raise Invalid(shape, {})
        payload = submissions.parse_body(request.get_data(cache=True), shape)
        if isinstance(payload, dict) and isinstance(payload.get("text"), str):
            # JSON lets a lone surrogate through; pasted text loses it rather than the request.
            text = payload["text"].encode("utf-8", "replace")
            return jsonify(_proposal_json(sop_import.propose("teks.txt", text)))
        if not isinstance(payload, dict) or "table" not in payload:
            raise Invalid(shape, {})
        if payload.get("confirm") is not True:
            return jsonify(_proposal_json(sop_import.propose_table(payload["table"])))
        process_id = payload.get("process_id")
        if process_id is not None and not isinstance(process_id, str):
            raise Invalid(shape, {"process_id": _("Harus berupa teks.")})
        version = sop_import.create_draft(user, payload["table"], process_id)
    except sop_import.DocumentRefused as exc:
        refusal = {"code": exc.code, "params": exc.params}
        return jsonify(message=message(refusal), **refusal), 422
    except versions.Refused as exc:
        raise _worded_refusal(exc) from exc
    body = version_json(version)
    body["url"] = url_for(
        "processes.version",
        process_id=version.definition.process_id,
        number=version.version,
        _external=True,
    )
    return jsonify(body), 201


def _proposal_json(proposal: dict[str, Any]) -> dict[str, Any]:
    """A proposal as the API returns it: forms as JSON objects, findings worded."""
    return {
        **proposal,
        "forms": {name: json.loads(text) for name, text in proposal["forms"].items()},
        "findings": worded(proposal["findings"]),
    }


@bp.get("/instances/<int:instance_id>/report.<fmt>")
def report(instance_id: int, fmt: str):
    """The repair report of a case as HTML or PDF, for systems holding a token."""
    instance = svc.instance_for(caller(), instance_id)
    field = {"html": "laporan_html", "pdf": "laporan_pdf"}.get(fmt)
    row = reports.report_files(instance.id).get(field or "")
    if row is None:
        raise NotFound(_("Laporan belum tersedia."))
    response = send_stored(row) if row is not None else None
    if response is None:
        raise NotFound(_("Laporan belum tersedia."))
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi_document())
