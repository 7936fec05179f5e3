"""Running the deployment's commands: one deadline, streamed output, a bounded log, no leftovers.

Each command runs in its own process group; when the deadline passes the whole group gets SIGTERM,
then SIGKILL. Output (stdout and stderr merged) goes line by line to ``on_output`` as it arrives
and is kept, bounded, for the result's ``log``. The runner also notes what the tools said that
explains a failure (a ``GAGAL:`` line of deploy.sh, a refused permission, a host key mismatch).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

LOG_HEAD_BYTES = 20 * 1024
LOG_TAIL_BYTES = 200 * 1024
READ_CHUNK = 64 * 1024  # a longer "line" is passed on in pieces
KILL_GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL
POLL_SECONDS = 0.5
LINGER_SECONDS = 2.0  # output still open after the script exited: a background process holds it


class BoundedLog:
    """Keeps the first ``head`` and the last ``tail`` bytes, counting what was dropped between."""

    def __init__(self, head: int = LOG_HEAD_BYTES, tail: int = LOG_TAIL_BYTES) -> None:
        self._head_limit, self._tail_limit = head, tail
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0

    def add(self, data: bytes) -> None:
        """Append ``data``, dropping from the middle once the head is full."""
        self._total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > 2 * self._tail_limit:  # trim now and then, not on every line
                del self._tail[: len(self._tail) - self._tail_limit]

    def text(self) -> str:
        """Return head and tail as text, with a line saying how many bytes were dropped."""
        head, tail = bytes(self._head), bytes(self._tail[-self._tail_limit :])
        dropped = self._total - len(head) - len(tail)
        if dropped:
            newline = tail.find(b"\n")  # start the tail on a whole line
            if 0 <= newline < len(tail) - 1:
                tail = tail[newline + 1 :]
                dropped = self._total - len(head) - len(tail)
        parts = [head.decode("utf-8", "replace")]
        if dropped:
            if not head.endswith(b"\n"):
                parts.append("\n")
            parts.append(f"… ({dropped} bytes dropped) …\n")
        parts.append(tail.decode("utf-8", "replace"))
        return "".join(parts)


def _pump(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    try:
        for chunk in iter(lambda: stream.readline(READ_CHUNK), b""):
            lines.put(chunk)
    except (OSError, ValueError):
        pass
    finally:
        stream.close()  # here, not by the runner: closing blocks while a read is in progress
        lines.put(None)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after a grace period."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class Runner:
    """Runs commands against one deadline, streaming their merged output into one log."""

    def __init__(self, on_output: Callable[[str], None] | None, timeout: float) -> None:
        self.on_output = on_output
        self.deadline = time.monotonic() + timeout
        self.log = BoundedLog()
        self.failure = ""  # the last "GAGAL: …" line
        self.permission_denied = False
        self.host_key_failed = False

    def say(self, line: str) -> None:
        """Add a line of sopflow's own to the log and the stream."""
        self._line(line.encode("utf-8"))

    def _line(self, raw: bytes) -> None:
        raw = raw.rstrip(b"\r\n")
        self.log.add(raw + b"\n")
        line = raw.decode("utf-8", "replace")
        if line.startswith("GAGAL:"):
            self.failure = line.removeprefix("GAGAL:").strip()
        elif "Permission denied" in line and "Permission denied (" not in line:
            self.permission_denied = True  # "(publickey,…)" is SSH refusing the login instead
        elif "Host key verification failed" in line:
            self.host_key_failed = True
        if self.on_output is not None:
            self.on_output(line)

    def run(self, argv: list[str], *, env: dict[str, str], cwd: Path | None = None) -> int | None:
        """Return the command's exit status, or None when the deadline passed and it was killed."""
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, killed as a whole on timeout
        )
        assert proc.stdout is not None
        lines: queue.Queue[bytes | None] = queue.Queue()
        reader = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
        reader.start()
        exited_at: float | None = None
        try:
            while True:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    kill_group(proc)
                    self._drain(lines)
                    return None
                try:
                    chunk = lines.get(timeout=min(remaining, POLL_SECONDS))
                except queue.Empty:
                    if proc.poll() is not None:
                        exited_at = exited_at or time.monotonic()
                        if time.monotonic() - exited_at > LINGER_SECONDS:
                            break
                    continue
                if chunk is None:
                    break
                self._line(chunk)
            try:
                return proc.wait(timeout=max(self.deadline - time.monotonic(), 0.001))
            except subprocess.TimeoutExpired:
                kill_group(proc)
                return None
        finally:
            if proc.poll() is None:  # on_output raised, or similar: leave nothing running
                kill_group(proc)

    def _drain(self, lines: queue.Queue[bytes | None]) -> None:
        """Keep what the killed command printed last, without waiting on a stuck pipe."""
        until = time.monotonic() + LINGER_SECONDS
        while (remaining := until - time.monotonic()) > 0:
            try:
                chunk = lines.get(timeout=remaining)
            except queue.Empty:
                return
            if chunk is None:
                return
            self._line(chunk)
