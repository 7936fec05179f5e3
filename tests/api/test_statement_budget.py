"""SQL statements per action through the real HTTP path, and no lazy load in a request.

A statement count is a cost that does not depend on the machine: a new lazy load, a second
session check or a per-row query shows up here as a number over its budget (issue 13). The
lazy-load guard makes any relationship that loads itself inside a request fail the test that
took that path, whatever the count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from tests.conftest import STEP1, STEP2, STEP3, STEP4_FAIL, Actions
from webapp.extensions import db

PROCESS = "pemeliharaan_sistem_informasi"
START = f"/api/v1/processes/{PROCESS}/instances"

# The most statements each action may send (BEGIN/COMMIT are not statements the driver is
# given; SAVEPOINTs are). Tighter than issue 13 asked where the code allows it.
BUDGET = {
    "start": 11,
    "claim": 5,
    # Step 2 takes 9: the role members its form lists are the next step's candidates, read
    # once; step 3 reads its next step's candidates (10, see the test on history below).
    "complete": 10,
    "worklist": 4,
    "instance": 6,
    "history": 5,
}


class LazyLoad(AssertionError):
    """A relationship loaded itself inside a request: load it explicitly instead."""


@contextmanager
def watched(app) -> Iterator[tuple[list[str], list[str]]]:
    """Collect every SQL statement sent, and every lazy load tried (which also raises)."""
    statements: list[str] = []
    lazy: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def refuse_lazy(state: ORMExecuteState) -> None:
        origin = state.lazy_loaded_from if state.is_select else None
        if origin is not None:
            what = f"{origin.class_.__name__}: {state.statement}"
            lazy.append(what)
            raise LazyLoad(f"lazy load in a request: {what}")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(Session, "do_orm_execute", refuse_lazy)
    try:
        yield statements, lazy
    finally:
        event.remove(Session, "do_orm_execute", refuse_lazy)
        event.remove(engine, "before_cursor_execute", count)


def _post(app, actions: Actions, user: str, path: str, body: dict | None = None):
    return app.test_client().post(path, json=body, headers=actions.token(user))


def _get(app, actions: Actions, user: str, path: str):
    return app.test_client().get(path, headers=actions.token(user))


@pytest.fixture
def warm(app, actions):
    """Tokens issued and one case run before counting: caches of the version are then warm,
    as in a running server (a cold cache costs the same statements, only more CPU)."""
    for user in ("unit1", "ketua1", "tim1"):
        # A token's first use notes it (an UPDATE every few minutes at most): not counted here.
        app.test_client().get("/api/v1/tasks", headers=actions.token(user))
    actions.run_to("Task_3_troubleshooting")
    return actions


def _actions_counted(app, actions: Actions) -> dict[str, tuple[int, list[str], int]]:
    """Run every budgeted action once; return (statement count, statements, status) each."""
    counts: dict[str, tuple[int, list[str], int]] = {}

    def run(name: str, call):
        with watched(app) as (statements, lazy):
            response = call()
        assert not lazy, lazy
        counts[name] = (len(statements), list(statements), response.status_code)
        return response

    started = run("start", lambda: _post(app, actions, "unit1", START, {"data": STEP1}))
    instance_id = started.get_json()["id"]
    task_id = started.get_json()["current_tasks"][0]["id"]
    run("worklist", lambda: _get(app, actions, "ketua1", "/api/v1/tasks"))
    run("claim", lambda: _post(app, actions, "ketua1", f"/api/v1/tasks/{task_id}/claim"))
    run(
        "complete",
        lambda: _post(app, actions, "ketua1", f"/api/v1/tasks/{task_id}/complete", {"data": STEP2}),
    )
    run("instance", lambda: _get(app, actions, "ketua1", f"/api/v1/instances/{instance_id}"))
    run(
        "history",
        lambda: _get(app, actions, "ketua1", f"/api/v1/instances/{instance_id}/history"),
    )
    return counts


@pytest.mark.parametrize("action", sorted(BUDGET))
def test_each_api_action_stays_within_its_statement_budget(app, warm, action):
    counts = _actions_counted(app, warm)
    number, statements, status = counts[action]
    assert status < 300, (action, status)
    listing = "\n".join(f"  {s.splitlines()[0][:160]}" for s in statements)
    assert number <= BUDGET[action], f"{action}: {number} statements > {BUDGET[action]}\n{listing}"


def _step3_statements(app, actions: Actions, instance_id: int) -> list[str]:
    task3 = actions.open_task(instance_id, "Task_3_troubleshooting").id
    with watched(app) as (statements, lazy):
        response = actions.complete("tim1", task3, STEP3)
    assert response.status_code == 200, response.get_json()
    assert not lazy, lazy
    return statements


def test_completing_a_step_costs_no_more_statements_with_history_behind_it(app, warm):
    """The count does not grow with the case: step 3 of a case that went round the failed-test
    loop twice costs what step 3 of a fresh case costs (no per-row query over the tasks done
    so far), and a step whose next step reads its candidates stays within the budget too."""
    looped = warm.start()["id"]
    task2 = warm.open_task(looped, "Task_2_analisa").id
    assert warm.complete("ketua1", task2, STEP2).status_code == 200
    for _ in range(2):
        _step3_statements(app, warm, looped)
        task4 = warm.open_task(looped, "Task_4_uji_implementasi").id
        assert warm.complete("tim1", task4, STEP4_FAIL).status_code == 200
    fresh = warm.start()["id"]
    task2 = warm.open_task(fresh, "Task_2_analisa").id
    assert warm.complete("ketua1", task2, STEP2).status_code == 200
    fresh_count = len(_step3_statements(app, warm, fresh))
    assert len(_step3_statements(app, warm, looped)) <= fresh_count <= BUDGET["complete"]


def test_a_lazy_load_in_a_request_is_caught(app, warm):
    """The guard is real: a relationship not loaded up front fails the request that uses it."""
    from webapp.models import HumanTask

    with app.test_request_context():
        task_id = warm.open_task(warm.start()["id"], "Task_2_analisa").id
        with watched(app) as (_statements, lazy):
            task = db.session.get(HumanTask, task_id)
            with pytest.raises(LazyLoad):
                _ = task.instance
        assert lazy and "HumanTask" in lazy[0]


def _web_paths(app, actions: Actions) -> list[tuple[str, str, str, dict | None]]:
    instance_id = actions.start()["id"]
    task = actions.open_task(instance_id, "Task_2_analisa")
    return [
        ("ketua1", "get", "/", None),
        ("ketua1", "get", f"/tasks/{task.id}", None),
        ("ketua1", "post", f"/tasks/{task.id}/claim", None),
        ("ketua1", "post", f"/tasks/{task.id}", {**STEP2, "anggota_tim": "tim1"}),
        ("ketua1", "get", f"/tasks/{task.id}", None),
        ("unit1", "get", f"/cases/{instance_id}", None),
    ]


def test_task_pages_make_no_lazy_load(app, warm):
    """The worklist, a task's form, claiming and completing it by form: no lazy load."""
    clients = {u: warm.client(u) for u in ("ketua1", "unit1")}
    for user, method, path, form in _web_paths(app, warm):
        with watched(app) as (_statements, lazy):
            response = clients[user].open(path, method=method.upper(), data=form)
        assert response.status_code < 400, (path, response.status_code)
        assert not lazy, (path, lazy)
