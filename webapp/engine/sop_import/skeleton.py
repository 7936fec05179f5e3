"""The skeleton form of an imported step: its Output as the main field, a notes field.

A decision row's step also asks the decision: ``keputusan_<no>``, one choice per branch,
whose value the gateway's conditions compare. Field names carry the row number because the
answers of all steps share one case's data. The owner refines the forms in the modeler.
"""

from __future__ import annotations

import json
from typing import Any

from .plan import clean, decision_field, short_name

SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def files(row: dict[str, Any], labels: list[str] | None) -> dict[str, bytes]:
    """Return the schema and uischema files of a step's form, by file name."""
    no = row["no"]
    output = short_name(row.get("output") or "") or f"Hasil langkah {no}"
    main, notes = f"produk_{no}", f"catatan_{no}"
    properties: dict[str, Any] = {}
    ui: dict[str, Any] = {}
    required = [main]
    if labels:
        choice = decision_field(no)
        properties[choice] = {
            "type": "string",
            "title": short_name(row["uraian"]),
            "oneOf": [{"const": label, "title": label} for label in labels],
        }
        ui[choice] = {"ui:widget": "radio"}
        required.insert(0, choice)
    properties[main] = {
        "type": "string",
        "title": output,
        "description": f"Produk langkah {no} menurut SOP.",
        "minLength": 1,
    }
    ui[main] = {"ui:widget": "textarea", "ui:options": {"rows": 3}}
    properties[notes] = {"type": "string", "title": "Catatan"}
    ui[notes] = {"ui:widget": "textarea", "ui:options": {"rows": 3}}
    ui["ui:order"] = list(properties)
    schema = {
        "$schema": SCHEMA,
        "title": f"Langkah {no} — {short_name(row['uraian'])}",
        "description": _description(row),
        "type": "object",
        "required": required,
        "properties": properties,
    }
    return {
        f"langkah_{no}.schema.json": _json(schema),
        f"langkah_{no}.uischema.json": _json(ui),
    }


def _description(row: dict[str, Any]) -> str:
    parts = [clean(row["uraian"])]
    if clean(row.get("kelengkapan")):
        parts.append(f"Kelengkapan: {clean(row.get('kelengkapan'))}.")
    if clean(row.get("waktu")):
        parts.append(f"Mutu baku: {clean(row.get('waktu'))}.")
    return " ".join(parts)


def _json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
