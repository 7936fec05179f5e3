"""The app as bench/load.py serves it through gunicorn: each response says what it cost.

``gunicorn 'load_server:create()'`` (with ``--pythonpath bench``) builds the ordinary app from
the SOPFLOW_* environment and wraps its WSGI callable. A SQLAlchemy cursor event counts the
statements each request runs (BEGIN/COMMIT are not cursor executes and are not counted) and
sums their time; the wrapper adds three headers: ``X-Bench-Statements``, ``X-Bench-Sql-Ms`` and
``X-Bench-App-Ms`` (time inside the app, so the client's latency minus it is queueing). The
cost is a counter and two clock reads per statement: cheap enough to leave on while measuring.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

from webapp import create_app

_request = threading.local()


def _before(conn, cursor, statement, parameters, context, executemany) -> None:
    conn.info["bench_t0"] = time.perf_counter()


def _after(conn, cursor, statement, parameters, context, executemany) -> None:
    if getattr(_request, "active", False):
        _request.statements += 1
        _request.sql += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())


class Costed:
    """WSGI wrapper: reset the counters, run the app, put the counts on the response."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        _request.active, _request.statements, _request.sql = True, 0, 0.0
        t0, cpu0 = time.perf_counter(), time.thread_time()

        def costed_start(status, headers, exc_info=None):
            # Flask calls this once the response is built (after the view's commit).
            headers = list(headers) + [
                ("X-Bench-Statements", str(_request.statements)),
                ("X-Bench-Sql-Ms", f"{_request.sql * 1000:.2f}"),
                ("X-Bench-App-Ms", f"{(time.perf_counter() - t0) * 1000:.2f}"),
                ("X-Bench-Cpu-Ms", f"{(time.thread_time() - cpu0) * 1000:.2f}"),
            ]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, costed_start)
        finally:
            _request.active = False


def create():
    app = create_app()
    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "after_cursor_execute", _after)
    app.wsgi_app = Costed(app.wsgi_app)  # type: ignore[method-assign]
    return app
