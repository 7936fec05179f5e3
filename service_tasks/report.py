"""The repair report (Laporan Hasil Perbaikan) at the end of the SOP."""

from datetime import UTC, datetime


def generate_repair_report() -> dict:
    """Mark the moment the repair report is produced; the web app renders it from history."""
    return {"generated_at": datetime.now(UTC).isoformat()}
