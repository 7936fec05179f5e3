"""The SOP's identity block: the header fields by property name, and the SOP's name.

Labels are found wherever the document puts them: ``Nomor SOP | value`` side by side (any
blank or ':' cells between are skipped), or a row of labels with their values in the row
below (the Dasar Hukum / Kualifikasi Pelaksana blocks). The agency is the text left of the
first label of the block (or an ``Instansi`` label). Each value is written the way the
diagram keeps it: dates as ISO, lists one item per line.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .. import sop_document
from ..sop_document import DOCUMENT_FIELDS
from .cells import Grid, clean, one_line

_LABELS = {
    re.sub(r"\s*/\s*", "/", label): f.prop for f in DOCUMENT_FIELDS for label in f.doc_labels
}
_NAME_LABELS = ("nama sop", "judul sop")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "jan"),
            ("februari", "feb", "pebruari", "peb"),
            ("maret", "mar"),
            ("april", "apr"),
            ("mei",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("agustus", "agu", "agt", "ags", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct"),
            ("november", "nov", "nop", "nopember"),
            ("desember", "des", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WORD_DATE = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$")
_NUMBER_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
# The government level that opens an agency's name, and the unit that follows it.
_UNIT_START = re.compile(
    r"\s+(?=(?:DINAS|BADAN|KANTOR|SEKRETARIAT|INSPEKTORAT|RUMAH SAKIT|SATUAN|BIRO|UPTD|UPT)\b)"
)
_NIP = re.compile(r"\s*\b(NIP\.?\s*:?\s*[\d ]+)\s*$")
_SIGNED_BY = re.compile(r"^(.*?\boleh\s*:)\s*", re.IGNORECASE)
_RANKS = (
    "Pembina Utama Madya",
    "Pembina Utama Muda",
    "Pembina Utama",
    "Pembina Tingkat I",
    "Pembina",
    "Penata Tingkat I",
    "Penata Muda Tingkat I",
    "Penata Muda",
    "Penata",
    "Pengatur Tingkat I",
    "Pengatur Muda Tingkat I",
    "Pengatur Muda",
    "Pengatur",
)


def label_of(cell: str) -> str | None:
    """The header property a cell labels ('Nomor SOP', 'DASAR HUKUM:'), or None."""
    key = re.sub(r"\s*/\s*", "/", one_line(cell).lower().rstrip(":").strip())
    return _LABELS.get(key) or ("name" if key in _NAME_LABELS else None)


def _inline(cell: str) -> tuple[str | None, str]:
    """(property, value) of a cell holding both its label and its value, else (None, '')."""
    label, colon, value = cell.partition(":")
    if not colon or not value.strip() or "\n" in label:
        return None, ""
    return label_of(label), value.strip()


def read_header(grids: list[Grid]) -> tuple[dict[str, str], str, list[dict[str, Any]]]:
    """Return (header fields, the SOP's name, findings) from the grids before the steps."""
    raw: dict[str, str] = {}
    for grid in grids:
        for index, row in enumerate(grid):
            inline = [(j, *_inline(c)) for j, c in enumerate(row) if _inline(c)[0]]
            for _, prop, value in inline:  # "Nomor SOP : 62/1671/2023" in one cell
                raw.setdefault(str(prop), value)
            labelled = [(j, label_of(c)) for j, c in enumerate(row) if label_of(c)]
            others = [c for j, c in enumerate(row) if c.strip() and not label_of(c)]
            below = grid[index + 1] if index + 1 < len(grid) else []
            if labelled and not others and below and not any(label_of(c) for c in below):
                # Labels above, values below (the Dasar Hukum / Kualifikasi blocks).
                for j, prop in labelled:
                    raw.setdefault(str(prop), below[j] if j < len(below) else "")
                continue
            for j, prop in labelled:
                value = next((c for c in row[j + 1 :] if c.strip() not in ("", ":")), "")
                raw.setdefault(str(prop), "" if label_of(value) else value)
            first = min([j for j, _ in labelled] + [j for j, _, _ in inline], default=0)
            if "sopInstansi" not in raw and any(c.strip() for c in row[:first]):
                raw["sopInstansi"] = "\n".join(c for c in row[:first] if c.strip())
    name = one_line(raw.pop("name", ""))
    findings: list[dict[str, Any]] = []
    header = {}
    for field in DOCUMENT_FIELDS:
        if field.prop in raw:
            header[field.prop] = _value(field.prop, field.kind, raw[field.prop], findings)
    if "sopDisahkan" in header and "\n" not in header["sopDisahkan"]:
        header["sopDisahkan"] = _signature(header["sopDisahkan"], header.get("sopInstansi", ""))
    return header, name, findings


def _value(prop: str, kind: str, value: str, findings: list[dict[str, Any]]) -> str:
    text = clean(value)
    if kind == "date":
        day = read_date(text)
        if day is None and text:
            label = sop_document.FIELDS_BY_PROP[prop].label
            findings.append(
                {
                    "code": "import-date-unread",
                    "field": prop,
                    "params": {"name": label, "value": text[:200]},
                }
            )
        return day.isoformat() if day else text
    if kind == "items":
        return "\n".join(sop_document.items(text))
    if prop == "sopInstansi" and "\n" not in text:
        return _UNIT_START.sub("\n", text, count=1) if text.startswith("PEMERINTAH") else text
    return text if kind == "lines" else one_line(text)


def read_date(text: str) -> date | None:
    """Read '27 Juni 2023', '27-06-2023' or '2023-06-27'; None when it is none of them."""
    said = one_line(text).lower()
    iso = sop_document.parse_date(said)
    if iso:
        return iso
    word, number = _WORD_DATE.match(said), _NUMBER_DATE.match(said)
    try:
        if word and word.group(2) in _MONTHS:
            return date(int(word.group(3)), _MONTHS[word.group(2)], int(word.group(1)))
        if number:
            return date(int(number.group(3)), int(number.group(2)), int(number.group(1)))
    except ValueError:
        return None
    return None


def _signature(text: str, agency: str) -> str:
    """Break a signature block run onto one line into its lines: by, title, name, rank, NIP."""
    head: list[str] = []
    tail: list[str] = []
    by = _SIGNED_BY.match(text)
    if by:
        head.append(by.group(1))
        text = text[by.end() :]
    nip = _NIP.search(text)
    if nip:
        tail.insert(0, nip.group(1))
        text = text[: nip.start()]
    rank = next((r for r in _RANKS if text.endswith(" " + r)), None)
    if rank:
        tail.insert(0, rank)
        text = text[: -len(rank)].strip()
    # The signer heads the agency: the title ends where the agency's unit name does, with
    # the region after it when the title names it ("… SATU PINTU KABUPATEN SUMEDANG").
    agency_lines = [line for line in agency.splitlines() if line]
    region = agency_lines[0].removeprefix("PEMERINTAH ").strip() if len(agency_lines) > 1 else ""
    for unit in agency_lines[1:]:
        words = unit.split()
        while len(words) >= 2 and " ".join(words) not in text:
            words.pop()
        if len(words) >= 2:
            cut = text.find(" ".join(words)) + len(" ".join(words))
            if region and text[cut:].strip().startswith(region):
                cut = text.find(region, cut) + len(region)
            head.append(text[:cut].strip())
            text = text[cut:]
            break
    return "\n".join(line for line in (*head, text.strip(), *tail) if line)
