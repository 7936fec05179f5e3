"""Pinned front-end libraries served from node_modules (no CDN: the office may be offline)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)

# Files from node_modules that pages may load: the bpmn-js viewer and its styles.
VENDOR_FILES = {
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-modeler.js": "bpmn-js/dist/bpmn-modeler.production.min.js",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-font.css": "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css",
    "chart.js": "chart.js/dist/chart.umd.js",
}


@bp.route("/vendor/<name>")
def vendor(name: str):
    """Serve one of the pinned library files."""
    if name not in VENDOR_FILES:
        abort(404)
    root = Path(current_app.root_path).parent / "node_modules"
    return send_from_directory(root, VENDOR_FILES[name], max_age=86400)
