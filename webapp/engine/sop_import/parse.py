"""Read one document of a known kind into the import table (runs inside the child process)."""

from __future__ import annotations

from typing import Any

from .cells import Grid
from .errors import ImportRefused
from .interpret import interpret


def decode(data: bytes) -> str:
    """The text of a pasted or uploaded text file: UTF-8 (with or without BOM), UTF-16, cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def grids(kind: str, data: bytes) -> list[Grid]:
    """The grids of a document, by the reader of its kind."""
    if kind == "text":
        from .read_text import read_text

        return read_text(decode(data))
    if kind == "docx":
        from .read_docx import read_docx

        return read_docx(data)
    if kind == "xlsx":
        from .read_xlsx import read_xlsx

        return read_xlsx(data)
    if kind == "pdf":
        from .read_pdf import read_pdf

        return read_pdf(data)
    raise ImportRefused("import-format-unknown", extension=kind)


def parse(kind: str, data: bytes, filename: str = "") -> dict[str, Any]:
    """Return the import table of a document already let through by ``guard.kind_of``."""
    return interpret(grids(kind, data), filename)
