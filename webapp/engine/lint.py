"""Lint a BPMN draft before it is published: every finding says what is wrong and what to do.

``lint`` never raises: whatever bytes a process owner uploads, the answer is a list of
findings (a broken file is an ``error`` finding). ``normalize`` rewrites the bare ISO-8601 timer
expressions Camunda Modeler writes (``PT10M``) into the quoted Python strings SpiffWorkflow
evaluates (``"PT10M"``).

No Flask, no SQLAlchemy: plain data in, plain data out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .nesting import MAX_DATA_DEPTH, MAX_SCHEMA_DEPTH, schema_depth
from .nesting import loads as loads_bounded
from .patterns import pattern_problems
from .scripting import SopScriptEngine
from .spec import DiagramError, parse_process
from .xml import UnsafeXmlError, parse_bpmn_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

ERROR = "error"
WARNING = "warning"

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

SOP_PROPERTIES = {
    "sopKelengkapan": "kelengkapan",
    "sopWaktu": "waktu",
    "sopProduk": "produk",
}

TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")

# Bare ISO-8601 values as Camunda Modeler writes them into timer definitions.
_DURATION = r"P(?=\d|T\d)(?:\d+(?:[.,]\d+)?[YMWD])*(?:T(?=\d)(?:\d+(?:[.,]\d+)?[HMS])+)?"
_DATE = (
    r"\d{4}-\d{2}-\d{2}"
    r"(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_CYCLE = rf"R\d*(?:/(?:{_DURATION}|{_DATE})){{1,2}}"
BARE_ISO = re.compile(rf"^(?:{_CYCLE}|{_DURATION}|{_DATE})$", re.IGNORECASE)
ISO_DURATION = re.compile(rf"^{_DURATION}$", re.IGNORECASE)


def _q(name: str | None) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _s(name: str) -> str:
    return f"{{{SPIFF_NS}}}{name}"


@dataclass(frozen=True)
class Finding:
    """One problem in a draft: where, what, what to do, and optionally a machine-readable fix."""

    level: str  # "error" | "warning"
    code: str
    element: str
    name: str
    message: str
    fix: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.level == ERROR for f in findings)


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    unique = list({(f.level, f.code, f.element, f.message): f for f in findings}.values())
    return sorted(unique, key=lambda f: (f.level != ERROR, f.element, f.code, f.message))


def _as_bytes(content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, bytearray | memoryview):
        return bytes(content)
    if isinstance(content, str):
        return content.encode("utf-8")
    raise TypeError(f"expected bytes, got {type(content).__name__}")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# Timer expressions
# --------------------------------------------------------------------------------------------


def _timer_text(node: etree._Element) -> str:
    return (node.text or "").strip()


def _timer_owner(node: etree._Element) -> etree._Element | None:
    """The event element that holds a timer definition or one of its timeDuration/… nodes."""
    parent = node.getparent()
    while parent is not None and (
        parent.get("id") is None or parent.tag == _q("timerEventDefinition")
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
            if not ISO_DURATION.match(value):
                raise ValueError("format tidak dikenali")
            if not TimerEventDefinition.parse_iso_duration(value):
                raise ValueError("durasi kosong")
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


_TIMER_WHAT = {"timeDuration": "durasi", "timeDate": "tanggal", "timeCycle": "siklus"}
_TIMER_EXAMPLE = {
    "timeDuration": '"PT2H" (2 jam) atau "P1D" (1 hari)',
    "timeDate": '"2026-12-01T08:00:00+07:00"',
    "timeCycle": '"R3/PT1H" (3 kali setiap jam)',
}


def normalize(bpmn: bytes) -> tuple[bytes, list[Finding]]:
    """Quote bare ISO-8601 timer values; return the new file and a warning per changed timer.

    A file that cannot be read is returned unchanged with an ``xml-invalid`` error.
    """
    try:
        content = _as_bytes(bpmn)
        root = parse_bpmn_xml(content)
    except (UnsafeXmlError, TypeError) as exc:
        return bpmn, [_xml_invalid(exc)]

    findings: list[Finding] = []
    for kind in TIMER_KINDS:
        for node in root.iter(_q(kind)):
            expression = _timer_text(node)
            if not expression or not is_bare_iso(expression):
                continue
            quoted = f'"{expression}"'
            node.text = quoted
            owner = _timer_owner(node)
            element = owner.get("id", "") if owner is not None else ""
            name = (owner.get("name") or "") if owner is not None else ""
            findings.append(
                Finding(
                    WARNING,
                    "timer-normalized",
                    element,
                    name,
                    f"Ekspresi timer “{_label(owner)}” ditulis {expression} (format Camunda "
                    f"Modeler) dan telah diubah menjadi {quoted} agar dapat dievaluasi. "
                    "Periksa hasilnya lalu simpan draf.",
                    {"timer": element, "from": expression, "to": quoted},
                )
            )
    if not findings:
        return content, []
    return _serialize(root, content), _sorted(findings)


def _serialize(root: etree._Element, original: bytes) -> bytes:
    """Write the document back: original XML declaration, top-level comments, then the root."""
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    before = list(reversed(list(root.itersiblings(preceding=True))))
    after = list(root.itersiblings())
    parts = [
        etree.tostring(node, encoding=encoding, xml_declaration=False, with_tail=False)
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


def _label(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return element.get("name") or element.get("id") or etree.QName(element).localname


def _xml_invalid(exc: Exception) -> Finding:
    return Finding(
        ERROR,
        "xml-invalid",
        "",
        "",
        f"Berkas tidak dapat dibaca sebagai XML yang aman ({_short(exc)}). Ekspor ulang diagram "
        "dari Camunda Modeler sebagai .bpmn (tanpa DTD/entitas, maksimal 5 MB) lalu unggah lagi.",
    )


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
        self.operators = set(self.connectors)
        self.roles = {str(r).strip() for r in roles or ()}
        self.process_id = process_id
        self.findings: list[Finding] = []
        # Ids whose errors explain a SpiffWorkflow parse failure at the same place.
        self.covered: set[str] = set()
        self.engine = SopScriptEngine()

    def add(
        self,
        level: str,
        code: str,
        element: etree._Element | str | None,
        message: str,
        fix: dict | None = None,
        covers: Iterable[str] = (),
    ) -> None:
        if isinstance(element, str) or element is None:
            element_id, name = element or "", ""
        else:
            element_id, name = element.get("id", ""), element.get("name") or ""
        self.findings.append(Finding(level, code, element_id, name, message, fix))
        if level == ERROR:
            self.covered.add(element_id)
            self.covered.update(covers)

    # -- entry ---------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        try:
            root = parse_bpmn_xml(self.bpmn)
        except UnsafeXmlError as exc:
            return [_xml_invalid(exc)]
        if not isinstance(root.tag, str) or root.tag != _q("definitions"):
            tag = etree.QName(root).localname if isinstance(root.tag, str) else "?"
            return [
                Finding(
                    ERROR,
                    "bpmn-invalid",
                    "",
                    "",
                    f"Berkas ini XML tetapi bukan diagram BPMN 2.0 (elemen akarnya “{tag}”, "
                    "seharusnya bpmn:definitions). Unggah berkas .bpmn yang diekspor dari "
                    "Camunda Modeler.",
                )
            ]
        self.root = root
        self.check_reserved_ids(root)
        self.check_extensions(root)
        process = self.find_process(root)
        if process is not None:
            self.index(process)
            self.check_lanes(process)
            self.check_timers(process)
            self.check_service_tasks(process)
            self.check_forms(process)
            self.check_gateways(process)
            self.check_expressions(process)
            self.check_sop_data(process)
            self.check_spiff_parse(process)
        return self.findings

    # -- a, b, c -------------------------------------------------------------------------

    def find_process(self, root: etree._Element) -> etree._Element | None:
        processes = root.findall(_q("process"))
        if self.process_id is not None:
            for process in processes:
                if process.get("id") == self.process_id:
                    if process.get("isExecutable", "false").lower() != "true":
                        self.add(
                            ERROR,
                            "no-executable-process",
                            process,
                            f"Proses “{_label(process)}” tidak ditandai dapat dijalankan. "
                            "Centang “Executable” pada proses di Camunda Modeler.",
                        )
                        return None
                    return process
            self.add(
                ERROR,
                "process-not-found",
                "",
                f"Diagram tidak memuat proses dengan id “{self.process_id}”. Ubah id proses "
                f"(Process ID) di Camunda Modeler menjadi “{self.process_id}”.",
            )
            return None
        for process in processes:
            if process.get("isExecutable", "false").lower() == "true":
                return process
        self.add(
            ERROR,
            "no-executable-process",
            "",
            "Diagram tidak memuat proses yang dapat dijalankan. Pilih proses di Camunda Modeler "
            "lalu centang “Executable”.",
        )
        return None

    def check_reserved_ids(self, root: etree._Element) -> None:
        for element in root.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            if element.get("id") in RESERVED_IDS:
                self.add(
                    ERROR,
                    "reserved-id",
                    element,
                    f"Elemen “{_label(element)}” memakai id “{element.get('id')}”, yang "
                    "dicadangkan oleh mesin alur kerja. Ganti id elemen (misalnya "
                    f"“{element.get('id')}Event_1”).",
                )

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
            owner = element.getparent()
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            tag = f"{element.prefix or 'spiffworkflow'}:{qname.localname}"
            self.add(
                ERROR,
                "unknown-extension",
                owner,
                f"Tag ekstensi “{tag}” pada “{_label(owner)}” tidak dikenal (salah ketik atau "
                "namespace keliru) sehingga isinya diabaikan. Perbaiki nama tag, misalnya "
                "spiffworkflow:properties atau spiffworkflow:serviceTaskOperator.",
                {"tag": tag},
            )

    def check_spiff_parse(self, process: etree._Element) -> None:
        try:
            parse_process(self.bpmn, process.get("id"))
        except DiagramError as exc:
            details = exc.findings or [{"element": "", "message": str(exc)}]
            for detail in details:
                element = detail.get("element", "") or ""
                if element and element in self.covered:
                    continue
                node = self.nodes.get(element)
                self.add(
                    ERROR,
                    "bpmn-invalid",
                    node if node is not None else element,
                    "Diagram tidak lolos validasi BPMN/SpiffWorkflow"
                    + (f" pada “{_label(node) or element}”" if element else "")
                    + f": {_short(detail.get('message') or str(exc))}. Perbaiki elemen tersebut "
                    "di Camunda Modeler lalu unggah ulang.",
                )
        except Exception as exc:  # noqa: BLE001 - the linter never raises
            self.add(
                ERROR,
                "bpmn-invalid",
                "",
                f"Diagram tidak dapat dibaca ({_short(exc)}). Periksa diagram di Camunda Modeler "
                "lalu unggah ulang.",
            )

    # -- indexes -------------------------------------------------------------------------

    def index(self, process: etree._Element) -> None:
        self.nodes = {el.get("id"): el for el in process.iter() if el.get("id")}
        self.user_tasks = list(process.iter(_q("userTask")))
        self.service_tasks = list(process.iter(_q("serviceTask")))
        self.flows = list(process.iter(_q("sequenceFlow")))
        self.boundary_timers: dict[str, list[etree._Element]] = {}
        for event in process.iter(_q("boundaryEvent")):
            if event.find(_q("timerEventDefinition")) is not None:
                self.boundary_timers.setdefault(event.get("attachedToRef", ""), []).append(event)
        self.lane_of: dict[str, str] = {}
        self.lanes = list(process.iter(_q("lane")))
        for lane in self.lanes:
            for ref in lane.findall(_q("flowNodeRef")):
                if ref.text and ref.text.strip():
                    self.lane_of[ref.text.strip()] = lane.get("name") or lane.get("id") or ""

    def _in_lane(self, element: etree._Element) -> bool:
        node = element
        while node is not None and node.tag != _q("process"):
            if node.get("id") in self.lane_of:
                return True
            node = node.getparent()
        return False

    @staticmethod
    def properties(element: etree._Element) -> dict[str, str]:
        result: dict[str, str] = {}
        ext = element.find(_q("extensionElements"))
        if ext is None:
            return result
        for props in ext.findall(_s("properties")):
            for prop in props.findall(_s("property")):
                if prop.get("name"):
                    result[prop.get("name")] = prop.get("value") or ""
        return result

    # -- d. lanes ------------------------------------------------------------------------

    def check_lanes(self, process: etree._Element) -> None:
        for task in self.user_tasks:
            if not self._in_lane(task):
                self.add(
                    ERROR,
                    "task-no-lane",
                    task,
                    f"Tugas “{_label(task)}” tidak berada di lane mana pun. Seret tugas ke dalam "
                    "lane pelaksananya.",
                )
        for lane in self.lanes:
            if lane.find(f"{_q('childLaneSet')}/{_q('lane')}") is not None:
                continue  # a parent lane only groups its child lanes
            name = (lane.get("name") or "").strip()
            if not name:
                self.add(
                    ERROR,
                    "lane-no-role",
                    lane,
                    f"Lane “{lane.get('id')}” tidak bernama, sehingga tugasnya tidak dapat "
                    "diberikan kepada peran mana pun. Beri nama lane sesuai peran pelaksananya.",
                )
            elif name not in self.roles:
                self.add(
                    ERROR,
                    "lane-no-role",
                    lane,
                    f"Lane “{name}” tidak sesuai dengan peran mana pun. Buat peran “{name}” atau "
                    "ganti nama lane menjadi peran yang sudah ada.",
                    {"create_role": name},
                )

    # -- e. timers -----------------------------------------------------------------------

    def check_timers(self, process: etree._Element) -> None:
        for definition in process.iter(_q("timerEventDefinition")):
            owner = _timer_owner(definition)
            nodes = [n for kind in TIMER_KINDS for n in definition.findall(_q(kind))]
            if not nodes:
                self.add(
                    ERROR,
                    "timer-invalid",
                    owner,
                    f"Timer “{_label(owner)}” tidak memiliki durasi, tanggal, atau siklus. Isi "
                    f"“Timer definition”, misalnya {_TIMER_EXAMPLE['timeDuration']}.",
                )
                continue
            for node in nodes:
                self.check_timer_expression(owner, etree.QName(node).localname, _timer_text(node))
        for event in process.iter(_q("boundaryEvent")):
            if event.find(_q("timerEventDefinition")) is None:
                continue
            target = self.nodes.get(event.get("attachedToRef", ""))
            interrupting = event.get("cancelActivity", "true").strip().lower() != "false"
            if target is not None and target.tag == _q("userTask") and interrupting:
                self.add(
                    WARNING,
                    "timer-interrupting",
                    event,
                    f"Timer “{_label(event)}” membatalkan tugas “{_label(target)}” saat waktunya "
                    "habis. Mutu baku waktu SOP seharusnya hanya mencatat keterlambatan: ubah "
                    "timer menjadi non-interrupting (hilangkan centang “Interrupting”).",
                    {"set_non_interrupting": event.get("id", "")},
                )

    def check_timer_expression(self, owner: etree._Element | None, kind: str, expr: str) -> None:
        label = _label(owner)
        example = _TIMER_EXAMPLE[kind]
        if not expr:
            self.add(
                ERROR,
                "timer-invalid",
                owner,
                f"Timer “{label}” kosong. Isi ekspresi timer, misalnya {example}.",
            )
            return
        if is_bare_iso(expr):
            self.add(
                WARNING,
                "timer-unquoted",
                owner,
                f"Timer “{label}” ditulis {expr} tanpa tanda kutip (format Camunda Modeler); "
                f'mesin alur kerja membutuhkan "{expr}". Jalankan normalisasi timer atau tulis '
                "nilainya di antara tanda kutip.",
                {"normalize": True, "from": expr, "to": f'"{expr}"'},
            )
            return
        try:
            self.engine.validate(expr)
            if not _cheap(expr):
                return  # not evaluated at upload time: see _cheap
            value = self.engine.environment.evaluate(expr, {})
        except Exception as exc:  # noqa: BLE001 - any refusal is a finding
            if getattr(exc, "kind", "") == "NameError" or isinstance(exc, NameError):
                return  # depends on process data: it can only be checked when the timer starts
            self.add(
                ERROR,
                "timer-invalid",
                owner,
                f"Ekspresi timer “{label}” ({_short(expr, 80)}) tidak dapat dievaluasi: "
                f"{_short(exc, 120)}. Tulis nilai ISO-8601 di antara tanda kutip, misalnya "
                f"{example}.",
            )
            return
        problem = check_iso_timer(kind, value)
        if problem is not None:
            self.add(
                ERROR,
                "timer-invalid",
                owner,
                f"Timer “{label}” bernilai {_short(repr(value), 80)}, yang bukan "
                f"{_TIMER_WHAT[kind]}"
                f" ISO-8601 yang sah ({_short(problem, 80)}). Gunakan misalnya {example}.",
            )

    # -- f. service tasks ----------------------------------------------------------------

    def check_service_tasks(self, process: etree._Element) -> None:
        known = ", ".join(sorted(self.operators)) or "(belum ada)"
        main = set(self.service_tasks)
        # Service tasks of the file's other processes run too when a call activity calls them.
        for task in self.root.iter(_q("serviceTask")):
            ext = task.find(_q("extensionElements"))
            operator_el = ext.find(_s("serviceTaskOperator")) if ext is not None else None
            operator = (operator_el.get("id") or "").strip() if operator_el is not None else ""
            if not operator and task not in main:
                continue
            if not operator:
                self.add(
                    ERROR,
                    "operator-missing",
                    task,
                    f"Tugas layanan “{_label(task)}” tidak memiliki operator. Pilih operator "
                    f"layanan pada tugas ini (tersedia: {known}) atau ubah menjadi tugas "
                    "pengguna.",
                )
            elif operator not in self.operators:
                self.add(
                    ERROR,
                    "operator-unknown",
                    task,
                    f"Tugas layanan “{_label(task)}” memakai operator “{operator}” yang tidak "
                    f"tersedia di server. Pilih salah satu operator: {known}.",
                    {"operator": operator},
                )
            else:
                self.check_parameters(task, operator, operator_el)

    def check_parameters(
        self, task: etree._Element, operator: str, operator_el: etree._Element
    ) -> None:
        """Only declared parameters, every required one, literals of the declared type.

        Whatever picks a script, a file, a host, a path or a command is never a parameter: the
        administrator's settings hold it. The worker refuses the same at run time.
        """
        declared = {p.name: p for p in getattr(self.connectors[operator], "params", ())}
        allowed = ", ".join(declared) or "(tidak ada)"
        label = _label(task)
        given: set[str] = set()
        for param in operator_el.iter(_s("parameter")):
            name = param.get("id") or ""
            given.add(name)
            spec = declared.get(name)
            if spec is None:
                self.add(
                    ERROR,
                    "parameter-undeclared",
                    task,
                    f"Tugas layanan “{label}” memberi parameter “{name}” yang tidak "
                    f"dideklarasikan oleh operator “{operator}” (parameter yang diizinkan: "
                    f"{allowed}). Hapus parameter itu; skrip, berkas konfigurasi, host, path "
                    "dan perintah hanya diatur oleh administrator.",
                    {"operator": operator, "parameter": name},
                )
                continue
            try:
                value = ast.literal_eval((param.get("value") or "").strip())
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue  # not a literal: its type is only known at run time
            if not spec.accepts(value):
                self.add(
                    ERROR,
                    "parameter-type",
                    task,
                    f"Parameter “{name}” pada tugas layanan “{label}” bernilai "
                    f"{_short(repr(value), 60)}, padahal operator “{operator}” memerlukan "
                    f"{spec.type_name}. Ubah nilainya.",
                    {"operator": operator, "parameter": name},
                )
        for name, spec in declared.items():
            if spec.required and name not in given:
                hint = f" ({spec.help})" if getattr(spec, "help", "") else ""
                self.add(
                    ERROR,
                    "parameter-missing",
                    task,
                    f"Tugas layanan “{label}” tidak mengisi parameter wajib “{name}”{hint} untuk "
                    f"operator “{operator}”. Tambahkan parameter itu pada tugas.",
                    {"operator": operator, "parameter": name},
                )

    # -- g. forms ------------------------------------------------------------------------

    def _load_json(self, filename: str) -> tuple[Any, str | None]:
        try:
            raw = self.forms[filename]
            text = raw.decode("utf-8-sig") if isinstance(raw, bytes | bytearray) else str(raw)
            # Bounded: ``json`` recurses per level, a file thousands of levels deep is refused.
            return loads_bounded(text, MAX_SCHEMA_DEPTH), None
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            return None, _short(exc, 120)

    def check_forms(self, process: etree._Element) -> None:
        checked: set[str] = set()
        for task in self.user_tasks:
            props = self.properties(task)
            schema_file = props.get("formJsonSchemaFilename", "").strip()
            ui_file = props.get("formUiSchemaFilename", "").strip()
            if not schema_file:
                self.add(
                    WARNING,
                    "form-missing-ref",
                    task,
                    f"Tugas “{_label(task)}” tidak merujuk berkas formulir, sehingga pelaksana "
                    "hanya dapat menekan “Selesai”. Isi properti formJsonSchemaFilename dengan "
                    "nama berkas formulir JSON.",
                )
            for filename, is_ui in ((schema_file, False), (ui_file, True)):
                if not filename:
                    continue
                if filename not in self.forms:
                    self.add(
                        ERROR,
                        "form-not-found",
                        task,
                        f"Tugas “{_label(task)}” merujuk berkas "
                        f"{'UI formulir' if is_ui else 'formulir'} “{filename}”, tetapi berkas itu "
                        "tidak diunggah. Unggah berkas tersebut atau perbaiki namanya.",
                        {"upload_form": filename},
                    )
                    continue
                if filename in checked:
                    continue
                checked.add(filename)
                self.check_form_file(filename, is_ui)

    def check_form_file(self, filename: str, is_ui: bool) -> None:
        data, problem = self._load_json(filename)
        what = "UI formulir" if is_ui else "Formulir"
        if problem is None and not isinstance(data, dict):
            problem = "isi berkas harus berupa objek JSON { … }"
        if problem is not None:
            self.findings.append(
                Finding(
                    ERROR,
                    "form-invalid",
                    filename,
                    "",
                    f"{what} “{filename}” bukan JSON yang sah ({problem}). Perbaiki berkas atau "
                    "unggah ulang hasil ekspor pembuat formulir.",
                )
            )
            return
        if is_ui:
            return
        depth = schema_depth(data, MAX_DATA_DEPTH)
        if depth > MAX_DATA_DEPTH:
            self.findings.append(
                Finding(
                    ERROR,
                    "form-too-deep",
                    filename,
                    "",
                    f"Formulir “{filename}” menyatakan isian bersarang lebih dari "
                    f"{MAX_DATA_DEPTH} tingkat (objek dalam objek atau daftar), padahal kiriman "
                    f"paling dalam {MAX_DATA_DEPTH} tingkat. Sederhanakan struktur formulir.",
                )
            )
        try:
            Draft202012Validator.check_schema(data)
        except SchemaError as exc:
            path = "/".join(str(p) for p in exc.path) or "(akar)"
            self.findings.append(
                Finding(
                    ERROR,
                    "form-invalid",
                    filename,
                    "",
                    f"Formulir “{filename}” bukan JSON Schema (Draft 2020-12) yang sah di {path}: "
                    f"{_short(exc.message, 160)}. Perbaiki bagian tersebut pada berkas formulir.",
                )
            )
        except Exception as exc:  # noqa: BLE001 - e.g. a pathological regex in the schema
            self.findings.append(
                Finding(
                    ERROR,
                    "form-invalid",
                    filename,
                    "",
                    f"Formulir “{filename}” tidak dapat diperiksa ({_short(exc, 120)}). Perbaiki "
                    "berkas formulir.",
                )
            )
            return
        for path, pattern, reason in pattern_problems(data):
            self.findings.append(
                Finding(
                    ERROR,
                    "form-pattern",
                    filename,
                    "",
                    f"Pola isian “{_short(pattern, 80)}” di {path} pada formulir “{filename}” "
                    f"tidak dapat dicocokkan dalam waktu linear ({_short(reason, 100)}). "
                    "Rujukan balik (\\1) dan lookahead/lookbehind tidak didukung; tulis ulang "
                    "polanya tanpa itu.",
                )
            )

    # -- h. gateways and expressions -----------------------------------------------------

    @staticmethod
    def condition(flow: etree._Element) -> str:
        node = flow.find(_q("conditionExpression"))
        return (node.text or "").strip() if node is not None else ""

    def check_gateways(self, process: etree._Element) -> None:
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in self.flows:
            outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
        for tag in ("exclusiveGateway", "inclusiveGateway"):
            for gateway in process.iter(_q(tag)):
                flows = outgoing.get(gateway.get("id", ""), [])
                if len(flows) <= 1:
                    continue
                default = gateway.get("default")
                bare = [f.get("id", "") for f in flows if not self.condition(f)]
                wrong = [f for f in bare if f != default]
                if not wrong:
                    continue
                ids = ", ".join(wrong)
                if len(bare) == 1:
                    todo = (
                        f"Tambahkan kondisi pada alur {ids} atau jadikan alur itu alur bawaan "
                        "(default) gerbang."
                    )
                else:
                    todo = (
                        "Tambahkan kondisi pada setiap alur tersebut; paling banyak satu alur "
                        "boleh tanpa kondisi, dan alur itu harus menjadi alur bawaan (default)."
                    )
                self.add(
                    ERROR,
                    "gateway-condition",
                    gateway,
                    f"Gerbang “{_label(gateway)}” memiliki alur keluar tanpa kondisi yang bukan "
                    f"alur bawaan: {ids}. {todo}",
                    {"flows": wrong},
                    covers=wrong,
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
                self.add(
                    ERROR,
                    "expression-invalid",
                    flow,
                    f"Kondisi alur “{_label(flow)}” ({_short(expression, 80)}) tidak sah: "
                    f"{_short(problem, 160)}. Tulis kondisi Python sederhana, misalnya "
                    'hasil_uji == "gagal".',
                )
        for script_task in process.iter(_q("scriptTask")):
            node = script_task.find(_q("script"))
            source = (node.text or "") if node is not None else ""
            self._check_script(script_task, source, "Skrip")
        for tag, what in (("preScript", "Pra-skrip"), ("postScript", "Pasca-skrip")):
            for node in process.iter(_s(tag)):
                owner = node.getparent()
                while owner is not None and owner.get("id") is None:
                    owner = owner.getparent()
                self._check_script(owner, node.text or "", what)
        for task in self.service_tasks:
            for param in task.iter(_s("parameter")):
                value = param.get("value")
                if value is None or not value.strip():
                    self.add(
                        ERROR,
                        "expression-invalid",
                        task,
                        f"Parameter “{param.get('id')}” pada tugas layanan “{_label(task)}” "
                        'kosong. Isi dengan ekspresi, misalnya nama variabel atau "teks".',
                    )
                    continue
                problem = self._bad_expression(value, script=False)
                if problem:
                    self.add(
                        ERROR,
                        "expression-invalid",
                        task,
                        f"Parameter “{param.get('id')}” pada tugas layanan “{_label(task)}” "
                        f"({_short(value, 80)}) bukan ekspresi yang sah: {_short(problem, 160)}. "
                        'Tulis teks di antara tanda kutip ("teks") atau nama variabel.',
                    )

    def _check_script(self, owner: etree._Element | None, source: str, what: str) -> None:
        if not source.strip():
            return
        problem = self._bad_expression(source, script=True)
        if problem:
            self.add(
                ERROR,
                "expression-invalid",
                owner,
                f"{what} pada “{_label(owner)}” ditolak: {_short(problem, 160)}. Perbaiki skrip; "
                "impor, atribut berawalan garis bawah, dan perulangan while tidak diizinkan.",
            )

    # -- i. SOP sheet data ---------------------------------------------------------------

    def check_sop_data(self, process: etree._Element) -> None:
        for task in self.user_tasks:
            props = self.properties(task)
            missing = [prop for prop in SOP_PROPERTIES if not props.get(prop, "").strip()]
            if missing:
                fields = ", ".join(f"{SOP_PROPERTIES[p]} ({p})" for p in missing)
                self.add(
                    WARNING,
                    "sop-data-missing",
                    task,
                    f"Tugas “{_label(task)}” belum memiliki data tabel SOP: {fields}. Isi "
                    "properti tersebut agar lembar SOP lengkap.",
                    {"missing": missing},
                )
            if not self.boundary_timers.get(task.get("id", "")):
                self.add(
                    WARNING,
                    "no-time-standard",
                    task,
                    f"Tugas “{_label(task)}” tidak memiliki mutu baku waktu. Tempelkan timer "
                    'batas (non-interrupting) pada tugas, misalnya "PT2H" untuk 2 jam.',
                )


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
        return _sorted(_Linter(content, forms, connectors, roles, process_id).run())
    except Exception as exc:  # noqa: BLE001 - the linter never raises
        return [
            Finding(
                ERROR,
                "lint-failed",
                "",
                "",
                f"Diagram tidak dapat diperiksa ({_short(exc, 160)}). Periksa diagram di Camunda "
                "Modeler lalu unggah ulang.",
            )
        ]
