"""A working time is said in the reader's language: '1 j 5 m' in Indonesian, '1 h 5 m' in
English (issue 14, point 8: no Indonesian abbreviation on an English page)."""

from __future__ import annotations

import pytest
from flask import session

from webapp.views.template_helpers import seconds_label


@pytest.mark.parametrize(
    ("lang", "seconds", "said"),
    [
        ("id", 3900, "1 j 5 m"),
        ("en", 3900, "1 h 5 m"),
        ("id", 600, "10 m"),
        ("en", 600, "10 m"),
        ("en", None, "—"),
    ],
)
def test_a_working_time_in_the_readers_language(app, lang, seconds, said):
    with app.test_request_context("/"):
        session["lang"] = lang
        assert seconds_label(seconds) == said
