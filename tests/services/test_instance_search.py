"""The instance list's word search: the rare-word and the common-word plans find the same cases."""

from __future__ import annotations

import pytest

from tests.conftest import STEP1
from webapp.services import instance_list

TITLES = [
    "Printer lantai dua rusak",
    "Portal perizinan lambat",
    "Printer portal macet",
    "Halaman pendaftaran galat",
    "Portal halaman kosong",
]
SEARCHES = ["printer", "portal", "portal printer", "hal", "halaman portal", "pri", "x", "rusak"]


def found(app, text: str) -> list[int]:
    with app.app_context():
        page = instance_list.page(instance_list.Filters(q=text, sort="id", order="asc"))
        return [row.id for row in page.rows]


@pytest.fixture
def titled(actions) -> dict[str, int]:
    return {t: actions.start(data=dict(STEP1, judul=t))["id"] for t in TITLES}


def expected(titled: dict[str, int], text: str) -> list[int]:
    words = text.split()
    return sorted(
        i
        for title, i in titled.items()
        if all(any(w.startswith(p) for w in title.lower().split()) for p in words)
    )


@pytest.mark.parametrize("common_from", [1, 3, 10_000], ids=["all-common", "mixed", "all-rare"])
def test_every_plan_finds_the_cases_whose_title_has_every_word(
    app, titled, monkeypatch, common_from
):
    # With the threshold at 1 every word is "common" (walk the cases, probe each); at 10,000
    # every word here is rare (start from the rarest word's rows); at 3 some of each.
    monkeypatch.setattr(instance_list, "COMMON_WORD", common_from)
    for text in SEARCHES:
        assert found(app, text) == expected(titled, text), (text, common_from)


def test_a_common_word_search_pages_and_counts_like_a_rare_one(app, actions, monkeypatch):
    ids = [actions.start(data=dict(STEP1, judul=f"Portal {n}"))["id"] for n in range(3)]
    monkeypatch.setattr(instance_list, "PAGE_SIZE", 2)
    results = []
    for common_from in (1, 10_000):
        monkeypatch.setattr(instance_list, "COMMON_WORD", common_from)
        with app.app_context():
            pages = [instance_list.page(instance_list.Filters(q="portal", page=n)) for n in (1, 2)]
            results.append(([[r.id for r in p.rows] for p in pages], pages[0].total))
    assert results[0] == results[1] == ([ids[:0:-1], ids[:1]], 3)
