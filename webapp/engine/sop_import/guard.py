"""Look at an uploaded document before anything parses it: size, kind, and what a zip holds.

Everything here reads only the first bytes and a zip's central directory, so a zip bomb or a
macro-enabled document is refused before a byte of it is inflated. The parse itself then runs
in a child process with memory and CPU limits (``read.py``), which also catches a zip whose
directory lies.
"""

from __future__ import annotations

import io
import re
import zipfile

from .errors import ImportRefused

MAX_BYTES = 20 * 1024 * 1024  # an SOP of a hundred pages is a few megabytes
MAX_UNZIPPED = 100 * 1024 * 1024  # what all the parts of a DOCX/XLSX may inflate to
MAX_RATIO = 100  # inflated/compressed for a part above 1 MB; XML packs about 5-20 times
MAX_PARTS = 2000

KINDS = ("docx", "xlsx", "pdf", "text")
_EXTENSIONS = {
    "docx": "docx",
    "xlsx": "xlsx",
    "pdf": "pdf",
    "txt": "text",
    "tsv": "text",
    "text": "text",
    "html": "text",
    "htm": "text",
    "docm": "macro",
    "dotm": "macro",
    "xlsm": "macro",
    "xltm": "macro",
    "xlsb": "macro",
    "doc": "legacy",
    "xls": "legacy",
    "rtf": "legacy",
    "odt": "legacy",
    "ods": "legacy",
}
_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_MACRO_PARTS = re.compile(r"(?:^|/)(?:vbaProject\.bin|vbaData\.xml|activeX/)", re.IGNORECASE)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Word/Excel, or a password-protected DOCX


def kind_of(filename: str, data: bytes) -> str:
    """Return which reader takes the document ('docx', 'xlsx', 'pdf', 'text'), or refuse it."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            "import-too-large", size_mb=len(data) // (1024 * 1024), limit_mb=MAX_BYTES // 2**20
        )
    if not data.strip():
        raise ImportRefused("import-empty")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = _EXTENSIONS.get(extension)
    if data.startswith(_OLE):
        raise ImportRefused("import-legacy-office", extension=extension or "?")
    if kind == "macro":
        raise ImportRefused("import-macro-document", extension=extension)
    if kind == "legacy":
        raise ImportRefused("import-legacy-office", extension=extension)
    if data.startswith(b"%PDF-"):
        kind = "pdf"
    elif data.startswith(b"PK\x03\x04"):
        kind = kind if kind in _MAIN_PART else _zip_kind(data)
        check_zip(data, kind)
    elif kind in ("docx", "xlsx", "pdf"):
        raise ImportRefused("import-damaged", format=kind.upper())
    elif kind is None and not _looks_like_text(data):
        raise ImportRefused("import-format-unknown", extension=extension or "?")
    return kind or "text"


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    return b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRefused("import-damaged", format="ZIP") from None
    for kind, part in _MAIN_PART.items():
        if part in names:
            return kind
    raise ImportRefused("import-format-unknown", extension="zip")


def check_zip(data: bytes, kind: str) -> None:
    """Refuse a DOCX/XLSX whose parts would inflate too far, or that carries macros."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRefused("import-damaged", format=kind.upper()) from None
    if len(parts) > MAX_PARTS:
        raise ImportRefused("import-zip-bomb", limit_mb=MAX_UNZIPPED // 2**20)
    total = 0
    for part in parts:
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        if total > MAX_UNZIPPED or (part.file_size > 2**20 and ratio > MAX_RATIO):
            raise ImportRefused("import-zip-bomb", limit_mb=MAX_UNZIPPED // 2**20)
        if _MACRO_PARTS.search(part.filename):
            raise ImportRefused("import-macro-document", extension=kind)
    names = {p.filename for p in parts}
    if _MAIN_PART[kind] not in names:
        raise ImportRefused("import-damaged", format=kind.upper())
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if b"macroEnabled" in content_types:
        raise ImportRefused("import-macro-document", extension=kind)
    for part in parts:
        # Office never writes a DTD: one is an entity-expansion or external-entity attempt.
        if part.filename.endswith((".xml", ".rels")):
            with archive.open(part) as stream:
                head = stream.read(4096).upper()
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ImportRefused("import-damaged", format=kind.upper())
