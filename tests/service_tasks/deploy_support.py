"""Writing an administrator's deployment config for the tests of service_tasks.deploy."""

from __future__ import annotations

import json
import os
import select
from pathlib import Path


def toml_value(value: object) -> str:
    """The TOML spelling of a string, number, boolean or list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_config(directory: Path, app: str = "perizinan_online", **keys: object) -> Path:
    """Write `deploy.toml` in `directory` with one `[apps.<app>]` table holding `keys`."""
    lines = [f"[apps.{app}]"] + [f"{k} = {toml_value(v)}" for k, v in keys.items()]
    config = directory / "deploy.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def is_running(pid: int, wait: float = 5.0) -> bool:
    """Whether ``pid`` is still alive after waiting up to ``wait`` seconds for it to exit."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        exited, _, _ = select.select([fd], [], [], wait)  # readable once it has exited
        return not exited
    finally:
        os.close(fd)
