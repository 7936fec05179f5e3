"""The worker prints reports in processes of its own when it runs several calls at once.

WeasyPrint holds the GIL while it lays a report out, so threads of one worker would print one
report at a time and stall the others; ``service_tasks.pdf.use_processes`` moves each render to
a small pool of spawned processes. What is checked is where the work runs (process ids) and
what comes back (a PDF), not how long it takes.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from service_tasks import pdf

pytestmark = pytest.mark.slow  # spawns processes that each load WeasyPrint

PAGE = "<!doctype html><h1>Laporan</h1><p>sopflow</p>"


@pytest.fixture
def pool():
    pdf.use_processes(2)
    try:
        yield pdf._pool
    finally:
        pdf.stop_processes()


def test_reports_are_printed_in_processes_of_their_own(pool):
    pids = {pool.submit(os.getpid).result(timeout=120) for _ in range(6)}
    assert pids and os.getpid() not in pids
    assert pdf.render_pdf(PAGE).startswith(b"%PDF")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_printing_goes_on_when_a_render_process_dies(pool):
    # A render process that dies mid-job: once its job has failed, the pool knows it is broken.
    with pytest.raises(BrokenProcessPool):
        pool.submit(_die).result(timeout=120)
    # The render that meets the broken pool is printed here; the next goes to a new pool.
    assert pdf.render_pdf(PAGE).startswith(b"%PDF")
    assert pdf.render_pdf(PAGE).startswith(b"%PDF")
    assert pdf._pool is not None and pdf._pool is not pool
    assert os.getpid() not in {pdf._pool.submit(os.getpid).result(timeout=120) for _ in range(4)}


def test_after_stopping_reports_are_printed_in_the_worker_again(pool):
    pdf.stop_processes()
    assert pdf._pool is None
    assert pdf.render_pdf(PAGE).startswith(b"%PDF")
