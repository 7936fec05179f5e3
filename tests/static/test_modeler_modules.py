"""The modeler's ES modules link: every import names a module and an export that exist."""

from __future__ import annotations

from tests.static.conftest import MODULES


def test_every_module_links_in_node(run_node):
    modules = sorted(MODULES.glob("*.js"))
    assert "main.js" in {p.name for p in modules}
    assert run_node("import", *map(str, modules)) == "ok"
