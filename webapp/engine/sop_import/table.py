"""The SOP table an imported document is read into, and the owner corrects before it is saved.

One shape for every format (DOCX, XLSX, PDF, text/HTML) and for both halves of the import:
the readers produce it, the review screen and the API show it and take it back corrected, and
the generator turns it into a draft diagram. It is plain JSON, checked by ``TABLE_SCHEMA``
whenever it comes back from a person (it is untrusted like any request).

- ``header``: the SOP document's own fields by property name (``sop_document.DOCUMENT_FIELDS``).
- ``lanes``: the Pelaksana columns, in the document's order.
- ``rows``: one per numbered activity, in order. ``kind`` is ``task`` (a person's step),
  ``service`` (the system acts; the owner picks the connector later in the modeler),
  ``decision`` (an exclusive gateway: ``branches`` say where each answer goes) or ``end``
  (the flow stops here: a terminator such as "berkas dikembalikan"). A row flows to the next
  row unless it is a decision or an end; the last row flows to the end event.
- ``uncertain``: per row, what the importer was unsure of, as finding codes with parameters
  (worded by the view layer, like lint findings), e.g. ``{"field": "lane", "code":
  "import-lane-guessed", "params": {...}}``; the review screen highlights those cells.
- ``findings``: what could not be read at all (a row without a number, a cell that was not
  understood), so nothing is dropped silently; they become findings on the draft.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import sop_document

KINDS = ("task", "service", "decision", "end")
MAX_ROWS = 200
MAX_LANES = 30
MAX_TEXT = 4000  # characters in one cell; a longer cell is a finding, never cut silently
END = "end"  # a branch target that ends the process instead of naming a row

_TEXT = {"type": "string", "maxLength": MAX_TEXT}
_FINDING = {
    "type": "object",
    "required": ["code"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,60}$"},
        "field": {"type": "string", "maxLength": 40},
        "row": {"type": "integer", "minimum": 0, "maximum": 100000},
        "params": {
            "type": "object",
            "maxProperties": 10,
            "additionalProperties": {"type": ["string", "integer", "null"], "maxLength": 500},
        },
    },
}

TABLE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name", "header", "lanes", "rows"],
    "additionalProperties": False,
    "properties": {
        "process_id": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "header": {
            "type": "object",
            "additionalProperties": False,
            "properties": {f.prop: _TEXT for f in sop_document.DOCUMENT_FIELDS},
        },
        "lanes": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_LANES,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": 100},
        },
        "rows": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ROWS,
            "items": {
                "type": "object",
                "required": ["no", "uraian", "kind"],
                "additionalProperties": False,
                "properties": {
                    "no": {"type": "integer", "minimum": 1, "maximum": 10000},
                    "uraian": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
                    "lane": {"type": ["string", "null"], "maxLength": 100},
                    "kind": {"enum": list(KINDS)},
                    "waktu": _TEXT,  # as the document writes it: "10 menit", "1 x 24 jam"
                    "duration": {"type": ["string", "null"], "maxLength": 40},  # ISO, "PT10M"
                    "kelengkapan": _TEXT,
                    "output": _TEXT,
                    "keterangan": _TEXT,
                    "branches": {
                        "type": "array",
                        "maxItems": 5,
                        "items": {
                            "type": "object",
                            "required": ["label", "target"],
                            "additionalProperties": False,
                            "properties": {
                                "label": {"type": "string", "minLength": 1, "maxLength": 100},
                                # a row's number, or "end"
                                "target": {
                                    "anyOf": [
                                        {"type": "integer", "minimum": 1, "maximum": 10000},
                                        {"const": END},
                                    ]
                                },
                            },
                        },
                    },
                    "uncertain": {"type": "array", "maxItems": 20, "items": _FINDING},
                },
            },
        },
        "findings": {"type": "array", "maxItems": 500, "items": _FINDING},
    },
}


@cache
def _validator() -> Any:
    # Imported on first check: the readers' child process needs this module's limits, not
    # jsonschema (about a fifth of a second to import).
    from jsonschema import Draft202012Validator

    return Draft202012Validator(TABLE_SCHEMA)


def table_errors(table: Any) -> list[str]:
    """Return what is wrong with a table that came back from a person ([] when it is sound).

    Beyond the schema: row numbers are unique, a row's lane is one of the lanes, a decision
    has two or more branches and only decisions have branches, every branch target is a row
    of the table or ``"end"``.
    """
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(table)'}: {e.message}"
        for e in sorted(_validator().iter_errors(table), key=lambda e: list(e.absolute_path))
    ]
    if errors:
        return errors[:20]
    numbers = [row["no"] for row in table["rows"]]
    if len(set(numbers)) != len(numbers):
        errors.append("rows: row numbers must be unique")
    lanes = set(table["lanes"])
    for row in table["rows"]:
        where = f"rows/{row['no']}"
        if row.get("lane") is not None and row["lane"] not in lanes:
            errors.append(f"{where}/lane: {row['lane']!r} is not one of the lanes")
        branches = row.get("branches") or []
        if row["kind"] == "decision" and len(branches) < 2:
            errors.append(f"{where}/branches: a decision needs two or more branches")
        if row["kind"] != "decision" and branches:
            errors.append(f"{where}/branches: only a decision has branches")
        for branch in branches:
            if branch["target"] != END and branch["target"] not in numbers:
                errors.append(f"{where}/branches: no row {branch['target']}")
    return errors
