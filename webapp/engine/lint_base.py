"""What every lint check shares: the finding record, the collector, and BPMN lookups.

A finding carries a code and JSON-able parameters, never words: the view layer chooses the
words in the reader's language (``webapp/views/findings.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

ERROR = "error"
WARNING = "warning"


def q(name: str | None) -> str:
    """The qualified BPMN name of a tag."""
    return f"{{{BPMN_NS}}}{name}"


def s(name: str) -> str:
    """The qualified SpiffWorkflow extension name of a tag."""
    return f"{{{SPIFF_NS}}}{name}"


@dataclass(frozen=True)
class Finding:
    """One problem in a draft: where, which problem (code + params), and optionally a fix."""

    level: str  # "error" | "warning"
    code: str
    element: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    fix: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data, as it is stored with a version."""
        return asdict(self)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Drop repeated findings; errors first, then by element and code."""
    unique = list({(f.level, f.code, f.element, _key(f)): f for f in findings}.values())
    return sorted(unique, key=lambda f: (f.level != ERROR, f.element, f.code, _key(f)))


def _key(finding: Finding) -> str:
    return json.dumps(finding.params, sort_keys=True, default=str)


def short(text: object, limit: int = 200) -> str:
    """The text on one line, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(element: etree._Element | None) -> str:
    """How a reader recognises an element: its name, else its id, else its tag."""
    if element is None:
        return ""
    return element.get("name") or element.get("id") or etree.QName(element).localname


def owner_with_id(node: etree._Element | None) -> etree._Element | None:
    """The nearest element (the node itself or an ancestor) that has an id."""
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node


def properties(element: etree._Element) -> dict[str, str]:
    """The ``spiffworkflow:property`` name/value pairs of an element."""
    result: dict[str, str] = {}
    ext = element.find(q("extensionElements"))
    if ext is None:
        return result
    for props in ext.findall(s("properties")):
        for prop in props.findall(s("property")):
            name = prop.get("name")
            if name:
                result[name] = prop.get("value") or ""
    return result


class Findings:
    """The findings of one lint run, and the ids whose errors explain a parse failure."""

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self.covered: set[str] = set()

    def add(
        self,
        level: str,
        code: str,
        element: etree._Element | str | None,
        params: dict[str, Any] | None = None,
        fix: dict | None = None,
        covers: Iterable[str] = (),
    ) -> None:
        """Record a finding at an element (or a file name); errors cover their element."""
        if isinstance(element, str) or element is None:
            element_id, name = element or "", ""
        else:
            element_id, name = element.get("id", ""), element.get("name") or ""
        self.items.append(Finding(level, code, element_id, name, params or {}, fix))
        if level == ERROR:
            self.covered.add(element_id)
            self.covered.update(covers)
