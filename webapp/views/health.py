"""The liveness probe for the office's monitoring."""

from __future__ import annotations

from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def health():
    """Answer that the app is up."""
    return jsonify(status="ok")
