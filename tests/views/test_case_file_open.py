"""When a task page's case file starts open: the step's caseFile property, else the first task
after the request."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from webapp.views.tasks import _case_file_open


def _step(**properties):
    return SimpleNamespace(properties=properties)


def _history(*bpmn_ids):
    return [(SimpleNamespace(bpmn_id=b), None, []) for b in bpmn_ids]


def test_open_for_the_first_task_after_the_request_only():
    assert _case_file_open(_step(), _history("Task_1"), "Task_1") is True
    assert _case_file_open(_step(), _history("Task_1", "Task_2"), "Task_1") is False
    assert _case_file_open(_step(), [], "Task_1") is False


@pytest.mark.parametrize(
    ("value", "expected"), [("open", True), (" Open ", True), ("closed", False), ("", False)]
)
def test_the_step_property_decides_when_set(value, expected):
    history = _history("Task_1", "Task_2")
    assert _case_file_open(_step(caseFile=value), history, "Task_1") is expected


def test_closed_property_folds_even_the_first_task_after_the_request():
    assert _case_file_open(_step(caseFile="closed"), _history("Task_1"), "Task_1") is False
