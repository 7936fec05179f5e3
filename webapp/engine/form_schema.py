"""Task form schemas: the one JSON Schema check, and the subset of it the form renderer draws.

The renderer (``services/forms.py``) and lint read the same definition, so a property lint
accepts is one a task form can show, and one the renderer cannot show is a lint error instead
of a text box that silently takes the wrong kind of value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

# Marks a choice field whose options are the active members of a role, filled in at render time.
OPTIONS_FROM_ROLE = "x-options-from-role"

# The JSON types a value typed into each widget can have (None: the property names no type).
WIDGET_TYPES: dict[str, tuple[str | None, ...]] = {
    "checkbox": ("boolean",),
    "checkboxes": ("array",),
    "number": ("number", "integer"),
    "date": (None, "string"),
    "email": (None, "string"),
    "select": (None, "string"),
    "radio": (None, "string"),
    "textarea": (None, "string"),
    "text": (None, "string"),
}


@dataclass(frozen=True)
class SchemaProblem:
    """Why a form file is not JSON Schema: where (``""`` is the root) and the validator's words."""

    path: str
    detail: str
    unchecked: bool = False  # the check itself failed (e.g. a pathological regex)


def schema_problem(schema: Any) -> SchemaProblem | None:
    """Check ``schema`` against the JSON Schema Draft 2020-12 meta-schema; None when valid."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return SchemaProblem("/".join(str(p) for p in exc.absolute_path), exc.message)
    except Exception as exc:  # noqa: BLE001 - e.g. a pathological regex in the schema
        return SchemaProblem("", str(exc) or type(exc).__name__, unchecked=True)
    return None


def choices(prop: dict[str, Any]) -> list[tuple[str, str]]:
    """The (value, label) pairs of an enum or a oneOf of consts; empty for a free field."""
    one_of = prop.get("oneOf")
    if isinstance(one_of, list) and all(isinstance(o, dict) and "const" in o for o in one_of):
        return [(str(o["const"]), str(o.get("title", o["const"]))) for o in one_of]
    if isinstance(prop.get("enum"), list):
        return [(str(v), str(v)) for v in prop["enum"]]
    return []


def widget(prop: dict[str, Any], ui: dict[str, Any]) -> str:
    """The widget the renderer draws for a property (``text`` when nothing else fits)."""
    requested = ui.get("ui:widget")
    kind = prop.get("type")
    if requested == "file" or prop.get("format") == "data-url":
        return "file"
    if kind == "boolean":
        return "checkbox"
    if kind == "array":
        return "checkboxes"
    if kind in ("number", "integer"):
        return "number"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") == "email":
        return "email"
    if choices(prop):
        return "radio" if requested == "radio" else "select"
    if requested == "textarea":
        return "textarea"
    return "text"


def unrenderable(prop: Any, ui: Any) -> bool:
    """True when the renderer cannot draw a field whose value satisfies ``prop``."""
    if not isinstance(prop, dict):
        return True
    drawn = widget(prop, ui if isinstance(ui, dict) else {})
    if drawn == "file":
        return False
    kind = prop.get("type")
    if isinstance(kind, list):
        # ["string", "null"] is a text field that may stay empty; two real types are not.
        named = [k for k in kind if k != "null"]
        kind = named[0] if len(named) == 1 else "object"
    if kind not in WIDGET_TYPES[drawn]:
        return True
    if drawn == "checkboxes":
        items = prop.get("items")
        return not (isinstance(items, dict) and (choices(items) or prop.get(OPTIONS_FROM_ROLE)))
    return False


def unrenderable_properties(schema: dict[str, Any], ui_schema: Any) -> list[str]:
    """The names of the schema's properties the renderer cannot draw, in schema order."""
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    ui_schema = ui_schema if isinstance(ui_schema, dict) else {}
    return [name for name, prop in props.items() if unrenderable(prop, ui_schema.get(name, {}))]
