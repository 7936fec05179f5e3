"""What docs/DEPLOYMENT.md promises about stopping a worker (`systemctl stop`, which with the
shipped unit's KillMode=mixed signals the worker process alone): SIGTERM while a deployment
runs lets that deployment finish and succeed, takes no new service call, and the worker exits
cleanly, saying it stopped."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import deadline
from tests.services.worker_support import (
    MAX_POLLS,
    POLL_SECONDS,
    PROCESS_TIMEOUT,
    Worker,
    worker_env,
)
from webapp.extensions import db
from webapp.models import ServiceCall, ServiceCallStatus, WorkerStatus


def deploy_config(folder: Path, started: Path, go: Path) -> Path:
    """A local deployment target whose post-deploy command waits for the test's go-ahead."""
    source = folder / "release"
    (source / "public").mkdir(parents=True)
    (source / "public" / "index.php").write_text("<?php echo 'rilis';\n")
    config = folder / "deploy.toml"
    config.write_text(
        "[apps.perizinan_online]\n"
        f'source = "{source}"\n'
        f'path = "{folder / "colocation"}"\n'
        f'post_deploy = "touch {started}; while [ ! -e {go} ]; do sleep 0.05; done; '
        'touch DEPLOYED_AT"\n'
        "timeout = 120\n"
    )
    return config


def wait_until(condition, what: str) -> None:
    for _ in range(MAX_POLLS):
        if condition():
            return
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"still waiting for {what} after {PROCESS_TIMEOUT}s")


def calls(app, instance_id: int) -> list[ServiceCall]:
    with app.app_context():
        rows = db.session.scalars(
            select(ServiceCall)
            .where(ServiceCall.instance_id == instance_id)
            .order_by(ServiceCall.id)
        ).all()
        db.session.expunge_all()
        db.session.remove()
        return rows


@pytest.mark.slow
def test_sigterm_lets_the_running_deployment_finish_and_takes_no_new_call(
    app, actions, database_url, tmp_path
):
    started, go = tmp_path / "started", tmp_path / "go"
    env = worker_env(database_url, tmp_path)
    env["SOPFLOW_DEPLOY_CONFIG"] = str(deploy_config(tmp_path, started, go))
    instance_id = actions.run_to("end")  # step 5: the deployment is queued
    worker = Worker(env, tmp_path, "w", "--interval", "600", "--concurrency", "2")
    try:
        with deadline(3 * PROCESS_TIMEOUT):
            wait_until(started.exists, "the deployment's post-deploy command")
            [deploy] = calls(app, instance_id)
            assert deploy.status == ServiceCallStatus.RUNNING

            worker.process.send_signal(signal.SIGTERM)  # the deployment is still waiting
            go.touch()
            assert worker.wait() == 0, worker.stderr[-3000:]

        deploy, *later = calls(app, instance_id)
        assert deploy.status == ServiceCallStatus.SUCCEEDED, deploy.error
        assert (tmp_path / "colocation" / "DEPLOYED_AT").is_file()
        # The report call the deployment queued waits for the next worker; nothing was cut.
        assert [call.status for call in later] == [ServiceCallStatus.QUEUED]
        with app.app_context():
            stopped = db.session.scalars(select(WorkerStatus.stopped_at)).all()
        assert stopped and all(stopped)
    finally:
        worker.stop()
