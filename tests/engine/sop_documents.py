"""SOP documents the tests and bench/sop_import.py build themselves, in every format an office has.

One description of an SOP (``Sop``) is written out as DOCX (python-docx), XLSX (openpyxl),
tab-separated text, HTML, and a PDF printed by WeasyPrint from an HTML table; the import must
read each back into the same table.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field

import docx
import openpyxl

from service_tasks.pdf import render_pdf

AGENCY = "PEMERINTAH KABUPATEN CONTOH\nDINAS PENANAMAN MODAL DAN PTSP"


@dataclass
class Row:
    no: int
    uraian: str
    lane: str | None  # the lane column marked, None for no mark
    kelengkapan: str = ""
    waktu: str = ""
    output: str = ""
    keterangan: str = ""


@dataclass
class Sop:
    name: str
    lanes: list[str]
    rows: list[Row]
    header: dict[str, str] = field(default_factory=dict)  # label -> value
    mark: str = "√"


def licence_sop() -> Sop:
    """A licence SOP with an applicant lane, marks, an early exit and a loop back."""
    return Sop(
        name="Penerbitan Izin Contoh",
        lanes=["Pemohon", "Front Office", "Seksi Survei", "Kepala Bidang"],
        header={
            "Nomor SOP": "503/07/SOP-DPMPTSP/2024",
            "Tanggal Pembuatan": "2 Januari 2024",
            "Tanggal Revisi": "",
            "Tanggal Berlaku": "15-01-2024",
            "Disahkan oleh": "Kepala Dinas",
            "Dasar Hukum": "- Peraturan Daerah Nomor 5 Tahun 2020 - Peraturan Bupati Nomor 7",
            "Peralatan/Perlengkapan": "- Komputer - Printer",
        },
        rows=[
            Row(1, "Mengajukan permohonan izin", "Pemohon", "Formulir, KTP", "10 menit", "Berkas"),
            Row(
                2,
                "Memeriksa kelengkapan berkas",
                "Front Office",
                "Berkas",
                "30'",
                "Tanda terima",
                "Jika tidak lengkap, berkas dikembalikan kepada pemohon dan proses selesai",
            ),
            Row(3, "Melakukan survei lokasi", "Seksi Survei", "Tanda terima", "3 hari kerja", "BA"),
            Row(
                4,
                "Memverifikasi hasil survei",
                "Kepala Bidang",
                "BAP",
                "1 x 24 jam",
                "BAP terverifikasi",
                "Jika gagal kembali ke langkah 3",
            ),
            Row(5, "Front Office menyerahkan izin kepada pemohon", None, "Izin", "15'", "Izin"),
        ],
    )


def twenty_steps() -> Sop:
    """A 20-step SOP (the bench's size): marks across four lanes, one loop back."""
    sop = licence_sop()
    sop.name = "SOP Dua Puluh Langkah"
    words = ("10 menit", "30'", "2 jam", "1 hari", "3 hari kerja", "1 x 24 jam", "15'")
    sop.rows = [
        Row(
            n,
            f"Melaksanakan kegiatan nomor {n} sesuai ketentuan yang berlaku",
            sop.lanes[n % len(sop.lanes)],
            f"Dokumen masukan {n}",
            words[n % len(words)],
            f"Dokumen keluaran {n}",
            "Jika tidak sesuai kembali ke langkah 2" if n == 12 else "",
        )
        for n in range(1, 21)
    ]
    return sop


def _header_rows(sop: Sop) -> list[list[str]]:
    first = True
    rows = []
    for label, value in {**sop.header, "Nama SOP": sop.name}.items():
        rows.append([AGENCY if first else "", label, value])
        first = False
    return rows


def _table_rows(sop: Sop) -> list[list[str]]:
    lanes = len(sop.lanes)
    head1 = ["No", "Uraian", "Pelaksana"] + [""] * (lanes - 1)
    head1 += ["Mutu Baku", "", "", "Keterangan"]
    head2 = ["", ""] + sop.lanes + ["Kelengkapan", "Waktu", "Output", ""]
    body = [
        [str(r.no), r.uraian]
        + [sop.mark if lane == r.lane else "" for lane in sop.lanes]
        + [r.kelengkapan, r.waktu, r.output, r.keterangan]
        for r in sop.rows
    ]
    return [head1, head2, *body]


def as_text(sop: Sop) -> bytes:
    """Tab-separated, as copied out of Word (one line per row, the agency's lines joined)."""
    lines = ["\t".join(c.replace("\n", " ") for c in row) for row in _header_rows(sop)]
    lines += ["", sop.name, ""]
    lines += ["\t".join(row) for row in _table_rows(sop)]
    return "\n".join(lines).encode("utf-8")


def _html_table(rows: list[list[str]]) -> str:
    out = ["<table border='1'>"]
    for row in rows:
        cells = "".join(f"<td>{html.escape(c).replace(chr(10), '<br>')}</td>" for c in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def as_html(sop: Sop) -> bytes:
    """An HTML page: the header table, the name, the procedure table."""
    body = _html_table(_header_rows(sop)) + f"<h2>{html.escape(sop.name)}</h2>"
    body += _html_table(_table_rows(sop))
    return f"<!doctype html><html><body>{body}</body></html>".encode()


def as_pdf(sop: Sop) -> bytes:
    """A digital PDF (text layer, ruled tables), printed by WeasyPrint as the app prints."""
    return pdf_of_html(as_html(sop).decode())


def pdf_of_html(page: str) -> bytes:
    """Print an HTML page of tables with ruled cells, rows kept whole on a page."""
    style = (
        "<style>table{border-collapse:collapse} td{border:1px solid #000;padding:2px}"
        " tr{break-inside:avoid}</style>"
    )
    return render_pdf(page.replace("<body>", f"<head>{style}</head><body>"))


def as_docx(sop: Sop) -> bytes:
    """A Word document: the header table, the name as a paragraph, the procedure table."""
    document = docx.Document()
    head = _header_rows(sop)
    table = document.add_table(rows=len(head), cols=3)
    for i, row in enumerate(head):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    agency = table.cell(0, 0).merge(table.cell(len(head) - 1, 0))
    agency.text = AGENCY
    document.add_paragraph(sop.name)
    rows = _table_rows(sop)
    steps = document.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value:
                steps.cell(i, j).text = value
    lanes = len(sop.lanes)
    steps.cell(0, 2).merge(steps.cell(0, 1 + lanes))  # "Pelaksana" over the lane columns
    steps.cell(0, 2 + lanes).merge(steps.cell(0, 4 + lanes))  # "Mutu Baku"
    steps.cell(0, 0).merge(steps.cell(1, 0))  # "No" over both header rows
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_xlsx(sop: Sop) -> bytes:
    """An Excel workbook: one sheet, header block, name, table with merged headings."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in _header_rows(sop):
        sheet.append(row)
    sheet.append([])
    sheet.append([sop.name])
    sheet.append([])
    start = sheet.max_row + 1
    for row in _table_rows(sop):
        sheet.append([int(c) if c.isdigit() else (c or None) for c in row])
    lanes = len(sop.lanes)
    sheet.merge_cells(start_row=start, start_column=3, end_row=start, end_column=2 + lanes)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BUILDERS = {
    "docx": as_docx,
    "xlsx": as_xlsx,
    "pdf": as_pdf,
    "txt": as_text,
    "html": as_html,
}
