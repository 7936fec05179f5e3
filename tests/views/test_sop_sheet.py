"""The SOP sheet generated from the published diagram: rows, lanes, mutu baku, PDF, versions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
import time_machine
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ProcessVersion, User
from webapp.services import sop_sheet
from webapp.services.processes import import_version
from webapp.views.sop_sheet import bp

PROCESS = "pemeliharaan_sistem_informasi"
URL = f"/processes/{PROCESS}/sop"
BPMN = (Path(__file__).resolve().parents[2] / "processes" / PROCESS / f"{PROCESS}.bpmn").read_text(
    encoding="utf-8"
)
LANES = ["Unit Kerja/Koordinator", "Ketua Tim", "Tim"]
# The seed SOP (000_aaf86235defc21c3.txt); tests/views/test_sop_sheet_seed.py reads it itself.
SEED = [
    (
        "1",
        "Menyampaikan pesan perbaikan sistem informasi",
        "Unit Kerja/Koordinator",
        "Web dan Aplikasi DPMPSTP",
        "10 menit",
        "Disposisi helpdesk pengembangan sistem informasi",
    ),
    (
        "2",
        "- Menerima dan menganalisa permasalahan - Meneruskan ke Tim untuk di troubleshooting",
        "Ketua Tim",
        "Disposisi helpdesk pengembangan sistem informasi",
        "30 menit",
        "Arahan pengembangan sistem informasi",
    ),
    (
        "3",
        "Melakukan pemecahan masalah sistem sesuai Bahasa pemrograman eksisting",
        "Tim",
        "Arahan pengembangan sistem informasi",
        "2 jam",
        "Rekomendasi perbaikan eror sistem",
    ),
    (
        "4",
        "Uji implementasi aplikasi",
        "Tim",
        "Rekomendasi perbaikan eror sistem",
        "1 jam",
        "Permasalahan Selesai",
    ),
    (
        "5",
        "Upload ke server colocation",
        "Tim",
        "Permasalahan Selesai",
        "30 menit",
        "Laporan Hasil perbaikan",
    ),
]
# The process-level properties (the SOP document's fields), to test a diagram without them.
DOCUMENT_PROPERTIES = re.compile(
    r"(<bpmn:process [^>]*>)\s*<bpmn:extensionElements>.*?</bpmn:extensionElements>", re.S
)


@pytest.fixture(autouse=True)
def _blueprint(app):
    """Register the blueprint until webapp/__init__.py does (before any request)."""
    if "sop_sheet" not in app.blueprints:
        app.register_blueprint(bp)


def without_document_fields(bpmn: str) -> str:
    """The diagram with no SOP document fields: no process properties, no SOP number text."""
    bare = DOCUMENT_PROPERTIES.sub(r"\1", bpmn, count=1)
    return bare.replace("SOP 62/1671/DATIN/2023 — ", "")


def css(node, selector: str) -> list:
    """A tiny subset of CSS selectors ('tag.class[attr] tag.class'), via XPath (no cssselect)."""
    path = "."
    for part in selector.split():
        m = re.fullmatch(r"([a-z0-9]*)((?:\.[\w-]+)*)(?:\[([\w-]+)\])?", part)
        tag, classes, attr = m.group(1) or "*", m.group(2), m.group(3)
        tests = [
            f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')"
            for c in classes.split(".")
            if c
        ]
        if attr:
            tests.append(f"@{attr}")
        path += f"//{tag}" + "".join(f"[{t}]" for t in tests)
    return node.xpath(path)


def text(node) -> str:
    return " ".join(node.text_content().split())


def rows(html: str) -> list[dict]:
    """The step rows of the sheet: cells by column, and which lane columns are marked."""
    doc = lxml.html.fromstring(html)
    lanes = [text(th) for th in css(doc, "table.steps th.lane-head")]
    result = []
    for tr in css(doc, "table.steps tbody tr[data-step]"):
        cells = {c: text(css(tr, f"td.{c}")[0]) for c in ("no", "uraian", "waktu")}
        cells |= {c: text(css(tr, f"td.{c}")[0]) for c in ("kelengkapan", "produk")}
        cells["keterangan"] = text(css(tr, "td.keterangan")[0])
        marks = css(tr, "td.lane")
        assert len(marks) == len(lanes)
        cells["marked"] = [lane for lane, td in zip(lanes, marks, strict=True) if text(td)]
        result.append(cells)
    return result


def header(html: str) -> dict[str, str]:
    doc = lxml.html.fromstring(html)
    return {text(css(tr, "th")[0]): text(css(tr, "td")[-1]) for tr in css(doc, "table.head tr")}


def new_version(app, bpmn: str, publish: bool = True) -> int:
    with app.app_context():
        forms = {
            p.name: p.read_bytes()
            for p in sorted(
                (Path(__file__).resolve().parents[2] / "processes" / PROCESS / "forms").glob(
                    "*.json"
                )
            )
        }
        version, new = import_version(PROCESS, bpmn.encode("utf-8"), forms, publish=publish)
        assert new
        db.session.commit()
        return version.version


def test_sheet_has_the_five_steps_in_order_with_lane_marks_and_mutu_baku(actions):
    response = actions.client("tim1").get(URL)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    assert [text(th) for th in css(doc, "table.steps th.lane-head")] == LANES
    got = rows(html)
    assert [(r["no"], r["uraian"]) for r in got] == [(s[0], s[1]) for s in SEED]
    for row, (_, _, lane, kelengkapan, waktu, produk) in zip(got, SEED, strict=True):
        assert row["marked"] == [lane], row
        assert (row["kelengkapan"], row["waktu"], row["produk"]) == (kelengkapan, waktu, produk)
    assert got[1]["marked"] == ["Ketua Tim"]
    # The gateway after step 4 sends a failed test back to step 3 and a passed one on to 5:
    # its ways labelled under its diamond, as the paper form labels the decision's arrows;
    # Keterangan stays the signed document's (empty).
    flows = [text(t) for t in css(doc, "table.steps tr[data-step] td.lane.on small.flow")]
    assert flows == ["↓ Jika berhasil lanjut ke langkah 5.", "↺ Jika gagal kembali ke langkah 3."]
    # The flowchart: terminators first and last, rectangles between, the test a diamond.
    shapes = [td.get("data-shape") for td in css(doc, "table.steps tr[data-step] td.lane.on")]
    assert shapes == ["terminator", "process", "process", "decision", "terminator"]
    assert [r["keterangan"] for r in got] == [""] * 5
    # Escalations and the automatic report carry no sopNomor: they are not SOP steps.
    assert "Eskalasi" not in html and "Menyusun laporan" not in html
    # Grouped headers as on the office's form.
    groups = [text(th) for th in css(css(doc, "table.steps thead tr")[0], "th")]
    assert groups == ["No", "Uraian", "Pelaksana", "Mutu Baku", "Keterangan"]


def test_header_reads_the_sop_document_fields_from_the_diagram(actions, app):
    response = actions.client("owner1").get(URL)
    html = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    assert "<script" not in html and "http://" not in html and "https://" not in html
    doc = lxml.html.fromstring(html)
    assert [text(span) for span in css(doc, "td.agency span.line")] == [
        "PEMERINTAH PROVINSI JAWA BARAT",
        "DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU PROVINSI JAWA BARAT",
    ]
    head = header(html)
    assert head["Nama SOP"] == "Pemeliharaan Sistem Informasi"
    assert head["Nomor SOP"] == "62/ 1671 / DATIN /2023"  # as signed, spaces and all
    # The document's own dates (sopTanggal*), not when sopflow imported or published it.
    assert head["Tanggal Pembuatan"] == "27 Juni 2023"
    assert head["Tanggal Berlaku"] == "27 Juni 2023"
    assert head["Tanggal Revisi"] == ""  # a first edition: never revised
    assert [text(span) for span in css(doc, "td.disahkan span.line")] == [
        "Ditandatangani secara elektronik oleh :",
        "KEPALA DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU",
        "NINING YULIASTIANI, S.T., M.Sc.",
        "Pembina Utama Muda",
    ]
    labels = [text(th) for th in css(doc, "table.meta th")]
    assert labels == [
        "Dasar Hukum",
        "Kualifikasi Pelaksana",
        "Keterkaitan",
        "Peralatan/Perlengkapan",
        "Peringatan",
        "Pencatatan dan Pendataan",
    ]
    blocks = css(doc, "table.meta td")
    assert [len(css(td, "li")) for td in blocks] == [6, 7, 0, 4, 0, 0]
    assert text(blocks[2]) == "SOP Pelayanan perizinan"
    assert [text(li) for li in css(blocks[3], "li")] == [
        "Server",
        "Komputer",
        "smartphone",
        "Printer",
    ]
    assert "<h2>Pemeliharaan Sistem Informasi</h2>" in html
    assert not css(doc, "div.warnings")


def test_dates_are_the_documents_whatever_day_it_is(actions, app):
    with time_machine.travel(datetime(2031, 3, 4, 2, 0, tzinfo=UTC), tick=False):
        new_version(app, BPMN.replace('"PT2H"', '"PT3H"'))
        html = actions.client("tim1").get(URL).get_data(as_text=True)
    head = header(html)
    assert (head["Tanggal Pembuatan"], head["Tanggal Berlaku"]) == ("27 Juni 2023", "27 Juni 2023")
    assert head["Tanggal Revisi"] == ""
    assert "2031" not in html


def test_a_diagram_without_document_fields_prints_them_empty_and_warns(actions, app):
    app.config["AGENCY_LINES"] = ()  # the default: no fallback agency
    new_version(app, without_document_fields(BPMN))
    html = actions.client("owner1").get(URL).get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    assert text(css(doc, "td.agency")[0]) == ""
    assert "JAWA BARAT" not in html and "DATIN" not in html
    head = header(html)
    assert head["Nomor SOP"] == "—"
    assert (head["Tanggal Pembuatan"], head["Tanggal Berlaku"], head["Tanggal Revisi"]) == (
        "—",
        "—",
        "",
    )
    assert head["Disahkan"] == "—"  # the signature is not in the diagram: not invented
    assert [text(td) for td in css(doc, "table.meta td")] == ["—"] * 6
    warning = text(css(doc, ".warnings.screen-only")[0])
    assert "sopInstansi" in warning and "tidak mencetak nama instansi" in warning
    assert "sopNomor" in warning


def test_the_agency_setting_is_only_a_fallback(actions, app):
    app.config["AGENCY_LINES"] = ("PEMERINTAH KABUPATEN CONTOH", "DINAS CONTOH")
    assert "PEMERINTAH KABUPATEN CONTOH" not in actions.client("tim1").get(URL).get_data(
        as_text=True
    )  # the diagram names its own agency
    new_version(app, without_document_fields(BPMN))
    doc = lxml.html.fromstring(actions.client("owner1").get(URL).get_data(as_text=True))
    assert [text(span) for span in css(doc, "td.agency span.line")] == [
        "PEMERINTAH KABUPATEN CONTOH",
        "DINAS CONTOH",
    ]
    assert "SOPFLOW_AGENCY_LINES" in text(css(doc, ".warnings.screen-only")[0])


def test_a_date_that_is_not_iso_is_printed_as_written_and_flagged(actions, app):
    new_version(
        app,
        BPMN.replace(
            'name="sopTanggalRevisi" value=""', 'name="sopTanggalRevisi" value="awal 2024"'
        ).replace(
            'name="sopTanggalBerlaku" value="2023-06-27"',
            'name="sopTanggalBerlaku" value="2024-01-15"',
        ),
    )
    html = actions.client("owner1").get(URL).get_data(as_text=True)
    assert header(html)["Tanggal Revisi"] == "awal 2024"
    assert header(html)["Tanggal Berlaku"] == "15 Januari 2024"
    warning = text(css(lxml.html.fromstring(html), ".warnings.screen-only")[0])
    assert "Tanggal Revisi “awal 2024” bukan tanggal YYYY-MM-DD" in warning


def test_pdf_is_printed_by_weasyprint_from_the_same_page(actions):
    client = actions.client("ketua1")
    response = client.get(f"{URL}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'inline; filename="SOP-pemeliharaan_sistem_informasi-v1.pdf"'
    )
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.data.startswith(b"%PDF")
    assert len(response.data) > 1024
    from weasyprint import HTML

    pages = HTML(string=client.get(URL).get_data(as_text=True)).render().pages
    assert len(pages) >= 1
    assert (pages[0].width, pages[0].height) == pytest.approx((1122.52, 793.7), abs=1)


def test_the_pdf_draws_the_flowchart_symbols_and_thin_lines(actions):
    """WeasyPrint draws the symbols, and the text layer keeps the decision's ways."""
    import io

    import pdfplumber

    data = actions.client("ketua1").get(f"{URL}.pdf").data
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        words = " ".join(page.extract_text() or "" for page in pdf.pages)
        rects = [r for page in pdf.pages for r in page.rects]
        curves = [c for page in pdf.pages for c in page.curves]
    assert "✓" not in words
    assert "Jika gagal" in words and "Jika berhasil" in words
    # Five symbols: two terminators and two rectangles (rects or rounded curves), a diamond.
    symbols = [o for o in [*rects, *curves] if 20 < o["width"] < 60 and 10 < o["height"] < 40]
    assert len(symbols) >= 5, symbols


def test_a_new_diagram_version_changes_the_sheet_and_old_versions_stay_printable(actions, app):
    assert BPMN.count('"PT2H"') == 2  # the timer and the escalation's limit
    revised = BPMN.replace('"PT2H"', '"PT3H"').replace(
        'name="sopTanggalRevisi" value=""', 'name="sopTanggalRevisi" value="2024-02-01"'
    )
    number = new_version(app, revised)
    assert number == 2
    client = actions.client("unit1")

    html = client.get(URL).get_data(as_text=True)
    assert rows(html)[2]["waktu"] == "3 jam"  # the timer the engine enforces
    # sopWaktu still says 2 jam: the editor is told on screen, the print shows the timer.
    doc = lxml.html.fromstring(html)
    warning = text(css(doc, ".warnings.screen-only")[0])
    assert "Langkah 3" in warning and "2 jam" in warning and "PT3H" in warning
    assert header(html)["Tanggal Revisi"] == "1 Februari 2024"

    old = client.get(f"{URL}?version=1").get_data(as_text=True)
    assert rows(old)[2]["waktu"] == "2 jam"
    assert header(old)["Tanggal Revisi"] == ""
    assert not css(lxml.html.fromstring(old), "div.warnings")

    pdf = client.get(f"{URL}.pdf?version=1")
    assert pdf.status_code == 200
    assert (
        'filename="SOP-pemeliharaan_sistem_informasi-v1.pdf"' in pdf.headers["Content-Disposition"]
    )
    assert (
        'filename="SOP-pemeliharaan_sistem_informasi-v2.pdf"'
        in client.get(f"{URL}.pdf").headers["Content-Disposition"]
    )


def test_a_draft_version_is_only_previewed_by_process_owners(actions, app):
    number = new_version(app, BPMN.replace('"PT2H"', '"PT4H"'), publish=False)
    assert actions.client("tim1").get(f"{URL}?version={number}").status_code == 404
    assert rows(actions.client("tim1").get(URL).get_data(as_text=True))[2]["waktu"] == "2 jam"
    draft = actions.client("owner1").get(f"{URL}?version={number}").get_data(as_text=True)
    assert "DRAF" in draft and rows(draft)[2]["waktu"] == "4 jam"
    assert header(draft)["Tanggal Berlaku"] == "27 Juni 2023"  # the document's, drafted


def test_names_from_the_diagram_are_escaped(actions, app):
    hostile = BPMN.replace(
        'name="Uji implementasi aplikasi"',
        'name="Uji &lt;script&gt;alert(1)&lt;/script&gt; aplikasi"',
    ).replace(
        'name="sopProduk" value="Permasalahan Selesai"',
        'name="sopProduk" value="&lt;img src=x onerror=alert(2)&gt;"',
    )
    new_version(app, hostile)
    client = actions.client("tim1")
    html = client.get(URL).get_data(as_text=True)
    assert "<script" not in html and "<img" not in html
    assert "Uji &lt;script&gt;alert(1)&lt;/script&gt; aplikasi" in html
    assert rows(html)[3]["uraian"] == "Uji <script>alert(1)</script> aplikasi"
    assert client.get(f"{URL}.pdf").data.startswith(b"%PDF")


def test_metadata_written_in_the_documentation_is_the_fallback(actions, app):
    documented = (
        without_document_fields(BPMN)
        .replace(
            "(berlaku 27 Juni 2023).</bpmn:documentation>",
            "(berlaku 27 Juni 2023).\nNomor SOP: 9/UJI/2024\n"
            "Dasar Hukum:\n- Undang-undang Nomor 11 thn 2008\n"
            "- Peraturan Presiden Nomor 97 thn 2014\nPeringatan: Semua proses harus sesuai"
            "</bpmn:documentation>",
        )
        .replace(
            '<bpmn:process id="pemeliharaan_sistem_informasi" name="Pemeliharaan Sistem Informasi"'
            ' isExecutable="true">',
            '<bpmn:process id="pemeliharaan_sistem_informasi" name="Pemeliharaan Sistem Informasi"'
            ' isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="sopKeterkaitan" value="SOP Pelayanan perizinan" />'
            "</spiffworkflow:properties></bpmn:extensionElements>",
        )
    )
    new_version(app, documented)
    html = actions.client("tim1").get(URL).get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    cells = [text(td) for td in css(doc, "table.meta td")]
    assert [text(li) for li in css(css(doc, "table.meta td")[0], "li")] == [
        "Undang-undang Nomor 11 thn 2008",
        "Peraturan Presiden Nomor 97 thn 2014",
    ]
    assert cells[2] == "SOP Pelayanan perizinan"
    assert cells[4] == "Semua proses harus sesuai"
    assert cells[1] == cells[3] == cells[5] == "—"
    assert header(html)["Nomor SOP"] == "9/UJI/2024"


def test_anonymous_is_sent_to_login_and_roleless_users_are_refused(client, app, actions):
    for url in (URL, f"{URL}.pdf"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    with app.app_context():
        user = User(username="tamu", full_name="Tamu")
        user.set_password("demo")
        db.session.add(user)
        db.session.commit()
    assert actions.client("tamu").get(URL).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/processes/tidak_ada/sop",
        "/processes/tidak_ada/sop.pdf",
        f"{URL}?version=99",
        f"{URL}.pdf?version=99",
        f"{URL}?version=abc",
        f"{URL}?version=-1",
    ],
)
def test_unknown_process_or_version_is_404(actions, url):
    assert actions.client("owner1").get(url).status_code == 404


def test_dates_are_written_in_indonesian(app):
    # Durations in Indonesian are tested with their parser (tests/engine/test_durations.py).
    with app.app_context():
        # 18.00 UTC on 26 June is already 27 June in Jakarta.
        assert sop_sheet.indonesian_date(datetime(2023, 6, 26, 18, 0, tzinfo=UTC)) == "27 Juni 2023"
        assert sop_sheet.indonesian_date(None) == "—"


def test_sheet_service_returns_the_dataclass(app):
    with app.app_context():
        version = db.session.scalar(select(ProcessVersion).where(ProcessVersion.version == 1))
        data = sop_sheet.sheet(version)
    assert isinstance(data, sop_sheet.SopSheet)
    assert data.lanes == LANES
    assert [s.waktu for s in data.steps] == ["10 menit", "30 menit", "2 jam", "1 jam", "30 menit"]
    assert [s.kind for s in data.steps] == ["user"] * 4 + ["service"]
    assert data.pdf_filename == "SOP-pemeliharaan_sistem_informasi-v1.pdf"
    assert data.warnings == []
