"""POST /api/v1/processes/import: propose (nothing saved), then confirm (the draft); every answer
checked against the OpenAPI document; process owners only."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.engine.test_sop_import_generate import first_sop_table
from tests.views.test_api import conforms
from webapp.extensions import db
from webapp.models import ProcessVersion

URL = "/api/v1/processes/import"
SEED = Path(__file__).resolve().parents[1] / "data" / "seed" / "000_aaf86235defc21c3.txt"


def versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessVersion))


@pytest.fixture
def post(client, actions):
    def call(user: str, expect: int, **kwargs) -> dict:
        response = client.post(URL, headers=actions.token(user), **kwargs)
        assert response.status_code == expect, response.get_json()
        return conforms(response)

    return call


def test_a_corrected_table_is_proposed_then_confirmed_into_a_draft(app, post):
    table = {**first_sop_table(), "process_id": "impor_api"}
    before = versions(app)
    proposal = post("owner1", 200, json={"table": table})
    assert proposal["process_id"] == "impor_api"
    assert proposal["table"] == table
    assert "<bpmn:userTask" in proposal["bpmn"]
    assert proposal["forms"]["langkah_4.schema.json"]["properties"]["keputusan_4"]
    assert not [f for f in proposal["findings"] if f["level"] == "error"]
    assert versions(app) == before  # nothing saved before confirming

    created = post("owner1", 201, json={"table": table, "confirm": True})
    assert created["process_id"] == "impor_api" and created["version"] == 1
    assert created["published_at"] is None
    assert created["url"].endswith("/processes/impor_api/v/1")
    assert versions(app) == before + 1
    again = post("owner1", 201, json={"table": table, "confirm": True})
    assert again["version"] == 1 and versions(app) == before + 1  # same table: same draft


def test_pasted_text_and_an_uploaded_file_give_the_same_proposal(app, post):
    text = SEED.read_text(encoding="utf-8")
    before = versions(app)
    pasted = post("owner1", 200, json={"text": text})
    uploaded = post(
        "owner1",
        200,
        data={"file": (io.BytesIO(text.encode()), "sop.txt")},
        content_type="multipart/form-data",
    )
    assert pasted["table"] == uploaded["table"]
    assert [row["no"] for row in pasted["table"]["rows"]] == [1, 2, 3, 4, 5]
    assert pasted["table"]["header"]["sopNomor"] == "62/ 1671 / DATIN /2023"
    assert versions(app) == before


def test_a_bad_table_is_refused_with_its_reasons_and_nothing_is_saved(app, post):
    table = first_sop_table()
    table["rows"][1]["lane"] = "Tidak Ada"
    before = versions(app)
    refused = post("owner1", 422, json={"table": table, "confirm": True})
    assert "rows/2/lane" in refused["errors"]
    assert versions(app) == before


def test_a_document_that_is_no_sop_is_refused_with_a_worded_reason(app, post):
    refused = post(
        "owner1",
        422,
        data={"file": (io.BytesIO(b"\x00\x01binary junk" * 10), "foto.bin")},
        content_type="multipart/form-data",
    )
    assert refused["code"].startswith("import-") and refused["message"] != refused["code"]


@pytest.mark.parametrize("body", [{}, {"tabel": {}}, {"table": {}, "process_id": 5}])
def test_a_body_of_the_wrong_shape_is_a_422(post, body):
    assert "message" in post("owner1", 422, json=body)


@pytest.mark.parametrize("user", ["unit1", "ketua1", "tim1"])
def test_staff_are_refused_both_calls(app, post, user):
    table = first_sop_table()
    before = versions(app)
    post(user, 403, json={"table": table})
    post(user, 403, json={"table": table, "confirm": True})
    assert versions(app) == before


def test_text_that_is_no_unicode_is_refused_or_cleaned_never_a_500(app, post, client, actions):
    # A lone surrogate is valid JSON but not text a database or a reader can take.
    raw = b'{"text": "No\\tUraian \\ud800"}'
    response = client.post(
        URL, data=raw, content_type="application/json", headers=actions.token("owner1")
    )
    assert response.status_code in (200, 422), response.get_json()
    conforms(response)
    table = {**first_sop_table(), "process_id": "impor_surrogat"}
    table["name"] = "Pemeliharaan \ud800 Sistem"
    table["rows"][0]["uraian"] = "Menyampaikan \ud800 pesan"
    table["rows"][0]["uncertain"] = [
        {"code": "import-lane-asked", "field": "lane", "params": {"actor": "\ud800"}}
    ]
    created = post("owner1", 201, json={"table": table, "confirm": True})
    assert created["version"] == 1
