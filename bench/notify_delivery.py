"""Delivery time of a WhatsApp or Telegram notification through the outbox: from the commit of
the notification to a local gateway receiving it, with a real ``flask worker`` process.

Usage: .venv/bin/python bench/notify_delivery.py [--backend postgresql|mariadb|sqlite]
       [--channel telegram|whatsapp-cloud|http-form] [-n N] [--gap SECONDS]

Starts a recording gateway on 127.0.0.1 (tests/chat_recorder.py, answering as Telegram's Bot
API, WhatsApp's Cloud API or a form gateway would), a fresh database with the demo data, and
one worker process pointed at the gateway (its defaults otherwise: WORKER_INTERVAL 15 s,
WORKER_POLL 1 s). Then, N times: commits one notification to ketua1 (who chose the channel),
notes the time after the commit, and waits for the gateway to receive that message; the
next one follows after ``--gap`` seconds (spread, so each is a lone notification the worker
must notice, not one of a batch). Prints the median, p95 and max in milliseconds.

Server URLs come from SOPFLOW_TEST_POSTGRESQL_URL / SOPFLOW_TEST_MARIADB_URL (a database of the
bench's own on that server, dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chat_recorder import CHAT_ID, PHONE, TOKEN, RecorderServer, chat_settings  # noqa: E402
from tests.conftest import FAST_HASH, SERVER_URLS, _own_database  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.engine.calendar import WallClockCalendar  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import User, WorkerStatus  # noqa: E402
from webapp.services.notifications import notify  # noqa: E402

FLASK = Path(sys.prefix) / "bin" / "flask"
WAIT_LIMIT = 60  # seconds one message may take before the bench gives up


def _worker_env(url: str, gateway: str, channel: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPFLOW_", "FLASK_"))}
    settings = chat_settings(
        gateway, provider="whatsapp-cloud" if channel != "http-form" else "http-form"
    )
    whatsapp = settings["whatsapp"]
    env.update(
        SOPFLOW_DATABASE_URL=url,
        SOPFLOW_ATTACHMENT_DIR=str(folder / "attachments"),
        SOPFLOW_SMTP_HOST="",
        SOPFLOW_TELEGRAM_BOT_TOKEN=TOKEN,
        SOPFLOW_TELEGRAM_API_URL=gateway,
        SOPFLOW_WHATSAPP_PROVIDER=whatsapp["provider"],
        SOPFLOW_WHATSAPP_CLOUD_URL=whatsapp["cloud_url"],
        SOPFLOW_WHATSAPP_CLOUD_PHONE_NUMBER_ID=whatsapp["cloud_phone_number_id"],
        SOPFLOW_WHATSAPP_CLOUD_TOKEN=whatsapp["cloud_token"],
        SOPFLOW_WHATSAPP_FORM_URL=whatsapp["form_url"],
        SOPFLOW_WHATSAPP_FORM_TOKEN=whatsapp["form_token"],
    )
    return env


def _text_of(request) -> str:
    if request.path.startswith("/bot"):
        return request.json()["text"]
    if request.path.endswith("/messages"):
        return request.json()["text"]["body"]
    return request.form()["message"]


def _arrived(recorder, seen: int, title: str) -> list:
    return [r for r in recorder.requests()[seen:] if _text_of(r).startswith(title)]


def _deliver(recorder, title: str, folder: Path) -> float:
    """Commit one notification titled ``title``; return seconds until the gateway has it."""
    seen = len(recorder.requests())
    ketua = db.session.scalar(select(User).where(User.username == "ketua1"))
    notify([ketua], "bench", title, "Pengukuran waktu kirim.")
    db.session.commit()
    committed = time.time()
    with recorder.arrived:
        if not recorder.arrived.wait_for(lambda: _arrived(recorder, seen, title), WAIT_LIMIT):
            raise SystemExit(f"bench: {title!r} never arrived; see {folder}/worker.log")
    [request] = _arrived(recorder, seen, title)
    return request.at - committed


def run(backend: str, channel: str, count: int, gap: float) -> list[float]:
    """Measure ``count`` deliveries; return each one's seconds from commit to receipt."""
    folder = Path(tempfile.mkdtemp(prefix="sopflow-bench-notify-"))
    if backend == "sqlite":
        url, drop = f"sqlite:///{folder}/bench.db", (lambda: None)
    else:
        url, drop = _own_database(SERVER_URLS[backend])
    server = RecorderServer()
    recorder = server.recorder
    provider = "http-form" if channel == "http-form" else "whatsapp-cloud"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "SLA_CALENDAR": WallClockCalendar(),
            "ATTACHMENT_DIR": str(folder / "attachments"),
            "CHAT": chat_settings(recorder.url, provider=provider),
        }
    )
    worker = None
    times = []
    try:
        with app.app_context():
            assert app.test_cli_runner().invoke(args=["setup", "--demo"]).exit_code == 0
            ketua = db.session.scalar(select(User).where(User.username == "ketua1"))
            ketua.phone, ketua.telegram_chat_id = PHONE, CHAT_ID
            ketua.notify_channels = "telegram" if channel == "telegram" else "whatsapp"
            db.session.commit()
        log = (folder / "worker.log").open("w")
        worker = subprocess.Popen(
            [str(FLASK), "--app", "webapp", "worker"],
            cwd=ROOT,
            env=_worker_env(url, recorder.url, channel, folder),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        with app.app_context():
            started = time.monotonic()
            while db.session.scalar(select(WorkerStatus.id)) is None:  # its first sweep is done
                db.session.rollback()
                if worker.poll() is not None or time.monotonic() - started > WAIT_LIMIT:
                    raise SystemExit(f"bench: the worker did not start; see {folder}/worker.log")
                time.sleep(0.05)
            db.session.rollback()
            _deliver(recorder, "Pemanasan", folder)  # the worker's first send loads requests
            for i in range(count):
                time.sleep(gap * random.uniform(0.5, 1.5))
                times.append(_deliver(recorder, f"Uji kirim {i}", folder))
            db.session.remove()
            db.engine.dispose()
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        server.close()
        drop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", default="postgresql", choices=["postgresql", "mariadb", "sqlite"]
    )
    parser.add_argument(
        "--channel", default="telegram", choices=["telegram", "whatsapp-cloud", "http-form"]
    )
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.5)
    options = parser.parse_args()
    times = sorted(t * 1000 for t in run(options.backend, options.channel, options.n, options.gap))
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    print(
        f"backend={options.backend} channel={options.channel} n={len(times)}: "
        f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
