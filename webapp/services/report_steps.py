"""The repair report's steps as the SOP numbers them: one row per SOP step, its rounds beneath it
(a failed test sends the case back to steps 3–4), and the automatic step (the deployment) with its
time, met or late by ``lateness``'s one rule as a person's steps are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from ..engine.spec import ParsedProcess, StepInfo
from ..models import HumanTask, ServiceCall, ServiceCallStatus
from . import lateness


def minutes_label(seconds: float) -> str:
    """A working time as the report writes it: '45 m', '2 j 5 m'."""
    minutes = int(seconds // 60)
    return f"{minutes // 60} j {minutes % 60} m" if minutes >= 60 else f"{minutes} m"


def _number(step: StepInfo | None) -> str:
    return (step.properties.get("sopNomor", "") if step else "").strip()


def _order(number: str) -> tuple[int, str]:
    return (int(number), "") if number.isdigit() else (10**6, number)


def sop_steps(
    process: ParsedProcess,
    tasks: list[HumanTask],
    deployment: ServiceCall | None,
    calendar: Any,
    when: Callable[[datetime | None], str],
    fields_of: Callable[[HumanTask, StepInfo | None], list[tuple[str, str]]],
    images_of: Callable[[HumanTask], list[dict]] = lambda task: [],
) -> list[dict]:
    """The case's finished steps grouped by SOP step, in the SOP's order, each with its rounds."""
    grouped: dict[str, dict] = {}
    for task in tasks:
        step = process.steps.get(task.bpmn_id)
        entry = grouped.setdefault(task.bpmn_id, _entry(step, task.name, task.lane, "user"))
        seconds = calendar.elapsed(task.ready_at, task.completed_at).total_seconds()
        met = lateness.kept_standard(task.due_at, task.completed_at)
        entry["rounds"].append(
            {
                "by": task.completed_by.display_name if task.completed_by else "—",
                "completed_at": when(task.completed_at),
                "duration": minutes_label(seconds),
                "met": met,
                "fields": fields_of(task, step),
                "images": images_of(task),
            }
        )
    if deployment is not None and deployment.started_at and deployment.finished_at:
        step = process.steps.get(deployment.bpmn_id)
        entry = grouped.setdefault(
            deployment.bpmn_id,
            _entry(step, deployment.name, step.lane if step else "", "service"),
        )
        seconds = calendar.elapsed(deployment.started_at, deployment.finished_at).total_seconds()
        entry["rounds"].append(
            {
                "by": _("sistem (otomatis)"),
                "completed_at": when(deployment.finished_at),
                "duration": minutes_label(seconds),
                "met": lateness.kept_standard(deployment.due_at, deployment.finished_at),
                "fields": [(_("Hasil"), deployment_words(deployment))],
                "images": [],
            }
        )
    steps = sorted(grouped.values(), key=lambda e: _order(e["number"]))
    for index, entry in enumerate(steps, start=1):
        entry["number"] = entry["number"] or str(index)
    return steps


def _entry(step: StepInfo | None, name: str, lane: str | None, kind: str) -> dict:
    return {
        "kind": kind,
        "number": _number(step),
        "name": name,
        "lane": lane or "—",
        "standard": (step.properties.get("sopWaktu") if step else "") or "—",
        "rounds": [],
    }


def deployment_words(call: ServiceCall) -> str:
    """What the deployment did, in words a reader of the report understands."""
    release = (call.parameters or {}).get("rilis")
    target = (call.result or {}).get("target")
    if call.status == ServiceCallStatus.SKIPPED:
        return _("Dilewati oleh administrator: %(why)s", why=call.reason or "—")
    if release and target:
        return _("Berhasil: rilis %(r)s terpasang di %(t)s.", r=release, t=target)
    return _("Berhasil dipasang (percobaan ke-%(n)s).", n=call.attempt)
