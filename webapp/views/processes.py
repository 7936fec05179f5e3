"""Process owners: the process library, versions, upload, lint, diff, publish, migrate."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..services import draft_guard, sla, versions
from ..services import forms as form_service
from ..services.errors import Invalid
from ..services.processes import parsed, published_version
from . import modeler_text
from .common import me, role_required
from .findings import worded

bp = Blueprint("processes", __name__, url_prefix="/processes")

OWNERS = ("process_owner", "admin")
MAX_BPMN_BYTES = 5 * 1024 * 1024


def _files() -> tuple[bytes | None, dict[str, bytes]]:
    """The uploaded .bpmn file and any form files (*.json) from a multipart request."""
    bpmn_file = request.files.get("bpmn")
    bpmn = bpmn_file.read(MAX_BPMN_BYTES + 1) if bpmn_file and bpmn_file.filename else None
    forms = {}
    for storage in request.files.getlist("forms"):
        if storage and storage.filename:
            name = storage.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
            if not name.endswith(".json") or name.startswith("."):
                raise versions.Refused(
                    _("Berkas formulir harus .json: %(f)s", f=name),
                    [
                        {
                            "level": "error",
                            "code": "form-invalid",
                            "element": name,
                            "name": "",
                            "message": _("Hanya berkas .json yang diterima sebagai formulir."),
                        }
                    ],
                )
            forms[name] = storage.read(versions.MAX_FORM_BYTES + 1)
    return bpmn, forms


@bp.route("/")
@role_required(*OWNERS)
def library():
    """Every SOP with its published version, drafts and running instances."""
    return render_template("processes/library.html", items=versions.library())


def _refused_upload() -> dict:
    """What a refused upload sent, for its form: the files' names (to choose again), the note."""
    bpmn = request.files.get("bpmn")
    return {
        "bpmn": _base_name(bpmn.filename) if bpmn and bpmn.filename else "",
        "forms": [_base_name(f.filename) for f in request.files.getlist("forms") if f.filename],
        "note": request.form.get("note", ""),
    }


def _base_name(filename: str) -> str:
    return filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]


def _save_uploaded_draft(process_id: str):
    """Store the posted .bpmn (and form files) as a draft; raise Refused when there is none."""
    bpmn, forms = _files()
    if bpmn is None:
        raise versions.Refused(_("Pilih berkas .bpmn."), [])
    return versions.save_draft(me(), process_id, bpmn, forms, request.form.get("note", ""))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*OWNERS)
def new():
    """Upload the diagram of a new SOP."""
    findings, status, refused = [], 200, None
    process_id = request.form.get("process_id", "").strip()
    if request.method == "POST":
        try:
            version, findings, _new = _save_uploaded_draft(process_id)
        except versions.Refused as exc:
            flash(exc.message, "error")
            findings, status, refused = exc.findings, 422, _refused_upload()
        else:
            return redirect(
                url_for("processes.version", process_id=process_id, number=version.version)
            )
    return render_template(
        "processes/new.html", findings=worded(findings), process_id=process_id, refused=refused
    ), status


@bp.route("/<process_id>/")
@role_required(*OWNERS)
def detail(process_id: str):
    """One SOP: its versions, which one is published, and what runs on each."""
    item = next((i for i in versions.library() if i.definition.process_id == process_id), None)
    if item is None:
        abort(404)
    return render_template("processes/detail.html", item=item)


@bp.route("/<process_id>/upload", methods=["POST"])
@role_required(*OWNERS)
def upload(process_id: str):
    """Upload a .bpmn (and optionally form files) as a new draft of this SOP."""
    try:
        version, findings, is_new = _save_uploaded_draft(process_id)
    except versions.Refused as exc:
        item = next((i for i in versions.library() if i.definition.process_id == process_id), None)
        if item is None:
            abort(404)
        flash(exc.message, "error")
        return render_template(
            "processes/detail.html",
            item=item,
            findings=worded(exc.findings),
            refused=_refused_upload(),
        ), 422
    if not is_new:
        flash(
            _("Isi berkas sama dengan versi %(n)s; tidak ada versi baru.", n=version.version),
            "info",
        )
    else:
        errors = sum(f["level"] == "error" for f in findings)
        flash(
            _("Draf versi %(n)s tersimpan (%(e)s kesalahan).", n=version.version, e=errors),
            "success",
        )
    return redirect(url_for("processes.version", process_id=process_id, number=version.version))


@bp.route("/<process_id>/v/<int:number>")
@role_required(*OWNERS)
def version(process_id: str, number: int):
    """A version: its lint findings, what it changes, and publish / migrate."""
    v = versions.get_version(process_id, number)
    current = published_version(process_id)
    plan = []
    if me().has_role("admin") and v.published_at is not None and current and current.id == v.id:
        plan = versions.migration_plan(v)
    return render_template(
        "processes/version.html",
        v=v,
        current=current,
        findings=worded(v.findings),
        changes=versions.changes(v),
        plan=plan,
        steps=list(parsed(v).steps.values()),
    )


@bp.route("/<process_id>/v/<int:number>/diagram.bpmn")
@role_required(*OWNERS)
def download(process_id: str, number: int):
    """Download the version's diagram (opens in Camunda Modeler)."""
    v = versions.get_version(process_id, number)
    return Response(
        v.bpmn_xml,
        mimetype="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="{process_id}-v{number}.bpmn"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.route("/<process_id>/v/<int:number>/model.json")
@role_required(*OWNERS)
def model(process_id: str, number: int):
    """The diagram, its forms and what the diff highlights, for the modeler and viewer."""
    v = versions.get_version(process_id, number)
    return jsonify(
        process_id=process_id,
        version=v.version,
        published=v.published_at is not None,
        xml=v.bpmn_xml,
        forms=v.forms,
        changes=versions.changes(v),
        findings=worded(v.findings),
        operators=sorted(versions.REGISTRY),
        roles=sorted(versions._roles()),
    )


def _encoded(forms: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in forms.items()}


@bp.route("/<process_id>/drafts", methods=["POST"])
@role_required(*OWNERS)
def save_draft(process_id: str):
    """Save the modeler's diagram and forms as a draft (JSON); answer with the findings."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("xml"), str):
        return jsonify(
            message=_('Badan permintaan harus JSON {"xml": "...", "forms": {...}}.')
        ), 422
    forms = payload.get("forms") or {}
    if not isinstance(forms, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in forms.items()
    ):
        return jsonify(message=_("Formulir harus berupa peta nama berkas → isi JSON.")), 422
    base = payload.get("base")
    if isinstance(base, int) and not payload.get("confirm"):
        dropped = draft_guard.would_drop(
            process_id, base, payload["xml"].encode("utf-8"), _encoded(forms)
        )
        if dropped is not None:
            number = dropped.newest.version
            return jsonify(
                message=_(
                    "Versi %(n)s sudah disimpan setelah versi %(b)s yang Anda ubah. Menyimpan "
                    "diagram ini sebagai draf baru akan membuang perubahan berikut dari versi "
                    "%(n)s.",
                    n=number,
                    b=base,
                ),
                newest=number,
                newest_url=url_for("processes.modeler", process_id=process_id, v=number),
                dropped=dropped.changes,
            ), 409
    try:
        v, findings, is_new = versions.save_draft(
            me(),
            process_id,
            payload["xml"].encode("utf-8"),
            _encoded(forms),
            str(payload.get("note", "")),
        )
    except versions.Refused as exc:
        return jsonify(message=exc.message, findings=worded(exc.findings)), 422
    return jsonify(
        version=v.version,
        new=is_new,
        findings=worded(findings),
        url=url_for("processes.version", process_id=process_id, number=v.version),
    ), (201 if is_new else 200)


@bp.route("/<process_id>/modeler")
@role_required(*OWNERS)
def modeler(process_id: str):
    """Edit the diagram and its forms in the browser (bpmn-js, served locally)."""
    number = request.args.get("v", type=int)
    v = (
        versions.get_version(process_id, number)
        if number
        else draft_guard.version_to_open(process_id)
    )
    if v is None:
        abort(404)
    return render_template(
        "processes/modeler.html",
        v=v,
        others=[o for o in draft_guard.versions_of(process_id) if o.id != v.id][:6],
        published=published_version(process_id),
        process_id=process_id,
        working_days=sla.counts_working_days(),  # the duration hint states the calendar's rule
        modeler_text=modeler_text.catalog(),
        note_max=versions.NOTE_MAX,
    )


@bp.route("/forms/preview", methods=["POST"])
@role_required(*OWNERS)
def preview_form():
    """Render a JSON Schema (and UI schema) exactly as staff will see it, or say what is wrong."""
    payload = request.get_json(silent=True) or {}
    try:
        # Measured before parsing: a schema nested thousands deep is an error, not a 500.
        schema = form_service.loads_schema(payload.get("schema") or "{}")
        ui_schema = form_service.loads_schema(payload.get("ui_schema") or "{}")
    except (TypeError, ValueError) as exc:
        return jsonify(errors=[_("Bukan JSON yang sah: %(e)s", e=str(exc))], html=""), 200
    errors = form_service.schema_errors(schema) + (
        [] if isinstance(ui_schema, dict) else [_("Skema UI harus berupa objek JSON.")]
    )
    if errors:
        return jsonify(errors=errors, html="")
    form = form_service.build_form(schema, ui_schema)
    html = render_template("processes/_form_preview.html", form=form)
    return jsonify(errors=[], html=html)


@bp.route("/<process_id>/v/<int:number>/publish", methods=["POST"])
@role_required(*OWNERS)
def publish(process_id: str, number: int):
    """Publish a draft: new cases start on it; running ones finish on theirs."""
    try:
        versions.publish(me(), process_id, number)
    except versions.Refused as exc:
        flash(exc.message, "error")
        return redirect(url_for("processes.version", process_id=process_id, number=number))
    flash(_("Versi %(n)s diterbitkan; kasus baru dimulai pada versi ini.", n=number), "success")
    return redirect(url_for("processes.version", process_id=process_id, number=number))


@bp.route("/roles", methods=["POST"])
@role_required(*OWNERS)
def create_role():
    """Create the role a new lane needs (offered next to the lint finding)."""
    try:
        role = versions.create_lane_role(me(), request.form.get("name", ""))
    except Invalid as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("Peran “%(r)s” tersedia; tambahkan anggotanya di halaman Pengguna.", r=role.name),
            "success",
        )
    back = request.form.get("back", "")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("processes.library")
    return redirect(back)


@bp.route("/<process_id>/v/<int:number>/migrate", methods=["POST"])
@role_required("admin")
def migrate(process_id: str, number: int):
    """Move the chosen running cases to this version, each in its own transaction."""
    v = versions.get_version(process_id, number)
    ids = [int(x) for x in request.form.getlist("instance") if x.isdigit()]
    if not ids:
        flash(_("Pilih kasus yang akan dipindahkan."), "error")
    else:
        outcome = versions.migrate(me(), v, ids)
        moved = [i for i, r in outcome.items() if r == "ok"]
        failed = {i: r for i, r in outcome.items() if r != "ok"}
        flash(_("%(n)s kasus dipindahkan ke versi %(v)s.", n=len(moved), v=number), "success")
        for instance_id, reason in failed.items():
            flash(_("Kasus #%(id)s tidak dipindahkan: %(r)s", id=instance_id, r=reason), "error")
    return redirect(url_for("processes.version", process_id=process_id, number=number))
