"""The repair report names the office, the SOP and the lanes from the case's diagram version."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from webapp.extensions import db
from webapp.services import service_calls
from webapp.services.processes import import_version

PROCESS = "pemeliharaan_sistem_informasi"
FOLDER = Path(__file__).resolve().parents[2] / "processes" / PROCESS
BPMN = (FOLDER / f"{PROCESS}.bpmn").read_text(encoding="utf-8")


def report_of(app, actions) -> lxml.html.HtmlElement:
    instance_id = actions.run_to("end")
    with app.app_context():
        assert service_calls.run_queued() == 2  # the deployment, then the report
    response = actions.client("unit1").get(f"/cases/{instance_id}/report.html")
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def texts(page, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in page.xpath(xpath)]


def test_the_first_sops_report_prints_its_diagrams_header_and_lanes(app, actions, deployment):
    page = report_of(app, actions)
    assert texts(page, "//header/div[@class='agency']") == [
        "PEMERINTAH PROVINSI JAWA BARAT",
        "DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU PROVINSI JAWA BARAT",
    ]
    assert texts(page, "//header/div[@class='sop']") == [
        "Pemeliharaan Sistem Informasi · SOP 62/ 1671 / DATIN /2023"
    ]
    # One signature per lane that worked on the case, in the diagram's lane order.
    assert [d.get("data-lane") for d in page.xpath("//div[@class='sign']/div")] == [
        "Unit Kerja/Koordinator",
        "Ketua Tim",
        "Tim",
    ]
    assert "Upload ke server colocation" in texts(page, "//h2")  # the service task's name
    assert texts(page, "//p[@class='generated']")[0].endswith(
        "Disimpan sebagai data fisik dan elektronik."
    )


def test_another_office_and_number_in_the_diagram_change_the_report(app, actions, deployment):
    other = (
        BPMN.replace(
            "PEMERINTAH PROVINSI JAWA BARAT&#10;DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU "
            "SATU PINTU PROVINSI JAWA BARAT",
            "PEMERINTAH KABUPATEN CONTOH&#10;DINAS KOMUNIKASI DAN INFORMATIKA",
        )
        .replace('value="62/ 1671 / DATIN /2023"', 'value="800/12/DISKOMINFO/2025"')
        .replace(
            'value="Disimpan sebagai data fisik dan elektronik"', 'value="Diarsipkan elektronik"'
        )
    )
    assert other.count("KABUPATEN CONTOH") == 1 and other.count("DISKOMINFO") == 1
    with app.app_context():
        forms = {p.name: p.read_bytes() for p in sorted((FOLDER / "forms").glob("*.json"))}
        _, new = import_version(PROCESS, other.encode("utf-8"), forms, publish=True)
        assert new
        db.session.commit()
    page = report_of(app, actions)
    html = lxml.html.tostring(page, encoding="unicode")
    assert texts(page, "//header/div[@class='agency']") == [
        "PEMERINTAH KABUPATEN CONTOH",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
    ]
    assert texts(page, "//header/div[@class='sop']") == [
        "Pemeliharaan Sistem Informasi · SOP 800/12/DISKOMINFO/2025"
    ]
    assert "JAWA BARAT" not in html and "DATIN" not in html
    assert texts(page, "//p[@class='generated']")[0].endswith("Diarsipkan elektronik.")
