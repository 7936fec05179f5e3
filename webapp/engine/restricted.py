"""Diagram code under RestrictedPython, with size guards; run as a script it is the sandbox.

Every condition, timer expression, script and service parameter of a diagram is compiled here
with RestrictedPython (no imports, no dunder or private attributes, a short list of builtins)
and a policy of our own: ``**``, ``*`` and ``<<`` go through guards that refuse a result too
big *before* computing it (``7**(10**7)``, ``'x' * (3 * 10**8)``), loops draw from an
iteration budget, and scripts cannot raise ``SystemExit``, ``KeyboardInterrupt`` or
``GeneratorExit`` (those names are not there).

Guards catch what can be recognised; the rest (a builtin that loops in C, a format width of a
billion) is ended by the process that runs this module as ``python -I restricted.py``: it sets
an address-space limit and a CPU-time limit per evaluation, and ``sandbox.py`` kills it when
an evaluation outlives its wall-clock budget. The module imports only the standard library and
RestrictedPython so that process starts small.
"""

from __future__ import annotations

import ast
import datetime as _dt
import functools
import json
import math
import os
import pickle
import struct
import sys
from collections.abc import Mapping
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
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

MAX_SOURCE_CHARS = 10_000
MAX_ITERATIONS = 100_000
MAX_INT_BITS = 100_000  # about 30,000 decimal digits
MAX_SEQUENCE = 1_000_000  # characters or items one repetition may build

# Exceptions a diagram must never raise: they end a process instead of failing a task.
_PROCESS_EXITS = ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseException")


class ExpressionError(Exception):
    """An expression or script was refused or failed; ``kind`` names the script's exception."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


# -- size guards -------------------------------------------------------------------------------


def _bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _check_pow(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 1 and abs(base) > 1:
        if exponent * math.log2(abs(base)) > MAX_INT_BITS:
            raise ExpressionError(f"number too large: the power would exceed {MAX_INT_BITS} bits")


def _repeat_size(a: Any, b: Any) -> int | None:
    """Length of ``a * b`` when it repeats a sequence, else None."""
    for seq, count in ((a, b), (b, a)):
        if isinstance(seq, str | bytes | bytearray | list | tuple) and isinstance(count, int):
            return len(seq) * max(count, 0)
    return None


def _check_mult(a: Any, b: Any) -> None:
    size = _repeat_size(a, b)
    if size is not None and size > MAX_SEQUENCE:
        raise ExpressionError(
            f"sequence too large: repeating would make {size} items (limit {MAX_SEQUENCE})"
        )
    if isinstance(a, int) and isinstance(b, int) and _bits(a) + _bits(b) > MAX_INT_BITS:
        raise ExpressionError(f"number too large: the product would exceed {MAX_INT_BITS} bits")


def _check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and _bits(a) + b > MAX_INT_BITS:
        raise ExpressionError(f"number too large: the shift would exceed {MAX_INT_BITS} bits")


def guarded_binop(op: str, left: Any, right: Any) -> Any:
    """``left <op> right`` for the operators that can build huge values, checked first."""
    if op == "**":
        _check_pow(left, right)
        return left**right
    if op == "*":
        _check_mult(left, right)
        return left * right
    if op == "<<":
        _check_lshift(left, right)
        return left << right
    raise ExpressionError(f"operator {op} is not allowed")


def guarded_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    """``pow()``: a modular power stays small; any other is checked like ``**``."""
    if modulus is None:
        _check_pow(base, exponent)
        return pow(base, exponent)
    return pow(base, exponent, modulus)


_INPLACE = {
    "+=": lambda a, b: a + b,
    "-=": lambda a, b: a - b,
    "*=": lambda a, b: guarded_binop("*", a, b),
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": lambda a, b: a % b,
    "**=": lambda a, b: guarded_binop("**", a, b),
    "<<=": lambda a, b: guarded_binop("<<", a, b),
    ">>=": lambda a, b: a >> b,
    "&=": lambda a, b: a & b,
    "|=": lambda a, b: a | b,
    "^=": lambda a, b: a ^ b,
}


def _inplace(op: str, left: Any, right: Any) -> Any:
    if op not in _INPLACE:
        raise ExpressionError(f"operator {op} is not allowed")
    return _INPLACE[op](left, right)


_GUARDED_OPS = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<"}


class SopPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, with ``**``, ``*`` and ``<<`` routed through the guards."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(op), node.left, node.right],
            keywords=[],
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))


# -- compiling -----------------------------------------------------------------------------


def _check_source(source: str) -> None:
    if not isinstance(source, str):
        raise ExpressionError("expression must be text")
    if len(source) > MAX_SOURCE_CHARS:
        raise ExpressionError(f"expression longer than {MAX_SOURCE_CHARS} characters")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from exc
    # ``while`` loops cannot be bounded through iterator guards: refuse them outright.
    # Import statements are refused here too, so the narrow ``__import__`` below is reachable
    # only from C code (``date.today()`` imports ``time`` internally), never from a script.
    for node in ast.walk(tree):
        if isinstance(node, ast.While):
            raise ExpressionError("'while' loops are not allowed in diagram scripts")
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise ExpressionError("imports are not allowed in diagram scripts")
        if isinstance(node, ast.Name) and node.id in _PROCESS_EXITS:
            raise ExpressionError(f"'{node.id}' is not allowed in diagram scripts")


@functools.lru_cache(maxsize=1024)
def compile_source(source: str, mode: str) -> Any:
    """Check and compile diagram code (``mode`` is ``eval`` or ``exec``); cached per source."""
    _check_source(source)
    if mode == "eval":
        result = compile_restricted_eval(source.strip(), policy=SopPolicy)
    else:
        result = compile_restricted_exec(source, policy=SopPolicy)
    if result.errors:
        raise ExpressionError("; ".join(result.errors))
    return result.code


# -- running -------------------------------------------------------------------------------


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


def _builtins() -> dict[str, Any]:
    builtins = dict(safe_builtins)
    builtins.update(limited_builtins)
    builtins.update(utility_builtins)
    for name in _PROCESS_EXITS:
        builtins.pop(name, None)
    builtins["__import__"] = _internal_import
    builtins["pow"] = guarded_pow
    return builtins


_BUILTINS = _builtins()


def _globals(context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
    budget = _IterationBudget(MAX_ITERATIONS)
    env: dict[str, Any] = {
        "__builtins__": _BUILTINS,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": budget.guard,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplace,
        "_binop_": guarded_binop,
    }
    env.update(SAFE_FUNCTIONS)
    env.update(external or {})
    env.update(context)
    return env


def evaluate(source: str, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> Any:
    """Evaluate an expression against task data, in this process (the sandbox calls this)."""
    code = compile_source(source, "eval")
    return eval(code, _globals(context, external))  # noqa: S307 - restricted code


def execute(
    source: str, context: Mapping[str, Any], external: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Run a script; return the plain data it assigned or changed (never the helpers)."""
    code = compile_source(source, "exec")
    env = _globals(context, external)
    keys_before = set(env)
    exec(code, env)  # noqa: S102 - restricted code
    return {
        key: value
        for key, value in env.items()
        if not key.startswith("_")
        and not callable(value)
        and (key in context or key not in keys_before)
    }


# -- the sandbox process -------------------------------------------------------------------
#
# Requests and replies are pickles framed by a 4-byte length, on stdin and stdout. A request is
# (mode, source, context, external); a reply is ("ok", value) or ("error", message, kind). The
# parent unpickles replies with an allow-list of data types (see sandbox.py).

FRAME = struct.Struct("!I")
MAX_REPLY_BYTES = 8 * 1024 * 1024


def _read_frame(stream: Any) -> bytes | None:
    header = stream.read(FRAME.size)
    if len(header) < FRAME.size:
        return None
    (size,) = FRAME.unpack(header)
    body = stream.read(size)
    return body if len(body) == size else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ExpressionError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "script stopped: it needed more memory than its budget"
    if isinstance(exc, RecursionError):
        return "script stopped: recursion too deep"
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<string>":
            line = f" (line {tb.tb_lineno})"
        tb = tb.tb_next
    text = str(exc)
    return f"{type(exc).__name__}{line}: {text}" if text else f"{type(exc).__name__}{line}"


def _reply(mode: str, source: str, context: dict, external: dict | None) -> tuple:
    if mode == "eval":
        return ("ok", evaluate(source, context, external))
    if mode == "exec":
        return ("ok", execute(source, context, external))
    if mode == "ping":
        return ("ok", os.getpid())
    raise ExpressionError(f"unknown request {mode!r}")


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def serve(memory_mb: int, cpu_seconds: int) -> None:
    """Answer requests on stdin until it closes, each under a CPU-time limit, all under a
    memory limit. Going over the CPU limit ends this process (SIGXCPU): the parent reports it."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        limit = _address_space() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)[1]
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    # Nothing a script does can write into the reply channel.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    while True:
        frame = _read_frame(requests)
        if frame is None:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = math.ceil(usage.ru_utime + usage.ru_stime)
        resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_seconds, _hard_cpu))
        fatal = False
        try:
            mode, source, context, external = pickle.loads(frame)  # noqa: S301 - our parent
            reply = _reply(mode, source, context, external)
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            if len(data) > MAX_REPLY_BYTES:
                raise ExpressionError(
                    f"script result too large ({len(data)} bytes, limit {MAX_REPLY_BYTES})"
                )
        except BaseException as exc:  # noqa: BLE001 - every failure is the script's, reported
            fatal = isinstance(exc, MemoryError)
            try:
                message = _describe(exc)[:500]
            except BaseException:  # noqa: BLE001 - an exception whose str() fails
                message = type(exc).__name__
            data = pickle.dumps(("error", message, type(exc).__name__))
        replies.write(FRAME.pack(len(data)) + data)
        replies.flush()
        if fatal:
            return  # after running out of memory, start afresh


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
