"""The file store (issue 16, point 4) against a real S3 API server (moto's server mode, its own
OS process) and a local folder: attachments, reports and SOP sheet PDFs go to the bucket when
it is configured; a store that fails refuses the upload plainly and saves nothing; /readyz
tells when the database or the store is down, /healthz does not care."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import PNG, STEP1, Actions
from tests.s3_server import SECRET_KEY, free_port, running_s3, s3_env
from webapp import create_app
from webapp.config import ConfigError, build_config
from webapp.extensions import db
from webapp.models import (
    Attachment,
    HumanTask,
    Incident,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
)
from webapp.services import service_calls, storage
from webapp.services.storage import LocalStore, MissingObject, S3Store, StoreError

START = "/api/v1/processes/pemeliharaan_sistem_informasi/instances"
SOP_PDF = "/processes/pemeliharaan_sistem_informasi/sop.pdf"


def data_url(content: bytes, name: str, kind: str = "image/png") -> str:
    return f"data:{kind};name={name};base64,{base64.b64encode(content).decode()}"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    with running_s3(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def bucket(s3):
    return s3.bucket()


def _use(monkeypatch, settings) -> None:
    for name, value in s3_env(settings).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3_app(request, monkeypatch, bucket, database_url):
    """The suite's app (every backend), keeping its files in a fresh bucket."""
    _use(monkeypatch, bucket)
    app = request.getfixturevalue("app")
    assert isinstance(storage_of(app), S3Store)
    return app


@pytest.fixture
def dead_store_app(request, monkeypatch, s3, database_url):
    """The suite's app with a bucket at an address where nothing listens: the store is down."""
    _use(monkeypatch, s3.settings("sopflow-down", endpoint_url=f"http://127.0.0.1:{free_port()}"))
    monkeypatch.setenv("SOPFLOW_S3_TIMEOUT", "1")
    return request.getfixturevalue("app")


def storage_of(app):
    with app.app_context():
        return storage.store()


def local_files(app) -> list[Path]:
    folder = Path(app.config["ATTACHMENT_DIR"])
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --- the two backends keep the same contract ---------------------------------------------


@pytest.fixture(params=["local", "s3"])
def any_store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "files")
    return S3Store(request.getfixturevalue("bucket"))


def test_each_store_puts_gets_streams_lists_and_deletes(any_store):
    any_store.put("ab/ab01", b"satu", "text/plain")
    any_store.put("ab/ab02", io.BytesIO(b"dua" * 100_000))  # a stream, read in chunks
    any_store.put("sop-sheets/x.pdf", b"%PDF-1.7")
    assert any_store.get("ab/ab01") == b"satu"
    opened = any_store.open("ab/ab02")
    assert opened.size == 300_000
    assert b"".join(opened.chunks(4096)) == b"dua" * 100_000
    assert any_store.exists("ab/ab01") and not any_store.exists("ab/zz")
    assert list(any_store.iter_keys()) == ["ab/ab01", "ab/ab02", "sop-sheets/x.pdf"]
    assert list(any_store.iter_keys("ab/")) == ["ab/ab01", "ab/ab02"]
    any_store.delete("ab/ab01")
    any_store.delete("ab/ab01")  # deleting what is gone is no error
    assert not any_store.exists("ab/ab01")
    with pytest.raises(MissingObject):
        any_store.get("ab/ab01")
    any_store.check()


@pytest.mark.parametrize(
    ("umask", "expected"),
    [(0o027, 0o640), (0o022, 0o640), (0o002, 0o660), (0o077, 0o600)],
)
def test_a_stored_file_is_never_world_readable_and_follows_the_umask(tmp_path, umask, expected):
    """Stored files get 0660 less the umask (not tempfile's 0600): with the service's umask
    027 a backup or web server in its group can read them, and under the usual 022 of a
    hand-run restore or a dev run they are still not world-readable, unlike a file written
    alongside. Overwriting keeps to the same rule; nothing partial is left."""
    store = LocalStore(tmp_path / "files")
    previous = os.umask(umask)
    try:
        store.put("ab/ab01", b"satu")
        store.put("ab/ab02", io.BytesIO(b"dua"))
        store.put("ab/ab01", b"satu lagi")  # an overwrite makes a new file
        written_alongside = tmp_path / "other.txt"
        written_alongside.write_text("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(written_alongside.stat().st_mode) == 0o666 & ~umask
    for key in ("ab/ab01", "ab/ab02"):
        assert oct(stat.S_IMODE((tmp_path / "files" / key).stat().st_mode)) == oct(expected)
    assert oct(stat.S_IMODE((tmp_path / "files" / "ab").stat().st_mode)) == oct(0o777 & ~umask)
    assert store.get("ab/ab01") == b"satu lagi"
    assert sorted(p.name for p in (tmp_path / "files" / "ab").iterdir()) == ["ab01", "ab02"]


def test_a_folder_sync_failing_after_the_rename_reports_the_file_written(
    tmp_path, monkeypatch, caplog
):
    """Once the file is in place under its name a failed folder sync cannot undo it: put
    succeeds (the caller must not report a failed write for a file that is there) and the
    doubt about a power cut is logged."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    store = LocalStore(tmp_path / "files")
    monkeypatch.setattr(os, "fsync", fsync)
    with caplog.at_level("WARNING", logger="webapp.services.storage"):
        store.put("ab/ab01", b"satu")
    assert store.get("ab/ab01") == b"satu"
    assert "was not synced" in caplog.text
    assert "Input/output error" in caplog.text


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise OSError(5, "Input/output error")

    store = LocalStore(tmp_path / "files")
    with pytest.raises(StoreError, match="Input/output error"):
        store.put("ab/ab01", Broken())
    assert list((tmp_path / "files" / "ab").iterdir()) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", ".hidden", "a/../b", ""])
def test_keys_that_could_leave_the_store_are_refused(any_store, key):
    with pytest.raises(StoreError):
        any_store.put(key, b"x")


def test_copy_objects_moves_a_folder_into_a_bucket_and_back(tmp_path, bucket):
    """What a backup or a move from one machine's disk to the object store does."""
    local = LocalStore(tmp_path / "disk")
    for i in range(5):
        local.put(f"{i:02x}/{i:02x}{'0' * 30}", bytes([i]) * (i + 1))
    bucket_store = S3Store(bucket)
    assert storage.copy_objects(local, bucket_store) == 5
    assert storage.copy_objects(local, bucket_store) == 0  # already there: skipped
    back = LocalStore(tmp_path / "backup")
    assert storage.copy_objects(bucket_store, back) == 5
    assert {k: back.get(k) for k in back.iter_keys()} == {
        k: local.get(k) for k in local.iter_keys()
    }


def test_a_bucket_under_a_prefix_sees_only_its_own_objects(s3, bucket):
    mine = S3Store(bucket)
    other = S3Store(s3.settings(bucket.bucket, prefix="lain/"))
    mine.put("ab/ab01", b"a")
    other.put("ab/ab01", b"b")
    assert list(mine.iter_keys()) == ["ab/ab01"] and mine.get("ab/ab01") == b"a"
    assert s3.keys(bucket.bucket) == ["lain/ab/ab01", "sopflow/ab/ab01"]


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SOPFLOW_STORAGE": "ftp"}, "local or s3"),
        ({"SOPFLOW_STORAGE": "s3"}, "S3_BUCKET must be set"),
        ({"SOPFLOW_S3_ADDRESSING_STYLE": "dns"}, "path, virtual or auto"),
        ({"SOPFLOW_S3_SECRET_ACCESS_KEY": ""}, "set together"),
        ({"SOPFLOW_S3_ENDPOINT_URL": "minio:9000"}, "http(s)://"),
        ({"SOPFLOW_S3_TIMEOUT": "0"}, "between 1 and 120"),
        ({"SOPFLOW_S3_CA_BUNDLE": "/no/such/ca.pem"}, "no such file"),
    ],
)
def test_bad_storage_settings_stop_the_start(monkeypatch, tmp_path, s3, env, words):
    _use(monkeypatch, s3.settings("b"))
    if env.get("SOPFLOW_STORAGE") == "s3":
        monkeypatch.delenv("SOPFLOW_S3_BUCKET")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        build_config(str(tmp_path))


def test_the_secret_key_is_never_in_the_settings_repr(monkeypatch, tmp_path, s3):
    _use(monkeypatch, s3.settings("b"))
    config = build_config(str(tmp_path))
    assert config["STORAGE"]["backend"] == "s3"
    assert SECRET_KEY not in repr(config["STORAGE"])


def test_local_disk_stays_the_default(app):
    assert isinstance(storage_of(app), LocalStore)


# --- attachments, reports and SOP sheets in the bucket -----------------------------------


def test_an_attachment_goes_to_the_bucket_and_downloads_through_the_app(s3_app, s3, bucket):
    actions = Actions(s3_app)
    body = actions.start(data={**STEP1, "lampiran": data_url(PNG, "layar.png")})
    with s3_app.app_context():
        row = db.session.scalar(select(Attachment))
        key = f"{row.id[:2]}/{row.id}"
    assert s3.keys(bucket.bucket) == [f"sopflow/{key}"]
    assert local_files(s3_app) == []  # nothing on this machine's disk
    response = actions.client("unit1").get(f"/cases/{body['id']}/files/{row.id}")
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "inline; filename=layar.png"
    assert response.headers["Content-Length"] == str(len(PNG))
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    )
    # The access checks are the case's: someone outside it gets nothing.
    outsider = actions.client("tim2").get(f"/cases/{body['id']}/files/{row.id}")
    assert outsider.status_code in (403, 404) and outsider.data != PNG


def test_an_attachment_missing_from_the_bucket_is_a_404_not_a_500(s3_app, s3, bucket):
    actions = Actions(s3_app)
    body = actions.start(data={**STEP1, "lampiran": data_url(PNG, "layar.png")})
    [key] = s3.keys(bucket.bucket)
    s3.client().delete_object(Bucket=bucket.bucket, Key=key)
    attachment_id = key.rsplit("/", 1)[1]
    response = actions.client("unit1").get(f"/cases/{body['id']}/files/{attachment_id}")
    assert response.status_code == 404


def test_an_upload_the_store_cannot_take_is_a_503_and_nothing_is_saved(dead_store_app):
    app = dead_store_app
    actions = Actions(app)
    response = app.test_client().post(
        START,
        json={"data": {**STEP1, "lampiran": data_url(PNG, "layar.png")}},
        headers=actions.token("unit1"),
    )
    assert response.status_code == 503
    body = response.get_json()
    assert "tempat penyimpanan berkas sedang tidak dapat dihubungi" in body["message"]
    assert set(body["errors"]) == {"lampiran"}
    assert SECRET_KEY not in response.get_data(as_text=True)
    assert count(app, ProcessInstance) == 0
    assert count(app, Attachment) == 0
    assert count(app, HumanTask) == 0
    assert local_files(app) == []
    # Without a file the same request needs no store, and goes through.
    assert actions.start()["status"] == "waiting"


def test_the_start_form_keeps_its_input_when_the_store_is_down(dead_store_app):
    app = dead_store_app
    client = Actions(app).client("unit1")
    form = {k: v for k, v in STEP1.items()}
    form["lampiran"] = (io.BytesIO(PNG), "layar.png", "image/png")
    response = client.post(
        "/start/pemeliharaan_sistem_informasi", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "tempat penyimpanan berkas sedang tidak dapat dihubungi" in page
    assert STEP1["judul"] in page  # what was typed is still on the form
    assert count(app, ProcessInstance) == 0 and count(app, Attachment) == 0


def test_the_worker_writes_the_report_to_the_bucket(s3_app, s3, bucket, deployment):
    actions = Actions(s3_app)
    instance_id = actions.run_to("end")
    with s3_app.app_context():
        assert service_calls.run_queued() == 2  # the deployment, then the report
        rows = {
            a.field: a
            for a in db.session.scalars(
                select(Attachment).where(Attachment.instance_id == instance_id)
            )
        }
    keys = s3.keys(bucket.bucket)
    for field in ("laporan_html", "laporan_pdf"):
        assert f"sopflow/{rows[field].id[:2]}/{rows[field].id}" in keys
    assert local_files(s3_app) == []
    pdf = actions.client("unit1").get(f"/cases/{instance_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert (
        pdf.data
        == s3.client()
        .get_object(
            Bucket=bucket.bucket,
            Key=f"sopflow/{rows['laporan_pdf'].id[:2]}/{rows['laporan_pdf'].id}",
        )["Body"]
        .read()
    )
    api = s3_app.test_client().get(
        f"/api/v1/instances/{instance_id}/report.html", headers=actions.token("unit1")
    )
    assert api.status_code == 200 and b"LAPORAN HASIL PERBAIKAN" in api.data


def test_a_sop_sheet_pdf_is_printed_once_for_every_machine(
    s3_app, s3, bucket, database_url, tmp_path, monkeypatch
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the store is under test here, not the database")
    first = Actions(s3_app).client("unit1").get(SOP_PDF)
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    [key] = [k for k in s3.keys(bucket.bucket) if k.startswith("sopflow/sop-sheets/")]
    # A second machine (its own disk) serves the same PDF from the bucket without printing.
    other = create_app({**s3_app.config, "ATTACHMENT_DIR": str(tmp_path / "other-machine")})

    def no_printing(html):
        raise AssertionError("printed again")

    monkeypatch.setattr("webapp.services.sop_sheet.render_pdf", no_printing)
    second = Actions(other).client("unit1").get(SOP_PDF)
    assert second.status_code == 200 and second.data == first.data
    assert second.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert [k for k in s3.keys(bucket.bucket) if k.startswith("sopflow/sop-sheets/")] == [key]


# --- liveness and readiness --------------------------------------------------------------


def test_ready_with_the_local_folder(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["storage"] == {
        **body["checks"]["storage"],
        "ok": True,
        "backend": "local",
    }


def test_ready_with_the_bucket(s3_app):
    response = s3_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["storage"]["backend"] == "s3"


def test_not_ready_when_the_store_is_down_but_still_alive(dead_store_app):
    client = dead_store_app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["storage"]["error"] == "object store unreachable"
    text = response.get_data(as_text=True)
    assert SECRET_KEY not in text and "Traceback" not in text
    assert client.get("/healthz").status_code == 200  # liveness asks nothing of the store


def test_not_ready_when_the_bucket_is_missing(request, monkeypatch, s3, database_url):
    _use(monkeypatch, s3.settings("sopflow-no-such-bucket"))
    app = request.getfixturevalue("app")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "404" in response.get_json()["checks"]["storage"]["error"]


def test_not_ready_when_the_local_folder_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'ok.db'}",
            "TESTING": True,
            "ATTACHMENT_DIR": str(blocker / "files"),
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    storage_check = response.get_json()["checks"]["storage"]
    assert storage_check["ok"] is False and "not writable" in storage_check["error"]
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_not_ready_when_the_database_is_down(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}",
            "TESTING": True,
            "ATTACHMENT_DIR": str(tmp_path / "files"),
        }
    )
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.data)
    assert body["checks"]["database"] == {
        **body["checks"]["database"],
        "ok": False,
        "error": "database unreachable (OperationalError)",
    }
    assert body["checks"]["storage"]["ok"] is True
    assert str(tmp_path) not in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_probes_need_no_log_in_and_no_session(app):
    client = app.test_client()
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path


def test_a_report_the_store_cannot_take_is_an_incident_and_leaves_no_row(
    dead_store_app, deployment
):
    app = dead_store_app
    actions = Actions(app)
    instance_id = actions.run_to("end")
    with app.app_context():
        service_calls.run_queued()
        calls = {
            c.operator: c
            for c in db.session.scalars(
                select(ServiceCall).where(ServiceCall.instance_id == instance_id)
            )
        }
        incidents = db.session.scalars(
            select(Incident.message).where(Incident.instance_id == instance_id)
        ).all()
        reports = db.session.scalars(
            select(Attachment).where(Attachment.instance_id == instance_id)
        ).all()
    assert calls["deploy_to_colocation"].status == ServiceCallStatus.SUCCEEDED
    assert calls["generate_repair_report"].status == ServiceCallStatus.FAILED
    assert any("tempat penyimpanan berkas" in m for m in incidents), incidents
    assert reports == []
    assert local_files(app) == []


def test_a_large_attachment_streams_in_chunks(s3_app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the store is under test here, not the database")
    big = b"%PDF-1.7\n" + bytes(range(256)) * (6 * 1024 * 1024 // 256)
    actions = Actions(s3_app)
    body = actions.start(data={**STEP1, "lampiran": data_url(big, "besar.pdf", "application/pdf")})
    with s3_app.app_context():
        row = db.session.scalar(select(Attachment))
    response = actions.client("unit1").get(f"/cases/{body['id']}/files/{row.id}", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Length"] == str(len(big))
    assert response.headers["Content-Disposition"] == "inline; filename=besar.pdf"
    chunks = list(response.response)
    assert len(chunks) > 1 and max(len(c) for c in chunks) < len(big)
    assert b"".join(chunks) == big
    response.close()


def test_a_browser_that_has_the_file_gets_304(s3_app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the store is under test here, not the database")
    actions = Actions(s3_app)
    body = actions.start(data={**STEP1, "lampiran": data_url(PNG, "layar.png")})
    with s3_app.app_context():
        row = db.session.scalar(select(Attachment))
    client = actions.client("unit1")
    url = f"/cases/{body['id']}/files/{row.id}"
    first = client.get(url)
    assert first.headers["ETag"] == f'"{row.sha256}"'
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
