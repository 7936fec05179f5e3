"""Process owners: import an SOP document, review the table next to its diagram, make a draft.

Nothing is saved before "Buat draf": the upload page reads the document into a table and a
proposed diagram; the review page carries the table in a hidden field (untrusted, rebuilt and
checked on every post) with each cell an input; "Gambar ulang" draws the corrected table again;
"Buat draf" saves it as a draft version and goes to that version's page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..services import sop_import as svc
from ..services import versions
from ..services.errors import Invalid
from ..services.processes import definition_of
from ..services.sop_sheet import LABELS
from .common import me, role_required
from .errors import http_error
from .findings import message, worded
from .sop_import_form import (
    BRANCH_SLOTS,
    END,
    KINDS,
    TEXT_CELLS,
    Damaged,
    Review,
    dumps,
    shown_cell,
    table_from_form,
)

bp = Blueprint("sop_import", __name__, url_prefix="/processes/import")

OWNERS = ("process_owner", "admin")
ACCEPT = ".docx,.xlsx,.pdf,.txt,.html,.htm"
MAX_TEXT_CHARS = 1_000_000
# Fields of the header written on one line; the others are lists or lines (a textarea).
ONE_LINE = ("sopNomor", "sopTanggalPembuatan", "sopTanggalRevisi", "sopTanggalBerlaku")


def _upload_page(
    text: str = "", problem: str = "", status: int = 200, refused_file: str | None = None
):
    """The upload form; ``refused_file`` (a name, or "" when unknown) marks the file refused.

    A browser cannot be handed a file back, and the same file would be refused again: the
    file's field says it was refused and that a corrected one must be chosen; a problem with
    no file is the pasted text's.
    """
    return render_template(
        "processes/import.html",
        text=text,
        problem=problem,
        refused_file=refused_file,
        accept=ACCEPT,
        max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
    ), status


def _refusal(exc: svc.DocumentRefused) -> str:
    """Word the readers' refusal (a finding code with parameters) in the reader's language."""
    code = exc.code
    worded_text = message({"code": code, "params": exc.params or {}})
    if worded_text and worded_text != code:
        return worded_text
    return _("Dokumen tidak dapat dibaca sebagai tabel SOP (%(code)s).", code=code or "?")


def _too_large() -> str:
    return _(
        "Berkas lebih besar dari %(n)s MB. Simpan ulang dokumen tanpa gambar atau pisahkan "
        "tabel SOP-nya, lalu unggah lagi.",
        n=current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024),
    )


def _reasons(exc: Invalid) -> str:
    return "; ".join(f"{where}: {why}" for where, why in list(exc.errors.items())[:5])


def _document() -> tuple[str, bytes] | None:
    """The posted file, else the pasted text as a document; None when there is neither."""
    storage = request.files.get("file")
    if storage is not None and storage.filename:
        name = storage.filename.replace("\\", "/").rsplit("/", 1)[-1]
        return name, storage.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    text = request.form.get("text", "")
    if not text.strip():
        return None
    kind = "html" if text.lstrip().startswith("<") and "<table" in text.lower() else "txt"
    return f"tempel.{kind}", text.encode("utf-8")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge):
    """A request over the server's upload limit: say so on the upload page (owners only)."""
    if not any(current_user.has_role(r) for r in OWNERS):
        return http_error(exc)
    # The body was refused before it was read: what was pasted is in the browser only.
    return _upload_page("", _too_large(), 413, refused_file="")


@bp.route("", methods=["GET", "POST"])
@role_required(*OWNERS)
def upload():
    """Upload an SOP document (DOCX, XLSX, PDF) or paste its table; show the review on success."""
    if request.method == "GET":
        return _upload_page()
    text = request.form.get("text", "")
    document = _document()
    if len(text) > MAX_TEXT_CHARS:
        problem = _("Teks terlalu panjang (paling banyak %(n)s karakter).", n=MAX_TEXT_CHARS)
        return _upload_page(text[:MAX_TEXT_CHARS], problem, 422)
    if document is None:
        return _upload_page(text, _("Pilih berkas dokumen SOP atau tempel tabelnya."), 422)
    filename, data = document
    upload = request.files.get("file")
    chosen = filename if upload is not None and upload.filename else None
    if len(data) > current_app.config["MAX_UPLOAD_BYTES"]:
        return _upload_page(text, _too_large(), 413, chosen)
    try:
        proposal = svc.propose(filename, data)
    except Invalid as exc:  # the readers made a table the contract refuses: say so, keep the text
        return _upload_page(text, f"{exc.message} {_reasons(exc)}", 422, chosen)
    except svc.DocumentRefused as exc:
        return _upload_page(text, _refusal(exc), 422, chosen)
    return _review_page(proposal)


def _unsure_cells(table: dict[str, Any]) -> dict[tuple[int, str], str]:
    """(row index, cell) -> the worded reasons the readers were unsure of that cell."""
    cells: dict[tuple[int, str], list[str]] = {}
    for i, row in enumerate(table["rows"]):
        for item in row.get("uncertain") or []:
            if isinstance(item, dict):
                cells.setdefault((i, shown_cell(item)), []).append(message(item))
    return {key: " ".join(reasons) for key, reasons in cells.items()}


def _diagram_findings(proposal: dict[str, Any], table: dict[str, Any]) -> list[dict]:
    """The proposal's findings less what the table already shows (unsure cells, unread text)."""
    shown = {
        item.get("code")
        for row in table["rows"]
        for item in [*(row.get("uncertain") or []), *(table.get("findings") or [])]
        if isinstance(item, dict)
    }
    return [f for f in proposal.get("findings") or () if f.get("code") not in shown]


def _review_page(
    proposal: dict[str, Any], review: Review | None = None, status: int = 200, problem: str = ""
):
    table = review.table if review else proposal["table"]
    bpmn = proposal.get("bpmn") or b""
    return render_template(
        "processes/import_review.html",
        table=table,
        table_json=dumps(table),
        bpmn=bpmn.decode("utf-8") if isinstance(bpmn, bytes) else bpmn,
        forms=sorted(proposal.get("forms") or {}),
        findings=worded(_diagram_findings(proposal, table)),
        table_findings=worded(f for f in table.get("findings") or () if isinstance(f, dict)),
        proposed_id=proposal.get("process_id") or "",
        existing=definition_of(table.get("process_id") or proposal.get("process_id") or ""),
        unsure=_unsure_cells(table),
        cell_errors=review.cell_errors if review else {},
        errors=(review.errors if review else []) + ([problem] if problem else []),
        labels=LABELS,
        one_line=ONE_LINE,
        kinds=KINDS,
        text_cells=TEXT_CELLS,
        branch_slots=BRANCH_SLOTS,
        end=END,
    ), status


@bp.route("/review", methods=["POST"])
@role_required(*OWNERS)
def review():
    """Draw the corrected table again ("Gambar ulang") or save it as a draft ("Buat draf")."""
    try:
        corrected = table_from_form(request.form, LABELS, svc.read_waktu)
    except Damaged:
        problem = _(
            "Formulir tinjauan rusak atau terpotong, sehingga tabelnya tidak dapat dibaca. "
            "Mulai lagi dari dokumen SOP."
        )
        return _upload_page("", problem, 422)
    if corrected.cell_errors or corrected.errors:
        return _review_page({}, corrected, 422, _("Perbaiki isian yang ditandai lalu kirim lagi."))
    try:
        if request.form.get("action") != "confirm":
            return _review_page(svc.propose_table(corrected.table), corrected)
        version = svc.create_draft(me(), corrected.table, corrected.table.get("process_id"))
    except Invalid as exc:  # checked with table_errors: the hidden table was altered
        problem = _("Tabel belum sah: %(e)s", e=_reasons(exc))
        return _review_page({}, corrected, 422, problem)
    except versions.Refused as exc:
        problem = " ".join([exc.message, *(f["message"] for f in worded(exc.findings))])
        return _review_page(svc.propose_table(corrected.table), corrected, 422, problem)
    flash(
        _(
            "Draf versi %(n)s dibuat dari dokumen SOP. Periksa temuannya sebelum terbit.",
            n=version.version,
        ),
        "success",
    )
    return redirect(
        url_for(
            "processes.version",
            process_id=version.definition.process_id,
            number=version.version,
        )
    )
