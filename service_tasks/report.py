"""The repair report (Laporan Hasil Perbaikan): one HTML document, printed and as PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .connector import Connector, Param
from .pdf import render_pdf

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def render_html(case: dict[str, Any]) -> str:
    """Render the report page from the case history (escaped: it holds what people typed)."""
    return _env.get_template("laporan.html").render(case=case)


def generate_repair_report(*, case: dict[str, Any], kepada: str = "starter") -> dict:
    """Produce the report of a finished case as HTML and PDF, and say who receives it.

    ``case`` is the case history the worker assembles from sopflow's records; ``kepada``
    (set in the diagram; unset, the case's starter) lists recipients: ``starter``,
    ``role:<name>``, ``user:<name>``. No lane is assumed: the diagram names its own.
    """
    html = render_html(case)
    return {
        "html": html,
        "pdf": render_pdf(html),
        "kepada": [r.strip() for r in kepada.split(",") if r.strip()],
        "generated_at": datetime.now(UTC).isoformat(),
    }


CONNECTOR = Connector.of(
    generate_repair_report,
    Param(
        "kepada",
        str,
        False,
        "penerima laporan, dipisah koma: starter, role:<nama>, user:<nama pengguna>",
    ),
    label="Menyusun laporan hasil perbaikan (HTML dan PDF)",
    # The worker passes the case history; the diagram passes only the recipients. The HTML and
    # PDF the result holds are stored on the case as attachments.
    needs_case=True,
    stores_document=True,
    timeout=120,
)
