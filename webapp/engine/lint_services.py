"""Lint of service tasks: a known operator, only its declared parameters, literals of their type."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from lxml import etree

from .lint_base import ERROR, Findings, label, q, s, short


def check_service_tasks(
    found: Findings,
    root: etree._Element,
    main_tasks: list[etree._Element],
    connectors: Mapping[str, Any],
) -> None:
    """Every service task of the executable process (and any it calls) names a known operator."""
    known = sorted(connectors)
    main = set(main_tasks)
    # Service tasks of the file's other processes run too when a call activity calls them.
    for task in root.iter(q("serviceTask")):
        ext = task.find(q("extensionElements"))
        operator_el = ext.find(s("serviceTaskOperator")) if ext is not None else None
        operator = (operator_el.get("id") or "").strip() if operator_el is not None else ""
        if not operator and task not in main:
            continue
        if not operator or operator_el is None:
            found.add(ERROR, "operator-missing", task, {"label": label(task), "operators": known})
        elif operator not in connectors:
            params = {"label": label(task), "operator": operator, "operators": known}
            found.add(ERROR, "operator-unknown", task, params, {"operator": operator})
        else:
            _check_parameters(found, task, operator, operator_el, connectors[operator])


def _check_parameters(
    found: Findings,
    task: etree._Element,
    operator: str,
    operator_el: etree._Element,
    connector: Any,
) -> None:
    """Only declared parameters, every required one, literals of the declared type.

    Whatever picks a script, a file, a host, a path or a command is never a parameter: the
    administrator's settings hold it. The worker refuses the same at run time.
    """
    declared = {p.name: p for p in getattr(connector, "params", ())}
    where = {"label": label(task), "operator": operator}
    given: set[str] = set()
    for param in operator_el.iter(s("parameter")):
        name = param.get("id") or ""
        given.add(name)
        fix = {"operator": operator, "parameter": name}
        spec = declared.get(name)
        if spec is None:
            params = {**where, "parameter": name, "allowed": list(declared)}
            found.add(ERROR, "parameter-undeclared", task, params, fix)
            continue
        try:
            value = ast.literal_eval((param.get("value") or "").strip())
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue  # not a literal: its type is only known at run time
        if not spec.accepts(value):
            params = {
                **where,
                "parameter": name,
                "value": short(repr(value), 60),
                "type": str(spec.type_name),
            }
            found.add(ERROR, "parameter-type", task, params, fix)
    for name, spec in declared.items():
        if spec.required and name not in given:
            params = {**where, "parameter": name, "help": str(getattr(spec, "help", "") or "")}
            fix = {"operator": operator, "parameter": name}
            found.add(ERROR, "parameter-missing", task, params, fix)
