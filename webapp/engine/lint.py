"""Lint a BPMN draft before it is published: every finding says what is wrong and what to do.

``lint`` never raises: whatever bytes a process owner uploads, the answer is a list of
findings (a broken file is an ``error`` finding). ``normalize`` rewrites the bare ISO-8601 timer
expressions Camunda Modeler writes (``PT10M``) into the quoted Python strings SpiffWorkflow
evaluates (``"PT10M"``). A finding is a code with parameters; ``webapp/views/findings.py``
words it in the reader's language.

This module checks the diagram's structure, lanes, timers, gateways, expressions and SOP data;
service tasks are checked in ``lint_services``, forms in ``lint_forms``.
No Flask, no SQLAlchemy: plain data in, plain data out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import durations
from .lint_base import (
    BPMN_NS,
    ERROR,
    SPIFF_NS,
    WARNING,
    Finding,
    Findings,
    label,
    owner_with_id,
    properties,
    q,
    s,
    short,
    sort_findings,
)
from .lint_forms import check_forms
from .lint_services import check_service_tasks
from .lint_structure import ACTIVITIES, check_structure
from .scripting import SopScriptEngine
from .sop_document import SopDocument
from .spec import DiagramError, parse_process
from .xml import UnsafeXmlError, parse_bpmn_xml

__all__ = ["ERROR", "WARNING", "Finding", "has_errors", "lint", "normalize"]

RESERVED_IDS = frozenset({"Start", "End"})

KNOWN_SPIFF_TAGS = frozenset(
    {
        "properties",
        "property",
        "serviceTaskOperator",
        "parameters",
        "parameter",
        "preScript",
        "postScript",
        "instructionsForEndUser",
        "allowGuest",
        "guestConfirmation",
        "signalButtonLabel",
        "unitTests",
        "unitTest",
        "inputJson",
        "expectedOutputJson",
        "calledDecisionId",
        "taskMetadataValues",
        "taskMetadataValue",
        "retry",
        "messagePayload",
        "messageVariable",
        "processVariableCorrelation",
        "calledElement",
    }
)

# The process properties without which the SOP sheet's header is left blank.
SOP_DOCUMENT_REQUIRED = ("sopNomor", "sopInstansi")

# The task properties the SOP sheet's table reads.
SOP_PROPERTIES = ("sopKelengkapan", "sopWaktu", "sopProduk")

# The activities the SOP sheet lists as steps when they carry a sopNomor.
SHEET_TASKS = ACTIVITIES

TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")

# Bare ISO-8601 values as Camunda Modeler writes them into timer definitions.
_DURATION = r"P(?=\d|T\d)(?:\d+(?:[.,]\d+)?[YMWD])*(?:T(?=\d)(?:\d+(?:[.,]\d+)?[HMS])+)?"
_DATE = (
    r"\d{4}-\d{2}-\d{2}"
    r"(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_CYCLE = rf"R\d*(?:/(?:{_DURATION}|{_DATE})){{1,2}}"
BARE_ISO = re.compile(rf"^(?:{_CYCLE}|{_DURATION}|{_DATE})$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Timer expressions
# --------------------------------------------------------------------------------------------


def _timer_text(node: etree._Element) -> str:
    return (node.text or "").strip()


def _timer_owner(node: etree._Element) -> etree._Element | None:
    """The event element that holds a timer definition or one of its timeDuration/… nodes."""
    parent = node.getparent()
    while parent is not None and (
        parent.get("id") is None or parent.tag == q("timerEventDefinition")
    ):
        parent = parent.getparent()
    return parent


def is_bare_iso(expression: str) -> bool:
    """True for an unquoted ISO-8601 duration, date or cycle such as ``PT10M``."""
    return bool(BARE_ISO.match(expression.strip()))


def check_iso_timer(kind: str, value: Any) -> str | None:
    """Return why ``value`` is not a valid ISO value for a timer of ``kind``, or None."""
    if not isinstance(value, str):
        return f"hasilnya bukan teks melainkan {type(value).__name__}"
    value = value.strip()
    try:
        if kind == "timeDuration":
            # The one reading the timers, the SOP sheet and the SLA figures share.
            if durations.try_parse(value) is None:
                raise ValueError("format tidak dikenali (bilangan bulat, mis. PT90M, bukan PT1.5H)")
        elif kind == "timeDate":
            parsed = TimerEventDefinition.parse_time_or_duration(value)
            if not isinstance(parsed, datetime):
                raise ValueError("nilainya durasi, bukan tanggal")
        else:
            if not value.upper().startswith("R"):
                raise ValueError("siklus ISO-8601 harus diawali R")
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow raises bare Exception
        return str(exc) or type(exc).__name__
    return None


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error (the draft cannot be published)."""
    return any(f.level == ERROR for f in findings)


def _as_bytes(content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, bytearray | memoryview):
        return bytes(content)
    if isinstance(content, str):
        return content.encode("utf-8")
    raise TypeError(f"expected bytes, got {type(content).__name__}")


def normalize(bpmn: bytes) -> tuple[bytes, list[Finding]]:
    """Quote bare ISO-8601 timer values; return the new file and a warning per changed timer.

    A file that cannot be read is returned unchanged with an ``xml-invalid`` error.
    """
    try:
        content = _as_bytes(bpmn)
        root = parse_bpmn_xml(content)
    except (UnsafeXmlError, TypeError) as exc:
        return bpmn, [_xml_invalid(exc)]

    found = Findings()
    for kind in TIMER_KINDS:
        for node in root.iter(q(kind)):
            expression = _timer_text(node)
            if not expression or not is_bare_iso(expression):
                continue
            quoted = f'"{expression}"'
            node.text = quoted
            owner = _timer_owner(node)
            element = owner.get("id", "") if owner is not None else ""
            params = {"label": label(owner), "from": expression, "to": quoted}
            fix = {"timer": element, "from": expression, "to": quoted}
            found.add(WARNING, "timer-normalized", owner, params, fix)
    if not found.items:
        return content, []
    return _serialize(root, content), sort_findings(found.items)


def _serialize(root: etree._Element, original: bytes) -> bytes:
    """Write the document back: original XML declaration, top-level comments, then the root."""
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    before = list(reversed(list(root.itersiblings(preceding=True))))
    after = list(root.itersiblings())
    # With an encoding other than "unicode", lxml returns bytes.
    parts = [
        cast(bytes, etree.tostring(node, encoding=encoding, xml_declaration=False, with_tail=False))
        for node in [*before, root, *after]
    ]
    stripped = original.lstrip()
    if stripped.startswith(b"<?xml"):
        end = stripped.find(b"?>")
        if end > 0:
            parts.insert(0, stripped[: end + 2])
    body = b"\n".join(parts)
    if original.endswith(b"\n"):
        body += b"\n"
    return body


# --------------------------------------------------------------------------------------------
# Lint
# --------------------------------------------------------------------------------------------


# Powers, products and shifts are guarded (refused before they grow too large), so only
# calls and comprehensions are left to run time.
_COSTLY = (ast.Call, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)


def _cheap(expression: str) -> bool:
    """True when evaluating the expression at upload costs next to nothing.

    A timer is evaluated once at lint time to check its value (in the sandbox, like every
    diagram expression); calls and comprehensions are left to run time instead, so an upload
    with many timers cannot keep the request busy for many budgets in a row.
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return True  # evaluate() reports the syntax error
    return not any(isinstance(node, _COSTLY) for node in ast.walk(tree))


def _finding(code: str, params: dict[str, Any]) -> Finding:
    """An error about the whole file (no element)."""
    return Finding(ERROR, code, "", "", params)


def _xml_invalid(exc: Exception) -> Finding:
    return _finding("xml-invalid", {"detail": short(exc)})


class _Linter:
    def __init__(
        self,
        bpmn: bytes,
        forms: Mapping[str, Any],
        connectors: Mapping[str, Any],
        roles: set[str],
        process_id: str | None,
    ) -> None:
        if not isinstance(connectors, Mapping):
            # Bare names declare no parameters: every parameter is then refused (fail closed).
            connectors = {str(name): None for name in connectors or ()}
        self.bpmn = bpmn
        self.forms = dict(forms or {})
        self.connectors = {str(k): v for k, v in connectors.items()}
        self.roles = {str(r).strip() for r in roles or ()}
        self.process_id = process_id
        self.found = Findings()
        self.add = self.found.add
        self.engine = SopScriptEngine()

    # -- entry ---------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        try:
            root = parse_bpmn_xml(self.bpmn)
        except UnsafeXmlError as exc:
            return [_xml_invalid(exc)]
        if not isinstance(root.tag, str) or root.tag != q("definitions"):
            tag = etree.QName(root).localname if isinstance(root.tag, str) else "?"
            return [_finding("bpmn-invalid", {"case": "not-bpmn", "tag": tag})]
        self.check_reserved_ids(root)
        self.check_extensions(root)
        process = self.find_process(root)
        if process is not None:
            self.index(process)
            self.check_lanes(process)
            check_structure(self.found, process)
            self.check_timers(process)
            check_service_tasks(self.found, root, self.service_tasks, self.connectors)
            check_forms(self.found, self.user_tasks, self.forms)
            self.check_gateways(process)
            self.check_expressions(process)
            self.check_sop_data(process)
            self.check_sop_document(root, process)
            self.check_spiff_parse(process)
        return self.found.items

    # -- a, b, c -------------------------------------------------------------------------

    def find_process(self, root: etree._Element) -> etree._Element | None:
        processes = root.findall(q("process"))
        if self.process_id is not None:
            for process in processes:
                if process.get("id") == self.process_id:
                    if process.get("isExecutable", "false").lower() != "true":
                        params = {"case": "not-executable", "label": label(process)}
                        self.add(ERROR, "no-executable-process", process, params)
                        return None
                    return process
            params = {"process_id": self.process_id}
            self.add(ERROR, "process-not-found", "", params)
            return None
        for process in processes:
            if process.get("isExecutable", "false").lower() == "true":
                return process
        self.add(ERROR, "no-executable-process", "", {"case": "none"})
        return None

    def check_reserved_ids(self, root: etree._Element) -> None:
        for element in root.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            if element.get("id") in RESERVED_IDS:
                params = {"label": label(element), "id": element.get("id")}
                self.add(ERROR, "reserved-id", element, params)

    def check_extensions(self, root: etree._Element) -> None:
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            qname = etree.QName(element)
            namespace = qname.namespace or ""
            if namespace == SPIFF_NS:
                if qname.localname in KNOWN_SPIFF_TAGS:
                    continue
            elif "spiffworkflow" not in namespace.lower():
                continue
            owner = owner_with_id(element.getparent())
            tag = f"{element.prefix or 'spiffworkflow'}:{qname.localname}"
            params = {"tag": tag, "label": label(owner)}
            self.add(ERROR, "unknown-extension", owner, params, {"tag": tag})

    def check_spiff_parse(self, process: etree._Element) -> None:
        try:
            parse_process(self.bpmn, process.get("id"))
        except DiagramError as exc:
            details = exc.findings or [{"element": "", "message": str(exc)}]
            for detail in details:
                element = detail.get("element", "") or ""
                if element and element in self.found.covered:
                    continue
                node = self.nodes.get(element)
                params = {
                    "case": "spiff" if element else "spiff-file",
                    "where": (label(node) or element) if element else "",
                    "detail": short(detail.get("message") or str(exc)),
                }
                self.add(ERROR, "bpmn-invalid", node if node is not None else element, params)
        except Exception as exc:  # noqa: BLE001 - the linter never raises
            self.add(ERROR, "bpmn-invalid", "", {"case": "unreadable", "detail": short(exc)})

    # -- indexes -------------------------------------------------------------------------

    def index(self, process: etree._Element) -> None:
        self.nodes = {el.get("id"): el for el in process.iter() if el.get("id")}
        self.user_tasks = list(process.iter(q("userTask")))
        self.service_tasks = list(process.iter(q("serviceTask")))
        self.flows = list(process.iter(q("sequenceFlow")))
        self.boundary_timers: dict[str, list[etree._Element]] = {}
        for event in process.iter(q("boundaryEvent")):
            if event.find(q("timerEventDefinition")) is not None:
                self.boundary_timers.setdefault(event.get("attachedToRef", ""), []).append(event)
        self.lane_of: dict[str, str] = {}
        self.lanes = list(process.iter(q("lane")))
        for lane in self.lanes:
            for ref in lane.findall(q("flowNodeRef")):
                if ref.text and ref.text.strip():
                    self.lane_of[ref.text.strip()] = lane.get("name") or lane.get("id") or ""

    def _in_lane(self, element: etree._Element) -> bool:
        node: etree._Element | None = element
        while node is not None and node.tag != q("process"):
            if node.get("id") in self.lane_of:
                return True
            node = node.getparent()
        return False

    # -- d. lanes ------------------------------------------------------------------------

    def check_lanes(self, process: etree._Element) -> None:
        for task in self.user_tasks:
            if not self._in_lane(task):
                self.add(ERROR, "task-no-lane", task, {"label": label(task)})
        for lane in self.lanes:
            if lane.find(f"{q('childLaneSet')}/{q('lane')}") is not None:
                continue  # a parent lane only groups its child lanes
            name = (lane.get("name") or "").strip()
            if not name:
                params = {"case": "unnamed", "id": lane.get("id")}
                self.add(ERROR, "lane-no-role", lane, params)
            elif name not in self.roles:
                params = {"case": "unknown", "lane": name}
                self.add(ERROR, "lane-no-role", lane, params, {"create_role": name})

    # -- e. timers -----------------------------------------------------------------------

    def check_timers(self, process: etree._Element) -> None:
        for definition in process.iter(q("timerEventDefinition")):
            owner = _timer_owner(definition)
            nodes = [n for kind in TIMER_KINDS for n in definition.findall(q(kind))]
            if not nodes:
                params = {"case": "no-definition", "label": label(owner), "kind": "timeDuration"}
                self.add(ERROR, "timer-invalid", owner, params)
                continue
            for node in nodes:
                self.check_timer_expression(owner, etree.QName(node).localname, _timer_text(node))
        for event in process.iter(q("boundaryEvent")):
            if event.find(q("timerEventDefinition")) is None:
                continue
            target = self.nodes.get(event.get("attachedToRef", ""))
            interrupting = event.get("cancelActivity", "true").strip().lower() != "false"
            if target is not None and target.tag == q("userTask") and interrupting:
                params = {"label": label(event), "task": label(target)}
                fix = {"set_non_interrupting": event.get("id", "")}
                self.add(WARNING, "timer-interrupting", event, params, fix)

    def check_timer_expression(self, owner: etree._Element | None, kind: str, expr: str) -> None:
        where = {"label": label(owner), "kind": kind}
        if not expr:
            self.add(ERROR, "timer-invalid", owner, {**where, "case": "empty"})
            return
        if is_bare_iso(expr):
            fix = {"normalize": True, "from": expr, "to": f'"{expr}"'}
            self.add(WARNING, "timer-unquoted", owner, {**where, "expression": expr}, fix)
            return
        try:
            self.engine.validate(expr)
            if not _cheap(expr):
                return  # not evaluated at upload time: see _cheap
            value = self.engine.environment.evaluate(expr, {})
        except Exception as exc:  # noqa: BLE001 - any refusal is a finding
            if getattr(exc, "kind", "") == "NameError" or isinstance(exc, NameError):
                return  # depends on process data: it can only be checked when the timer starts
            params = {
                **where,
                "case": "unevaluable",
                "expression": short(expr, 80),
                "detail": short(exc, 120),
            }
            self.add(ERROR, "timer-invalid", owner, params)
            return
        problem = check_iso_timer(kind, value)
        if problem is not None:
            params = {
                **where,
                "case": "not-iso",
                "value": short(repr(value), 80),
                "detail": short(problem, 80),
            }
            self.add(ERROR, "timer-invalid", owner, params)

    # -- h. gateways and expressions -----------------------------------------------------

    @staticmethod
    def condition(flow: etree._Element) -> str:
        node = flow.find(q("conditionExpression"))
        return (node.text or "").strip() if node is not None else ""

    def check_gateways(self, process: etree._Element) -> None:
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in self.flows:
            outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
        for tag in ("exclusiveGateway", "inclusiveGateway"):
            for gateway in process.iter(q(tag)):
                flows = outgoing.get(gateway.get("id", ""), [])
                if len(flows) <= 1:
                    continue
                default = gateway.get("default")
                bare = [f.get("id", "") for f in flows if not self.condition(f)]
                wrong = [f for f in bare if f != default]
                if not wrong:
                    continue
                params = {
                    "case": "one" if len(bare) == 1 else "many",
                    "label": label(gateway),
                    "flows": wrong,
                }
                self.add(
                    ERROR, "gateway-condition", gateway, params, {"flows": wrong}, covers=wrong
                )

    def _bad_expression(self, expression: str, script: bool) -> str | None:
        try:
            if script:
                self.engine.validate_script(expression)
            else:
                self.engine.validate(expression)
        except Exception as exc:  # noqa: BLE001 - any refusal is a finding
            return str(exc) or type(exc).__name__
        return None

    def check_expressions(self, process: etree._Element) -> None:
        for flow in self.flows:
            expression = self.condition(flow)
            if not expression:
                continue
            problem = self._bad_expression(expression, script=False)
            if problem:
                params = {
                    "case": "condition",
                    "label": label(flow),
                    "expression": short(expression, 80),
                    "detail": short(problem, 160),
                }
                self.add(ERROR, "expression-invalid", flow, params)
        for script_task in process.iter(q("scriptTask")):
            node = script_task.find(q("script"))
            source = (node.text or "") if node is not None else ""
            self._check_script(script_task, source, "script")
        for tag, case in (("preScript", "pre-script"), ("postScript", "post-script")):
            for node in process.iter(s(tag)):
                self._check_script(owner_with_id(node.getparent()), node.text or "", case)
        for task in self.service_tasks:
            for param in task.iter(s("parameter")):
                value = param.get("value")
                where = {"parameter": str(param.get("id")), "label": label(task)}
                if value is None or not value.strip():
                    params = {**where, "case": "parameter-empty"}
                    self.add(ERROR, "expression-invalid", task, params)
                    continue
                problem = self._bad_expression(value, script=False)
                if problem:
                    params = {
                        **where,
                        "case": "parameter",
                        "expression": short(value, 80),
                        "detail": short(problem, 160),
                    }
                    self.add(ERROR, "expression-invalid", task, params)

    def _check_script(self, owner: etree._Element | None, source: str, case: str) -> None:
        if not source.strip():
            return
        problem = self._bad_expression(source, script=True)
        if problem:
            params = {"case": case, "label": label(owner), "detail": short(problem, 160)}
            self.add(ERROR, "expression-invalid", owner, params)

    # -- i. SOP sheet data ---------------------------------------------------------------

    def check_sop_data(self, process: etree._Element) -> None:
        for task in self.user_tasks:
            props = properties(task)
            missing = [prop for prop in SOP_PROPERTIES if not props.get(prop, "").strip()]
            if missing:
                params = {"label": label(task), "missing": missing}
                self.add(WARNING, "sop-data-missing", task, params, {"missing": missing})
            if not self.boundary_timers.get(task.get("id", "")):
                self.add(WARNING, "no-time-standard", task, {"label": label(task)})
        self.check_sheet_steps(process)

    def check_sheet_steps(self, process: etree._Element) -> None:
        """Warn where a step will be missing from, or incomplete on, the SOP sheet."""
        numbered = [
            el
            for el in process.iter(*(q(tag) for tag in SHEET_TASKS))
            if properties(el).get("sopNomor", "").strip()
        ]
        for task in numbered:
            if task.tag == q("userTask") or self.boundary_timers.get(task.get("id", "")):
                continue  # user tasks have no-time-standard and sop-data-missing already
            params = {"label": label(task), "nomor": properties(task)["sopNomor"].strip()}
            written = properties(task).get("sopWaktu", "").strip()
            if written:
                params.update(case="written", written=written)
            self.add(WARNING, "step-no-time-standard", task, params)
        for task in self.user_tasks:
            if not properties(task).get("sopNomor", "").strip():
                params = {"label": label(task), "case": "" if numbered else "none-numbered"}
                self.add(WARNING, "step-not-numbered", task, params)

    def check_sop_document(self, root: etree._Element, process: etree._Element) -> None:
        # Only a diagram drawn as an SOP table (numbered steps) has a sheet header to fill.
        tasks = list(self.user_tasks) + list(self.service_tasks)
        if not any(properties(t).get("sopNomor", "").strip() for t in tasks):
            return
        document = SopDocument.from_root(root, process.get("id", ""))
        missing = [p for p in SOP_DOCUMENT_REQUIRED if not document.document_field(p)]
        if missing:
            params = {"label": label(process), "missing": missing}
            self.add(WARNING, "sop-document-missing", process, params, {"missing": missing})


def lint(
    bpmn: bytes,
    forms: dict[str, bytes],
    connectors: Mapping[str, Any],
    roles: set[str],
    process_id: str | None = None,
) -> list[Finding]:
    """Check a draft diagram and its forms; errors first, then by element. Never raises.

    ``connectors`` maps each operator to its record (``service_tasks.REGISTRY``): the
    parameters a service task may set are the ones its connector declares.
    """
    try:
        content = _as_bytes(bpmn)
    except TypeError as exc:
        return [_xml_invalid(exc)]
    try:
        return sort_findings(_Linter(content, forms, connectors, roles, process_id).run())
    except Exception as exc:  # noqa: BLE001 - the linter never raises
        return [_finding("lint-failed", {"detail": short(exc, 160)})]
