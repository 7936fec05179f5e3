"""One way to print an HTML page to PDF: the repair report and the SOP sheet both use it.

WeasyPrint needs Pango from the system; when it is missing the caller gets ``PdfUnavailable``
(a ``ConnectorError``, so a connector's failure reads the same as any other) and shows it.

The font configuration (fontconfig's view of the system fonts) is built once per process and
reused by every render; a lock lets one render run at a time. WeasyPrint and the Pango/cairo
objects behind a shared font configuration are not safe to use from several threads at once,
and the layout is pure Python that holds the GIL, so two threads would not print faster anyway:
more PDFs at once means more worker processes, not more threads.
"""

from __future__ import annotations

import threading
from typing import Any

from .errors import ConnectorError


class PdfUnavailable(ConnectorError):
    """WeasyPrint (or the Pango it needs) is missing on this server."""


_lock = threading.Lock()
_printer: dict[str, Any] = {}


def _weasyprint() -> dict[str, Any]:
    """WeasyPrint's HTML class and one font configuration, made on first use (under the lock)."""
    if not _printer:
        try:
            from weasyprint import HTML
            from weasyprint.text.fonts import FontConfiguration
        except (ImportError, OSError) as exc:  # Pango missing: say so, never crash the caller
            raise PdfUnavailable(
                f"PDF tidak dapat dibuat: WeasyPrint tidak tersedia ({exc})"
            ) from exc
        _printer.update(HTML=HTML, fonts=FontConfiguration())
    return _printer


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Print a standalone HTML page to PDF bytes; ``base_url`` resolves relative links."""
    with _lock:
        printer = _weasyprint()
        return printer["HTML"](string=html, base_url=base_url).write_pdf(
            font_config=printer["fonts"]
        )


def warm_up() -> None:
    """Load WeasyPrint and the system fonts now (about a second), not in the first report."""
    try:
        render_pdf("<!doctype html><p>sopflow</p>")
    except PdfUnavailable:
        pass  # the report that needs it says so
