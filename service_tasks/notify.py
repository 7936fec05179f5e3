"""Escalation of a breached time standard (called from each step's timer path)."""

from datetime import UTC, datetime

from .connector import Connector, Param
from .errors import ConnectorError


def notify_sla_breach(langkah: str, batas: str, kepada: str = "assignee, role:Ketua Tim") -> dict:
    """Say who must hear that step ``langkah`` ran past its standard ``batas``.

    ``kepada`` lists the recipients, comma-separated: ``assignee`` (whoever holds the step,
    or its candidates), ``role:<name>`` (every member of a role) or ``user:<username>``. The
    process owner changes it in the diagram; the worker delivers in-app and e-mail messages.
    """
    recipients = [r.strip() for r in kepada.split(",") if r.strip()]
    for recipient in recipients:
        if recipient != "assignee" and not recipient.startswith(("role:", "user:")):
            raise ConnectorError(f"unknown recipient '{recipient}' (use assignee, role:, user:)")
    return {
        "langkah": langkah,
        "batas": batas,
        "kepada": recipients,
        "at": datetime.now(UTC).isoformat(),
    }


CONNECTOR = Connector.of(
    notify_sla_breach,
    Param("langkah", str, True, "nama langkah yang melewati mutu baku waktu"),
    Param("batas", str, True, "mutu baku waktu langkah itu, misalnya 2 jam"),
    Param(
        "kepada", str, False, "penerima, dipisah koma: assignee, role:<nama>, user:<nama pengguna>"
    ),
    label="Memberi tahu pelampauan mutu baku waktu",
    timeout=10,
    escalates=True,
)
