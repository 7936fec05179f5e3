"""A real S3 API server for the object-store tests: moto's server mode, started as its own OS
process on a free 127.0.0.1 port (``python -m moto.server``), one bucket per test.

``running_s3(folder)`` starts it and stops it at the end; ``S3Server.bucket()`` creates a fresh
bucket and returns the ``S3Settings`` and the ``SOPFLOW_*`` environment that point at it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import missing
from webapp.services.storage import S3Settings

START_TIMEOUT = 30
ACCESS_KEY = "sopflow-test"
SECRET_KEY = "rahasia-s3-uji"  # the tests check it never shows


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen
    log: Path

    def settings(self, bucket: str, **changes) -> S3Settings:
        values = dict(
            bucket=bucket,
            endpoint_url=self.endpoint,
            region="us-east-1",
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            prefix="sopflow/",
            addressing_style="path",
            timeout=5.0,
        )
        values.update(changes)
        return S3Settings(**values)

    def client(self):
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def bucket(self) -> S3Settings:
        """A new, empty bucket of its own."""
        name = f"sopflow-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return self.settings(name)

    def keys(self, bucket: str) -> list[str]:
        """Every key in the bucket, prefix included, as the server lists them."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def s3_env(settings: S3Settings) -> dict[str, str]:
    """The ``SOPFLOW_*`` variables of a process that keeps its files in ``settings``' bucket."""
    return {
        "SOPFLOW_STORAGE": "s3",
        "SOPFLOW_S3_ENDPOINT_URL": settings.endpoint_url,
        "SOPFLOW_S3_BUCKET": settings.bucket,
        "SOPFLOW_S3_REGION": settings.region,
        "SOPFLOW_S3_ACCESS_KEY_ID": settings.access_key_id,
        "SOPFLOW_S3_SECRET_ACCESS_KEY": settings.secret_access_key,
        "SOPFLOW_S3_PREFIX": settings.prefix,
        "SOPFLOW_S3_ADDRESSING_STYLE": settings.addressing_style,
        "SOPFLOW_S3_TIMEOUT": str(settings.timeout),
    }


@contextmanager
def running_s3(folder: Path) -> Iterator[S3Server]:
    """moto's S3 server as a subprocess; fails in CI (skips elsewhere) when it cannot start."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        missing(f"moto[server] is not installed: {exc}")
    port = free_port()
    log = folder / "moto.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = S3Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                missing(f"moto server exited {process.returncode}: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    missing(f"moto server not listening after {START_TIMEOUT}s")
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
