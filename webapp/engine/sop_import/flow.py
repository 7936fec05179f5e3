"""Where a row's flow goes: decisions and loop-backs read from its words.

A row decides when its Uraian asks ("Apakah berkas lengkap?", "… ?"), when it is answered
"Ya/Tidak", when a drawn diamond marks it, or when its Keterangan or the notes in its
Pelaksana cells name a condition and where it leads ("Jika gagal kembali ke langkah 3",
"Ya: lanjut ke langkah 5; Tidak: kembali ke langkah 2", "Jika tidak lengkap, berkas
dikembalikan kepada pemohon dan proses selesai", "tidak lengkap dikembalikan"). The answer not
written is the other way of the question ("berhasil" for "gagal") and goes on to the next row.
Such a row keeps its own words, time and output: it is the step whose outcome is decided (the
generator draws its task, then the gateway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .table import END

_CONDITION = re.compile(
    r"\b(?:jika|bila|apabila|kalau)\s+(?P<cond>[^,.;:()]+?)\s*(?:,|\bmaka\b|\s(?=(?:kembali|"
    r"lanjut|diteruskan|dikembalikan|ke\s+langkah|proses\s+selesai|selesai)\b))\s*"
    r"(?P<action>[^.;]*)",
    re.IGNORECASE,
)
_ANSWER = re.compile(
    r"\b(?P<cond>ya|tidak|lengkap|tidak lengkap|sesuai|tidak sesuai|berhasil|gagal|setuju|"
    r"tidak setuju|disetujui|ditolak|benar|salah)\s*(?::|=|→|->|>)\s*(?P<action>[^;,\n]*)",
    re.IGNORECASE,
)
# "Tidak lengkap dikembalikan", "tidak sesuai kembali ke langkah 2": a negative answer and
# where it leads, written without "jika".
_NEGATIVE = re.compile(
    r"\b(?P<cond>tidak\s+(?:lengkap|sesuai|memenuhi\s+syarat|benar|valid|disetujui|setuju|"
    r"lulus|berhasil))\b\s*,?\s*(?:maka\s+)?(?P<action>[^.;]*)",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"\bya\s*/\s*tidak\b", re.IGNORECASE)
_TARGET = re.compile(r"(?:langkah|no\.?|nomor|step)\s*(?P<no>\d{1,4})", re.IGNORECASE)
_ENDS = re.compile(
    r"\b(?:selesai|berhenti|dikembalikan|ditolak|dibatalkan|tidak dilanjutkan)\b", re.IGNORECASE
)
_ASKS = re.compile(r"(?:^|\s)(?:apakah|cek apakah|periksa apakah)\b|\?\s*$", re.IGNORECASE)
_OPPOSITES = {
    "ya": "tidak",
    "berhasil": "gagal",
    "lengkap": "tidak lengkap",
    "sesuai": "tidak sesuai",
    "setuju": "tidak setuju",
    "disetujui": "ditolak",
    "benar": "salah",
    "valid": "tidak valid",
    "lulus": "tidak lulus",
}
_OPPOSITES.update({v: k for k, v in list(_OPPOSITES.items())})


@dataclass(frozen=True)
class Branch:
    """One way out of a deciding row: its label and the row number (or END) it goes to."""

    label: str
    target: int | str


def asks(uraian: str, remarks: str = "") -> bool:
    """Whether the row is a decision diamond: its Uraian asks, or it answers "Ya/Tidak"."""
    return bool(_ASKS.search(uraian.strip()) or _YES_NO.search(remarks))


def ends(text: str) -> bool:
    """Whether a row's words say the process stops there ('proses selesai')."""
    return bool(re.search(r"\b(?:proses|layanan|permohonan)\s+selesai\b", text, re.IGNORECASE))


def opposite(label: str) -> str:
    """The other answer: 'berhasil' for 'gagal', 'lengkap' for 'tidak lengkap'."""
    key = label.lower().strip()
    if key in _OPPOSITES:
        return _OPPOSITES[key]
    if key.startswith("tidak "):
        return key[len("tidak ") :]
    return f"tidak {key}"


def _target(action: str) -> int | str | None:
    found = _TARGET.search(action)
    if found:
        return int(found.group("no"))
    return END if _ENDS.search(action) else None


def branches_in(texts: list[str]) -> list[Branch]:
    """The (label, target) pairs written in a row's Keterangan and flow notes."""
    found: list[Branch] = []
    for text in texts:
        for pattern in (_CONDITION, _ANSWER, _NEGATIVE):
            for match in pattern.finditer(text):
                target = _target(match.group("action"))
                label = " ".join(match.group("cond").split()).lower()
                if target is None or not label:
                    continue
                if all(b.target != target and b.label != label for b in found):
                    found.append(Branch(label[:100], target))
    return found


def complete(found: list[Branch], number: int, following: list[int]) -> tuple[list[Branch], bool]:
    """Add the way not written (the other answer, to the next row); say if it was guessed.

    ``following`` are the row numbers after this row, in order. When the written way goes to
    the next row itself (a side step such as a repair), the other way skips past it.
    """
    if len(found) >= 2:
        return found[:5], False
    nexts = [n for n in following if n > number]
    if not found:
        # A question with no written ways: "ya" goes on, "tidak" ends until the owner says.
        return [Branch("ya", nexts[0] if nexts else END), Branch("tidak", END)], True
    written = found[0]
    onward = [n for n in nexts if n != written.target]
    if written.target in nexts and isinstance(written.target, int):
        onward = [n for n in nexts if n > written.target]
    other = Branch(opposite(written.label)[:100], onward[0] if onward else END)
    return [other, written], False
