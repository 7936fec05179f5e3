"""A second SOP, end to end: a regency's licence SOP uploaded by API, published and run.

``tests/data/penerbitan_izin_reklame/`` is SOP 503/07/SOP-DPMPTSP/2024 of DPMPTSP Kabupaten
Sumedang, *Penerbitan Izin Reklame*, drawn as a process owner draws it from the Permenpan-RB
35/2012 table: six lanes, eight numbered steps from 10 minutes to 3 days, an early exit when the
file is incomplete ("Berkas dikembalikan") and a loop back to the applicant when the survey finds
a defect the applicant can correct, to the normal end "Izin terbit". Nothing here is set up by
code that a process owner could not do: roles and people through the services an administrator
uses, the diagram through the JSON API.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from webapp.engine.calendar import make_calendar
from webapp.engine.lint import ERROR
from webapp.extensions import db
from webapp.models import HumanTask, InstanceStatus, Notification, TaskStatus, User
from webapp.services import service_calls, users, versions
from webapp.services.timers import fire_due_timers

PID = "penerbitan_izin_reklame"
SOP_DIR = Path(__file__).resolve().parents[1] / "data" / PID
BPMN = (SOP_DIR / f"{PID}.bpmn").read_bytes()
FORMS = {p.name: p.read_bytes() for p in sorted((SOP_DIR / "forms").glob("*.json"))}
PASSWORD = "sandi-uji-2024"

LANES = ("Pemohon", "Front Office", "Seksi Survei", "Seksi Perizinan", "Kepala Bidang")
LANES += ("Kepala Dinas",)
PEOPLE = {
    "pemohon1": "Pemohon",
    "pemohon2": "Pemohon",
    "fo1": "Front Office",
    "survei1": "Seksi Survei",
    "perizinan1": "Seksi Perizinan",
    "kabid1": "Kepala Bidang",
    "kadin1": "Kepala Dinas",
}

PERMOHONAN = {
    "nama_pemohon": "CV Maju Bersama",
    "nik": "3211012304850002",
    "npwp": "012345678901234",
    "alamat": "Jl. Prabu Geusan Ulun No. 12, Sumedang Utara",
    "telepon": "081234567890",
    "jenis_reklame": "papan",
    "lokasi_reklame": "Simpang Jl. Mayor Abdurahman – Jl. Pangeran Kornel",
    "ukuran_reklame": "4 x 6 m",
    "jumlah_muka": 2,
}
TIDAK_LENGKAP = {
    "kelengkapan_berkas": "tidak_lengkap",
    "kekurangan": ["izin_pemilik_lahan"],
    "catatan_pemeriksaan": "Surat izin pemilik lahan belum dilampirkan.",
}
LENGKAP = {
    "kelengkapan_berkas": "lengkap",
    "catatan_pemeriksaan": "Berkas lengkap.",
    "nomor_tanda_terima": "TT-0117/2024",
}
SURVEI_PERBAIKAN = {
    "tanggal_survei": "2024-02-05",
    "hasil_survei": "perlu_perbaikan",
    "temuan": "Tiang terlalu dekat dengan saluran air; geser 1,5 m ke utara.",
}
SURVEI_SESUAI = {
    "tanggal_survei": "2024-02-08",
    "hasil_survei": "sesuai",
    "temuan": "Lokasi dan konstruksi sesuai ketentuan.",
    "nomor_bap": "BAP-044/2024",
}
PERBAIKAN = {"uraian_perbaikan": "Titik tiang digeser 1,5 m ke utara; gambar diperbarui."}
AFTER_SURVEY = [
    ("Task_5_draf_izin", "perizinan1", {
        "masa_berlaku_bulan": 12,
        "pajak_reklame": 4800000,
        "draf_ringkasan": "Izin papan reklame 4 x 6 m dua muka, berlaku 12 bulan.",
    }),
    ("Task_6_verifikasi", "kabid1", {"paraf": True, "catatan_verifikasi": "Sesuai."}),
    ("Task_7_penandatanganan", "kadin1", {
        "ditandatangani": True,
        "tanggal_tanda_tangan": "2024-02-12",
    }),
    ("Task_8_penyerahan", "fo1", {
        "nomor_izin": "503/0117/IR/DPMPTSP/2024",
        "tanggal_terbit": "2024-02-12",
    }),
]  # fmt: skip


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _create_roles_and_people(app) -> None:
    """Add the lanes' roles as the process owner and the people as the administrator would."""
    with app.app_context():
        owner, admin = _user("owner1"), _user("admin1")
        roles = {}
        for lane in LANES:
            roles[lane] = users.create_role(owner, lane, external=lane == "Pemohon").id
        for username, lane in PEOPLE.items():
            users.create_user(
                admin,
                username,
                f"Pengguna {username}",
                f"{username}@sumedangkab.go.id",
                PASSWORD,
                PASSWORD,
                [roles[lane]],
            )


class Office:
    """The second SOP published and its people, driven through the API and the web pages."""

    def __init__(self, app, actions) -> None:
        self.app, self.actions = app, actions

    def api(self, method: str, path: str, username: str, **kwargs):
        client = self.app.test_client()
        return client.open(path, method=method, headers=self.actions.token(username), **kwargs)

    def upload_and_publish(self) -> dict:
        data = {
            "bpmn": (io.BytesIO(BPMN), f"{PID}.bpmn"),
            "forms": [(io.BytesIO(content), name) for name, content in FORMS.items()],
        }
        uploaded = self.api(
            "POST",
            f"/api/v1/processes/{PID}/versions",
            "owner1",
            data=data,
            content_type="multipart/form-data",
        )
        assert uploaded.status_code == 201, uploaded.get_json()
        body = uploaded.get_json()
        published = self.api(
            "POST", f"/api/v1/processes/{PID}/versions/{body['version']}/publish", "owner1"
        )
        assert published.status_code == 200, published.get_json()
        return body

    def web(self, username: str):
        client = self.app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.data[:500]
        return client

    def start(self, username: str = "pemohon1") -> int:
        response = self.api(
            "POST", f"/api/v1/processes/{PID}/instances", username, json={"data": PERMOHONAN}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def work(self, instance_id: int, step: str, username: str, data: dict) -> HumanTask:
        """Complete the open ``step`` of the case as ``username``, then run queued calls."""
        task = self.actions.open_task(instance_id, step)
        response = self.actions.complete(username, task.id, data)
        assert response.status_code == 200, response.get_json()
        with self.app.app_context():
            service_calls.run_queued()  # the notify_case tasks, wherever they run
        return task

    def case(self, instance_id: int, username: str = "pemohon1") -> dict:
        response = self.api("GET", f"/api/v1/instances/{instance_id}?include=history", username)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def run_to_revision(self) -> int:
        """Start a case and work it until the applicant's revision (step 4) is open."""
        instance_id = self.start()
        self.work(instance_id, "Task_2_pemeriksaan", "fo1", LENGKAP)
        self.work(instance_id, "Task_3_survei", "survei1", SURVEI_PERBAIKAN)
        return instance_id

    def notifications(self, username: str) -> list[Notification]:
        with self.app.app_context():
            rows = db.session.scalars(
                select(Notification)
                .join(User, User.id == Notification.user_id)
                .where(User.username == username)
                .order_by(Notification.id)
            ).all()
            for row in rows:
                db.session.expunge(row)
            return list(rows)


@pytest.fixture
def office(app, actions) -> Office:
    """The second SOP's roles and people created, the diagram uploaded and published."""
    _create_roles_and_people(app)
    result = Office(app, actions)
    result.upload_and_publish()
    return result


def test_the_diagram_lints_clean_through_the_real_lint(app):
    _create_roles_and_people(app)
    with app.app_context():
        findings = versions.findings_for(BPMN, FORMS, PID)
    assert [f for f in findings if f["level"] == ERROR] == []
    # Every numbered step has its sheet data and its time standard: nothing will be missing.
    codes = {f["code"] for f in findings}
    assert not codes & {"sop-data-missing", "no-time-standard", "form-missing-ref"}, findings


def test_uploaded_by_api_published_and_offered_to_applicants_only(office):
    listed = office.api("GET", "/api/v1/processes", "pemohon1").get_json()["items"]
    [sop] = [p for p in listed if p["id"] == PID]
    assert sop["name"] == "Penerbitan Izin Reklame" and sop["version"] == 1
    assert sop["start_lane"] == "Pemohon" and sop["lanes"] == list(LANES)
    staff = office.api("GET", "/api/v1/processes", "fo1").get_json()["items"]
    assert PID not in [p["id"] for p in staff]  # Front Office works cases, it does not apply
    refused = office.api(
        "POST", f"/api/v1/processes/{PID}/instances", "fo1", json={"data": PERMOHONAN}
    )
    assert refused.status_code == 403


def test_incomplete_file_is_returned_and_the_case_ends_there(office):
    instance_id = office.start()
    office.work(instance_id, "Task_2_pemeriksaan", "fo1", TIDAK_LENGKAP)
    body = office.case(instance_id)
    assert body["status"] == InstanceStatus.COMPLETED
    assert body["outcome"] == {"id": "EndEvent_berkas_dikembalikan", "name": "Berkas dikembalikan"}
    assert [t["step"] for t in body["history"]] == ["Task_1_pengajuan", "Task_2_pemeriksaan"]
    assert body["current_tasks"] == []
    [told] = [n for n in office.notifications("pemohon1") if n.instance_id == instance_id]
    assert told.title == f"Berkas permohonan izin reklame dikembalikan (#{instance_id})"
    assert "Surat izin pemilik lahan belum dilampirkan." in told.body
    assert office.notifications("pemohon2") == []


def test_survey_defect_loops_back_to_the_applicant_and_the_licence_is_issued(office):
    instance_id = office.run_to_revision()
    office.work(instance_id, "Task_4_perbaikan", "pemohon1", PERBAIKAN)
    office.work(instance_id, "Task_2_pemeriksaan", "fo1", LENGKAP)  # back to the check
    office.work(instance_id, "Task_3_survei", "survei1", SURVEI_SESUAI)
    for step, username, data in AFTER_SURVEY:
        office.work(instance_id, step, username, data)
    body = office.case(instance_id)
    assert body["status"] == InstanceStatus.COMPLETED
    assert body["outcome"] == {"id": "EndEvent_izin_terbit", "name": "Izin terbit"}
    steps = [t["step"] for t in body["history"]]
    assert steps == [
        "Task_1_pengajuan",
        "Task_2_pemeriksaan",
        "Task_3_survei",
        "Task_4_perbaikan",
        "Task_2_pemeriksaan",
        "Task_3_survei",
        "Task_5_draf_izin",
        "Task_6_verifikasi",
        "Task_7_penandatanganan",
        "Task_8_penyerahan",
    ]
    by = {t["step"]: t["completed_by"] for t in body["history"]}
    assert by["Task_4_perbaikan"] == "pemohon1" and by["Task_7_penandatanganan"] == "kadin1"
    [told] = [n for n in office.notifications("pemohon1") if n.instance_id == instance_id]
    assert told.title == f"Izin reklame terbit (#{instance_id})"
    assert "503/0117/IR/DPMPTSP/2024" in told.body


def test_only_the_starter_sees_and_works_the_applicants_task(office):
    instance_id = office.run_to_revision()
    task = office.actions.open_task(instance_id, "Task_4_perbaikan")
    assert task.lane == "Pemohon"
    # Another applicant, of the same role, can neither see nor touch it.
    listed = office.api("GET", "/api/v1/tasks", "pemohon2").get_json()["items"]
    assert task.id not in [t["id"] for t in listed]
    for method, path, kwargs in (
        ("GET", f"/api/v1/tasks/{task.id}", {}),
        ("POST", f"/api/v1/tasks/{task.id}/claim", {}),
        ("POST", f"/api/v1/tasks/{task.id}/complete", {"json": {"data": PERBAIKAN}}),
    ):
        response = office.api(method, path, "pemohon2", **kwargs)
        assert response.status_code in (403, 404), (method, path, response.status_code)
    other = office.web("pemohon2")
    assert f"/tasks/{task.id}" not in other.get("/").get_data(as_text=True)
    assert other.get(f"/tasks/{task.id}").status_code in (403, 404)
    assert other.post(f"/tasks/{task.id}/claim").status_code in (403, 404)
    assert other.post(f"/tasks/{task.id}", data=PERBAIKAN).status_code in (403, 404)
    untouched = office.actions.open_task(instance_id, "Task_4_perbaikan")
    with office.app.app_context():
        # The applicant's lane hands the task to the case's starter the moment it opens.
        assert untouched.assigned_user_id == _user("pemohon1").id
    assert untouched.status == TaskStatus.OPEN
    # The applicant who started the case sees it, claims it on the web and completes it.
    starter = office.web("pemohon1")
    assert f"/tasks/{task.id}" in starter.get("/").get_data(as_text=True)
    mine = office.api("GET", "/api/v1/tasks", "pemohon1").get_json()["items"]
    assert task.id in [t["id"] for t in mine]
    assert starter.post(f"/tasks/{task.id}/claim").status_code == 302
    with office.app.app_context():
        claimed = db.session.get(HumanTask, task.id)
        assert claimed.assigned_user_id == _user("pemohon1").id
    done = office.actions.complete("pemohon1", task.id, PERBAIKAN)
    assert done.status_code == 200, done.get_json()
    assert office.actions.open_task(instance_id, "Task_2_pemeriksaan").lane == "Front Office"


def test_another_applicant_cannot_read_the_case(office):
    instance_id = office.start()
    response = office.api("GET", f"/api/v1/instances/{instance_id}", "pemohon2")
    assert response.status_code in (403, 404)
    assert PERMOHONAN["nik"] not in response.get_data(as_text=True)
    assert office.case(instance_id, "pemohon1")["id"] == instance_id


# 2026-11-27 is a Friday with no holiday and no cuti bersama before the Wednesday after it.
FRIDAY_0900_WIB = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_p3d_is_three_working_days_from_a_friday(office):
    office.app.config["SLA_CALENDAR"] = make_calendar(
        "working-hours", "Asia/Jakarta", None, "", "ID"
    )
    with time_machine.travel(FRIDAY_0900_WIB, tick=False):
        instance_id = office.start()
        check = office.actions.open_task(instance_id, "Task_2_pemeriksaan")
        office.work(instance_id, "Task_2_pemeriksaan", "fo1", LENGKAP)
        survey = office.actions.open_task(instance_id, "Task_3_survei")
    # Minutes keep counting working time: 30 minutes after Friday 09:00 is Friday 09:30.
    assert check.due_at == FRIDAY_0900_WIB + timedelta(minutes=30)
    # "3 hari" is Monday, Tuesday, Wednesday: due Wednesday at the same time of day, 09:00.
    wednesday_0900_wib = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    assert survey.due_at == wednesday_0900_wib
    shown = office.api("GET", f"/api/v1/tasks/{survey.id}", "survei1").get_json()
    assert shown["due_at"] == wednesday_0900_wib.isoformat()


def test_a_late_check_is_escalated_to_its_holder_and_the_kepala_bidang(office):
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 09:00 WIB
    with time_machine.travel(start, tick=False):
        instance_id = office.start()
        check = office.actions.open_task(instance_id, "Task_2_pemeriksaan")
        claimed = office.api("POST", f"/api/v1/tasks/{check.id}/claim", "fo1")
        assert claimed.status_code == 200, claimed.get_json()
    assert check.due_at == start + timedelta(minutes=30)  # "30 menit", the test calendar
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        with office.app.app_context():
            result = fire_due_timers()
    assert (result.timers_fired, result.breaches) == (1, 1)
    told = {name for name in PEOPLE if office.notifications(name)}
    assert told == {"fo1", "kabid1"}  # the holder and role:Kepala Bidang, not the applicant
    late = office.actions.open_task(instance_id, "Task_2_pemeriksaan")
    assert late.breached_at == check.due_at and late.assigned_user_id is not None


def test_the_sop_sheet_is_the_second_sops_own(office):
    page = office.web("pemohon1").get(f"/processes/{PID}/sop")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "PEMERINTAH KABUPATEN SUMEDANG",
        "503/07/SOP-DPMPTSP/2024",
        "15 Januari 2024",
        "Penerbitan Izin Reklame",
        "Peraturan Bupati Sumedang tentang Penyelenggaraan Reklame",
        "Meteran dan kamera",
        *LANES,
        "Memeriksa kelengkapan dan keabsahan berkas permohonan",
        "3 hari",
        "Berita Acara Pemeriksaan (BAP)",
    ):
        assert text in html, text
    # Nothing of the first SOP's document leaks onto another SOP's sheet.
    for text in ("62/1671/DATIN/2023", "PROVINSI JAWA BARAT", "Unit Kerja/Koordinator"):
        assert text not in html, text
