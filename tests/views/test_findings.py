"""Lint findings are codes; the view layer words them in the reader's language."""

from __future__ import annotations

import io
from pathlib import Path

from flask_babel import force_locale

from webapp.engine.lint import lint
from webapp.views import findings as wording
from webapp.views.findings import message, worded

PID = "pemeliharaan_sistem_informasi"
SOP = (Path(__file__).resolve().parents[2] / "processes" / PID / f"{PID}.bpmn").read_bytes()
API = f"/api/v1/processes/{PID}/versions"
NO_LANE = {"level": "error", "code": "task-no-lane", "element": "T", "name": "", "params": {}}
UNKNOWN_LANE = SOP.replace(b'name="Tim"', b'name="Tim Aplikasi"')


def _no_lane(label: str) -> dict:
    return {**NO_LANE, "params": {"label": label}}


def test_a_finding_is_worded_in_indonesian_by_default_as_before():
    assert message(_no_lane("Uji")) == (
        "Tugas “Uji” tidak berada di lane mana pun. Seret tugas ke dalam lane pelaksananya."
    )


def test_the_english_interface_words_the_same_finding_in_english(app):
    with app.test_request_context(), force_locale("en"):
        assert message(_no_lane("Uji")) == (
            "The task “Uji” is in no lane. Drag the task into the lane of whoever performs it."
        )


def test_lists_and_kinds_in_params_are_worded_too(app):
    finding = {
        "code": "timer-invalid",
        "params": {"case": "empty", "label": "Batas", "kind": "timeDuration"},
    }
    assert message(finding) == (
        'Timer “Batas” kosong. Isi ekspresi timer, misalnya "PT2H" (2 jam) atau "P1D" (1 hari).'
    )
    undeclared = {
        "code": "parameter-undeclared",
        "params": {"label": "L", "parameter": "p", "operator": "op", "allowed": []},
    }
    with app.test_request_context(), force_locale("en"):
        assert "(allowed parameters: (none))" in message(undeclared)


def test_a_finding_stored_before_codes_had_params_shows_its_stored_message():
    old = {"level": "error", "code": "task-no-lane", "element": "T", "name": "", "message": "lama"}
    assert message(old) == "lama"
    assert worded([old]) == [old]


def test_an_unknown_code_or_missing_param_falls_back_instead_of_failing():
    assert message({"code": "from-the-future", "params": {}}) == "from-the-future"
    assert message({"code": "task-no-lane", "params": {}, "message": "disimpan"}) == "disimpan"


def test_every_code_lint_can_return_has_words():
    # Each (code, case) the engine emits must be in the catalog, else readers see a bare code.
    cases = {(f.code, str(f.params.get("case", ""))) for f in _sample_findings()}
    assert cases, "the sample must produce findings"
    assert cases <= set(wording._TEMPLATES), cases - set(wording._TEMPLATES)


def _sample_findings():
    broken = UNKNOWN_LANE.replace(b'id="deploy_to_colocation"', b'id="deploy_ke_mars"')
    return lint(broken, {}, {}, set(), PID) + lint(b"<x/>", {}, {}, set(), PID)


def _upload_in_english(app, actions, content: bytes):
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    data = {"bpmn": (io.BytesIO(content), "sop.bpmn")}
    return client.post(
        API, data=data, headers=actions.token("owner1"), content_type="multipart/form-data"
    )


def test_api_findings_carry_code_params_and_the_message_in_the_request_language(app, actions):
    response = _upload_in_english(app, actions, UNKNOWN_LANE)
    assert response.status_code == 201, response.get_json()
    finding = next(f for f in response.get_json()["findings"] if f["code"] == "lane-no-role")
    assert finding["params"] == {"case": "unknown", "lane": "Tim Aplikasi"}
    assert finding["message"] == (
        "The lane “Tim Aplikasi” matches no role. Create the role “Tim Aplikasi” or rename the "
        "lane to an existing role."
    )


def test_the_version_page_shows_the_stored_finding_in_indonesian(app, actions):
    assert _upload_in_english(app, actions, UNKNOWN_LANE).status_code == 201
    page = actions.client("owner1").get(f"/processes/{PID}/v/2").get_data(as_text=True)
    assert (
        "Lane “Tim Aplikasi” tidak sesuai dengan peran mana pun. Buat peran “Tim Aplikasi” atau "
        "ganti nama lane menjadi peran yang sudah ada."
    ) in page


def test_cases_sharing_one_sentence_differ_in_the_chosen_word(app):
    ui = {"code": "form-invalid", "params": {"case": "object-ui", "file": "a.json"}}
    pre = {
        "code": "expression-invalid",
        "params": {"case": "pre-script", "label": "T", "detail": "d"},
    }
    assert message(ui).startswith("UI formulir “a.json” bukan JSON yang sah (isi berkas harus")
    assert message(pre).startswith("Pra-skrip pada “T” ditolak: d.")
    with app.test_request_context(), force_locale("en"):
        assert message(ui).startswith("The form UI “a.json” is not valid JSON (the file must")
        assert message(pre).startswith("The pre-script on “T” is refused: d.")
