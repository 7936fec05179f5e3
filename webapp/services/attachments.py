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


def folder() -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"])


def path_of(attachment: Attachment) -> Path:
    """Where an attachment's bytes live; ids are hex, so no path can leave the folder."""
    if not re.fullmatch(r"[0-9a-f]{32}", attachment.id):
        raise UploadError("invalid attachment id")
    return folder() / attachment.id[:2] / attachment.id


def store(upload: Upload, accept: str, field: str, user: User) -> tuple[Attachment, Path]:
    """Write a checked upload to disk and add its row; return both (caller commits)."""
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
    path = path_of(attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.content)
    db.session.add(attachment)
    return attachment, path


def store_generated(instance_id: int, field: str, filename: str, content: bytes, kind: str):
    """Store a file sopflow produced itself (the report), skipping the upload checks."""
    attachment = Attachment(
        id=uuid.uuid4().hex,
        instance_id=instance_id,
        field=field,
        filename=filename,
        content_type=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    path = path_of(attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    db.session.add(attachment)
    return attachment
