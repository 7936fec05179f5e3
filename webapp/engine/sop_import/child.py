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
    """Make the readers importable without running the packages' ``__init__`` (the web app)."""
    root = Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(root))
    for name in ("webapp", "webapp.engine", "webapp.engine.sop_import"):
        package = types.ModuleType(name)
        package.__path__ = [str(root.joinpath(*name.split(".")))]
        sys.modules[name] = package


def _peak_mb() -> float:
    """The most address space this process has held (VmPeak, what RLIMIT_AS bounds)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _ran_out_of_memory(exc: BaseException, memory_mb: int) -> bool:
    """Whether an error came from the memory limit.

    Out of address space, C libraries fail in their own ways (libxml2 "unknown error", a
    shared object that cannot be mapped), and pdfplumber wraps pdfminer's errors: so a
    MemoryError anywhere in the chain, or a peak close to the limit, counts.
    """
    if _peak_mb() > 0.8 * memory_mb:
        return True
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, MemoryError) or any(
            isinstance(a, MemoryError) for a in current.args
        ):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


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
    except Exception as exc:  # noqa: BLE001 - a damaged file: say so, never a trace
        if _ran_out_of_memory(exc, memory_mb):
            answer = {"refused": "import-too-complex", "params": {"case": "memory"}}
        else:
            answer = {"refused": "import-damaged", "params": {"format": meta["kind"].upper()}}
        print(f"{type(exc).__name__}: {exc}"[:2000], file=sys.stderr)
    except MemoryError:
        answer = {"refused": "import-too-complex", "params": {"case": "memory"}}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
