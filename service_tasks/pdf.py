"""One way to print an HTML page to PDF: the repair report and the SOP sheet both use it.

WeasyPrint needs Pango from the system; when it is missing the caller gets ``PdfUnavailable``
(a ``ConnectorError``, so a connector's failure reads the same as any other) and shows it.
"""

from __future__ import annotations

from .errors import ConnectorError


class PdfUnavailable(ConnectorError):
    """WeasyPrint (or the Pango it needs) is missing on this server."""


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Print a standalone HTML page to PDF bytes; ``base_url`` resolves relative links."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # Pango missing: say so, never crash the caller
        raise PdfUnavailable(f"PDF tidak dapat dibuat: WeasyPrint tidak tersedia ({exc})") from exc
    return HTML(string=html, base_url=base_url).write_pdf()
