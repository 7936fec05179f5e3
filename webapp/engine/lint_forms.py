"""Lint of the forms user tasks refer to: present, JSON, JSON Schema, renderable, RE2 patterns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from .form_schema import schema_problem, unrenderable_properties
from .lint_base import ERROR, WARNING, Findings, label, properties, short
from .nesting import MAX_DATA_DEPTH, MAX_SCHEMA_DEPTH, schema_depth
from .nesting import loads as loads_bounded
from .patterns import pattern_problems


def _load_json(raw: Any) -> tuple[Any, str | None]:
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes | bytearray) else str(raw)
        # Bounded: ``json`` recurses per level, a file thousands of levels deep is refused.
        return loads_bounded(text, MAX_SCHEMA_DEPTH), None
    except (UnicodeDecodeError, ValueError, TypeError) as exc:
        return None, short(exc, 120)


def check_forms(
    found: Findings, user_tasks: list[etree._Element], forms: Mapping[str, Any]
) -> None:
    """Check each user task's form references and each referenced form file once."""
    loaded: dict[str, Any] = {}
    for task in user_tasks:
        props = properties(task)
        schema_file = props.get("formJsonSchemaFilename", "").strip()
        ui_file = props.get("formUiSchemaFilename", "").strip()
        if not schema_file:
            found.add(WARNING, "form-missing-ref", task, {"label": label(task)})
        for filename, is_ui in ((schema_file, False), (ui_file, True)):
            if not filename:
                continue
            if filename not in forms:
                case = "ui" if is_ui else "form"
                params = {"case": case, "label": label(task), "file": filename}
                found.add(ERROR, "form-not-found", task, params, {"upload_form": filename})
                continue
            if filename not in loaded:
                loaded[filename] = _check_file(found, filename, forms[filename], is_ui)
        schema = loaded.get(schema_file)
        if isinstance(schema, dict):
            ui_schema = loaded.get(ui_file) if ui_file else {}
            for name in unrenderable_properties(schema, ui_schema):
                params = {"label": label(task), "file": schema_file, "property": name}
                found.add(ERROR, "form-unsupported", task, params)


def _check_file(found: Findings, filename: str, raw: Any, is_ui: bool) -> Any:
    """Check one form file; return its data when the renderer may use it, else None."""
    data, problem = _load_json(raw)
    ui = "-ui" if is_ui else ""
    if problem is not None:
        found.add(
            ERROR,
            "form-invalid",
            filename,
            {"case": f"json{ui}", "file": filename, "detail": problem},
        )
        return None
    if not isinstance(data, dict):
        found.add(ERROR, "form-invalid", filename, {"case": f"object{ui}", "file": filename})
        return None
    if is_ui:
        return data
    depth = schema_depth(data, MAX_DATA_DEPTH)
    if depth > MAX_DATA_DEPTH:
        found.add(ERROR, "form-too-deep", filename, {"file": filename, "depth": MAX_DATA_DEPTH})
    invalid = schema_problem(data)
    if invalid is not None:
        if invalid.unchecked:
            params = {"case": "unchecked", "file": filename, "detail": short(invalid.detail, 120)}
            found.add(ERROR, "form-invalid", filename, params)
            return None
        params = {
            "case": "schema",
            "file": filename,
            "path": invalid.path,
            "detail": short(invalid.detail, 160),
        }
        found.add(ERROR, "form-invalid", filename, params)
    for path, pattern, reason in pattern_problems(data):
        params = {
            "pattern": short(pattern, 80),
            "path": path,
            "file": filename,
            "detail": short(reason, 100),
        }
        found.add(ERROR, "form-pattern", filename, params)
    return data if invalid is None else None
