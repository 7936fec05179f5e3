"""What a submission may carry into a case: only its form's fields, bounded in depth and size.

A step's submission is merged into the case data, where later steps, gateways and service
tasks read it. So a submission keeps only the fields its form declares (the JSON Schema's
``properties``), at every level:

* top level: a key that is not one of the form's ``properties`` is refused (422, naming it),
  whatever ``additionalProperties`` says: a step cannot overwrite a variable an earlier step set
  unless its own form declares that field;
* nested objects (an object field, the items of an array field) are closed the same way unless
  their schema opts in explicitly with ``additionalProperties`` (``true`` or a schema),
  ``unevaluatedProperties`` or ``patternProperties``. A field whose schema is ``true`` takes any
  value.

The API refuses such submissions; the web form never sends them (``forms.coerce`` reads only the
form's own fields, so extra posted fields are dropped before they get here).

Data nested deeper than ``MAX_DATA_DEPTH`` (422) or larger than ``MAX_DATA_BYTES`` without its
files (413) is refused before anything reaches the engine.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _

from ..engine.instance import MAX_STATE_DATA_DEPTH, StateNotSaved
from ..engine.nesting import MAX_DATA_DEPTH, TooDeep, resolve_ref, value_depth
from ..engine.nesting import loads as loads_bounded
from .errors import Invalid, TooLarge

# Form data without its files (those have their own upload limit), as JSON. A form's text
# fields hold a few thousand characters; a quarter megabyte is far beyond any of them.
MAX_DATA_BYTES = 256 * 1024

_COMPOSED = ("allOf", "anyOf", "oneOf", "then", "else")


def _expand(schemas: list[Any], root: Any) -> list[Any]:
    """The given schemas and every subschema that applies to the same value."""
    result: list[Any] = []
    seen: set[int] = set()
    pending = list(schemas)
    while pending:
        schema = pending.pop()
        if id(schema) in seen:
            continue
        seen.add(id(schema))
        result.append(schema)
        if not isinstance(schema, dict):
            continue
        for key in _COMPOSED:
            sub = schema.get(key)
            pending.extend(sub if isinstance(sub, list) else [sub] if sub is not None else [])
        if isinstance(schema.get("dependentSchemas"), dict):
            pending.extend(schema["dependentSchemas"].values())
        if isinstance(schema.get("$ref"), str):
            target = resolve_ref(schema["$ref"], root)
            if target is not None:
                pending.append(target)
    return result


def _opens(schema: Any) -> bool:
    """Whether an object schema explicitly accepts keys beyond its ``properties``."""
    if not isinstance(schema, dict):
        return False
    return (
        schema.get("additionalProperties", False) is not False
        or schema.get("unevaluatedProperties", False) is not False
        or "patternProperties" in schema
    )


def _extra_schemas(schema: Any) -> list[Any]:
    if not isinstance(schema, dict):
        return []
    found = [schema.get("additionalProperties"), schema.get("unevaluatedProperties")]
    found += list((schema.get("patternProperties") or {}).values())
    return [s for s in found if s is not None and s is not False]


def unknown_fields(schema: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """Return the paths of submitted keys the form does not declare (``a``, ``a.b``, ``a[0].b``).

    ``data`` must already be within ``MAX_DATA_DEPTH`` (the walk follows the data).
    """
    found: list[str] = []
    # (value, schemas that apply to it, path, top level?)
    pending: list[tuple[Any, list[Any], str, bool]] = [(data, [schema], "", True)]
    while pending:
        value, schemas, path, top = pending.pop()
        if not isinstance(value, dict | list):
            continue
        applying = _expand(schemas, schema)
        if any(s is True for s in applying):
            continue  # a schema of ``true`` takes any value
        dicts = [s for s in applying if isinstance(s, dict)]
        if isinstance(value, list):
            for index, item in enumerate(value):
                subs = []
                for s in dicts:
                    prefix = s.get("prefixItems")
                    if isinstance(prefix, list) and index < len(prefix):
                        subs.append(prefix[index])
                    elif s.get("items") is not None:
                        subs.append(s["items"])
                pending.append((item, subs, f"{path}[{index}]", False))
            continue
        is_open = not top and any(_opens(s) for s in dicts)
        for key, item in value.items():
            subs = [
                s["properties"][key]
                for s in dicts
                if isinstance(s.get("properties"), dict) and key in s["properties"]
            ]
            where = f"{path}.{key}" if path else str(key)
            if not subs:
                if not is_open:
                    found.append(where)
                    continue
                subs = [x for s in dicts for x in _extra_schemas(s)]
            pending.append((item, subs, where, False))
    return sorted(found)


def parse_body(raw: bytes, shape_message: str) -> Any:
    """Parse an API body measured first: nested deeper than the data may be is a 422.

    One level more than the data is allowed: the ``{"data": …}`` envelope. ``json`` recurses
    once per level, so a body a thousand levels deep never reaches it.
    """
    try:
        return loads_bounded(raw, MAX_DATA_DEPTH + 1)
    except TooDeep as exc:
        message = _("Isian bersarang terlalu dalam: paling banyak %(n)s tingkat.", n=MAX_DATA_DEPTH)
        raise Invalid(message, {}) from exc
    except ValueError as exc:  # not UTF-8 or not JSON
        raise Invalid(str(shape_message), {}) from exc


def check(form_schema: dict[str, Any], data: dict[str, Any], file_fields: list[str]) -> None:
    """Refuse data too deep (422), too large (413) or with fields the form does not have (422).

    Runs before validation and before anything reaches the engine; the cheap bounds first, so
    the walk over the data's keys only ever sees bounded data.
    """
    # ``data`` itself is the first level, so each value may nest one level less.
    below = MAX_DATA_DEPTH - 1
    deep = [name for name, value in data.items() if value_depth(value, below) > below]
    if deep:
        message = _("Isian bersarang terlalu dalam: paling banyak %(n)s tingkat.", n=MAX_DATA_DEPTH)
        raise Invalid(message, {str(name): message for name in deep})
    plain = {k: v for k, v in data.items() if k not in file_fields}
    size = len(json.dumps(plain, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_DATA_BYTES:
        raise TooLarge(
            _(
                "Isian formulir terlalu besar: paling banyak %(n)s KiB tanpa lampiran.",
                n=MAX_DATA_BYTES // 1024,
            ),
            {},
        )
    unknown = unknown_fields(form_schema, data)
    if unknown:
        names = ", ".join(unknown)
        raise Invalid(
            _("Isian tidak dikenal pada formulir langkah ini: %(names)s.", names=names),
            {name: _("Isian tidak dikenal.") for name in unknown},
        )


def state_refused(exc: StateNotSaved) -> Invalid:
    """The 422 for an action whose resulting case state could not be saved."""
    if exc.variable:
        message = _(
            "Langkah ini tidak dapat disimpan: data kasus pada variabel '%(var)s' bersarang "
            "lebih dari %(n)s tingkat. Tidak ada yang berubah; hubungi pemilik proses.",
            var=exc.variable,
            n=MAX_STATE_DATA_DEPTH,
        )
    else:
        message = _(
            "Langkah ini tidak dapat disimpan: data kasus tidak dapat disimpan (%(e)s). Tidak ada "
            "yang berubah; hubungi pemilik proses.",
            e=str(exc),
        )
    return Invalid(message, {})
