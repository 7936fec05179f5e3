"""Where sopflow keeps files: attachments, repair reports and rendered SOP sheet PDFs.

One interface, two backends, chosen by ``SOPFLOW_STORAGE``:

* ``local`` (the default): a folder on this machine (``SOPFLOW_ATTACHMENT_DIR``).
* ``s3``: a bucket of any S3-compatible object store (AWS S3, MinIO, Ceph, …), so that several
  web machines and workers see the same files.

Every place that reads or writes those files goes through :func:`store` — there is no second
copy of file handling. Files never get a public address: downloads stream through the app,
behind its own access checks.

Keys are relative, ``/``-separated names such as ``ab/ab12…`` (an attachment, by its id) or
``sop-sheets/<sha256>.pdf``; the S3 backend puts ``SOPFLOW_S3_PREFIX`` in front of them.

For backups and moving between backends (see docs/DEPLOYMENT.md): :meth:`Store.iter_keys` lists
every object, :func:`copy_objects` copies them from one store to another, and
:func:`local_store` / :func:`s3_store` build a store for a folder or bucket of your choosing.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

log = logging.getLogger(__name__)

KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
# Files being written by LocalStore.put start with this; they are never listed.
PARTIAL = ".partial-"
CHUNK = 64 * 1024


class StoreError(RuntimeError):
    """The file store failed. The message is short and safe to show: no secret, no trace."""


class MissingObject(StoreError):
    """No object under that key."""


def check_key(key: str) -> str:
    """A key as the stores accept it: relative, no ``..``, no empty or hidden parts."""
    if not isinstance(key, str) or len(key) > 512 or not KEY.fullmatch(key):
        raise StoreError(f"invalid key {key!r}")
    return key


@dataclass
class Opened:
    """An object opened for reading: a binary stream (read it in chunks, then close) and its
    size in bytes."""

    stream: BinaryIO
    size: int

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        try:
            while block := self.stream.read(size):
                yield block
        finally:
            self.stream.close()


class Store(Protocol):
    """What every backend does. ``data`` is bytes or a binary stream (read to its end)."""

    backend: str

    def put(self, key: str, data: bytes | BinaryIO, content_type: str = "") -> None: ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> Opened: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]: ...

    def check(self) -> None:
        """Raise StoreError unless the store can be written (readiness)."""

    def describe(self) -> str: ...


def _create_partial(folder: Path) -> tuple[int, Path]:
    """A new, empty file in ``folder`` for a write in progress: (open descriptor, path).

    Unlike tempfile's 0600 it is created with mode 0660 less the process umask: a backup or a
    web server running as another user of the service's group can read what is stored, and
    nobody else ever can, whatever the umask (attachments hold personal data; a hand-run
    ``flask backup restore`` under the usual umask 022 must not make them world-readable)."""
    for _attempt in range(100):
        path = folder / f"{PARTIAL}{secrets.token_hex(8)}"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o660), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free name for a temporary file", str(folder))


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the file system can (some network and FUSE
    file systems cannot sync a folder: the file's own fsync is what they offer).

    It runs once the file is already in place under its name, so it never raises: a write
    reported failed would be a lie about a file that exists and is read. Another failure is
    logged as a warning (only the name's survival of a power cut is in doubt)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            log.warning("stored file in place, but its folder %s was not synced: %s", folder, exc)


class LocalStore:
    """A folder: ``<root>/<key>``. Writes go to a temporary file renamed into place, so a
    reader never sees half a file and a failed write leaves nothing behind."""

    backend = "local"

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes | BinaryIO, content_type: str = "") -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _create_partial(path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    if isinstance(data, bytes | bytearray | memoryview):
                        out.write(data)
                    else:
                        while block := data.read(CHUNK):
                            out.write(block)
                    out.flush()
                    os.fsync(out.fileno())  # the bytes are on disk before the name is
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreError(f"cannot write to the local folder: {exc.strerror}") from exc
        _fsync_folder(path.parent)  # and the new name survives a power cut too

    def get(self, key: str) -> bytes:
        with self.open(key).stream as stream:
            return stream.read()

    def open(self, key: str) -> Opened:
        path = self._path(key)
        try:
            stream = path.open("rb")
        except FileNotFoundError as exc:
            raise MissingObject(f"no object {key}") from exc
        except OSError as exc:
            raise StoreError(f"cannot read the local folder: {exc.strerror}") from exc
        return Opened(stream, os.fstat(stream.fileno()).st_size)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot delete in the local folder: {exc.strerror}") from exc

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name.startswith(PARTIAL):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix) and KEY.fullmatch(key):
                yield key

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(prefix=PARTIAL, dir=self.root) as probe:
                probe.write(b"ok")
        except OSError as exc:
            raise StoreError(f"local folder not writable: {exc.strerror}") from exc

    def describe(self) -> str:
        return f"local folder {self.root}"


@dataclass(frozen=True)
class S3Settings:
    """How to reach the bucket (``SOPFLOW_S3_BUCKET`` and its siblings); empty keys use boto3's
    own credential chain (environment, instance role)."""

    bucket: str
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = ""
    prefix: str = ""
    addressing_style: str = "path"
    ca_bundle: str = ""
    timeout: float = 10.0

    def __repr__(self) -> str:  # never print the secret
        return f"S3Settings(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"


def _s3_problem(exc: Exception) -> str:
    """A short, safe description of a boto3 failure (no credentials, no request ids)."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code") or "?"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"object store refused: {code}" + (f" (HTTP {status})" if status else "")
    if isinstance(exc, EndpointConnectionError):
        return "object store unreachable"
    if isinstance(exc, NoCredentialsError):
        return "object store credentials missing"
    return f"object store failed: {type(exc).__name__}"


class S3Store:
    """A bucket of an S3-compatible object store, through one thread-safe boto3 client."""

    backend = "s3"

    def __init__(self, settings: S3Settings):
        import boto3
        from botocore.config import Config

        self.settings = settings
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        config = Config(
            s3={"addressing_style": settings.addressing_style},
            signature_version="s3v4",
            connect_timeout=settings.timeout,
            read_timeout=settings.timeout,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint_url or None,
            region_name=settings.region or None,
            aws_access_key_id=settings.access_key_id or None,
            aws_secret_access_key=settings.secret_access_key or None,
            verify=settings.ca_bundle or None,
            config=config,
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, what: str, key: str | None, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if key is not None and code in ("NoSuchKey", "404", "NotFound"):
                raise MissingObject(f"no object {key}") from exc
            log.warning("object store: %s %s: %s", what, key or "", exc)
            raise StoreError(_s3_problem(exc)) from exc
        except BotoCoreError as exc:
            log.warning("object store: %s %s: %s", what, key or "", exc)
            raise StoreError(_s3_problem(exc)) from exc

    def put(self, key: str, data: bytes | BinaryIO, content_type: str = "") -> None:
        extra = {"ContentType": content_type} if content_type else {}
        if isinstance(data, bytes | bytearray | memoryview):
            self._call(
                "put",
                None,
                self.client.put_object,
                Bucket=self.bucket,
                Key=self._key(key),
                Body=bytes(data),
                **extra,
            )
        else:  # large streams go up in parts; an upload that fails is aborted by boto3
            self._call(
                "put",
                None,
                self.client.upload_fileobj,
                Fileobj=data,
                Bucket=self.bucket,
                Key=self._key(key),
                ExtraArgs=extra or None,
            )

    def get(self, key: str) -> bytes:
        opened = self.open(key)
        try:
            return opened.stream.read()
        finally:
            opened.stream.close()

    def open(self, key: str) -> Opened:
        answer = self._call(
            "get", key, self.client.get_object, Bucket=self.bucket, Key=self._key(key)
        )
        return Opened(answer["Body"], int(answer["ContentLength"]))

    def exists(self, key: str) -> bool:
        try:
            self._call("head", key, self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except MissingObject:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call(
            "delete", None, self.client.delete_object, Bucket=self.bucket, Key=self._key(key)
        )

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if KEY.fullmatch(key):  # as the folder: another tenant's objects are not ours
                        yield key
        except (BotoCoreError, ClientError) as exc:
            log.warning("object store: list %s: %s", prefix, exc)
            raise StoreError(_s3_problem(exc)) from exc

    def check(self) -> None:
        self._call("head_bucket", None, self.client.head_bucket, Bucket=self.bucket)

    def describe(self) -> str:
        where = self.settings.endpoint_url or "AWS"
        return f"S3 bucket {self.bucket} at {where}" + (
            f" (prefix {self.prefix})" if self.prefix else ""
        )


def local_store(folder: str | os.PathLike[str]) -> LocalStore:
    """A store over a folder of your choosing (for example a backup's)."""
    return LocalStore(folder)


def s3_store(settings: S3Settings) -> S3Store:
    """A store over a bucket of your choosing (for example a backup's)."""
    return S3Store(settings)


_lock = threading.Lock()


def store() -> Store:
    """This app's store, built once from its settings (``STORAGE`` and ``ATTACHMENT_DIR``)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("sopflow_store")
    if found is None:
        with _lock:
            found = app.extensions.get("sopflow_store")
            if found is None:
                settings = app.config.get("STORAGE") or {}
                if settings.get("backend") == "s3":
                    found = S3Store(settings["s3"])
                else:
                    found = LocalStore(app.config["ATTACHMENT_DIR"])
                app.extensions["sopflow_store"] = found
    return found


def copy_objects(
    source: Store, target: Store, keys: Iterable[str] | None = None, overwrite: bool = False
) -> int:
    """Copy objects (every one when ``keys`` is None) from ``source`` to ``target``, streaming;
    skip those the target already has unless ``overwrite``. Return how many were copied."""
    copied = 0
    for key in source.iter_keys() if keys is None else keys:
        if not overwrite and target.exists(key):
            continue
        opened = source.open(key)
        try:
            target.put(key, opened.stream)
        finally:
            opened.stream.close()
        copied += 1
    return copied


def discard(keys: Iterable[str]) -> None:
    """Delete objects no committed row refers to; a failure is logged, never raised (the
    caller is already handling another failure)."""
    current = store()
    for key in keys:
        try:
            current.delete(key)
        except StoreError as exc:
            log.warning("could not delete orphan object %s: %s", key, exc)


def readiness() -> dict:
    """The store's readiness check: ``{"ok": bool, "backend": …, "ms": …}`` and, when it
    fails, a short safe ``error``."""
    began = time.monotonic()
    try:
        current = store()
        current.check()
    except StoreError as exc:
        result = {"ok": False, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a broken store is "not ready", never a 500
        log.warning("store readiness check failed: %r", exc)
        result = {"ok": False, "error": f"store failed: {type(exc).__name__}"}
    else:
        result = {"ok": True}
    settings = current_app.config.get("STORAGE") or {}
    result["backend"] = settings.get("backend", "local")
    result["ms"] = round((time.monotonic() - began) * 1000, 1)
    return result
