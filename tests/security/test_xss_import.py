"""Stored XSS through the SOP import: markup typed into every cell of the review form (name,
header, lanes, steps, branch labels) and pasted as the document is escaped on the review page,
carried as data in its hidden table and diagram JSON, and escaped again on every page that
shows the draft it creates."""

from __future__ import annotations

import html as html_lib
import json

import lxml.html
import pytest

from tests.security.test_xss import ESCAPED, PAYLOAD, RAW
from tests.views.test_sop_import_pages import form_values, hidden_table, paste_seed

PROCESS = "xss_impor"


def _clean(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} is on the page unescaped"


@pytest.fixture
def review(actions):
    """The seed pasted by owner1; every editable field of its review form then holds the
    payload (lane "Tim" renamed to it, step 4 a decision with payload-labelled branches)."""
    client = actions.client("owner1")
    html = paste_seed(client)
    table = hidden_table(html)
    values = form_values(html, "review-form")
    values["name"] = PAYLOAD
    values["process_id"] = PROCESS
    for key in [k for k in values if k.startswith("header-")]:
        values[key] = PAYLOAD
    values["lanes"] = "\n".join(PAYLOAD if lane == "Tim" else lane for lane in table["lanes"])
    for i, _row in enumerate(table["rows"]):
        values[f"row-{i}-lane"] = PAYLOAD
        for cell in ("uraian", "kelengkapan", "output", "keterangan"):
            values[f"row-{i}-{cell}"] = PAYLOAD
    values["row-3-kind"] = "decision"
    values.update(
        {
            "row-3-branch-0-label": PAYLOAD[:100],
            "row-3-branch-0-target": "5",
            "row-3-branch-1-label": "x" + PAYLOAD[:99],
            "row-3-branch-1-target": "3",
        }
    )
    return client, values


def test_the_review_page_escapes_what_was_typed_and_carries_it_as_data(review):
    client, values = review
    response = client.post("/processes/import/review", data=dict(values, action="redraw"))
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    html = response.get_data(as_text=True)
    _clean(html, "review page")
    assert ESCAPED in html
    table = hidden_table(html)
    assert table["name"] == PAYLOAD and table["rows"][0]["uraian"] == PAYLOAD
    proposal = lxml.html.fromstring(html).get_element_by_id("import-proposal").text
    assert "<" not in proposal, "the diagram JSON escapes < so it cannot close its script tag"
    assert PAYLOAD in html_lib.unescape(json.loads(proposal)["xml"])


def test_a_refused_paste_comes_back_escaped(actions):
    response = actions.client("owner1").post("/processes/import", data={"text": PAYLOAD})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    _clean(html, "upload page")
    assert lxml.html.fromstring(html).get_element_by_id("text").text_content() == PAYLOAD


def test_the_imported_draft_shows_the_payload_escaped_everywhere(review):
    client, values = review
    response = client.post("/processes/import/review", data=dict(values, action="confirm"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    for url in (
        response.headers["Location"],
        "/processes/",
        f"/processes/{PROCESS}/",
        f"/processes/{PROCESS}/modeler?v=1",
        f"/processes/{PROCESS}/sop?version=1",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        _clean(page.get_data(as_text=True), url)
    model = client.get(f"/processes/{PROCESS}/v/1/model.json").get_json()
    assert PAYLOAD in html_lib.unescape(model["xml"])
