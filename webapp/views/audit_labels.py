"""Audit events of a case in the reader's words: the trail never shows raw English codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "instance.started": _l("kasus dimulai"),
    "instance.forbidden": _l("akses kasus ditolak"),
    "instance.start_forbidden": _l("memulai kasus ditolak"),
    "instance.suspended": _l("kasus ditangguhkan"),
    "instance.resumed": _l("kasus dilanjutkan"),
    "instance.terminated": _l("kasus dihentikan"),
    "instance.error": _l("kasus mengalami galat"),
    "instance.migrated": _l("kasus dipindah ke versi baru"),
    "task.claimed": _l("tugas diambil"),
    "task.released": _l("tugas dilepas"),
    "task.released_by_admin": _l("tugas dilepas oleh administrator"),
    "task.reassigned": _l("tugas dialihkan"),
    "task.completed": _l("tugas diselesaikan"),
    "task.forbidden": _l("akses tugas ditolak"),
    "timer.fired": _l("batas waktu tercapai"),
    "sla.escalated": _l("keterlambatan dieskalasi"),
    "service.started": _l("langkah otomatis dimulai"),
    "service.succeeded": _l("langkah otomatis berhasil"),
    "service.failed": _l("langkah otomatis gagal"),
    "service.retried": _l("langkah otomatis diulang"),
    "service.skipped": _l("langkah otomatis dilewati"),
    "report.generated": _l("laporan dibuat"),
    "case.notified": _l("pemberitahuan dikirim"),
}


def audit_label(action: str) -> str:
    """An audit event's code in the reader's words, or the code itself when it has none."""
    return str(AUDIT_LABELS.get(action, action))
