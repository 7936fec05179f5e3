"""Importing an SOP table as a draft: owners only, a bad table saves nothing, same table one row,
and the draft publishes and runs a case through a decision's branch on every database."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from tests.engine.test_sop_import_generate import first_sop_table
from webapp.extensions import db
from webapp.models import AuditEvent, InstanceStatus, ProcessVersion, User
from webapp.services import sop_import, versions
from webapp.services.errors import Forbidden, Invalid

PID = "impor_pemeliharaan"


def table() -> dict:
    return {**first_sop_table(), "process_id": PID}


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessVersion))


def test_an_owner_creates_a_draft_with_its_forms_and_findings(app):
    with app.app_context():
        version = sop_import.create_draft(user("owner1"), table())
        assert version.published_at is None and version.version == 1
        assert version.definition.process_id == PID
        assert version.definition.name == "Pemeliharaan Sistem Informasi"
        assert "langkah_4.schema.json" in version.forms
        assert not [f for f in version.findings if f["level"] == "error"], version.findings
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "process.draft_imported")
        ).all()
        assert [e.detail["version"] for e in events] == [1]


def test_the_process_id_comes_from_the_name_unless_given(app):
    with app.app_context():
        named = first_sop_table()
        del named["process_id"]
        named["name"] = "Penerbitan Izin Reklame (Baru)"
        assert sop_import.create_draft(user("owner1"), named).definition.process_id == (
            "penerbitan_izin_reklame_baru"
        )
        chosen = sop_import.create_draft(user("owner1"), named, process_id="izin_reklame")
        assert chosen.definition.process_id == "izin_reklame"


@pytest.mark.parametrize("username", ["unit1", "ketua1", "tim1"])
def test_staff_cannot_create_a_draft_and_nothing_is_saved(app, username):
    with app.app_context():
        before = version_count()
        with pytest.raises(Forbidden):
            sop_import.create_draft(user(username), table())
        assert version_count() == before


def test_a_bad_table_is_refused_with_its_reasons_and_nothing_is_saved(app):
    bad = table()
    bad["rows"][1]["lane"] = "Seksi Lain"  # not one of the lanes
    bad["rows"][3]["branches"][1]["target"] = 42  # no such row
    bad["rows"][0]["kind"] = "dance"
    with app.app_context():
        before = version_count()
        with pytest.raises(Invalid) as refused:
            sop_import.create_draft(user("owner1"), bad)
        assert "rows/0/kind" in refused.value.errors
        bad["rows"][0]["kind"] = "task"
        with pytest.raises(Invalid) as refused:
            sop_import.create_draft(user("owner1"), bad)
        assert set(refused.value.errors) == {"rows/2/lane", "rows/4/branches"}
        assert "Seksi Lain" in refused.value.errors["rows/2/lane"]
        with pytest.raises(Invalid):
            sop_import.create_draft(user("owner1"), table(), process_id="Bukan Id!")
        assert version_count() == before


def test_the_same_table_confirmed_twice_is_one_draft(app):
    with app.app_context():
        before = version_count()
        first = sop_import.create_draft(user("owner1"), table())
        again = sop_import.create_draft(user("owner1"), copy.deepcopy(table()))
        assert again.id == first.id and version_count() == before + 1
        changed = table()
        changed["rows"][0]["waktu"], changed["rows"][0]["duration"] = "15 menit", "PT15M"
        assert sop_import.create_draft(user("owner1"), changed).version == 2


def test_what_the_import_could_not_express_stays_a_finding_after_relinting(app):
    lane_missing = table()
    lane_missing["lanes"].append("Sekretariat")
    with app.app_context():
        version = sop_import.create_draft(user("owner1"), lane_missing)
        codes = {f["code"] for f in version.findings}
        assert {"import-lane-empty", "lane-no-role"} <= codes
        versions.create_lane_role(user("owner1"), "Sekretariat")
        db.session.refresh(version)
        codes = {f["code"] for f in version.findings}
        assert "import-lane-empty" in codes and "lane-no-role" not in codes


def test_propose_saves_nothing_and_a_bad_table_is_refused(app):
    with app.app_context():
        before = version_count()
        proposal = sop_import.propose_table(table())
        assert proposal["process_id"] == PID
        assert proposal["bpmn"].startswith("<?xml")
        assert set(proposal["forms"]) >= {"langkah_1.schema.json", "langkah_1.uischema.json"}
        assert not [f for f in proposal["findings"] if f["level"] == "error"]
        with pytest.raises(Invalid):
            sop_import.propose_table({"name": "x"})
        assert version_count() == before


def test_the_draft_publishes_and_a_case_follows_the_decision_back_and_on(app, actions):
    # The imported lanes are the demo's roles (the first SOP's): nothing else to set up.
    with app.app_context():
        version = sop_import.create_draft(user("owner1"), table())
        versions.publish(user("owner1"), PID, version.version)
    client = app.test_client()
    started = client.post(
        f"/api/v1/processes/{PID}/instances",
        json={"data": {"produk_1": "Pesan perbaikan: halaman izin galat 500"}},
        headers=actions.token("unit1"),
    )
    assert started.status_code == 201, started.get_json()
    case = started.get_json()["id"]

    def work(step: str, username: str, data: dict) -> None:
        task = actions.open_task(case, step)
        response = actions.complete(username, task.id, data)
        assert response.status_code == 200, response.get_json()

    work("Task_2", "ketua1", {"produk_2": "Arahan: perbaiki validasi NIB"})
    work("Task_3", "tim1", {"produk_3": "Rekomendasi: regex baru"})
    work("Task_4", "tim1", {"keputusan_4": "Gagal", "produk_4": "Masih galat"})
    work("Task_3", "tim1", {"produk_3": "Rekomendasi kedua"})  # back to step 3
    work("Task_4", "tim1", {"keputusan_4": "Berhasil", "produk_4": "Permasalahan selesai"})
    work("Task_5", "tim1", {"produk_5": "Terunggah", "catatan_5": "rilis v2"})
    body = client.get(f"/api/v1/instances/{case}", headers=actions.token("unit1")).get_json()
    assert body["status"] == InstanceStatus.COMPLETED
    assert body["outcome"] == {"id": "EndEvent_selesai", "name": "Selesai"}
    history = client.get(
        f"/api/v1/instances/{case}/history", headers=actions.token("unit1")
    ).get_json()
    steps = [t["step"] for t in history["items"]]
    assert steps == ["Task_1", "Task_2", "Task_3", "Task_4", "Task_3", "Task_4", "Task_5"]
