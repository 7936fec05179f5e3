"""Stored files (attachments, reports) sent to the browser: streamed through the app from the
file store, after the calling view checked who may see them. Never a public address."""

from __future__ import annotations

from flask import Response, request, send_file

from ..models import Attachment
from ..services import attachments


def send_stored(row: Attachment, as_attachment: bool = False) -> Response | None:
    """Stream an attachment's bytes in chunks with its type, name (``inline`` unless
    ``as_attachment``), length and digest as ETag, or None when the store does not have them."""
    if row.sha256 in request.if_none_match:  # the browser has these bytes: no fetch from the store
        return Response(status=304, headers={"ETag": f'"{row.sha256}"'})
    opened = attachments.open_stored(row)
    if opened is None:
        return None
    response = send_file(
        opened.stream,
        mimetype=row.content_type,
        as_attachment=as_attachment,
        download_name=row.filename,
        etag=row.sha256,
        conditional=False,
    )
    response.content_length = opened.size
    # A browser that has these bytes (same digest) gets 304; no ranges: a stream cannot seek.
    return response.make_conditional(request)
