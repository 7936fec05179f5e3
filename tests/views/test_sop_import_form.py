"""The review form rebuilt into a table: lanes renamed by position, what the owner decided no
longer uncertain, a Waktu read again only when it changed, a damaged hidden table refused."""

from __future__ import annotations

import json

import pytest

from webapp.engine.sop_import.table import table_errors
from webapp.views.sop_import_form import Damaged, dumps, table_from_form

HEADER = ("sopNomor", "sopDasarHukum")
BASE = {
    "name": "Layanan Pengaduan",
    "header": {"sopNomor": "1/2/3"},
    "lanes": ["Front Office", "Petugas"],
    "rows": [
        {
            "no": 1,
            "uraian": "Menerima pengaduan",
            "lane": "Front Office",
            "kind": "task",
            "waktu": "30'",
            "duration": "PT30M",
            "uncertain": [
                {"field": "duration", "code": "import-waktu-range", "params": {"text": "30'"}},
                {"field": "kind", "code": "import-kind-service"},
            ],
        },
        {
            "no": 2,
            "uraian": "Menelaah",
            "lane": None,
            "kind": "task",
            "uncertain": [{"field": "lane", "code": "import-lane-asked"}],
        },
    ],
    "findings": [{"code": "import-flow-unread", "row": 2, "params": {"text": "?"}}],
}


def posted(**changes: str) -> dict[str, str]:
    """The review form of BASE as a browser sends it, with some fields changed."""
    form = {
        "table": dumps(BASE),
        "name": BASE["name"],
        "lanes": "\r\n".join(BASE["lanes"]),
        "header-sopNomor": "1/2/3",
        "header-sopDasarHukum": "",
    }
    for i, row in enumerate(BASE["rows"]):
        form |= {
            f"row-{i}-uraian": row["uraian"],
            f"row-{i}-lane": row["lane"] or "",
            f"row-{i}-kind": row["kind"],
            f"row-{i}-waktu": row.get("waktu", ""),
        }
    return form | changes


def read_waktu(text: str) -> str | None:
    return {"1 jam": "PT1H"}.get(text)


@pytest.fixture(autouse=True)
def request_context(engine_app):
    with engine_app.test_request_context():
        yield


def test_the_unchanged_form_gives_back_the_table():
    review = table_from_form(posted(), HEADER, read_waktu)
    assert not review.cell_errors and not review.errors
    assert review.table["rows"][0]["duration"] == "PT30M"  # not read again: unchanged
    assert review.table["rows"][0]["uncertain"] == BASE["rows"][0]["uncertain"]
    assert review.table["findings"] == BASE["findings"]
    assert review.table["header"] == {"sopNomor": "1/2/3"}
    assert table_errors(review.table) == []


def test_renaming_a_lane_in_place_moves_its_steps_with_it():
    form = posted(lanes="Loket\nPetugas", **{"row-1-lane": "Petugas"})
    review = table_from_form(form, HEADER, read_waktu)
    assert review.table["lanes"] == ["Loket", "Petugas"]
    assert [row["lane"] for row in review.table["rows"]] == ["Loket", "Petugas"]
    assert table_errors(review.table) == []


def test_a_lane_no_longer_listed_is_an_error_on_its_cell():
    form = posted(lanes="Front Office\nPetugas\nKepala", **{"row-1-lane": "Hilang"})
    review = table_from_form(form, HEADER, read_waktu)
    assert set(review.cell_errors) == {(1, "lane")}


def test_what_the_owner_changed_or_ticked_is_no_longer_uncertain():
    form = posted(**{"row-0-waktu": "1 jam", "row-1-lane": "Petugas", "row-0-ok-kind": "1"})
    review = table_from_form(form, HEADER, read_waktu)
    first, second = review.table["rows"]
    assert first["duration"] == "PT1H" and "uncertain" not in first
    assert second["lane"] == "Petugas" and "uncertain" not in second


def test_a_waktu_that_cannot_be_read_is_kept_and_marked():
    review = table_from_form(posted(**{"row-0-waktu": "segera"}), HEADER, read_waktu)
    assert review.table["rows"][0]["waktu"] == "segera"
    assert review.table["rows"][0]["duration"] is None
    assert "segera" in review.cell_errors[(0, "waktu")]


def test_branches_need_a_decision_and_a_known_target():
    form = posted(
        **{
            "row-0-kind": "decision",
            "row-0-branch-0-label": "Ya",
            "row-0-branch-0-target": "2",
            "row-0-branch-1-label": "Tidak",
            "row-0-branch-1-target": "end",
        }
    )
    review = table_from_form(form, HEADER, read_waktu)
    assert review.table["rows"][0]["branches"] == [
        {"label": "Ya", "target": 2},
        {"label": "Tidak", "target": "end"},
    ]
    assert not review.cell_errors
    wrong = table_from_form(
        posted(**{"row-1-branch-0-label": "Ya", "row-1-branch-0-target": "9"}), HEADER, read_waktu
    )
    assert (1, "branches") in wrong.cell_errors


@pytest.mark.parametrize(
    "hidden",
    ["", "[]", "{", json.dumps({"rows": []}), json.dumps({"rows": [{"no": "1"}]})],
)
def test_a_hidden_table_that_is_no_table_is_refused(hidden):
    with pytest.raises(Damaged):
        table_from_form(posted(table=hidden), HEADER, read_waktu)
