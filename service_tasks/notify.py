"""Escalation of a breached time standard (called from each step's timer path)."""

from datetime import UTC, datetime


def notify_sla_breach(langkah: str, batas: str) -> dict:
    """Describe a breach of step ``langkah`` past its standard ``batas``.

    The worker that runs this connector records the breach on the task row and delivers the
    in-app and e-mail notifications from the returned description.
    """
    return {"langkah": langkah, "batas": batas, "at": datetime.now(UTC).isoformat()}
