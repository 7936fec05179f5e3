"""History compaction on a real case: ten failed tests, reload, migrate to a new version, finish.

The engine drops finished history once a loop leaves enough of it (the fourth failed-test loop);
this drives one case there and past it through the services, on every database backend.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from service_tasks import REGISTRY
from tests.conftest import STEP1, STEP3, STEP4_FAIL, STEP4_PASS
from webapp.cli import write_demo_deploy_target
from webapp.engine.compaction import COMPACT_THRESHOLD
from webapp.engine.instance import ProcessInstance as EngineInstance
from webapp.extensions import db
from webapp.models import HumanTask, InstanceStatus, ProcessInstance, TaskStatus
from webapp.services import service_calls
from webapp.services.processes import parsed

PID = "pemeliharaan_sistem_informasi"
SOP = (Path(__file__).resolve().parents[2] / "processes" / PID / f"{PID}.bpmn").read_bytes()
PT3H = SOP.replace(b'"PT2H"', b'"PT3H"')  # version 2: troubleshooting gets three hours
API = f"/api/v1/processes/{PID}/versions"
STEP_3, STEP_4 = "Task_3_troubleshooting", "Task_4_uji_implementasi"
LOOPS = 10


def _stored(app, instance_id: int) -> tuple[str, int]:
    """The stored state of a case and how many engine tasks it holds."""
    with app.app_context():
        state = db.session.get(ProcessInstance, instance_id).state
    return state, len(json.loads(state)["tasks"])


def _reloaded(app, instance_id: int) -> tuple[EngineInstance, str]:
    """The case as the engine restores it, and the state it stores after a second load."""
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        calendar = current_app.config["SLA_CALENDAR"]
        engine = EngineInstance.load(parsed(row.version), row.state, REGISTRY, calendar)
        again = EngineInstance.load(parsed(row.version), engine.dump(), REGISTRY, calendar)
        return engine, again.dump()


def _fail_test_once(actions, instance_id: int) -> None:
    task = actions.open_task(instance_id, STEP_4)
    assert actions.complete("tim1", task.id, STEP4_FAIL).status_code == 200
    task = actions.open_task(instance_id, STEP_3)
    assert actions.complete("tim1", task.id, STEP3).status_code == 200


@pytest.mark.slow  # ten loops and a real deployment: the full run has it, the edit loop not
def test_ten_failed_tests_compact_reload_migrate_and_finish(app, actions, monkeypatch, tmp_path):
    monkeypatch.setenv("SOPFLOW_DEPLOY_CONFIG", write_demo_deploy_target(str(tmp_path)))
    instance_id = actions.run_to(STEP_4)
    tasks_after, bytes_after = [], []
    for _ in range(LOOPS):
        _fail_test_once(actions, instance_id)
        state, tasks = _stored(app, instance_id)
        tasks_after.append(tasks)
        bytes_after.append(len(state))

    # Each loop adds the same tasks; uncompacted, ten loops would hold nine more loops' worth
    # than the first. Compaction cut the tree back more than once, so it stays bounded.
    growth = tasks_after[1] - tasks_after[0]
    assert growth > 0, tasks_after
    shrank = [i for i in range(1, LOOPS) if tasks_after[i] < tasks_after[i - 1]]
    assert len(shrank) >= 2, f"history compacted {len(shrank)} times: tasks {tasks_after}"
    assert max(tasks_after) <= COMPACT_THRESHOLD + 2 * growth, tasks_after
    assert tasks_after[-1] < tasks_after[0] + (LOOPS - 1) * growth, tasks_after
    assert bytes_after[-1] < max(bytes_after), bytes_after

    # The compacted state round-trips: a reload stores exactly what was stored.
    state, _ = _stored(app, instance_id)
    engine, state_again = _reloaded(app, instance_id)
    assert json.loads(state_again) == json.loads(state)
    [ready] = engine.ready_user_tasks()
    open_step = actions.open_task(instance_id, STEP_4)
    assert (ready.id, ready.bpmn_id) == (open_step.spiff_task_id, STEP_4)
    assert engine.data()["judul"] == STEP1["judul"]  # step 1's data outlives its dropped task

    # Migrate the compacted case to a new version, as an administrator does.
    data = {"bpmn": (io.BytesIO(PT3H), "sop.bpmn")}
    owner = actions.token("owner1")
    uploaded = app.test_client().post(
        API, data=data, headers=owner, content_type="multipart/form-data"
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    version = uploaded.get_json()["version"]
    assert app.test_client().post(f"{API}/{version}/publish", headers=owner).status_code == 200
    moved = actions.client("admin1").post(
        f"/processes/{PID}/v/{version}/migrate", data={"instance": [str(instance_id)]}
    )
    assert moved.status_code == 302
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).version.version == version
    after = actions.open_task(instance_id, STEP_4)
    assert (after.id, after.spiff_task_id) == (open_step.id, open_step.spiff_task_id)

    # Finish: the test passes, the worker deploys for real and writes the report.
    assert actions.complete("tim1", after.id, STEP4_PASS).status_code == 200
    with app.app_context():
        assert service_calls.run_queued() == 2  # the deployment, then the report
        row = db.session.get(ProcessInstance, instance_id)
        assert row.status == InstanceStatus.COMPLETED
        steps = db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
        ).all()
    # The people's history is sopflow's own: every loop is still there, in order.
    assert [t.bpmn_id[:6] for t in steps] == ["Task_1", "Task_2"] + ["Task_3", "Task_4"] * (
        LOOPS + 1
    )
    assert all(t.status == TaskStatus.COMPLETED for t in steps)
    report = actions.client("unit1").get(f"/cases/{instance_id}/report.html")
    assert report.status_code == 200 and "LAPORAN HASIL PERBAIKAN" in report.get_data(as_text=True)
