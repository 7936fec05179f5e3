"""Imports run one way: the import-linter contracts in pyproject.toml hold (functions included)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.prefix) / "bin" / "lint-imports"


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_import_contracts_are_kept():
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # On failure the report names each broken contract and the chain of imports that breaks it.
    report = result.stdout[result.stdout.find("Contracts") :] + result.stderr
    assert result.returncode == 0, report
    assert "0 broken" in result.stdout, report


def test_engine_boundary_covers_every_part_of_webapp_but_the_engine():
    """A new package under webapp/ must be added to the boundary, not slip past it."""
    parts = {
        f"webapp.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "webapp").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    sources = set(_contracts()["engine-boundary"]["source_modules"])
    assert parts - {"webapp.engine"} <= sources, sorted(parts - {"webapp.engine"} - sources)
    assert "webapp.engine" not in sources
