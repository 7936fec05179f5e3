"""A draft's note is kept as the owner wrote it or refused with its length, never cut."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import ProcessDefinition, ProcessVersion

PID = "pemeliharaan_sistem_informasi"
SOP = (Path(__file__).resolve().parents[2] / "processes" / PID / f"{PID}.bpmn").read_text(
    encoding="utf-8"
)
CHANGED = SOP.replace('"PT2H"', '"PT3H"')


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessVersion))


def test_a_modeler_note_over_2000_characters_is_refused_with_its_length_not_cut(app, actions):
    owner = actions.client("owner1")
    before = _versions(app)
    response = owner.post(f"/processes/{PID}/drafts", json={"xml": CHANGED, "note": "n" * 2001})
    assert response.status_code == 422
    message = response.get_json()["message"]
    assert "2001" in message and "2000" in message and "tidak ada yang dipotong" in message
    assert _versions(app) == before

    kept = "a" * 1999 + "z"
    response = owner.post(f"/processes/{PID}/drafts", json={"xml": CHANGED, "note": kept})
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        saved = db.session.scalar(
            select(ProcessVersion)
            .join(ProcessDefinition)
            .where(
                ProcessDefinition.process_id == PID,
                ProcessVersion.version == response.get_json()["version"],
            )
        )
        assert saved.note == kept


def test_the_refusal_reads_in_english_for_an_english_reader(app, actions):
    owner = actions.client("owner1")
    owner.post("/lang/en")
    response = owner.post(f"/processes/{PID}/drafts", json={"xml": CHANGED, "note": "n" * 2500})
    assert response.status_code == 422
    assert response.get_json()["message"] == (
        "The draft's note is too long: 2500 characters, at most 2000. Shorten the note; "
        "nothing is cut."
    )
