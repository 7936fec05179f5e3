"""Run the modeler's browser modules in Node (skipped without node, except in CI)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import missing

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "webapp" / "static" / "modeler"
RUNNER = Path(__file__).with_name("run_modules.mjs")


@pytest.fixture(scope="session")
def run_node() -> Callable[..., str]:
    """Return a function running ``run_modules.mjs`` with arguments; its stdout."""
    node = shutil.which("node")
    if node is None:
        message = "node is not installed: the modeler's JavaScript modules cannot be run"
        missing(message)

    def run(*args: str) -> str:
        done = subprocess.run(
            [node, str(RUNNER), *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
