"""Contender processes for the race tests: each is its own OS process with its own app.

The parent starts ``CONTENDERS`` processes with the "spawn" context and sends every one of them
the same list of races, phase by phase. Before each race all of them wait on one shared
(cyclic) barrier, so they act on the same row at the same moment; each reports what it got.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
import traceback
from dataclasses import dataclass
from typing import Any

BARRIER_TIMEOUT = 60
PHASE_TIMEOUT = 600
PROCESS_ID = "pemeliharaan_sistem_informasi"


def app_config(database_url: str, attachment_dir: str) -> dict[str, Any]:
    """The same settings as the ``app`` fixture of tests/conftest.py."""
    from tests.conftest import suite_config

    return suite_config(database_url, attachment_dir)


@dataclass(frozen=True)
class Outcome:
    """What one contender got in one race."""

    race: int
    contender: int
    status: int  # HTTP status; service calls map to 200 (done) or the error's status
    message: str
    seconds: float


def _start_cases(app, keys: list[str]) -> list[int]:
    from sqlalchemy import select

    from tests.conftest import STEP1
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services.instances import start_instance

    ids = []
    for key in keys:
        with app.app_context():
            unit = db.session.scalar(select(User).where(User.username == "unit1"))
            row, new = start_instance(
                PROCESS_ID, unit, dict(STEP1, judul=f"Balapan {key}"), submission_key=key
            )
            assert new, key
            ids.append(row.id)
    return ids


def _api_races(client, barrier, index: int, action: str, races, token: str, body) -> list:
    headers = {"Authorization": f"Bearer {token}"}
    outcomes = []
    for race_id, task_id in races:
        path = f"/api/v1/tasks/{task_id}/{action}"
        barrier.wait(BARRIER_TIMEOUT)
        t0 = time.perf_counter()
        response = client.post(path, json=body, headers=headers)
        seconds = time.perf_counter() - t0
        payload = response.get_json(silent=True) or {}
        outcomes.append(
            Outcome(race_id, index, response.status_code, str(payload.get("message", "")), seconds)
        )
    return outcomes


def _reassign_races(app, barrier, index: int, admin_name: str, races) -> list:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import admin
    from webapp.services.errors import ServiceError

    outcomes = []
    for race_id, task_id, seen, targets in races:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == admin_name))
            user.roles  # noqa: B018 - load the roles before the race starts
            db.session.rollback()  # hold no snapshot while waiting
            barrier.wait(BARRIER_TIMEOUT)
            t0 = time.perf_counter()
            try:
                admin.reassign(user, task_id, targets[index], seen)
                status, message = 200, ""
            except ServiceError as exc:
                db.session.rollback()
                status, message = exc.status, exc.message
            seconds = time.perf_counter() - t0
        outcomes.append(Outcome(race_id, index, status, message, seconds))
    return outcomes


def contender(index, database_url, attachment_dir, barrier, inbox, outbox) -> None:
    """Loop of one contender process: run each phase the parent sends, report, until None."""
    from webapp import create_app

    app = create_app(app_config(database_url, attachment_dir))
    client = app.test_client()
    while True:
        message = inbox.get()
        if message is None:
            break
        phase, payload = message
        try:
            if phase == "start":
                result = _start_cases(app, payload)
            elif phase in ("complete", "claim"):
                result = _api_races(
                    client,
                    barrier,
                    index,
                    phase,
                    payload["races"],
                    payload["tokens"][index],
                    payload.get("body"),
                )
            elif phase == "reassign":
                result = _reassign_races(
                    app, barrier, index, payload["admins"][index], payload["races"]
                )
            else:
                raise ValueError(phase)
            outbox.put((index, result, None))
        except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
            barrier.abort()  # the others must not wait for us until the timeout
            outbox.put((index, None, traceback.format_exc()))
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()


class Contenders:
    """A pool of contender processes (spawned, each with its own app) fed phase by phase."""

    def __init__(self, count: int, database_url: str, attachment_dir: str):
        ctx = mp.get_context("spawn")
        self.count = count
        self.barrier = ctx.Barrier(count)
        self.inboxes = [ctx.Queue() for _ in range(count)]
        self.outbox = ctx.Queue()
        self.processes = [
            ctx.Process(
                target=contender,
                args=(i, database_url, attachment_dir, self.barrier, self.inboxes[i], self.outbox),
                name=f"contender-{i}",
                daemon=True,
            )
            for i in range(count)
        ]
        for process in self.processes:
            process.start()

    def run(self, phase: str, payloads: list) -> list:
        """Send one payload to each contender; return their results in contender order."""
        for inbox, payload in zip(self.inboxes, payloads, strict=True):
            inbox.put((phase, payload))
        results: list = [None] * self.count
        errors = []
        deadline = time.monotonic() + PHASE_TIMEOUT
        for _ in range(self.count):
            try:
                index, result, error = self.outbox.get(timeout=max(1, deadline - time.monotonic()))
            except queue.Empty:
                dead = [p.name for p in self.processes if not p.is_alive()]
                raise AssertionError(f"{phase}: contenders silent; dead: {dead}") from None
            if error:
                errors.append(f"contender {index}:\n{error}")
            results[index] = result
        if errors:
            raise AssertionError(f"{phase} failed in a contender process:\n" + "\n".join(errors))
        return results

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join(10)
