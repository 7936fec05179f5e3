"""Security headers on every response."""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("security", __name__)

# Scripts, module scripts included, only from this site; bpmn-js sets style attributes on the
# SVG it draws, hence 'unsafe-inline' for styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'"
)


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Add the headers a view did not set itself."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response
