"""A time standard said in the reader's language: the calendar's Indonesian words as they are,
and their English from the catalog ('3 hari kerja' -> '3 working days'), never a second table."""

from __future__ import annotations

import pytest
from flask import session

from webapp import create_app
from webapp.engine.calendar import WallClockCalendar, WorkingHoursCalendar
from webapp.services.sla import standard_words

# (ISO standard, working-hours words id, en, wall-clock words id, en), as the page said them
# before the words came from the catalog.
SAID = [
    ("PT1M", "1 menit", "1 minute", "1 menit", "1 minute"),
    ("PT10M", "10 menit", "10 minutes", "10 menit", "10 minutes"),
    ("PT45M", "45 menit", "45 minutes", "45 menit", "45 minutes"),
    ("PT1H", "1 jam", "1 hour", "1 jam", "1 hour"),
    ("PT2H", "2 jam", "2 hours", "2 jam", "2 hours"),
    ("PT1H30M", "1 jam 30 menit", "1 hour 30 minutes", "1 jam 30 menit", "1 hour 30 minutes"),
    ("PT1H1M", "1 jam 1 menit", "1 hour 1 minute", "1 jam 1 menit", "1 hour 1 minute"),
    ("P1D", "1 hari kerja", "1 working day", "1 hari", "1 day"),
    ("P3D", "3 hari kerja", "3 working days", "3 hari", "3 days"),
    ("P1DT2H", "1 hari kerja 2 jam", "1 working day 2 hours", "1 hari 2 jam", "1 day 2 hours"),
    ("P1W", "1 minggu kerja", "1 working week", "1 minggu", "1 week"),
    ("P2W", "2 minggu kerja", "2 working weeks", "2 minggu", "2 weeks"),
    ("P1M", "1 bulan", "1 month", "1 bulan", "1 month"),
    ("P2M", "2 bulan", "2 months", "2 bulan", "2 months"),
    ("P1Y", "1 tahun", "1 year", "1 tahun", "1 year"),
    ("P3Y", "3 tahun", "3 years", "3 tahun", "3 years"),
    (
        "P1Y1M1W1DT1H1M",
        "1 tahun 1 bulan 1 minggu kerja 1 hari kerja 1 jam 1 menit",
        "1 year 1 month 1 working week 1 working day 1 hour 1 minute",
        "1 tahun 1 bulan 1 minggu 1 hari 1 jam 1 menit",
        "1 year 1 month 1 week 1 day 1 hour 1 minute",
    ),
    ("P11D", "11 hari kerja", "11 working days", "11 hari", "11 days"),
    ("PT0S", "0 menit", "0 minutes", "0 menit", "0 minutes"),
    # Not a duration: said as written, in either language.
    ("", "", "", "", ""),
    (None, "", "", "", ""),
    ("2 jam", "2 jam", "2 jam", "2 jam", "2 jam"),
]


@pytest.fixture(scope="module")
def words_app():
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


def _said(app, lang: str, iso: str | None, calendar) -> str:
    with app.test_request_context("/"):
        session["lang"] = lang
        return standard_words(iso, calendar)


@pytest.mark.parametrize(("iso", "work_id", "work_en", "wall_id", "wall_en"), SAID)
def test_a_standard_is_said_as_before_in_both_languages(
    words_app, iso, work_id, work_en, wall_id, wall_en
):
    working = WorkingHoursCalendar()
    wall = WallClockCalendar()
    assert _said(words_app, "id", iso, working) == work_id
    assert _said(words_app, "en", iso, working) == work_en
    assert _said(words_app, "id", iso, wall) == wall_id
    assert _said(words_app, "en", iso, wall) == wall_en


def test_seconds_are_said_in_english_too(words_app):
    # The old table had no 'detik': 'PT30S' read '30 detik' on an English page.
    wall = WallClockCalendar()
    assert _said(words_app, "id", "PT30S", wall) == "30 detik"
    assert _said(words_app, "en", "PT30S", wall) == "30 seconds"
    assert _said(words_app, "en", "PT1M1S", wall) == "1 minute 1 second"
