"""Probes for the office's monitoring and load balancer: liveness and readiness.

``/healthz`` (liveness) says the process answers, and touches nothing else: a database outage
must not make a supervisor restart every web process. ``/readyz`` (readiness) says this process
can serve requests now: the database answers a trivial query and the file store can be written.
Neither needs a log-in, neither shows a secret or a trace.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import db
from ..services import storage

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz")
def health():
    """Answer that the app is up."""
    return jsonify(status="ok")


def _database() -> dict:
    began = time.monotonic()
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
        result: dict = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - a database that fails is "not ready", never a 500
        log.warning("readiness: database check failed: %s", exc)
        result = {"ok": False, "error": f"database unreachable ({type(exc).__name__})"}
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the connection is gone; the pool replaces it
        pass
    result["ms"] = round((time.monotonic() - began) * 1000, 1)
    return result


@bp.route("/readyz")
def ready():
    """200 when the database and the file store work, 503 (same JSON) when one does not."""
    checks = {"database": _database(), "storage": storage.readiness()}
    ok = all(check["ok"] for check in checks.values())
    response = jsonify(status="ready" if ok else "not ready", checks=checks)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
