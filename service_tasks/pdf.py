"""One way to print an HTML page to PDF: the repair report and the SOP sheet both use it.

WeasyPrint needs Pango from the system; when it is missing the caller gets ``PdfUnavailable``
(a ``ConnectorError``, so a connector's failure reads the same as any other) and shows it.

The font configuration (fontconfig's view of the system fonts) is built once per process and
reused by every render; a lock lets one render run at a time. WeasyPrint and the Pango/cairo
objects behind a shared font configuration are not safe to use from several threads at once,
and the layout is pure Python that holds the GIL, so two threads would not print faster anyway:
more PDFs at once means more processes, not more threads. The worker with ``--concurrency``
above 1 calls ``use_processes``: from then on each render runs in a small pool of processes of
its own (spawned, each with WeasyPrint loaded once), and the thread that asked waits without
holding the GIL, so the worker's other threads (deployments, timers) go on meanwhile.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .errors import ConnectorError


class PdfUnavailable(ConnectorError):
    """WeasyPrint (or the Pango it needs) is missing on this server."""


log = logging.getLogger(__name__)

_lock = threading.Lock()
_printer: dict[str, Any] = {}
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
PARENT_CHECK_SECONDS = 1.0


def _weasyprint() -> dict[str, Any]:
    """WeasyPrint's HTML class and one font configuration, made on first use (under the lock)."""
    if not _printer:
        try:
            from weasyprint import HTML
            from weasyprint.text.fonts import FontConfiguration
        except (ImportError, OSError) as exc:  # Pango missing: say so, never crash the caller
            raise PdfUnavailable(
                f"PDF tidak dapat dibuat: WeasyPrint tidak tersedia ({exc})"
            ) from exc
        _printer.update(HTML=HTML, fonts=FontConfiguration())
    return _printer


def _render_here(html: str, base_url: str | None = None) -> bytes:
    """Print in this process, one render at a time."""
    with _lock:
        printer = _weasyprint()
        return printer["HTML"](string=html, base_url=base_url).write_pdf(
            font_config=printer["fonts"]
        )


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Print a standalone HTML page to PDF bytes; ``base_url`` resolves relative links.

    In the pool when ``use_processes`` started one, else here; the time it took is logged.
    """
    started = time.perf_counter()
    pool = _pool
    where = "here"
    if pool is not None:
        try:
            pdf = pool.submit(_render_here, html, base_url).result()
            where = "pool"
        except BrokenProcessPool:  # a render process died (out of memory...): once more
            # in a fresh pool, never in the worker itself, which the same page could kill too;
            # a second death fails the call (an incident), not the worker.
            log.warning("pdf: a render process died; printing once more in a new pool")
            _replace(pool)
            fresh = _pool
            if fresh is None:  # the worker is stopping: no pool to print in any more
                raise
            pdf = fresh.submit(_render_here, html, base_url).result()
            where = "pool"
    else:
        pdf = _render_here(html, base_url)
    log.info(
        "pdf: rendered %d bytes in %.0f ms (%s)",
        len(pdf),
        (time.perf_counter() - started) * 1000,
        where,
    )
    return pdf


def _warm_quietly() -> None:
    """Load WeasyPrint and the fonts before the first report."""
    try:
        _render_here("<!doctype html><p>sopflow</p>")
    except PdfUnavailable:
        pass


def _leave_with(parent: int) -> None:
    """End this render process once ``parent`` is gone (a worker killed outright cannot stop
    its pool, and a render process waiting for work would otherwise wait for ever)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _render_process_start(parent: int) -> None:
    """A render process's start: follow the worker's end, then warm up."""
    threading.Thread(target=_leave_with, args=(parent,), daemon=True).start()
    _warm_quietly()


def use_processes(count: int) -> None:
    """Render from now on in ``count`` processes of their own (none below 1; idempotent).

    Spawned, not forked: the worker has threads and open database connections that a forked
    child must not inherit. Each process loads WeasyPrint once, when it starts.
    """
    global _pool
    with _pool_lock:
        if _pool is not None or count < 1:
            return
        context = multiprocessing.get_context("spawn")
        _pool = ProcessPoolExecutor(
            count,
            mp_context=context,
            initializer=_render_process_start,
            initargs=(os.getpid(),),
        )
        for _ in range(count):  # start them now, not when the first report waits
            _pool.submit(time.sleep, 0)


def _replace(broken: ProcessPoolExecutor) -> None:
    """Put a new pool of the same size in place of a broken one (once, whoever notices)."""
    global _pool
    with _pool_lock:
        if _pool is not broken:
            return
        _pool = None
    broken.shutdown(wait=False, cancel_futures=True)
    use_processes(broken._max_workers)


def stop_processes() -> None:
    """Stop the render processes (the worker's shutdown); renders go back to this process."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def warm_up() -> None:
    """Load WeasyPrint and the system fonts now (about a second), not in the first report."""
    _warm_quietly()  # the report that needs it says so when WeasyPrint is missing
