"""Files uploaded on task forms: checked, stored on disk, described in SQL."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from ..extensions import db
from ..models import Attachment, User
from . import storage
from .errors import Invalid

DEFAULT_ACCEPT = ".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.log"

# Leading bytes of the binary types we accept; text files are checked by decoding.
MAGIC = {
    ".png": [b"\x89PNG\r\n\x1a\n"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".gif": [b"GIF87a", b"GIF89a"],
    ".webp": [b"RIFF"],
    ".pdf": [b"%PDF-"],
}
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".log": "text/plain",
}
_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?);base64,(?P<b64>.*)$", re.S
)


class UploadError(ValueError):
    """An uploaded file was refused; the message says why in plain words."""


class StoreUnavailable(Invalid):
    """The file store could not take a file: nothing of the submission is saved. Shown on the
    file's field like any refusal (the form keeps its input); 503 to API clients, who may retry.
    """

    status = 503

    def __init__(self, field: str, cause: Exception) -> None:
        message = _(
            "Berkas tidak dapat disimpan karena tempat penyimpanan berkas sedang tidak dapat "
            "dihubungi. Tidak ada yang tersimpan; coba kirim lagi beberapa saat lagi."
        )
        super().__init__(message, {field: message})
        self.cause = str(cause)


@dataclass
class Upload:
    filename: str
    content: bytes


def check(upload: Upload, accept: str) -> tuple[str, str]:
    """Check size and type; return (safe filename, content type) or raise UploadError."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if len(upload.content) > limit:
        raise UploadError(_("Berkas lebih besar dari %(mb)s MB.", mb=limit // (1024 * 1024)))
    if not upload.content:
        raise UploadError(_("Berkas kosong."))
    name = secure_filename(upload.filename) or "berkas"
    ext = Path(name).suffix.lower()
    allowed = [e.strip().lower() for e in (accept or DEFAULT_ACCEPT).split(",") if e.strip()]
    if ext not in allowed or ext not in CONTENT_TYPES:
        raise UploadError(
            _("Jenis berkas tidak diizinkan. Gunakan: %(types)s", types=", ".join(allowed))
        )
    if ext in MAGIC:
        if not any(upload.content.startswith(m) for m in MAGIC[ext]):
            raise UploadError(_("Isi berkas tidak sesuai dengan jenisnya (%(ext)s).", ext=ext))
    else:
        try:
            upload.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UploadError(_("Berkas teks harus berformat UTF-8.")) from exc
    return name, CONTENT_TYPES[ext]


def from_data_url(value: str) -> Upload:
    """Decode an RJSF-style data URL (``data:<type>;name=<file>;base64,<data>``)."""
    match = _DATA_URL.match(value)
    if not match:
        raise UploadError(_("Lampiran harus berupa data URL base64."))
    params = dict(p.split("=", 1) for p in match.group("params").split(";") if "=" in p)
    try:
        content = base64.b64decode(match.group("b64"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UploadError(_("Lampiran bukan base64 yang sah.")) from exc
    return Upload(filename=params.get("name", "lampiran"), content=content)


def key_of(attachment: Attachment) -> str:
    """The store key of an attachment's bytes; ids are hex, so no key can leave its place."""
    if not re.fullmatch(r"[0-9a-f]{32}", attachment.id):
        raise UploadError("invalid attachment id")
    return f"{attachment.id[:2]}/{attachment.id}"


def _put(attachment: Attachment, content: bytes) -> str:
    """Write the bytes to the store before any row refers to them; return the key."""
    key = key_of(attachment)
    try:
        storage.store().put(key, content, attachment.content_type)
    except storage.StoreError as exc:
        raise StoreUnavailable(attachment.field, exc) from exc
    return key


def store(upload: Upload, accept: str, field: str, user: User) -> tuple[Attachment, str]:
    """Write a checked upload to the store and add its row; return both (caller commits,
    or deletes the key with ``storage.discard`` when it does not)."""
    name, content_type = check(upload, accept)
    attachment = Attachment(
        id=uuid.uuid4().hex,
        field=field,
        filename=name,
        content_type=content_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        uploaded_by_id=user.id,
    )
    key = _put(attachment, upload.content)
    db.session.add(attachment)
    return attachment, key


def store_generated(
    instance_id: int,
    field: str,
    filename: str,
    content: bytes,
    kind: str,
    attachment_id: str | None = None,
):
    """Store a file sopflow produced itself (the report), skipping the upload checks. A caller
    that may write the same file again (a transaction tried again) names its ``attachment_id``,
    so the second write replaces the first object instead of leaving it orphaned."""
    attachment = Attachment(
        id=attachment_id or uuid.uuid4().hex,
        instance_id=instance_id,
        field=field,
        filename=filename,
        content_type=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    _put(attachment, content)
    db.session.add(attachment)
    return attachment


def open_stored(attachment: Attachment) -> storage.Opened | None:
    """An attachment's bytes opened for streaming, or None when they are not in the store."""
    try:
        return storage.store().open(key_of(attachment))
    except (UploadError, storage.MissingObject):
        return None


def read(attachment: Attachment) -> bytes | None:
    """An attachment's bytes, or None when they are not in the store."""
    opened = open_stored(attachment)
    if opened is None:
        return None
    with opened.stream as stream:
        return stream.read()
