"""A restricted script environment: BPMN expressions never run as plain Python.

SpiffWorkflow's default environment hands every condition, timer expression, script and
service parameter to ``eval``/``exec``. A diagram is uploaded by a person, so that would let a
diagram run code on the server. Here every expression is compiled with RestrictedPython: no
imports, no dunder or private attribute access, a short list of safe builtins, and a bound on
loop iterations and source size.
"""

from __future__ import annotations

import ast
import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

MAX_SOURCE_CHARS = 10_000
MAX_ITERATIONS = 100_000


class ExpressionError(Exception):
    """An expression or script was refused or failed."""


class _IterationBudget:
    """Counts items drawn from iterators so a script cannot loop for ever."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def guard(self, obj: Any) -> Any:
        for item in iter(obj):
            self.used += 1
            if self.used > self.limit:
                raise ExpressionError(f"script stopped: more than {self.limit} loop iterations")
            yield item


_INPLACE = {
    "+=": lambda a, b: a + b,
    "-=": lambda a, b: a - b,
    "*=": lambda a, b: a * b,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": lambda a, b: a % b,
}


def _inplace(op: str, left: Any, right: Any) -> Any:
    if op not in _INPLACE:
        raise ExpressionError(f"operator {op} is not allowed")
    return _INPLACE[op](left, right)


def _no_while(source: str) -> None:
    # ``while`` loops cannot be bounded through iterator guards: refuse them outright.
    # Import statements are refused here too, so the narrow ``__import__`` below is reachable
    # only from C code (``date.today()`` imports ``time`` internally), never from a script.
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.While):
            raise ExpressionError("'while' loops are not allowed in diagram scripts")
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise ExpressionError("imports are not allowed in diagram scripts")


_INTERNAL_IMPORTS = {"time"}


def _internal_import(name: str, *args: Any, **kwargs: Any) -> Any:
    if name not in _INTERNAL_IMPORTS:
        raise ExpressionError(f"import of '{name}' is not allowed")
    return __import__(name, *args, **kwargs)


SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len,
    "min": min,
    "max": max,
    "sum": sum,
    "abs": abs,
    "round": round,
    "sorted": sorted,
    "any": any,
    "all": all,
    "enumerate": enumerate,
    "dict": dict,
    "list": list,
    "set": set,
    "json_dumps": json.dumps,
    "ceil": math.ceil,
    "floor": math.floor,
    "date": _dt.date,
    "timedelta": _dt.timedelta,
}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate expressions and run scripts under RestrictedPython."""

    def __init__(self, services: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__(dict(SAFE_FUNCTIONS))
        self.services = dict(services or {})

    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict:
        builtins = dict(safe_builtins)
        builtins.update(limited_builtins)
        builtins.update(utility_builtins)
        builtins["__import__"] = _internal_import
        budget = _IterationBudget(MAX_ITERATIONS)
        env: dict[str, Any] = {
            "__builtins__": builtins,
            "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": budget.guard,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard,
            "_inplacevar_": _inplace,
        }
        env.update(self.globals)
        env.update(external or {})
        env.update(context)
        return env

    @staticmethod
    def _check_source(source: str) -> None:
        if not isinstance(source, str):
            raise ExpressionError("expression must be text")
        if len(source) > MAX_SOURCE_CHARS:
            raise ExpressionError(f"expression longer than {MAX_SOURCE_CHARS} characters")
        try:
            _no_while(source)
        except SyntaxError as exc:
            raise ExpressionError(f"syntax error: {exc.msg}") from exc

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        self._check_source(expression)
        result = compile_restricted_eval(expression.strip())
        if result.errors:
            raise ExpressionError("; ".join(result.errors))
        return eval(result.code, self._globals(context, external_context))  # noqa: S307

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        self._check_source(script)
        result = compile_restricted_exec(script)
        if result.errors:
            raise ExpressionError("; ".join(result.errors))
        env = self._globals(context, external_context)
        keys_before = set(env)
        exec(result.code, env)  # noqa: S102
        # Copy back plain data the script assigned; never the helpers we injected.
        for key, value in env.items():
            if key.startswith("_") or callable(value):
                continue
            if key in context or key not in keys_before:
                context[key] = value
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

    def validate(self, expression: str) -> None:
        RestrictedEnvironment._check_source(expression)
        result = compile_restricted_eval(expression.strip())
        if result.errors:
            raise ExpressionError("; ".join(result.errors))

    def call_service(self, task, **kwargs):  # type: ignore[override]
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
