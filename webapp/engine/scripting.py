"""A restricted script environment: BPMN expressions never run as plain Python.

SpiffWorkflow's default environment hands every condition, timer expression, script and
service parameter to ``eval``/``exec``. A diagram is uploaded by a person, so that would let a
diagram run code on the server. Here every expression is compiled with RestrictedPython (see
``restricted.py``: no imports, no dunder or private attribute access, a short list of safe
builtins, size guards, an iteration budget) and runs in a sandbox process with a time and
memory budget (``sandbox.py``), so no diagram can freeze or stop the web or worker process.
Connectors (service tasks) run here, in the worker, with only their declared parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import sandbox
from .restricted import (
    MAX_ITERATIONS,
    MAX_SOURCE_CHARS,
    SAFE_FUNCTIONS,
    ExpressionError,
    compile_source,
)

__all__ = [
    "MAX_ITERATIONS",
    "MAX_SOURCE_CHARS",
    "ExpressionError",
    "RestrictedEnvironment",
    "SopScriptEngine",
]


def _data(external: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # External context holds the workflow's data objects; helpers (callables) stay here.
    if not external:
        return None
    return {k: v for k, v in external.items() if not callable(v)}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate expressions and run scripts under RestrictedPython."""

    def __init__(self, services: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__(dict(SAFE_FUNCTIONS))
        self.services = dict(services or {})

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        compile_source(expression, "eval")  # a refusal needs no sandbox round trip
        return sandbox.run("eval", expression, dict(context), _data(external_context))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        compile_source(script, "exec")
        context.update(sandbox.run("exec", script, dict(context), _data(external_context)))
        return True

    def call_service(self, context: dict, operation_name: str = "", operation_params=None, **kw):
        from service_tasks import call_connector  # checks a record's declared parameters

        connector = self.services.get(operation_name)
        if connector is None:
            raise ExpressionError(f"unknown service operator '{operation_name}'")
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        return json.dumps(call_connector(connector, params), default=str)


class SopScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine whose errors always name the task and the cause."""

    def __init__(self, services: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__(environment=RestrictedEnvironment(services))
        self.calls: list[dict[str, Any]] = []

    def evaluate(self, task, expression, external_context=None):
        # The stock message drops the cause ("Error evaluating expression 'x'"); the person
        # fixing the case needs to read why (a refusal, a budget, the script's own error).
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except Exception as err:  # noqa: BLE001 - as the stock engine: every failure is the task's
            raise WorkflowTaskException(
                f"expression '{expression[:120]}': {err}", task=task, exception=err
            ) from err

    def validate(self, expression: str) -> None:
        """Refuse an expression that would not compile under the restrictions."""
        compile_source(expression, "eval")

    def validate_script(self, script: str) -> None:
        """Refuse a script that would not compile under the restrictions."""
        compile_source(script, "exec")

    def call_service(self, task, **kwargs):
        # The stock implementation refers to an undefined name on error (a NameError hides
        # the connector's message); raise the task error ourselves.
        try:
            result = self.environment.call_service(task.data, **kwargs)
        except Exception as err:  # noqa: BLE001 - any connector failure becomes a task error
            raise WorkflowTaskException(
                f"{kwargs.get('operation_name', 'service')}: {err}", task=task, exception=err
            ) from err
        self.calls.append(
            {
                "task_id": str(task.id),
                "bpmn_id": task.task_spec.bpmn_id,
                "operator": kwargs.get("operation_name"),
                "result": json.loads(result),
            }
        )
        return result
