"""The worker's loop: sweep, then sleep until the next due time standard or a wake-up; service
calls run beside it on ``concurrency`` threads, each with its own app context and session.

Each thread claims its call as a lone worker would (SKIP LOCKED, and an update conditional on
the call still being queued), so a call runs once however many threads and processes there
are. Deployments wait on their subprocess and run truly side by side; PDF reports, which hold
the GIL while WeasyPrint lays them out, are printed in a pool of render processes (one per
core, at most one per thread) when there is more than one thread (see service_tasks.pdf).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from service_tasks import pdf

from ..extensions import db
from ..models.types import utcnow
from . import service_calls, wakeup, workers

log = logging.getLogger(__name__)


class CallRunners:
    """``count`` threads that claim and run queued service calls until ``stop`` is set."""

    def __init__(self, app: Any, count: int, poll: float, stop: threading.Event) -> None:
        self.app = app
        self.poll = min(poll, wakeup.MAX_POLL_SECONDS)
        self.stop = stop
        self.ran = 0
        self._lock = threading.Lock()
        self._cues = [threading.Event() for _ in range(count)]
        self.threads = [
            threading.Thread(target=self._run, args=(cue,), name=f"service-calls-{i}", daemon=True)
            for i, cue in enumerate(self._cues)
        ]

    def start(self) -> CallRunners:
        """Start the threads."""
        for thread in self.threads:
            thread.start()
        return self

    def wake(self) -> None:
        """Tell every idle thread to look for a queued call now."""
        for cue in self._cues:
            cue.set()

    def take_count(self) -> int:
        """How many calls the threads finished since the last time this was asked."""
        with self._lock:
            ran, self.ran = self.ran, 0
        return ran

    def join(self) -> None:
        """Wait for each thread to finish the call it is running."""
        self.wake()
        for thread in self.threads:
            thread.join()

    def _run(self, cue: threading.Event) -> None:
        with self.app.app_context():
            while not self.stop.is_set():
                try:
                    ran = service_calls.run_next()
                except Exception:  # noqa: BLE001 - e.g. the database is away: wait, try again
                    db.session.rollback()
                    log.exception("worker: claiming a service call failed")
                    ran = False
                if ran:
                    with self._lock:
                        self.ran += 1
                    continue
                cue.wait(self.poll)  # a queued call is seen within one poll, or woken at once
                cue.clear()
            db.session.remove()


def sleep_until_due(
    waker: wakeup.Waker,
    interval: float,
    stop: threading.Event,
    on_wake: Callable[[], None] = lambda: None,
) -> None:
    """Sleep until the earliest time standard or delivery falls due, ``interval`` passes, or
    ``stop``.

    A writer's wake-up (NOTIFY, or the next poll where there is none) makes the worker read the
    earliest due time again, so a sooner timer armed meanwhile shortens the sleep.
    """
    deadline = time.monotonic() + _pause(interval)
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        woken = waker.wait(left)
        if woken:
            on_wake()
        if woken or not waker.listens:
            deadline = min(deadline, time.monotonic() + _pause(interval))


def _pause(interval: float) -> float:
    """Seconds until the earliest due time (at most ``interval``); the interval when the
    database cannot say: the next sweep records what is wrong, the loop goes on."""
    try:
        return wakeup.sleep_seconds(utcnow(), wakeup.earliest_due(), interval)
    except Exception:  # noqa: BLE001 - e.g. the database restarts: sleep, then sweep again
        db.session.rollback()
        log.exception("worker: could not read the earliest due time")
        return interval


def run(
    app: Any,
    *,
    interval: float,
    poll: float,
    concurrency: int,
    once: bool,
    stop: threading.Event,
    echo: Callable[[str], None],
) -> None:
    """Sweep until ``stop`` (or once): fire due timers, send e-mails, run service calls."""
    runners = None
    if not once:
        if concurrency > 1:
            # Each render process loads WeasyPrint and the fonts as it starts.
            pdf.use_processes(min(concurrency, os.cpu_count() or 1))
        else:
            # The first report would otherwise load WeasyPrint and the fonts while it waits.
            threading.Thread(target=pdf.warm_up, name="pdf-warm-up", daemon=True).start()
        runners = CallRunners(app, concurrency, poll, stop).start()
    waker = wakeup.waker_for(db.engine, poll)
    try:
        while True:
            # sweep_once never raises: a failing case is an incident, a failing phase is logged
            # and counted on this worker's status row, and the loop goes on.
            sweep = workers.sweep_once(
                service_calls=runners is None,
                ran_elsewhere=runners.take_count if runners else None,
            )
            app.logger.info(sweep.line())
            if once:
                echo(sweep.line())
            if once or stop.is_set():
                break
            sleep_until_due(waker, interval, stop, runners.wake if runners else lambda: None)
    finally:
        stop.set()
        if runners is not None:
            runners.join()
            pdf.stop_processes()
        waker.close()
        workers.stopped()
