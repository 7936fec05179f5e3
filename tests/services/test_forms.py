"""Task forms: the renderer draws the JSON Schema subset lint accepts; one check of schemas."""

from __future__ import annotations

import pytest

from webapp.engine import form_schema
from webapp.services.forms import build_form, schema_errors

DRAWN = {
    "judul": ({"type": "string"}, {}, "text"),
    "uraian": ({"type": "string"}, {"ui:widget": "textarea"}, "textarea"),
    "tanggal": ({"type": "string", "format": "date"}, {}, "date"),
    "surel": ({"type": "string", "format": "email"}, {}, "email"),
    "jumlah": ({"type": "integer"}, {}, "number"),
    "setuju": ({"type": "boolean"}, {}, "checkbox"),
    "hasil": ({"type": "string", "enum": ["berhasil", "gagal"]}, {"ui:widget": "radio"}, "radio"),
    "jenis": ({"type": "string", "enum": ["a", "b"]}, {}, "select"),
    "pilihan": ({"type": "array", "items": {"enum": ["a", "b"]}}, {}, "checkboxes"),
    "lampiran": ({"type": "string", "format": "data-url"}, {}, "file"),
}


def test_the_renderer_draws_each_supported_property_with_the_engine_s_widget():
    schema = {"type": "object", "properties": {name: p for name, (p, _, _) in DRAWN.items()}}
    ui_schema = {name: ui for name, (_, ui, _) in DRAWN.items()}

    form = build_form(schema, ui_schema)

    assert {f.name: f.widget for f in form.fields} == {n: w for n, (_, _, w) in DRAWN.items()}
    assert form_schema.unrenderable_properties(schema, ui_schema) == []


def test_a_nested_object_is_outside_the_subset_the_renderer_draws():
    schema = {"type": "object", "properties": {"alamat": {"type": "object"}}}
    assert form_schema.unrenderable_properties(schema, {}) == ["alamat"]


@pytest.mark.parametrize(
    ("schema", "where"),
    [({"type": "objekt"}, "type"), ({"type": "object", "required": "judul"}, "required")],
)
def test_schema_errors_and_lint_share_one_check_naming_where(schema, where):
    problem = form_schema.schema_problem(schema)
    assert problem is not None and problem.path == where
    assert schema_errors(schema) == [f"Skema tidak sah di {where}: {problem.detail}"]


def test_a_valid_schema_has_no_problem():
    assert form_schema.schema_problem({"type": "object", "properties": {}}) is None
    assert schema_errors({"type": "object", "properties": {}}) == []
