"""A step's submission on its way into a case: checked, validated, its files stored, and undone
(transaction and stored objects) when the case cannot take it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_babel import gettext as _

from ...engine.instance import EngineError, StateNotSaved
from ...extensions import db
from ...models import Attachment, User
from .. import attachments, forms, storage, submissions
from ..errors import Invalid, ServiceError


def _store_files(
    form: forms.TaskForm, uploads: dict[str, attachments.Upload], data: dict[str, Any], user: User
) -> tuple[list[Attachment], list[str], dict[str, str]]:
    """Store uploaded files and put their attachment ids into the data; return the rows, their
    store keys and the refusals. The store failing takes back what was stored and raises."""
    stored, keys, errors = [], [], {}
    accept = {f.name: f.accept for f in form.fields}
    for name in form.file_fields:
        upload = uploads.get(name)
        if upload is None and isinstance(data.get(name), str) and data[name].startswith("data:"):
            try:
                upload = attachments.from_data_url(data[name])
            except attachments.UploadError as exc:
                errors[name] = str(exc)
                continue
        data.pop(name, None)
        if upload is None:
            continue
        try:
            attachment, key = attachments.store(upload, accept.get(name, ""), name, user)
        except attachments.UploadError as exc:
            errors[name] = str(exc)
            continue
        except attachments.StoreUnavailable:
            for row in stored:
                db.session.expunge(row)
            storage.discard(keys)
            raise
        stored.append(attachment)
        keys.append(key)
        data[name] = attachment.id
    return stored, keys, errors


def validated(
    form: forms.TaskForm, data: dict[str, Any], uploads: dict[str, attachments.Upload], user: User
) -> tuple[list[Attachment], list[str]]:
    """Validate a submission against its form, then store its files; return them and keys."""
    # Only the form's fields, bounded in depth and size, go any further (see submissions).
    submissions.check(form.schema, data, form.file_fields)
    # Validate fields first with placeholders for files, so a bad text field never
    # leaves an orphan file behind.
    probe = dict(data)
    for name in form.file_fields:
        if name in uploads or (
            isinstance(probe.get(name), str) and probe[name].startswith("data:")
        ):
            probe[name] = "pending-upload"
        else:
            probe.pop(name, None)
    errors = forms.validate(form, probe)
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    stored, keys, file_errors = _store_files(form, uploads, data, user)
    if file_errors:
        storage.discard(keys)
        raise Invalid(_("Periksa kembali isian yang ditandai."), file_errors)
    return stored, keys


@contextmanager
def undone_on_failure(keys: list[str]) -> Iterator[None]:
    """Run a submission's transaction; on any failure roll it back and delete its objects.

    The engine's refusals become the service's errors: a state that cannot be saved is the
    submission's fault (422), any other engine failure the process's (ServiceError).
    """
    try:
        yield
    except Exception as exc:
        db.session.rollback()
        storage.discard(keys)
        if isinstance(exc, StateNotSaved):
            raise submissions.state_refused(exc) from exc
        if isinstance(exc, EngineError):
            raise ServiceError(_("Proses gagal dijalankan: %(e)s", e=str(exc))) from exc
        raise
