"""Messages a diagram sends: a breached time standard (each step's timer path) and a notice
about the case to whoever must hear of it, above all its starter (the applicant)."""

from datetime import UTC, datetime

from .connector import Connector, Param
from .errors import ConnectorError

KEPADA_HELP = (
    "penerima, dipisah koma: starter (pengaju kasus), assignee, role:<nama>, user:<nama pengguna>"
)
TITLE_MAX = 255
MESSAGE_MAX = 4000


def recipients_of(kepada: str) -> list[str]:
    """Split ``kepada`` into recipients; refuse any that is not starter, assignee, role:, user:."""
    recipients = [r.strip() for r in kepada.split(",") if r.strip()]
    if not recipients:
        raise ConnectorError("tidak ada penerima (isi kepada, misalnya starter)")
    for recipient in recipients:
        if recipient not in ("starter", "assignee") and not (
            recipient.startswith(("role:", "user:")) and recipient.split(":", 1)[1].strip()
        ):
            raise ConnectorError(
                f"penerima tidak dikenal '{recipient}' (gunakan starter, assignee, role:, user:)"
            )
    return recipients


def notify_sla_breach(langkah: str, batas: str, kepada: str = "assignee, role:Ketua Tim") -> dict:
    """Say who must hear that step ``langkah`` ran past its standard ``batas``.

    ``kepada`` lists the recipients, comma-separated: ``starter`` (who started the case),
    ``assignee`` (whoever holds the step, or its candidates), ``role:<name>`` (every member of
    a role) or ``user:<username>``. The process owner changes it in the diagram; the worker
    delivers in-app and e-mail messages.
    """
    recipients = recipients_of(kepada)
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
    Param("kepada", str, False, KEPADA_HELP),
    label="Memberi tahu pelampauan mutu baku waktu",
    timeout=10,
    escalates=True,
)


def notify_case(judul: str, pesan: str, kepada: str = "starter") -> dict:
    """Say what a case has come to (a returned file, a licence issued) to ``kepada``.

    The recipients are as for ``notify_sla_breach``; by default the case's starter, so the
    person who asked hears the answer. The worker delivers the message in-app and by e-mail
    in the transaction that records the step.
    """
    judul, pesan = judul.strip(), pesan.strip()
    if not judul:
        raise ConnectorError("judul pemberitahuan kosong")
    if len(judul) > TITLE_MAX or len(pesan) > MESSAGE_MAX:
        raise ConnectorError(
            f"judul paling banyak {TITLE_MAX} karakter, pesan paling banyak {MESSAGE_MAX}"
        )
    return {
        "judul": judul,
        "pesan": pesan,
        "kepada": recipients_of(kepada),
        "at": datetime.now(UTC).isoformat(),
    }


CASE_CONNECTOR = Connector.of(
    notify_case,
    Param("judul", str, True, "judul pemberitahuan, misalnya Berkas dikembalikan"),
    Param("pesan", str, True, "isi pemberitahuan untuk penerima"),
    Param("kepada", str, False, KEPADA_HELP + " (bawaan: starter)"),
    label="Memberi tahu pengaju kasus",
    timeout=10,
    delivers=True,
)
