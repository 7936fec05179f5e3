"""The import pages: upload or paste an SOP, review the table next to its diagram, make a draft.

Who may (owners and admins; staff 403), CSRF, a bad document keeping what was pasted, the
review table coming back from the browser as untrusted JSON, nothing saved before "Buat draf",
and "Buat draf" creating the draft and going to its version page.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from webapp.engine.sop_import.table import table_errors
from webapp.extensions import db
from webapp.models import ProcessDefinition, ProcessVersion

SEED = Path(__file__).resolve().parents[1] / "data" / "seed" / "000_aaf86235defc21c3.txt"
# Each step's lane as the first SOP has it (the seed has no marks: the review gives them).
LANES = {1: "Unit Kerja/Koordinator", 2: "Ketua Tim", 3: "Tim", 4: "Tim", 5: "Tim"}


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def form_values(html: str, form_id: str) -> dict[str, str]:
    """What a browser would send for the form (no button): inputs, textareas, selects."""
    form = lxml.html.fromstring(html).get_element_by_id(form_id)
    values: dict[str, str] = {}
    for el in form.iter("input", "textarea", "select"):
        name = el.get("name")
        if not name or el.get("type") in ("file", "submit") or el.get("disabled") is not None:
            continue
        if el.tag == "select":
            chosen = el.xpath("option[@selected]") or el.xpath("option")
            values[name] = chosen[0].get("value", chosen[0].text_content()) if chosen else ""
        elif el.tag == "textarea":
            values[name] = el.text_content()
        else:
            values[name] = el.get("value", "")
    return values


def hidden_table(html: str) -> dict:
    return json.loads(form_values(html, "review-form")["table"])


def saved(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ProcessDefinition)),
            db.session.scalar(select(func.count()).select_from(ProcessVersion)),
        )


def paste_seed(client):
    response = client.post("/processes/import", data={"text": seed_text()})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def seed_review(actions) -> tuple:
    """owner1's client and the review form of the pasted seed with its lanes chosen."""
    client = actions.client("owner1")
    html = paste_seed(client)
    return client, with_lanes(form_values(html, "review-form"), hidden_table(html))


def with_lanes(values: dict[str, str], table: dict) -> dict[str, str]:
    """The review form with each seed row's lane chosen as the first SOP has it."""
    for i, row in enumerate(table["rows"]):
        values[f"row-{i}-lane"] = LANES[row["no"]]
    return values


# -- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["unit1", "tim1", "ketua1"])
def test_staff_get_403_on_every_import_route_and_nothing_is_saved(app, actions, username):
    before = saved(app)
    client = actions.client(username)
    assert client.get("/processes/import").status_code == 403
    assert client.post("/processes/import", data={"text": seed_text()}).status_code == 403
    owner_page = paste_seed(actions.client("owner1"))
    body = dict(form_values(owner_page, "review-form"), action="confirm")
    assert client.post("/processes/import/review", data=body).status_code == 403
    assert "Impor dari dokumen" not in client.get("/").get_data(as_text=True)
    assert saved(app) == before


@pytest.mark.parametrize("username", ["owner1", "admin1"])
def test_owners_and_admins_find_the_import_on_the_library(app, actions, username):
    client = actions.client(username)
    library = lxml.html.fromstring(client.get("/processes/").get_data(as_text=True))
    link = library.xpath("//a[normalize-space()='Impor dari dokumen']")
    assert [a.get("href") for a in link] == ["/processes/import"]
    page = client.get("/processes/import").get_data(as_text=True)
    assert 'name="file"' in page and 'name="text"' in page


def test_anonymous_is_sent_to_log_in(client):
    for response in (client.get("/processes/import"), client.post("/processes/import/review")):
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/login"


# -- the review ------------------------------------------------------------------------------


def test_the_pasted_seed_shows_its_table_next_to_the_diagram_and_saves_nothing(app, actions):
    before = saved(app)
    html = paste_seed(actions.client("owner1"))
    table = hidden_table(html)
    assert table_errors(table) == []
    assert [row["no"] for row in table["rows"]] == [1, 2, 3, 4, 5]
    assert table["rows"][0]["waktu"] == "10 menit" and table["rows"][0]["duration"] == "PT10M"
    doc = lxml.html.fromstring(html)
    first = doc.xpath("//tr[@data-row='1']")[0]
    assert (
        "Menyampaikan pesan perbaikan" in first.xpath(".//textarea[@name='row-0-uraian']")[0].text
    )
    assert first.xpath(".//input[@name='row-0-waktu']")[0].get("value") == "10 menit"
    options = [o.get("value") for o in first.xpath(".//select[@name='row-0-lane']/option")]
    assert options[1:] == table["lanes"]
    proposal = json.loads(doc.get_element_by_id("import-proposal").text)
    assert proposal["xml"].lstrip().startswith("<?xml") and "bpmn:definitions" in proposal["xml"]
    assert saved(app) == before


def test_confirming_under_an_existing_id_adds_a_draft_to_that_sop(app, actions):
    client = actions.client("owner1")
    html = paste_seed(client)
    doc = lxml.html.fromstring(html)
    # The demo already has this SOP: the review says what "Buat draf" will do.
    assert doc.get_element_by_id("process_id").get("value") == "pemeliharaan_sistem_informasi"
    assert "sudah ada" in doc.get_element_by_id("process_id_existing").text_content()
    values = with_lanes(form_values(html, "review-form"), hidden_table(html))
    response = client.post("/processes/import/review", data=dict(values, action="confirm"))
    assert response.status_code == 302
    assert (
        urlsplit(response.headers["Location"]).path
        == "/processes/pemeliharaan_sistem_informasi/v/2"
    )
    assert saved(app) == (1, 2)


def test_an_uncertain_cell_is_highlighted_with_its_worded_reason(actions):
    html = paste_seed(actions.client("owner1"))
    table = hidden_table(html)
    unsure = [
        (i, item["field"])
        for i, row in enumerate(table["rows"])
        for item in row.get("uncertain") or []
    ]
    assert unsure, "the seed has no marks in its Pelaksana columns: its lanes are asked"
    doc = lxml.html.fromstring(html)
    i, field = unsure[0]
    cell = doc.xpath(f"//tr[@data-index='{i}']//*[@data-cell='{field}']")[0]
    assert "unsure" in cell.get("class").split()
    reason = cell.xpath(".//p[@class='unsure-reason']")[0].text_content().strip()
    assert reason and not reason.startswith("import-"), f"not worded: {reason!r}"
    described = cell.xpath(".//*[@aria-describedby]")[0].get("aria-describedby")
    assert f"r{i}-{field}-unsure" in described.split()


def test_redrawing_applies_the_corrections_and_clears_what_the_owner_decided(app, actions):
    client = actions.client("owner1")
    html = paste_seed(client)
    table = hidden_table(html)
    values = with_lanes(form_values(html, "review-form"), table)
    values["row-3-waktu"] = "90 menit"
    before = saved(app)
    response = client.post("/processes/import/review", data=dict(values, action="redraw"))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    redrawn = hidden_table(page)
    assert [row["lane"] for row in redrawn["rows"]] == [LANES[n] for n in range(1, 6)]
    assert redrawn["rows"][3]["waktu"] == "90 menit"
    assert redrawn["rows"][3]["duration"] in ("PT90M", "PT1H30M")
    assert not any(
        item.get("field") == "lane" for row in redrawn["rows"] for item in row.get("uncertain", [])
    ), "a lane the owner chose is no longer marked uncertain"
    xml = json.loads(lxml.html.fromstring(page).get_element_by_id("import-proposal").text)["xml"]
    assert "Ketua Tim" in xml
    assert saved(app) == before


def test_confirm_creates_a_draft_and_goes_to_its_version_page(app, actions):
    client, values = seed_review(actions)
    values["process_id"] = "pemeliharaan_impor"
    response = client.post("/processes/import/review", data=dict(values, action="confirm"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert urlsplit(response.headers["Location"]).path == "/processes/pemeliharaan_impor/v/1"
    with app.app_context():
        version = db.session.scalar(
            select(ProcessVersion)
            .join(ProcessDefinition)
            .where(ProcessDefinition.process_id == "pemeliharaan_impor")
        )
        assert version is not None and version.published_at is None
        assert "Ketua Tim" in version.bpmn_xml
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Draf versi 1 dibuat dari dokumen SOP" in page
    assert "Pemeriksaan" in page  # the lint findings, as for any draft


# -- bad input -------------------------------------------------------------------------------


def test_nothing_posted_says_what_to_do(actions):
    response = actions.client("owner1").post("/processes/import", data={"text": "  "})
    assert response.status_code == 422
    problem = lxml.html.fromstring(response.get_data(as_text=True)).get_element_by_id(
        "import-problem"
    )
    assert "Pilih berkas dokumen SOP atau tempel tabelnya" in problem.text_content()


@pytest.mark.parametrize(
    "filename, data",
    [
        ("sop.docx", b"PK\x03\x04 this is no Word document"),
        ("sop.docm", b"PK\x03\x04"),
        ("catatan.txt", b"Rapat hari Senin membahas anggaran."),
    ],
)
def test_a_bad_document_keeps_the_pasted_text_and_says_what_was_wrong(app, actions, filename, data):
    typed = "No\tUraian\n1\tTeks yang sudah ditempel <b>jangan hilang</b>"
    before = saved(app)
    response = actions.client("owner1").post(
        "/processes/import",
        data={"file": (io.BytesIO(data), filename), "text": typed},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.get_element_by_id("text").text_content() == typed
    problem = doc.get_element_by_id("import-problem").text_content().strip()
    assert problem and "import-" not in problem, f"the refusal is not worded: {problem!r}"
    assert saved(app) == before


def test_a_file_over_the_upload_limit_is_refused_and_the_text_kept(app, actions):
    app.config["MAX_UPLOAD_BYTES"] = 4096
    response = actions.client("owner1").post(
        "/processes/import",
        data={"file": (io.BytesIO(b"x" * 5000), "besar.pdf"), "text": "ditempel"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.get_element_by_id("text").text_content() == "ditempel"
    assert "lebih besar dari" in doc.get_element_by_id("import-problem").text_content()


def test_a_request_over_the_server_limit_gets_the_upload_page_with_the_reason(csrf_app):
    csrf_app.config["MAX_CONTENT_LENGTH"] = 50_000  # checked before CSRF reads the form
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "owner1", "password": "demo", "csrf_token": token})
    token = csrf_token(client.get("/processes/import").get_data(as_text=True))
    before = saved(csrf_app)
    response = client.post(
        "/processes/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"0" * 80_000), "sop.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert "lebih besar dari" in doc.get_element_by_id("import-problem").text_content()
    assert doc.get_element_by_id("import-form") is not None
    assert saved(csrf_app) == before


def test_a_waktu_that_cannot_be_read_is_marked_on_its_cell(app, actions):
    client, values = seed_review(actions)
    values["row-2-waktu"] = "secepatnya"
    before = saved(app)
    response = client.post("/processes/import/review", data=dict(values, action="confirm"))
    assert response.status_code == 422
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    cell = doc.xpath("//tr[@data-index='2']//*[@data-cell='waktu']")[0]
    assert "has-error" in cell.get("class").split()
    assert "secepatnya" in cell.xpath(".//p[@class='error']")[0].text_content()
    assert cell.xpath(".//input")[0].get("value") == "secepatnya"  # what was typed stays
    assert saved(app) == before


def test_a_decision_without_branches_is_refused_on_its_cell(app, actions):
    client, values = seed_review(actions)
    values["row-3-kind"] = "decision"
    response = client.post("/processes/import/review", data=dict(values, action="confirm"))
    assert response.status_code == 422
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    cell = doc.xpath("//tr[@data-index='3']//*[@data-cell='branches']")[0]
    assert "dua cabang" in cell.xpath(".//p[@class='error']")[0].text_content()
    # With its branches (a failed test goes back to step 3) it is drawn as a gateway.
    values.update(
        {
            "row-3-branch-0-label": "Berhasil",
            "row-3-branch-0-target": "5",
            "row-3-branch-1-label": "Gagal",
            "row-3-branch-1-target": "3",
        }
    )
    response = client.post("/processes/import/review", data=dict(values, action="redraw"))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    row = hidden_table(response.get_data(as_text=True))["rows"][3]
    assert row["kind"] == "decision"
    assert row["branches"] == [
        {"label": "Berhasil", "target": 5},
        {"label": "Gagal", "target": 3},
    ]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: "{not json",
        lambda t: json.dumps({"rows": "none"}),
        lambda t: json.dumps(dict(t, rows=[dict(r, no=1) for r in t["rows"]])),
        lambda t: json.dumps(dict(t, rows=t["rows"] * 50)),
        lambda t: json.dumps(dict(t, findings=[{"code": "<b>not a code</b>"}])),
    ],
    ids=["not-json", "no-rows", "duplicate-numbers", "too-many-rows", "bad-finding"],
)
def test_a_tampered_table_is_refused_and_nothing_is_saved(app, actions, tamper):
    client, values = seed_review(actions)
    values["table"] = tamper(json.loads(values["table"]))
    before = saved(app)
    response = client.post("/processes/import/review", data=dict(values, action="confirm"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in page and "<b>not a code</b>" not in page
    assert saved(app) == before


# -- CSRF ----------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app):
    """The app with CSRF protection on, as in production (it is read on every request)."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_both_forms_need_their_csrf_token(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "owner1", "password": "demo", "csrf_token": token})
    upload_page = client.get("/processes/import").get_data(as_text=True)
    assert client.post("/processes/import", data={"text": seed_text()}).status_code == 400
    review = client.post(
        "/processes/import", data={"text": seed_text(), "csrf_token": csrf_token(upload_page)}
    )
    assert review.status_code == 200
    values = with_lanes(
        form_values(review.get_data(as_text=True), "review-form"),
        hidden_table(review.get_data(as_text=True)),
    )
    before = saved(csrf_app)
    without = {k: v for k, v in values.items() if k != "csrf_token"}
    response = client.post("/processes/import/review", data=dict(without, action="confirm"))
    assert response.status_code == 400
    assert saved(csrf_app) == before
    response = client.post("/processes/import/review", data=dict(values, action="confirm"))
    assert response.status_code == 302
    assert saved(csrf_app)[1] == before[1] + 1
