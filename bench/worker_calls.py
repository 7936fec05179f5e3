"""Finished cases per second of one worker process, by ``--concurrency``: real deployments
(rsync to a local folder, as ``setup --demo`` configures) and real PDF reports.

Usage: .venv/bin/python bench/worker_calls.py [--backend postgresql|mariadb|sqlite] [--cases N]
       [--upload-seconds S] [--concurrency 1,4]

Works N cases up to their upload step (the deployment queued), then starts one
``flask --app webapp worker --concurrency C`` process and measures the time from the first
call's claim to the last call's end, when every case is completed (deployment, then the
report). ``--upload-seconds`` stands for the colocation server's transfer: the deploy target's
post-deploy command sleeps that long (the demo target copies to a local folder, which takes no
time). Each concurrency gets a fresh database; 0 starts the worker without ``--concurrency``
(its default; also how to measure a sopflow from before the option). Prints cases/s per
concurrency and ``ratio:`` the last concurrency's cases/s over the first's.

Server URLs come from SOPFLOW_TEST_POSTGRESQL_URL / SOPFLOW_TEST_MARIADB_URL (a database of the
bench's own on that server, dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service_tasks import operators  # noqa: E402
from tests.conftest import FAST_HASH, SERVER_URLS, Actions, _own_database  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.cli import write_demo_deploy_target  # noqa: E402
from webapp.engine.calendar import WallClockCalendar  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import InstanceStatus, ProcessInstance, ServiceCall  # noqa: E402

FLASK = Path(sys.prefix) / "bin" / "flask"
WAIT_LIMIT = 600


def _deploy_config(folder: Path, upload_seconds: float) -> str:
    config = Path(write_demo_deploy_target(str(folder)))
    text = config.read_text().replace(
        'post_deploy = "date', f'post_deploy = "sleep {upload_seconds}; date'
    )
    config.write_text(text)
    return str(config)


def _one_run(
    backend: str, cases: int, concurrency: int, upload_seconds: float
) -> tuple[float, list[float]]:
    """Cases/s, and each report call's time from its claim to its end (sorted)."""
    folder = Path(tempfile.mkdtemp(prefix="sopflow-bench-calls-"))
    if backend == "sqlite":
        url, drop = f"sqlite:///{folder}/bench.db", (lambda: None)
    else:
        url, drop = _own_database(SERVER_URLS[backend])
    deploy_config = _deploy_config(folder, upload_seconds)
    os.environ["SOPFLOW_DEPLOY_CONFIG"] = deploy_config
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "SLA_CALENDAR": WallClockCalendar(),
            "ATTACHMENT_DIR": str(folder / "attachments"),
        }
    )
    worker = None
    try:
        with app.app_context():
            assert app.test_cli_runner().invoke(args=["setup", "--demo"]).exit_code == 0
        actions = Actions(app)
        for _ in range(cases):
            actions.run_to("end")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPFLOW_", "FLASK_"))}
        env.update(
            SOPFLOW_DATABASE_URL=url,
            SOPFLOW_DEPLOY_CONFIG=deploy_config,
            SOPFLOW_ATTACHMENT_DIR=str(folder / "attachments"),
            SOPFLOW_SMTP_HOST="",
        )
        log = (folder / "worker.log").open("w")
        started = time.monotonic()
        worker = subprocess.Popen(
            [str(FLASK), "--app", "webapp", "worker"]
            + (["--concurrency", str(concurrency)] if concurrency else []),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        completed = (
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.status == InstanceStatus.COMPLETED)
        )
        with app.app_context():
            while True:
                db.session.rollback()
                done = db.session.scalar(completed)
                if done >= cases:
                    break
                if time.monotonic() - started > WAIT_LIMIT or worker.poll() is not None:
                    raise SystemExit(f"bench: {done}/{cases} completed; see {folder}/worker.log")
                time.sleep(0.05)
            # From the first call's claim to the last call's end: the worker's start-up is not
            # the work.
            first, last = db.session.execute(
                select(func.min(ServiceCall.started_at), func.max(ServiceCall.finished_at))
            ).one()
            elapsed = (last - first).total_seconds()
            report_times = sorted(
                (end - begin).total_seconds()
                for begin, end in db.session.execute(
                    select(ServiceCall.started_at, ServiceCall.finished_at).where(
                        ServiceCall.operator.in_(operators("stores_document"))
                    )
                )
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        drop()
    return cases / elapsed, report_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", default="postgresql", choices=["postgresql", "mariadb", "sqlite"]
    )
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--upload-seconds", type=float, default=1.0)
    parser.add_argument("--concurrency", default="1,4")
    options = parser.parse_args()
    levels = [int(n) for n in options.concurrency.split(",")]
    rates = []
    for level in levels:
        rate, reports = _one_run(options.backend, options.cases, level, options.upload_seconds)
        rates.append(rate)
        median = reports[len(reports) // 2] if reports else float("nan")
        worst = reports[-1] if reports else float("nan")
        print(
            f"backend={options.backend} cases={options.cases} "
            f"upload={options.upload_seconds}s concurrency={level}: {rate:.2f} cases/s; "
            f"report call (case history + HTML + PDF) median {median:.2f} s, max {worst:.2f} s",
            flush=True,
        )
    print(f"ratio: {rates[-1] / rates[0]:.2f}")


if __name__ == "__main__":
    main()
