"""The crash harness's moving parts: a web server and a worker as killable OS processes, and an
HTTP driver that retries what failed because the server was down."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.prefix) / "bin"
START_TIMEOUT = 60
REQUEST_TIMEOUT = 30
RETRY_FOR = 90  # seconds a request keeps being retried while the server is down
RETRY_PAUSE = 0.1


class Child:
    """One OS process in its own session, so a SIGKILL takes its whole process group along.

    Output of every incarnation is appended to one file (no pipe can fill up)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], tmp_path: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.log = tmp_path / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> int:
        self.starts += 1
        with self.log.open("a") as out:
            out.write(f"\n=== start {self.starts} ===\n")
            out.flush()
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.process.pid

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> int | None:
        """SIGKILL the process group we started (its id is our child's pid); reap it."""
        if self.process is None:
            return None
        pid = self.process.pid
        if self.process.poll() is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(30)
        return pid

    def terminate(self, timeout: float = 30) -> None:
        """Ask politely (the worker finishes its sweep), then kill."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def web_argv(port: int) -> tuple[str, list[str]]:
    """gunicorn when the venv has it, else Flask's own (werkzeug, threaded) server."""
    gunicorn = BIN / "gunicorn"
    if gunicorn.exists():
        return "gunicorn", [
            str(gunicorn),
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "webapp:create_app()",
        ]
    return "flask run", [
        str(BIN / "flask"),
        "--app",
        "webapp",
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-reload",
        "--no-debugger",
        "--with-threads",
    ]


def wait_listening(port: int, child: Child, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise AssertionError(f"{child.name} exited:\n{child.tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{child.name} not listening on {port}:\n{child.tail()}")


class ServerDown(Exception):
    """The server did not answer for RETRY_FOR seconds."""


class Api:
    """JSON over real HTTP, one connection per request; retries while the server is down."""

    def __init__(self, port: int, tokens: dict[str, str]):
        self.port = port
        self.tokens = tokens
        self.lock = threading.Lock()
        self.retries = 0  # requests sent again after a refused/reset connection or a 503
        self.resolved_by_409 = 0  # retried completions that had already succeeded

    def call(self, user: str, method: str, path: str, body=None, headers=None):
        """Return (status, payload, attempts)."""
        send = {"Authorization": f"Bearer {self.tokens[user]}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body)
            send["Content-Type"] = "application/json"
        deadline = time.monotonic() + RETRY_FOR
        attempts = 0
        while True:
            attempts += 1
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            try:
                conn.request(method, path, body=data, headers=send)
                response = conn.getresponse()
                raw = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                # Refused (down), reset or cut off mid-answer (killed): send it again.
                problem = f"{type(exc).__name__}: {exc}"
                status = None
            finally:
                conn.close()
            if status is not None and status != 503:
                try:
                    payload = json.loads(raw or b"null")
                except ValueError:
                    payload = {"raw": raw[:500].decode("utf-8", "replace")}
                return status, payload, attempts
            if status == 503:
                problem = "503"
            if time.monotonic() > deadline:
                raise ServerDown(f"{method} {path}: no answer for {RETRY_FOR}s ({problem})")
            with self.lock:
                self.retries += 1
            time.sleep(RETRY_PAUSE)

    def complete(self, user: str, task_id: int, data: dict) -> None:
        """Complete a task; a 409 after a retry means the first attempt got through."""
        status, payload, attempts = self.call(
            user, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": data}
        )
        if status == 200:
            return
        if status == 409 and attempts > 1 and "sudah diselesaikan" in payload.get("message", ""):
            with self.lock:
                self.resolved_by_409 += 1
            return
        raise AssertionError(f"complete {task_id} as {user}: {status} {payload}")
