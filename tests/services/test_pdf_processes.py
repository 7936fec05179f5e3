"""The worker prints reports in processes of its own when it runs several calls at once.

WeasyPrint holds the GIL while it lays a report out, so threads of one worker would print one
report at a time and stall the others; ``service_tasks.pdf.use_processes`` moves each render to
a small pool of spawned processes. What is checked is where the work runs (process ids) and
what comes back (a PDF), not how long it takes.

Where a page was printed is read from the page itself: it links a stylesheet served by this
test, and the server looks up which process holds the client end of the connection (Linux's
/proc) — the process that fetches a page's stylesheet is the one laying the page out.
"""

from __future__ import annotations

import http.server
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from service_tasks import pdf

pytestmark = pytest.mark.slow  # spawns processes that each load WeasyPrint

PAGE = "<!doctype html><h1>Laporan</h1><p>sopflow</p>"


def _socket_owner(local_port: int, remote_port: int) -> int | None:
    """The process holding the established TCP socket 127.0.0.1:``local_port`` to
    127.0.0.1:``remote_port``: a closed connection's TIME_WAIT line (inode 0) on the same
    port, or any socket to another server, is not it."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if (
            int(local.split(":")[1], 16) == local_port
            and int(remote.split(":")[1], 16) == remote_port
            and state == "01"  # TCP_ESTABLISHED
            and fields[9] != "0"
        ):
            inode = fields[9]
            break
    if inode is None:
        return None
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) == f"socket:[{inode}]":
                return int(fd.parts[2])
        except OSError:  # a process or descriptor that went away meanwhile
            continue
    return None


class _Stylesheet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.printed_by.append(
            _socket_owner(self.client_address[1], self.server.server_port)
        )
        body = b"h1 { font-size: 20pt }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def printed_by() -> Iterator[tuple[str, list[int | None]]]:
    """(a page that links a stylesheet of this test's server, the pid of each fetcher)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stylesheet)
    server.printed_by = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    page = (
        f'<!doctype html><link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/'
        'laporan.css"><h1>Laporan</h1><p>sopflow</p>'
    )
    try:
        yield page, server.printed_by
    finally:
        server.shutdown()
        server.server_close()


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _render_processes(pool) -> set[int]:
    """The pool's processes, each checked to be alive and a child of this process."""
    pids = {process.pid for process in pool._processes.values()}
    assert pids and os.getpid() not in pids
    assert {_parent_of(pid) for pid in pids} == {os.getpid()}
    return pids


@pytest.fixture
def pool(monkeypatch):
    # WeasyPrint loaded in this process by an earlier test would hide a render done here:
    # start from none, and check at the end that this process never loaded it.
    monkeypatch.setattr(pdf, "_printer", {})
    pdf.use_processes(2)
    try:
        yield pdf._pool
    finally:
        pdf.stop_processes()
    assert pdf._printer == {}, "a render ran in the test's own process"


def test_reports_are_printed_in_processes_of_their_own(pool, printed_by):
    page, fetched_by = printed_by
    children = _render_processes(pool)
    for _ in range(3):
        assert pdf.render_pdf(page).startswith(b"%PDF")
    assert len(fetched_by) == 3, fetched_by
    assert set(fetched_by) <= children, (fetched_by, children, os.getpid())


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_dead_render_process_is_replaced_and_printing_goes_on(pool, printed_by):
    page, fetched_by = printed_by
    before = _render_processes(pool)
    # A render process that dies mid-job: once its job has failed, the pool knows it is broken.
    with pytest.raises(BrokenProcessPool):
        pool.submit(_die).result(timeout=120)
    # The render that meets the broken pool is printed once more in a new pool of the same
    # size: new children of this process, none of the old ones, never this process.
    assert pdf.render_pdf(page).startswith(b"%PDF")
    assert pdf._pool is not None and pdf._pool is not pool
    after = _render_processes(pdf._pool)
    assert pdf._pool._max_workers == pool._max_workers
    assert not after & before, (before, after)
    assert pdf.render_pdf(page).startswith(b"%PDF")
    assert len(fetched_by) == 2 and set(fetched_by) <= after, (fetched_by, after)


def test_after_stopping_reports_are_printed_in_the_worker_again(pool, printed_by):
    page, fetched_by = printed_by
    pdf.stop_processes()
    assert pdf._pool is None
    assert pdf.render_pdf(page).startswith(b"%PDF")
    assert fetched_by == [os.getpid()]
    pdf._printer.clear()  # loaded here on purpose: not what the fixture's check is about
