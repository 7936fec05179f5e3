"""The child process that parses one document under memory and CPU limits.

Run as ``python -I child.py MEMORY_MB CPU_SECONDS`` with the document on stdin (a JSON line
with its kind and name, then its bytes); it answers one JSON object on stdout: ``{"table":
…}`` or ``{"refused": code, "params": …}``. It imports only what parsing needs (not the web
app), so it starts small, and it may write no file.
"""

from __future__ import annotations

import json
import resource
import sys
import types
from pathlib import Path


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _packages() -> None:
    """Make ``webapp.engine`` importable without running the web app's ``__init__``."""
    root = Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(root))
    webapp = types.ModuleType("webapp")
    webapp.__path__ = [str(root / "webapp")]
    sys.modules["webapp"] = webapp


def main() -> None:
    """Parse the document on stdin and print the table or the refusal."""
    memory_mb, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    meta = json.loads(sys.stdin.buffer.readline())
    data = sys.stdin.buffer.read()
    _packages()
    from webapp.engine.sop_import.errors import ImportRefused
    from webapp.engine.sop_import.parse import parse

    _limit(memory_mb, cpu_seconds)
    try:
        answer: dict = {"table": parse(meta["kind"], data, meta["filename"])}
    except ImportRefused as refused:
        answer = {"refused": refused.code, "params": refused.params}
    except MemoryError:
        answer = {"refused": "import-too-complex", "params": {"case": "memory"}}
    except Exception as exc:  # noqa: BLE001 - a damaged file: say so, never a trace
        answer = {"refused": "import-damaged", "params": {"format": meta["kind"].upper()}}
        print(f"{type(exc).__name__}: {exc}"[:2000], file=sys.stderr)
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
