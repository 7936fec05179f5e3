"""The staff pages: worklist, start form, task forms, claim/release, and bad input on each."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import PNG, STEP1, STEP2, STEP3, csrf_token
from webapp import create_app
from webapp.extensions import db
from webapp.models import Attachment, AuditEvent, HumanTask, ProcessInstance

START = "/start/pemeliharaan_sistem_informasi"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_start_form_renders_accessible_fields_from_the_schema(actions):
    html = actions.client("unit1").get(START).get_data(as_text=True)
    # Every field has a label bound to its input, required fields are marked, help is linked.
    assert re.search(r'<label for="f_judul">Judul permasalahan <span class="req"', html)
    assert 'id="f_judul" name="judul" required aria-required="true"' in html
    assert 'aria-describedby="f_judul_help"' in html
    assert '<select id="f_aplikasi"' in html and 'value="perizinan_online"' in html
    assert 'type="radio" name="urgensi" value="kritis"' in html
    assert '<textarea id="f_deskripsi"' in html
    assert 'type="file" accept=".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.log"' in html


def test_step2_offers_the_members_of_the_tim_role_as_choices(actions):
    instance_id = actions.start()["id"]
    task = actions.open_task(instance_id, "Task_2_analisa")
    html = actions.client("ketua1").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'type="checkbox" name="anggota_tim" value="tim1"' in html
    assert 'type="checkbox" name="anggota_tim" value="tim2"' in html
    assert "Sari Anggota Tim" in html
    assert 'value="unit1"' not in html


def test_invalid_start_form_shows_errors_next_to_fields_and_keeps_what_was_typed(actions, app):
    data = dict(STEP1, judul="ab", deskripsi="pendek")
    response = actions.client("unit1").post(START, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    judul = re.search(r'data-field="judul">.*?</div>', html, re.S).group(0)
    assert "Minimal 5 karakter." in judul
    assert 'value="ab"' in judul
    assert "Minimal 10 karakter." in re.search(
        r'data-field="deskripsi">.*?</div>', html, re.S
    ).group(0)
    assert "Sejak pagi" not in html  # nothing invented
    assert 'value="perizinan_online" selected' in html
    assert count(app, ProcessInstance) == 0


def test_start_with_screenshot_stores_the_attachment_and_serves_it_to_the_case(actions, app):
    client = actions.client("unit1")
    data = dict(STEP1, lampiran=(io.BytesIO(PNG), "layar.png"))
    response = client.post(START, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    case = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/cases/\d+/files/[0-9a-f]{32})">layar.png', case)
    assert link
    file = client.get(link.group(1))
    assert file.status_code == 200 and file.mimetype == "image/png" and file.data == PNG
    assert count(app, Attachment) == 1


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("virus.exe", b"MZ\x90\x00", "Jenis berkas tidak diizinkan"),
        ("palsu.png", b"<?php system($_GET['c']); ?>", "Isi berkas tidak sesuai"),
    ],
)
def test_upload_of_wrong_type_is_refused_and_nothing_is_saved(
    actions, app, filename, content, message
):
    data = dict(STEP1, lampiran=(io.BytesIO(content), filename))
    response = actions.client("unit1").post(START, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Attachment) == 0 and count(app, ProcessInstance) == 0


def test_oversized_upload_gets_a_clear_413_page(actions, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    data = dict(STEP1, lampiran=(io.BytesIO(b"x" * 4096), "besar.txt"))
    response = actions.client("unit1").post(START, data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "terlalu besar" in response.get_data(as_text=True)
    assert count(app, ProcessInstance) == 0


def test_worklist_shows_my_lane_tasks_sorted_by_due_time(actions):
    first = actions.start()["id"]
    second = actions.start()["id"]
    html = actions.client("ketua1").get("/").get_data(as_text=True)
    rows = re.findall(r'<tr data-task-id="(\d+)">', html)
    t1 = actions.open_task(first, "Task_2_analisa").id
    t2 = actions.open_task(second, "Task_2_analisa").id
    assert rows == [str(t1), str(t2)]
    assert actions.client("tim1").get("/").get_data(as_text=True).count("data-task-id") == 0


def test_claim_then_release_through_the_pages(actions):
    task = actions.open_task(actions.start()["id"], "Task_2_analisa")
    ketua = actions.client("ketua1")
    ketua.post(f"/tasks/{task.id}/claim")
    assert "Budi Ketua Tim" in ketua.get("/").get_data(as_text=True)
    ketua.post(f"/tasks/{task.id}/release")
    assert "belum diambil" in ketua.get("/").get_data(as_text=True)


def test_task_of_another_lane_is_forbidden_and_audited(actions, app):
    task = actions.open_task(actions.start()["id"], "Task_2_analisa")
    response = actions.client("tim1").get(f"/tasks/{task.id}")
    assert response.status_code == 403
    assert "Ketua Tim" in response.get_data(as_text=True)
    response = actions.client("tim1").post(f"/tasks/{task.id}", data=STEP2)
    assert response.status_code == 403
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "task.forbidden")
        ).all()
    assert len(events) == 2 and all(e.human_task_id == task.id for e in events)


@pytest.mark.parametrize("path", ["/tasks/999999", "/cases/999999", "/start/no_such_process"])
def test_unknown_ids_get_a_404_page_not_a_stack_trace(actions, path):
    response = actions.client("unit1").get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
    assert "tidak ditemukan" in response.get_data(as_text=True)


def test_same_form_from_two_tabs_second_gets_409_and_keeps_its_text(actions, app):
    task = actions.open_task(actions.start()["id"], "Task_2_analisa")
    tab1, tab2 = actions.client("ketua1"), actions.client("ketua1")
    assert tab1.post(f"/tasks/{task.id}", data=STEP2).status_code == 302
    other = dict(STEP2, analisis="Analisa dari tab kedua yang belum tersimpan.")
    response = tab2.post(f"/tasks/{task.id}", data=other)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "sudah diselesaikan oleh Budi Ketua Tim" in html
    assert "Analisa dari tab kedua yang belum tersimpan." in html
    with app.app_context():
        assert db.session.get(HumanTask, task.id).form_data["analisis"] == STEP2["analisis"]


def test_the_already_completed_message_is_said_once_in_the_card(actions):
    task = actions.open_task(actions.start()["id"], "Task_2_analisa")
    tab1, tab2 = actions.client("ketua1"), actions.client("ketua1")
    assert tab1.post(f"/tasks/{task.id}", data=STEP2).status_code == 302
    response = tab2.post(f"/tasks/{task.id}", data=STEP2)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.count("sudah diselesaikan oleh Budi Ketua Tim") == 1
    card = re.search(r'<div class="card warn" role="alert">(.*?)</div>', html, re.S)
    assert card and "sudah diselesaikan oleh Budi Ketua Tim" in card.group(1)
    # Nor does it wait in the session to be shown again on the next page.
    assert "sudah diselesaikan oleh" not in tab2.get("/").get_data(as_text=True)


def test_team_member_not_chosen_cannot_open_step3(actions):
    instance_id = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(instance_id, "Task_3_troubleshooting")
    assert actions.client("tim2").get(f"/tasks/{task.id}").status_code == 403
    assert actions.client("tim1").get(f"/tasks/{task.id}").status_code == 200
    response = actions.client("tim1").post(f"/tasks/{task.id}", data=STEP3)
    assert response.status_code == 302


def test_wrong_password_gets_a_clear_message_and_401(client):
    response = client.post("/login", data={"username": "unit1", "password": "salah"})
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)


def test_expired_session_post_redirects_to_login_with_a_message(actions):
    task = actions.open_task(actions.start()["id"], "Task_2_analisa")
    client = actions.client(None)
    response = client.post(f"/tasks/{task.id}", data=STEP2)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sesi Anda telah berakhir" in page


def test_logged_out_user_is_sent_to_login_and_back(actions):
    client = actions.client(None)
    response = client.get("/cases/")
    assert response.status_code == 302 and "next=/cases/" in response.headers["Location"]
    response = client.post("/login?next=/cases/", data={"username": "unit1", "password": "demo"})
    assert response.headers["Location"] == "/cases/"


def test_login_never_redirects_to_another_site(client):
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "unit1", "password": "demo"}
    )
    assert response.headers["Location"] == "/"


def test_user_input_is_escaped_on_worklist_and_case_page(actions):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    instance_id = actions.start(data=dict(STEP1, judul=payload, deskripsi=payload))["id"]
    for username, path in [("ketua1", "/"), ("unit1", f"/cases/{instance_id}")]:
        html = actions.client(username).get(path).get_data(as_text=True)
        assert payload not in html
        assert "&lt;script&gt;alert(" in html


def test_attachment_download_refuses_path_traversal_and_other_cases(actions):
    client = actions.client("unit1")
    data = dict(STEP1, lampiran=(io.BytesIO(PNG), "layar.png"))
    location = client.post(START, data=data, content_type="multipart/form-data").headers["Location"]
    instance_id = int(re.search(r"/cases/(\d+)", location).group(1))
    other = actions.start()["id"]
    link = re.search(r"/files/([0-9a-f]{32})", client.get(location).get_data(as_text=True)).group(1)
    assert client.get(f"/cases/{instance_id}/files/..%2F..%2Fsecret_key").status_code == 404
    assert client.get(f"/cases/{instance_id}/files/../../secret_key").status_code == 404
    assert client.get(f"/cases/{other}/files/{link}").status_code == 404
    assert actions.client("tim1").get(f"/cases/{instance_id}/files/{link}").status_code == 403


def test_forms_without_csrf_token_are_refused(database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ATTACHMENT_DIR": str(tmp_path)})
    from tests.conftest import _empty

    with app.app_context():
        _empty(db.engine)
        app.test_cli_runner().invoke(args=["setup", "--demo"])
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    refused = client.post("/login", data={"username": "unit1", "password": "demo"})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302  # not logged in
    token = csrf_token(page)
    response = client.post(
        "/login", data={"username": "unit1", "password": "demo", "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.post(START, data=STEP1).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
        db.session.remove()
        db.engine.dispose()


def test_language_switch_changes_the_interface_to_english(actions):
    client = actions.client("unit1")
    client.post("/lang/en", data={"next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "My tasks" in html


def test_start_form_submitted_twice_with_its_key_starts_one_case(actions, app):
    client = actions.client("unit1")
    html = client.get(START).get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', html).group(1)
    first = client.post(START, data=dict(STEP1, submission_key=key))
    second = client.post(START, data=dict(STEP1, submission_key=key))
    assert first.headers["Location"] == second.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "sudah terkirim sebelumnya" in page
    assert count(app, ProcessInstance) == 1
    client.post(START, data=dict(STEP1, submission_key="another"))
    assert count(app, ProcessInstance) == 2


def test_case_diagram_data_names_done_and_active_steps_and_is_access_checked(actions):
    instance_id = actions.start()["id"]
    body = actions.client("unit1").get(f"/cases/{instance_id}/diagram.json").get_json()
    assert body["xml"].startswith("<?xml")
    assert body["done"] == ["Task_1_pesan_perbaikan"] and body["active"] == ["Task_2_analisa"]
    assert actions.client("owner1").get(f"/cases/{instance_id}/diagram.json").status_code == 403


def test_vendor_route_serves_only_the_pinned_bpmn_js_files(client):
    assert client.get("/vendor/bpmn-viewer.js").status_code == 200
    assert client.get("/vendor/..%2Fpackage.json").status_code == 404
    assert client.get("/vendor/lodash.js").status_code == 404


def test_login_is_rate_limited_after_repeated_failures(app, client):
    for _ in range(5):
        assert (
            client.post("/login", data={"username": "ketua1", "password": "x"}).status_code == 401
        )
    blocked = client.post("/login", data={"username": "ketua1", "password": "demo"})
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in blocked.get_data(as_text=True)
    # Another user from elsewhere is not affected; the limit lifts after the window.
    other = app.test_client()
    assert other.post("/login", data={"username": "tim1", "password": "demo"}).status_code == 302
    later = datetime.now(UTC) + timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        fresh = app.test_client()
        ok = fresh.post("/login", data={"username": "ketua1", "password": "demo"})
    assert ok.status_code == 302


def test_database_dropping_mid_request_gives_a_clean_503_and_saves_nothing(
    app, actions, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    task = actions.open_task(actions.start()["id"], "Task_2_analisa")
    with app.app_context():
        before = db.session.get(ProcessInstance, task.instance_id).state
    from webapp.services import runtime as svc

    def dropped(*args, **kwargs):
        raise OperationalError(
            "UPDATE process_instance", {}, Exception("server closed the connection")
        )

    monkeypatch.setattr(svc, "sync_rows", dropped)
    response = actions.client("ketua1").post(f"/tasks/{task.id}", data=STEP2)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "tidak ada yang tersimpan" in response.get_data(as_text=True)
    api = actions.complete("ketua1", task.id, STEP2)
    assert api.status_code == 503 and "message" in api.get_json()
    monkeypatch.undo()
    with app.app_context():
        assert db.session.get(ProcessInstance, task.instance_id).state == before
        assert db.session.get(HumanTask, task.id).status == "open"
    # Trying again once the database is back works.
    assert actions.complete("ketua1", task.id, STEP2).status_code == 200
