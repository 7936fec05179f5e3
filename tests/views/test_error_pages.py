"""Error pages speak the reader's language (issue 14, point 3): werkzeug's English names and
descriptions ("Service Unavailable", "Too Many Requests") never reach a page or the API's JSON;
a reason the app gives with ``refuse`` is shown as it is."""

from __future__ import annotations

import re

import pytest
from flask import abort

from webapp.views.errors import refuse

ENGLISH = re.compile(
    r"\b(service|unavailable|too many|requests?|conflict|gone|unsupported|media type|"
    r"unauthorized|not found|error|failed|server)\b",
    re.IGNORECASE,
)


@pytest.fixture
def failing(app):
    """Routes that fail with each status the handler has no page of its own for."""

    def fail(code: int):
        abort(code)

    app.add_url_rule("/_fail/<int:code>", "fail", fail)
    app.add_url_rule("/api/v1/_fail/<int:code>", "api_fail", fail)
    app.add_url_rule("/_refuse", "refuse", lambda: refuse(503, "PDF belum dapat dibuat."))
    return app.test_client()


def _main_text(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


@pytest.mark.parametrize("code", [401, 409, 410, 415, 418, 429, 503])
def test_an_error_page_has_no_english_words_in_indonesian(failing, code):
    response = failing.get(f"/_fail/{code}")
    assert response.status_code == code
    text = _main_text(response.get_data(as_text=True))
    assert not ENGLISH.findall(text), text
    api = failing.get(f"/api/v1/_fail/{code}")
    assert not ENGLISH.findall(api.get_json()["message"]), api.get_json()


def test_an_unknown_status_says_its_code_in_the_readers_language(failing):
    text = _main_text(failing.get("/_fail/418").get_data(as_text=True))
    assert "Permintaan tidak dapat dilayani (kode 418)." in text


def test_the_apps_own_reason_is_shown_as_it_is(failing):
    response = failing.get("/_refuse")
    assert response.status_code == 503
    assert "PDF belum dapat dibuat." in _main_text(response.get_data(as_text=True))


def test_a_bad_date_on_the_sla_page_says_what_is_wrong(actions):
    response = actions.client("ketua1").get("/sla?from=kemarin")
    assert response.status_code == 400
    assert "Tanggal harus berformat YYYY-MM-DD." in response.get_data(as_text=True)
