"""Read an uploaded SOP document into the import table, bounded in time and memory.

``read_document`` checks the document's size and kind (``guard.py``), then parses it in a
fresh child process (``child.py``) with an address-space and CPU limit, waiting at most a
wall-clock budget and killing it after. Whatever the document does to the parser — inflate,
loop, crash — the caller gets ``ImportRefused`` with a code, never a dead web worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ImportRefused
from .guard import kind_of
from .table import table_errors

CHILD = Path(__file__).with_name("child.py")


@dataclass
class Budget:
    """What parsing one document may use."""

    seconds: float = 30.0  # wall clock
    cpu_seconds: int = 20
    memory_mb: int = 1024  # address space of the child (shared libraries included)


BUDGET = Budget()


def configure(seconds: float, memory_mb: int) -> None:
    """Set the budget from the administrator's settings (the CPU limit follows the wall clock)."""
    BUDGET.seconds = float(seconds)
    BUDGET.cpu_seconds = max(1, int(seconds * 2 // 3))
    BUDGET.memory_mb = int(memory_mb)


def read_document(filename: str, data: bytes) -> dict[str, Any]:
    """Return the import table (``TABLE_SCHEMA``) of a DOCX, XLSX, PDF or text/HTML document.

    Raises ``ImportRefused`` (a finding code and its parameters) when the document is not one
    that can be imported, with what was wrong.
    """
    kind = kind_of(filename, data)
    answer = _run_child(kind, filename, data)
    if "refused" in answer:
        raise ImportRefused(str(answer["refused"]), **(answer.get("params") or {}))
    table: dict[str, Any] = answer.get("table") or {}
    errors = table_errors(table)
    if errors:  # the reader's own mistake; the owner cannot fix it by correcting the table
        raise ImportRefused("import-damaged", format=kind.upper(), detail=errors[0][:300])
    return table


def _run_child(kind: str, filename: str, data: bytes) -> dict[str, Any]:
    meta = json.dumps({"kind": kind, "filename": filename[-200:]}).encode() + b"\n"
    proc = subprocess.Popen(
        [sys.executable, "-I", str(CHILD), str(BUDGET.memory_mb), str(BUDGET.cpu_seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        close_fds=True,
        start_new_session=True,
        env={"LC_ALL": "C.UTF-8"},  # nothing of the server's environment for the parser
        cwd="/",
    )
    try:
        out, _err = proc.communicate(meta + data, timeout=BUDGET.seconds)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise ImportRefused("import-too-complex", case="time") from None
    if proc.returncode == -signal.SIGXCPU or proc.returncode == -signal.SIGKILL:
        raise ImportRefused("import-too-complex", case="time")
    try:
        answer = json.loads(out)
    except ValueError:
        # Out of memory inside a C library, or killed: the document asked for too much.
        raise ImportRefused("import-too-complex", case="memory") from None
    return answer if isinstance(answer, dict) else {}


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()
