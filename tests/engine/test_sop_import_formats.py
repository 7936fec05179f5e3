"""Every format an office has reads into the same table; the sopflow SOP sheet PDF reads back.

The documents are built by the test (tests/engine/sop_documents.py): one SOP written as DOCX,
XLSX, PDF, tab-separated text and HTML. The PDF round trip prints the app's own SOP sheet of
the first SOP and of the second (tests/data/penerbitan_izin_reklame/) and imports it again.
"""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml

from service_tasks.pdf import render_pdf
from tests.engine.sop_documents import BUILDERS, as_html, licence_sop, pdf_of_html, twenty_steps
from webapp import create_app
from webapp.engine import durations
from webapp.engine.sop_document import FIELDS_BY_PROP, SopDocument, items
from webapp.engine.sop_import import read_document
from webapp.engine.sop_import.table import table_errors
from webapp.engine.spec import parse_process

ROOT = Path(__file__).resolve().parents[2]
# Row 5 has no mark in any document: its Uraian names the actor ("Front Office menyerahkan …").
LANES_OF_ROWS = ["Pemohon", "Front Office", "Seksi Survei", "Kepala Bidang", "Front Office"]
EXPECTED_HEADER = {
    "sopInstansi": "PEMERINTAH KABUPATEN CONTOH\nDINAS PENANAMAN MODAL DAN PTSP",
    "sopNomor": "503/07/SOP-DPMPTSP/2024",
    "sopTanggalPembuatan": "2024-01-02",
    "sopTanggalRevisi": "",
    "sopTanggalBerlaku": "2024-01-15",
    "sopDisahkan": "Kepala Dinas",
    "sopDasarHukum": "Peraturan Daerah Nomor 5 Tahun 2020\nPeraturan Bupati Nomor 7",
    "sopPeralatan": "Komputer\nPrinter",
}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def imported(request):
    extension = request.param
    return extension, read_document(f"sop.{extension}", BUILDERS[extension](licence_sop()))


def test_each_format_reads_the_header_and_lanes(imported):
    extension, table = imported
    assert table_errors(table) == []
    assert table["name"] == "Penerbitan Izin Contoh"
    assert table["header"] == EXPECTED_HEADER
    assert table["lanes"] == ["Pemohon", "Front Office", "Seksi Survei", "Kepala Bidang"]
    assert table["findings"] == []


def test_each_format_reads_the_rows_lanes_times_and_decisions(imported):
    _, table = imported
    rows = table["rows"]
    assert [(r["no"], r["lane"], r["kind"], r["duration"]) for r in rows] == [
        (1, "Pemohon", "task", "PT10M"),
        (2, "Front Office", "decision", "PT30M"),
        (3, "Seksi Survei", "task", "P3D"),
        (4, "Kepala Bidang", "decision", "P1D"),
        (5, "Front Office", "task", "PT15M"),  # no mark: its Uraian names the actor
    ]
    assert rows[1]["branches"] == [
        {"label": "lengkap", "target": 3},
        {"label": "tidak lengkap", "target": "end"},
    ]
    assert rows[3]["branches"] == [
        {"label": "berhasil", "target": 5},
        {"label": "gagal", "target": 3},
    ]
    assert [r.get("uncertain") for r in rows] == [None] * 4 + [
        [
            {
                "field": "lane",
                "code": "import-lane-from-uraian",
                "params": {"row": 5, "lane": "Front Office"},
            }
        ]
    ]
    assert rows[0]["kelengkapan"] == "Formulir, KTP" and rows[0]["output"] == "Berkas"


@pytest.mark.parametrize("extension", sorted(BUILDERS))
def test_twenty_steps_read_in_each_format(extension):
    table = read_document(f"sop.{extension}", BUILDERS[extension](twenty_steps()))
    assert [r["no"] for r in table["rows"]] == list(range(1, 21))
    assert all(r["lane"] for r in table["rows"])
    assert table["rows"][11]["branches"][1] == {"label": "tidak sesuai", "target": 2}


def _shape(prst: str) -> str:
    """A Word flowchart symbol (DrawingML shape) anchored in a paragraph."""
    return (
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<w:drawing><wp:inline><wp:extent cx="360000" cy="240000"/><wp:docPr id="1" name="s"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        'wordprocessingShape"><wps:wsp><wps:spPr><a:prstGeom prst="' + prst + '"/>'
        "</wps:spPr><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:inline>"
        "</w:drawing></w:r>"
    )


def test_a_word_flowchart_marks_lanes_with_its_shapes():
    """Word SOPs draw the flowchart: a symbol in the lane's cell, a diamond where it decides."""
    sop = licence_sop()
    sop.mark = ""  # no typed marks at all
    document = docx.Document(io.BytesIO(BUILDERS["docx"](sop)))
    steps = document.tables[1]
    for i, row in enumerate(sop.rows):
        if row.lane is None:
            continue
        cell = steps.cell(2 + i, 2 + sop.lanes.index(row.lane))
        prst = "flowChartDecision" if row.no == 4 else "flowChartProcess"
        cell.paragraphs[0]._p.append(parse_xml(_shape(prst)))
    out = io.BytesIO()
    document.save(out)
    rows = read_document("sop.docx", out.getvalue())["rows"]
    assert [r["lane"] for r in rows] == LANES_OF_ROWS
    assert rows[3]["kind"] == "decision"


@pytest.fixture(scope="module")
def sheet_pdfs(tmp_path_factory):
    """The SOP sheet PDF sopflow prints for the first SOP and for the second."""
    from webapp.extensions import db
    from webapp.services import sop_sheet
    from webapp.services.processes import import_version

    database = tmp_path_factory.mktemp("sheet") / "sheet.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "TESTING": True})
    pdfs = {}
    with app.test_request_context():
        assert app.test_cli_runner().invoke(args=["setup", "--demo"]).exit_code == 0
        second = ROOT / "tests" / "data" / "penerbitan_izin_reklame"
        forms = {p.name: p.read_bytes() for p in (second / "forms").glob("*.json")}
        bpmn = (second / "penerbitan_izin_reklame.bpmn").read_bytes()
        import_version("penerbitan_izin_reklame", bpmn, forms)
        db.session.commit()
        for process_id in ("pemeliharaan_sistem_informasi", "penerbitan_izin_reklame"):
            version = sop_sheet.find_version(process_id, None)
            pdfs[process_id] = render_pdf(sop_sheet.render_html(sop_sheet.sheet(version)))
        db.session.remove()
    return pdfs


DIAGRAMS = {
    "pemeliharaan_sistem_informasi": ROOT
    / "processes"
    / "pemeliharaan_sistem_informasi"
    / "pemeliharaan_sistem_informasi.bpmn",
    "penerbitan_izin_reklame": ROOT
    / "tests"
    / "data"
    / "penerbitan_izin_reklame"
    / "penerbitan_izin_reklame.bpmn",
}


@pytest.mark.parametrize("process_id", sorted(DIAGRAMS))
def test_the_sop_sheet_pdf_reads_back_to_its_diagram(sheet_pdfs, process_id):
    table = read_document(f"{process_id}.pdf", sheet_pdfs[process_id])
    xml = DIAGRAMS[process_id].read_bytes()
    # A list field is the same list whether its items are written "- item" or "item".
    written = SopDocument(xml, process_id).document()
    assert table["header"] == {
        prop: "\n".join(items(value)) if FIELDS_BY_PROP[prop].kind == "items" else value
        for prop, value in written.items()
    }
    assert table["lanes"] == list(parse_process(xml, process_id).lanes)
    steps = _steps(xml, process_id)
    assert [
        (r["no"], r["lane"], r["duration"], r["kelengkapan"], r["output"], r["keterangan"])
        for r in table["rows"]
    ] == [
        (s["no"], s["lane"], s["duration"], s["kelengkapan"], s["output"], s["keterangan"])
        for s in steps
    ]
    assert [r["uraian"] for r in table["rows"]] == [s["uraian"] for s in steps]
    assert all("uncertain" not in r for r in table["rows"])


def _steps(xml: bytes, process_id: str) -> list[dict]:
    """The numbered steps of a diagram as the sheet prints them."""
    process = parse_process(xml, process_id)
    steps = []
    for step in process.steps.values():
        props = step.properties
        if not props.get("sopNomor", "").strip():
            continue
        steps.append(
            {
                "no": int(props["sopNomor"]),
                "uraian": props.get("sopUraian", "").strip() or step.name,
                "lane": step.lane,
                "duration": durations.try_parse(step.time_standard).iso(),
                "kelengkapan": props.get("sopKelengkapan", ""),
                "output": props.get("sopProduk", ""),
                "keterangan": props.get("sopKeterangan", ""),
            }
        )
    return sorted(steps, key=lambda s: s["no"])


def _with_drawing(xlsx: bytes, anchors: list[tuple[int, int, str]]) -> bytes:
    """The workbook with a drawing of flowchart symbols over its first sheet (row, col, prst)."""
    shapes = "".join(
        f"<xdr:twoCellAnchor><xdr:from><xdr:col>{c}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{r}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{c}"
        f"</xdr:col><xdr:colOff>9</xdr:colOff><xdr:row>{r}</xdr:row><xdr:rowOff>9</xdr:rowOff>"
        f'</xdr:to><xdr:sp><xdr:nvSpPr><xdr:cNvPr id="{i + 2}" name="s"/><xdr:cNvSpPr/>'
        f'</xdr:nvSpPr><xdr:spPr><a:prstGeom prst="{prst}"/></xdr:spPr></xdr:sp>'
        "<xdr:clientData/></xdr:twoCellAnchor>"
        for i, (r, c, prst) in enumerate(anchors)
    )
    drawing = (
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f"{shapes}</xdr:wsDr>"
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rIdShapes" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/drawing" Target="../drawings/drawing1.xml"/></Relationships>'
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</worksheet>",
                    b'<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships" r:id="rIdShapes"/></worksheet>',
                )
            target.writestr(item, data)
        target.writestr("xl/drawings/drawing1.xml", drawing)
        target.writestr("xl/worksheets/_rels/sheet1.xml.rels", rels)
    return out.getvalue()


def test_an_excel_flowchart_marks_lanes_with_its_shapes():
    """Excel SOPs draw the flowchart over the cells: the symbol's cell is the row's lane."""
    sop = licence_sop()
    sop.mark = ""
    xlsx = BUILDERS["xlsx"](sop)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    first = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == 1)
    anchors = [
        (
            first - 1 + i,
            2 + sop.lanes.index(row.lane),
            "flowChartDecision" if row.no == 4 else "flowChartProcess",
        )
        for i, row in enumerate(sop.rows)
        if row.lane
    ]
    anchors.append((first - 1, 1, "straightConnector1"))  # an arrow marks nothing
    rows = read_document("sop.xlsx", _with_drawing(xlsx, anchors))["rows"]
    assert [r["lane"] for r in rows] == LANES_OF_ROWS
    assert rows[3]["kind"] == "decision"


def test_a_word_sop_in_a_frame_table_with_its_header_in_the_page_header():
    """Offices lay the SOP out inside one big table and print the identity block on each page."""
    sop = licence_sop()
    flat = docx.Document(io.BytesIO(BUILDERS["docx"](sop)))
    framed = docx.Document()
    header_table, steps_table = flat.tables
    page_header = framed.sections[0].header
    page_header.paragraphs[0]._p.addnext(copy.deepcopy(header_table._tbl))
    frame = framed.add_table(rows=1, cols=1)
    frame.cell(0, 0).paragraphs[0].text = sop.name
    frame.cell(0, 0)._tc.append(copy.deepcopy(steps_table._tbl))
    frame.cell(0, 0).add_paragraph("")  # Word ends a cell with a paragraph
    out = io.BytesIO()
    framed.save(out)
    table = read_document("sop.docx", out.getvalue())
    assert table["header"] == EXPECTED_HEADER
    assert [r["lane"] for r in table["rows"]] == LANES_OF_ROWS
    assert [r["kind"] for r in table["rows"]] == ["task", "decision", "task", "decision", "task"]


def test_a_pdf_flowchart_marks_lanes_with_its_drawn_symbols():
    """A PDF printed from Word draws the flowchart as vector shapes: no text marks at all."""
    sop = licence_sop()
    sop.mark = "SYMBOL"
    process = (
        '<svg width="30" height="16"><rect x="1" y="1" width="28" height="14" rx="3" '
        'fill="none" stroke="black"/></svg>'
    )
    diamond = (
        '<svg width="30" height="20"><polygon points="15,1 29,10 15,19 1,10" fill="none" '
        'stroke="black"/></svg>'
    )
    page = as_html(sop).decode().replace("<td>SYMBOL</td>", "<td>{}</td>")
    symbols = [diamond if row.no == 4 else process for row in sop.rows if row.lane]
    table = read_document("sop.pdf", pdf_of_html(page.format(*symbols)))
    assert [r["lane"] for r in table["rows"]] == LANES_OF_ROWS
    assert [r["kind"] for r in table["rows"]] == ["task", "decision", "task", "decision", "task"]
