"""Bad documents are refused with a finding code, within bounded time and memory.

Each document is built here: a real zip bomb disguised as a DOCX, a 50 MB upload, a .docm
carrying a VBA project, an encrypted PDF, a scanned PDF (an image, no text layer), a file that
is not an SOP. ``deadline`` turns a guard that did not stop something into a failure instead
of a stall; it is not a timing assertion.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image, ImageDraw

from tests.conftest import deadline
from tests.engine.sop_documents import as_docx, as_pdf, licence_sop
from webapp.engine.sop_import import ImportRefused, read_document
from webapp.engine.sop_import import read as read_module
from webapp.engine.sop_import.guard import MAX_UNZIPPED


def refused(filename: str, data: bytes) -> ImportRefused:
    with deadline(60), pytest.raises(ImportRefused) as caught:
        read_document(filename, data)
    return caught.value


def zip_bomb() -> bytes:
    """A DOCX-shaped zip whose document part inflates to 1 GB of zeros (about 1 MB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        # Stream 1 GB of zeros through the compressor without holding them in memory.
        with archive.open(info, "w", force_zip64=True) as part:
            block = bytes(16 * 2**20)
            for _ in range(64):
                part.write(block)
    return out.getvalue()


def test_a_zip_bomb_disguised_as_docx_is_refused_before_it_inflates():
    bomb = zip_bomb()
    assert len(bomb) < 10 * 2**20
    declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    assert declared > 10 * MAX_UNZIPPED
    error = refused("sop.docx", bomb)
    assert error.code == "import-zip-bomb"


def test_a_50_mb_file_is_refused_by_its_size():
    error = refused("sop.docx", b"PK\x03\x04" + bytes(50 * 2**20))
    assert error.code == "import-too-large"
    assert error.params["size_mb"] == 50


def _with_part(docx: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, data)
    return out.getvalue()


def test_a_docm_with_a_vba_project_is_refused():
    docm = _with_part(as_docx(licence_sop()), "word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    assert refused("sop.docm", docm).code == "import-macro-document"
    # Renamed to .docx it still carries the macro project: refused by what it holds.
    assert refused("sop.docx", docm).code == "import-macro-document"


def test_an_encrypted_pdf_is_refused():
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(as_pdf(licence_sop())))
    writer.encrypt(user_password="rahasia", owner_password="pemilik", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    assert refused("sop.pdf", out.getvalue()).code == "import-pdf-encrypted"


def test_a_scanned_pdf_without_a_text_layer_is_refused():
    scan = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(scan)
    for top in range(200, 1600, 80):  # the table's ruling, as pixels
        draw.line([(100, top), (1140, top)], fill="black", width=3)
    draw.text((120, 120), "STANDAR OPERASIONAL PROSEDUR", fill="black")
    out = io.BytesIO()
    scan.save(out, format="PDF", resolution=150)
    assert refused("scan.pdf", out.getvalue()).code == "import-pdf-no-text"


def test_a_document_that_is_not_an_sop_table_is_refused():
    import docx

    letter = docx.Document()
    letter.add_paragraph("Kepada Yth. Kepala Dinas")
    letter.add_paragraph("Dengan hormat, bersama ini kami sampaikan laporan kegiatan.")
    out = io.BytesIO()
    letter.save(out)
    assert refused("surat.docx", out.getvalue()).code == "import-not-sop-table"


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("sop.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "import-legacy-office"),
        ("sop.docx", b"PK\x03\x04 not really a zip", "import-damaged"),
        ("sop.pdf", b"%PDF-1.7\n garbage", "import-damaged"),
        ("sop.xlsx", b"just text", "import-damaged"),
        ("foto.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "import-format-unknown"),
        ("kosong.txt", b"  \n ", "import-empty"),
    ],
)
def test_files_that_are_not_documents_are_refused_with_their_reason(filename, data, code):
    assert refused(filename, data).code == code


def test_a_parse_over_its_time_budget_is_stopped(monkeypatch):
    monkeypatch.setattr(read_module, "BUDGET", read_module.Budget(seconds=0.05))
    error = refused("sop.pdf", as_pdf(licence_sop()))
    assert (error.code, error.params) == ("import-too-complex", {"case": "time"})


def test_a_parse_over_its_memory_budget_is_stopped(monkeypatch):
    # A 15 MB HTML table of 60,000 rows: its parsed tree needs more than 100 MB of address space.
    row = "<tr>" + "".join(f"<td>sel {i} dengan teks</td>" for i in range(10)) + "</tr>"
    page = "<table><tr><td>No</td><td>Uraian</td><td>Petugas</td></tr>" + row * 60000
    monkeypatch.setattr(read_module, "BUDGET", read_module.Budget(memory_mb=100))
    error = refused("besar.html", (page + "</table>").encode())
    assert (error.code, error.params) == ("import-too-complex", {"case": "memory"})


def test_the_budget_is_the_administrators_setting(monkeypatch):
    from webapp import create_app
    from webapp.config import ConfigError

    monkeypatch.setattr(read_module, "BUDGET", read_module.Budget())
    monkeypatch.setenv("SOPFLOW_IMPORT_TIME_LIMIT", "12")
    monkeypatch.setenv("SOPFLOW_IMPORT_MEMORY_MB", "512")
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    assert read_module.BUDGET == read_module.Budget(seconds=12, cpu_seconds=8, memory_mb=512)
    monkeypatch.setenv("SOPFLOW_IMPORT_MEMORY_MB", "64")  # too little to read anything
    with pytest.raises(ConfigError, match="SOPFLOW_IMPORT_MEMORY_MB"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


def test_a_docx_whose_xml_declares_entities_is_refused_unparsed():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;">]><w:document xmlns:w="http://schemas.openxmlformats.org'
        b'/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&c;</w:t></w:r></w:p></w:body>'
        b"</w:document>"
    )
    original = as_docx(licence_sop())
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(original)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = laughs if item.filename == "word/document.xml" else source.read(item.filename)
            target.writestr(item, data)
    assert refused("sop.docx", out.getvalue()).code == "import-damaged"
