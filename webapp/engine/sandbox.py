"""Run diagram code in a child process with a time and memory budget.

A restricted expression can still ask C code for a lot of work in one step (``sum(range(10**12))``,
a format width of a billion): no guard inside the interpreter can interrupt that. So diagram code
runs in a small, long-lived child process (``python -I restricted.py``) with an address-space
limit and a CPU-time limit per evaluation; the parent waits at most the wall-clock budget for
each answer and kills the child when it is over, then starts a new one for the next evaluation.
Whatever happens there — an exception, ``SystemExit``, running out of memory, being killed — the
caller gets an ``ExpressionError`` naming the cause, and the web or worker process goes on.

Replies are unpickled with an allow-list of plain data types, so a script cannot hand the parent
an object of its own making.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .restricted import FRAME, MAX_REPLY_BYTES, ExpressionError

CHILD = Path(__file__).with_name("restricted.py")


@dataclass
class Budget:
    """What one evaluation may use; set from the administrator's settings at start."""

    seconds: float = 2.0  # wall clock, per evaluation
    memory_mb: int = 256  # address space on top of the child's own


BUDGET = Budget()


def configure(seconds: float | None = None, memory_mb: int | None = None) -> None:
    """Change the budget; running children are replaced so the new limits apply."""
    new = Budget(
        BUDGET.seconds if seconds is None else float(seconds),
        BUDGET.memory_mb if memory_mb is None else int(memory_mb),
    )
    if new != BUDGET:
        BUDGET.seconds, BUDGET.memory_mb = new.seconds, new.memory_mb
        _POOL.clear()


_DATA_TYPES = {
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("builtins", "range"),
    ("builtins", "slice"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("uuid", "UUID"),
    ("collections", "OrderedDict"),
}


class _DataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _DATA_TYPES:
            raise ExpressionError(f"the script's result is not plain data ({module}.{name})")
        return super().find_class(module, name)


def _loads(data: bytes) -> Any:
    return _DataUnpickler(io.BytesIO(data)).load()


class _Child:
    """One sandbox process and its pipes."""

    def __init__(self) -> None:
        cpu = max(1, math.ceil(BUDGET.seconds))
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(CHILD), str(BUDGET.memory_mb), str(cpu)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal is not the child's business
            # Nothing of this process's environment (database URL, secret key, SMTP password)
            # is there for a script to find, and no working directory of interest either.
            env={"LC_ALL": "C.UTF-8"},
            cwd="/",
        )
        self.budget = (BUDGET.seconds, BUDGET.memory_mb)

    @property
    def pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        """Return the child's stdin and stdout (both opened as pipes above, so never None)."""
        stdin, stdout = self.proc.stdin, self.proc.stdout
        if stdin is None or stdout is None:
            raise EOFError
        return stdin, stdout

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _read(self, size: int, deadline: float) -> bytes:
        fd = self.pipes[1].fileno()
        chunks, missing = [], size
        while missing:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def ask(self, request: bytes, seconds: float) -> Any:
        stdin = self.pipes[0]
        stdin.write(FRAME.pack(len(request)) + request)
        stdin.flush()
        deadline = time.monotonic() + seconds
        (size,) = FRAME.unpack(self._read(FRAME.size, deadline))
        if size > MAX_REPLY_BYTES + 1024:
            raise EOFError
        return self._read(size, deadline)


class _Pool:
    """Idle sandbox processes of this process, one taken per evaluation (threads welcome)."""

    MAX_IDLE = 4

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[_Child] = []
        self.pid = os.getpid()

    def take(self) -> _Child:
        with self.lock:
            if self.pid != os.getpid():  # forked (gunicorn --preload): the pipes are the parent's
                self.idle, self.pid = [], os.getpid()
            while self.idle:
                child = self.idle.pop()
                if child.proc.poll() is None and child.budget == (BUDGET.seconds, BUDGET.memory_mb):
                    return child
                child.kill()
        return _Child()

    def give_back(self, child: _Child) -> None:
        with self.lock:
            if len(self.idle) < self.MAX_IDLE and self.pid == os.getpid():
                self.idle.append(child)
                return
        child.kill()

    def clear(self) -> None:
        with self.lock:
            children, self.idle = self.idle, []
        for child in children:
            child.kill()


_POOL = _Pool()


def run(mode: str, source: str, context: dict, external: dict | None = None) -> Any:
    """Evaluate (``eval``) or execute (``exec``) diagram code in a sandbox process.

    Returns the expression's value, or for a script the data it assigned. Raises
    ``ExpressionError`` for a refusal, an error in the code, or a budget exceeded.
    """
    try:
        request = pickle.dumps((mode, source, context, external), protocol=5)
    except Exception as exc:  # noqa: BLE001 - task data that is not plain data
        raise ExpressionError(f"task data cannot be passed to the script: {exc}") from None
    child = _POOL.take()  # a pooled child that died while idle is replaced there
    try:
        raw = child.ask(request, BUDGET.seconds)
    except TimeoutError:
        child.kill()
        raise ExpressionError(
            f"script stopped: it ran longer than its time budget of {BUDGET.seconds:g} s"
        ) from None
    except (EOFError, OSError):
        try:
            code = child.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        child.kill()
        if code == -signal.SIGXCPU:
            raise ExpressionError(
                f"script stopped: it used more than its CPU-time budget of {BUDGET.seconds:g} s"
            ) from None
        raise ExpressionError(f"script stopped: its sandbox ended (exit status {code})") from None
    try:
        status, value, *kind = _loads(raw)
    except ExpressionError:
        _POOL.give_back(child)
        raise
    except Exception:  # noqa: BLE001 - a garbled reply: never trust that child again
        child.kill()
        raise ExpressionError("script stopped: its sandbox answered nonsense") from None
    if child.proc.poll() is None and not (kind and kind[0] == "MemoryError"):
        _POOL.give_back(child)
    else:
        child.kill()  # it ran out of memory: the next evaluation starts afresh
    if status != "ok":
        raise ExpressionError(str(value), kind[0] if kind else "")
    return value
