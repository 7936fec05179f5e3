"""Dates and percentages as each language writes them, day first in both (issue 14, point 8).

The office reads day-month-year: '30 Nov 2026' in English as in Indonesian, never the American
'Nov 30, 2026', and never a two-digit year.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import session
from flask_babel import gettext

from webapp.views.template_helpers import datetime_label, percent_label

MOMENT = datetime(2026, 11, 30, 4, 10)  # UTC; 11.10 in Jakarta


@pytest.mark.parametrize(
    ("lang", "short", "medium", "percent", "translated"),
    [
        ("id", "30 Nov 2026 11.10", "30 Nov 2026 11.10.00", "100,0\u00a0%", "Keluar"),
        ("en", "30 Nov 2026 11:10", "30 Nov 2026, 11:10:00", "100.0%", "Log out"),
    ],
)
def test_dates_are_day_first_with_four_digit_years_in_both_languages(
    engine_app, lang, short, medium, percent, translated
):
    with engine_app.test_request_context("/"):
        session["lang"] = lang
        assert datetime_label(MOMENT, "short") == short
        assert datetime_label(MOMENT) == medium
        assert percent_label(100.0) == percent
        # The English catalog is still the one read: day-first formatting does not lose it.
        assert gettext("Keluar") == translated
