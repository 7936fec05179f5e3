"""What changed between the published version of a process and a draft, for a reviewer.

``diff_processes`` compares two parsed diagrams element by element (tasks, lanes, gateways,
events, sequence flows); ``changed_forms`` compares their form files property by property.
Details are short Indonesian lines such as ``nama: “A” → “B”``.

No Flask, no SQLAlchemy: plain data in, plain data out.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    BoundaryEvent,
    EventBasedGateway,
)
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway

from .spec import ParsedProcess, StepInfo

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
NONE = "(tidak ada)"

STEP_PROPERTIES = {
    "sopNomor": "nomor SOP",
    "sopKelengkapan": "kelengkapan",
    "sopWaktu": "waktu",
    "sopProduk": "produk",
    "sopKeterangan": "keterangan",
    "candidateUsersVariable": "variabel pelaksana",
}

_ORDER = {"lane": 0, "user": 1, "service": 2, "task": 3, "gateway": 4, "event": 5, "timer": 6}
_ORDER.update({"flow": 7, "form": 8})


@dataclass
class Change:
    """One element added, removed or changed, with what changed in Indonesian."""

    kind: str  # "added" | "removed" | "changed"
    element: str
    name: str
    kind_of_element: str  # user | service | task | timer | lane | gateway | flow | event | form
    details: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return NONE
    return str(value)


def _quoted(value: Any) -> str:
    return NONE if value is None or value == "" else f"“{value}”"


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _compare(fields: list[tuple[str, Any, Any]], quote: bool = False) -> list[str]:
    show = _quoted if quote else _fmt
    return [f"{label}: {show(old)} → {show(new)}" for label, old, new in fields if old != new]


# --------------------------------------------------------------------------------------------
# Describing a parsed process as comparable records
# --------------------------------------------------------------------------------------------


def _timer_value(expression: str | None) -> str | None:
    if expression is None:
        return None
    return expression.strip().strip("\"'")


def _step_record(step: StepInfo, spec: Any) -> dict[str, Any]:
    params = getattr(spec, "operation_params", None) or {}
    return {
        "name": step.name,
        "lane": step.lane,
        "timer": step.time_standard,
        "interrupting": step.timer.interrupting if step.timer else None,
        "form": step.form_schema_file,
        "ui": step.ui_schema_file,
        "operator": step.operator,
        "params": {k: (v or {}).get("value") for k, v in params.items()},
        "properties": {k: step.properties.get(k) or None for k in STEP_PROPERTIES},
        "documentation": step.documentation,
    }


def _step_details(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    details = _compare([("nama", old["name"], new["name"])], quote=True)
    details += _compare(
        [
            ("lane", old["lane"], new["lane"]),
            ("mutu baku", old["timer"], new["timer"]),
        ]
    )
    if old["timer"] and new["timer"] and old["interrupting"] != new["interrupting"]:
        state = {True: "membatalkan tugas", False: "tidak membatalkan tugas"}
        details.append(f"timer: {state[old['interrupting']]} → {state[new['interrupting']]}")
    details += _compare(
        [
            ("formulir", old["form"], new["form"]),
            ("UI formulir", old["ui"], new["ui"]),
            ("operator", old["operator"], new["operator"]),
        ]
    )
    for key in sorted(set(old["params"]) | set(new["params"])):
        details += _compare([(f"parameter {key}", old["params"].get(key), new["params"].get(key))])
    for key, label in STEP_PROPERTIES.items():
        details += _compare(
            [(label, old["properties"].get(key), new["properties"].get(key))], quote=True
        )
    if old["documentation"] != new["documentation"]:
        details.append(
            f"dokumentasi: {_quoted(_short(old['documentation'], 60))} → "
            f"{_quoted(_short(new['documentation'], 60))}"
        )
    return details


def _step_summary(record: dict[str, Any]) -> list[str]:
    details = [f"lane: {_fmt(record['lane'])}"]
    if record["timer"]:
        details.append(f"mutu baku: {record['timer']}")
    if record["form"]:
        details.append(f"formulir: {record['form']}")
    if record["operator"]:
        details.append(f"operator: {record['operator']}")
    return details


def _condition_text(condition: Any) -> str | None:
    if condition is None:
        return None
    args = getattr(condition, "args", None)
    if args:
        return str(args[0]).strip()
    return str(condition).strip()


def _targets(spec: Any) -> list[str]:
    """The diagram elements a spec's output leads to, skipping SpiffWorkflow's helper specs."""
    if getattr(spec, "bpmn_id", None):
        return [spec.bpmn_id]
    if isinstance(spec, BoundaryEventSplit):
        return [o.bpmn_id for o in spec.outputs if not isinstance(o, BoundaryEvent) and o.bpmn_id]
    return []  # joins, the end join and the End spec are not diagram elements


def _element_kind(spec: Any, step_ids: set[str], folded_timers: set[str]) -> str | None:
    if spec.bpmn_id in step_ids or spec.bpmn_id in folded_timers:
        return None
    if isinstance(spec, ExclusiveGateway | InclusiveGateway | ParallelGateway | EventBasedGateway):
        return "gateway"
    if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
        return "timer"
    if isinstance(spec, CatchingEvent | ThrowingEvent):
        return "event"
    return "task"


_GATEWAY_TYPES = {
    "ExclusiveGateway": "eksklusif",
    "InclusiveGateway": "inklusif",
    "ParallelGateway": "paralel",
    "EventBasedGateway": "berbasis peristiwa",
}


def _describe(process: ParsedProcess) -> dict[str, Any]:
    specs = [s for s in process.spec.task_specs.values() if getattr(s, "bpmn_id", None)]
    by_id = {s.bpmn_id: s for s in specs}
    names = {s.bpmn_id: s.bpmn_name or s.bpmn_id for s in specs}
    step_ids = set(process.steps)
    folded = {step.timer.bpmn_id for step in process.steps.values() if step.timer}

    steps = {
        bpmn_id: _step_record(step, by_id.get(bpmn_id)) for bpmn_id, step in process.steps.items()
    }
    elements: dict[str, dict[str, Any]] = {}
    for spec in specs:
        kind = _element_kind(spec, step_ids, folded)
        if kind is None:
            continue
        record: dict[str, Any] = {"kind": kind, "name": spec.bpmn_name, "lane": spec.lane}
        record["type"] = type(spec).__name__
        if kind == "gateway":
            default = getattr(spec, "default_task_spec", None)
            target = process.spec.task_specs.get(default) if default else None
            record["default"] = ", ".join(_targets(target)) if target is not None else None
        if kind == "timer":
            record["timer"] = _timer_value(spec.event_definition.expression)
            record["interrupting"] = getattr(spec, "cancel_activity", None)
        elements[spec.bpmn_id] = record

    flows: dict[tuple[str, str], str | None] = {}
    for spec in specs:
        conditions: dict[str, str | None] = {}
        for condition, target_name in getattr(spec, "cond_task_specs", None) or []:
            target = process.spec.task_specs.get(target_name)
            for target_id in _targets(target) if target is not None else []:
                conditions[target_id] = _condition_text(condition)
        for output in spec.outputs:
            for target_id in _targets(output):
                if target_id == spec.bpmn_id:
                    continue
                flows[(spec.bpmn_id, target_id)] = conditions.get(target_id)
    return {
        "steps": steps,
        "elements": elements,
        "flows": flows,
        "names": names,
        "lanes": list(dict.fromkeys(process.lanes)),
    }


# --------------------------------------------------------------------------------------------
# Diff
# --------------------------------------------------------------------------------------------


def _sort(changes: list[Change]) -> list[Change]:
    kinds = {REMOVED: 0, CHANGED: 1, ADDED: 2}
    return sorted(
        changes, key=lambda c: (_ORDER.get(c.kind_of_element, 99), c.element, kinds[c.kind])
    )


def diff_processes(old: ParsedProcess | None, new: ParsedProcess) -> list[Change]:
    """List what ``new`` adds, removes and changes against ``old`` (everything is new if None)."""
    before = (
        _describe(old)
        if old is not None
        else {"steps": {}, "elements": {}, "flows": {}, "names": {}, "lanes": []}
    )
    after = _describe(new)
    changes: list[Change] = []

    for lane in after["lanes"]:
        if lane not in before["lanes"]:
            changes.append(Change(ADDED, lane, lane, "lane", [f"lane baru: {lane}"]))
    for lane in before["lanes"]:
        if lane not in after["lanes"]:
            changes.append(Change(REMOVED, lane, lane, "lane", [f"lane dihapus: {lane}"]))

    old_steps, new_steps = before["steps"], after["steps"]
    kind_of = {**{k: s.kind for k, s in (old.steps if old else {}).items()}}
    kind_of.update({k: s.kind for k, s in new.steps.items()})
    for bpmn_id in sorted(set(old_steps) | set(new_steps)):
        o, n = old_steps.get(bpmn_id), new_steps.get(bpmn_id)
        if o is None:
            changes.append(Change(ADDED, bpmn_id, n["name"], kind_of[bpmn_id], _step_summary(n)))
        elif n is None:
            changes.append(Change(REMOVED, bpmn_id, o["name"], kind_of[bpmn_id], _step_summary(o)))
        else:
            details = _step_details(o, n)
            old_kind = old.steps[bpmn_id].kind if old else None
            if old_kind != new.steps[bpmn_id].kind:
                details.insert(0, f"jenis: {old_kind} → {new.steps[bpmn_id].kind}")
            if details:
                changes.append(Change(CHANGED, bpmn_id, n["name"], kind_of[bpmn_id], details))

    old_elements, new_elements = before["elements"], after["elements"]
    for bpmn_id in sorted(set(old_elements) | set(new_elements)):
        o, n = old_elements.get(bpmn_id), new_elements.get(bpmn_id)
        if o is None:
            details = [f"lane: {_fmt(n['lane'])}"]
            if n.get("timer"):
                details.append(f"waktu: {n['timer']}")
            changes.append(Change(ADDED, bpmn_id, n["name"] or "", n["kind"], details))
        elif n is None:
            changes.append(Change(REMOVED, bpmn_id, o["name"] or "", o["kind"], []))
        else:
            details = _compare([("nama", o["name"], n["name"])], quote=True)
            if o["type"] != n["type"]:
                label = _GATEWAY_TYPES
                details.append(
                    f"jenis: {label.get(o['type'], o['type'])} → {label.get(n['type'], n['type'])}"
                )
            details += _compare(
                [
                    ("lane", o["lane"], n["lane"]),
                    ("alur bawaan ke", o.get("default"), n.get("default")),
                    ("waktu", o.get("timer"), n.get("timer")),
                ]
            )
            if o.get("interrupting") != n.get("interrupting"):
                state = {True: "membatalkan tugas", False: "tidak membatalkan tugas", None: NONE}
                details.append(
                    f"timer: {state[o.get('interrupting')]} → {state[n.get('interrupting')]}"
                )
            if details:
                changes.append(Change(CHANGED, bpmn_id, n["name"] or "", n["kind"], details))

    old_flows, new_flows = before["flows"], after["flows"]
    names = {**before["names"], **after["names"]}
    for key in sorted(set(old_flows) | set(new_flows)):
        source, target = key
        element = f"{source} → {target}"
        name = f"{names.get(source, source)} → {names.get(target, target)}"
        if key not in old_flows:
            details = [f"dari: {source}", f"ke: {target}"]
            if new_flows[key]:
                details.append(f"kondisi: {new_flows[key]}")
            changes.append(Change(ADDED, element, name, "flow", details))
        elif key not in new_flows:
            changes.append(
                Change(REMOVED, element, name, "flow", [f"dari: {source}", f"ke: {target}"])
            )
        elif old_flows[key] != new_flows[key]:
            changes.append(
                Change(
                    CHANGED,
                    element,
                    name,
                    "flow",
                    [f"kondisi: {_fmt(old_flows[key])} → {_fmt(new_flows[key])}"],
                )
            )
    return _sort(changes)


# --------------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------------


def _load(content: Any) -> Any:
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else str(content)
        return json.loads(text)
    except (UnicodeDecodeError, ValueError, TypeError):
        return None


def _fields(schema: Any, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Flatten a JSON Schema's (nested) properties to {dotted.path: keywords except nesting}."""
    result: dict[str, dict[str, Any]] = {}
    if not isinstance(schema, dict):
        return result
    properties = schema.get("properties")
    required = (
        set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    )
    if not isinstance(properties, dict):
        return result
    for key, sub in properties.items():
        path = f"{prefix}{key}"
        keywords = (
            {k: v for k, v in sub.items() if k != "properties"}
            if isinstance(sub, dict)
            else {"": sub}
        )
        keywords["(wajib)"] = key in required
        result[path] = keywords
        result.update(_fields(sub, f"{path}."))
        items = sub.get("items") if isinstance(sub, dict) else None
        if isinstance(items, dict):
            result.update(_fields(items, f"{path}[]."))
    return result


def _form_details(old: Any, new: Any) -> list[str]:
    old_fields, new_fields = _fields(old), _fields(new)
    details: list[str] = []
    if isinstance(old, dict) and isinstance(new, dict):
        for keyword, label in (("title", "judul"), ("description", "keterangan")):
            if old.get(keyword) != new.get(keyword):
                details.append(
                    f"{label}: {_quoted(_short(old.get(keyword) or '', 60))} → "
                    f"{_quoted(_short(new.get(keyword) or '', 60))}"
                )
    for path in new_fields:
        if path not in old_fields:
            details.append(f"properti ditambah: {path}")
    for path in old_fields:
        if path not in new_fields:
            details.append(f"properti dihapus: {path}")
    for path in old_fields:
        if path in new_fields and old_fields[path] != new_fields[path]:
            keys = sorted(
                k
                for k in set(old_fields[path]) | set(new_fields[path])
                if old_fields[path].get(k) != new_fields[path].get(k)
            )
            details.append(f"properti diubah: {path} ({', '.join(k or 'nilai' for k in keys)})")
    if isinstance(old, dict) and isinstance(new, dict) and not old_fields and not new_fields:
        # A UI schema (or a schema without properties): compare its top-level keys.
        for key in sorted(set(old) | set(new)):
            if key not in old:
                details.append(f"kunci ditambah: {key}")
            elif key not in new:
                details.append(f"kunci dihapus: {key}")
            elif old[key] != new[key]:
                details.append(f"kunci diubah: {key}")
    return details


def changed_forms(old_forms: dict[str, bytes], new_forms: dict[str, bytes]) -> list[Change]:
    """List form files added, removed or changed; a change names the schema properties."""
    changes: list[Change] = []
    for filename in sorted(set(old_forms) | set(new_forms)):
        if filename not in old_forms:
            changes.append(Change(ADDED, filename, filename, "form", ["berkas formulir baru"]))
            continue
        if filename not in new_forms:
            changes.append(Change(REMOVED, filename, filename, "form", ["berkas dihapus"]))
            continue
        if old_forms[filename] == new_forms[filename]:
            continue
        old, new = _load(old_forms[filename]), _load(new_forms[filename])
        if old is None or new is None:
            details = ["isi berkas berubah (bukan JSON yang sah)"]
        elif old == new:
            continue  # only whitespace or key order changed
        else:
            details = _form_details(old, new) or ["isi berkas berubah"]
        changes.append(Change(CHANGED, filename, filename, "form", details))
    return changes
