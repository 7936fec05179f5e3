"""Imports run one way: views → services → {engine, models}; engine and connectors stay plain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package folder → module prefixes it must not import
RULES = {
    "webapp/engine": (
        "flask",
        "flask_",
        "sqlalchemy",
        "webapp.models",
        "webapp.services",
        "webapp.views",
        "webapp.extensions",
    ),
    "service_tasks": ("flask", "flask_", "sqlalchemy", "webapp"),
    "webapp/services": ("webapp.views",),
    "webapp/models": ("webapp.services", "webapp.views", "webapp.engine"),
}


def _imports(path: Path) -> set[str]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module or "")
    return names


CASES = [
    (path, forbidden)
    for folder, forbidden in RULES.items()
    for path in sorted((ROOT / folder).rglob("*.py"))
]


@pytest.mark.parametrize("path, forbidden", CASES, ids=[str(p.relative_to(ROOT)) for p, _ in CASES])
def test_module_imports_only_downward(path, forbidden):
    bad = sorted(
        name for name in _imports(path) if any(name == f or name.startswith(f) for f in forbidden)
    )
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: imports must run one way"
