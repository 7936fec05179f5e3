"""Form patterns matched in linear time (RE2), never by Python's backtracking ``re``.

A form's JSON Schema is written by a process owner; its ``pattern`` is matched against every
submission of that step. Python's ``re`` backtracks: ``^(a+)+$`` against 27 ``a`` and a ``b``
took 7.6 s per submission. RE2 guarantees time linear in the input, so the same pattern answers
in microseconds. What RE2 cannot express (back-references, look-around) is refused at upload
with the form named, instead of silently falling back to ``re``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import re2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

MAX_PATTERN_CHARS = 1_000
MAX_PATTERN_MEMORY = 8 << 20  # RE2's own bound on a compiled pattern
# Linear is not free: matching costs about (program size x text length); (.*a){1000} has a
# program of 11,004 instructions and took 0.74 s on 10,000 characters. So a pattern's program
# is at most 2,000 instructions (the SOP's release tag pattern has 401), a text checked against
# a pattern is at most 10,000 characters (patterns are for short values: an NIB, a phone
# number, a release tag), and their product at most 10 million (about 70 ms on this machine).
MAX_PROGRAM_SIZE = 2_000
MAX_MATCHED_CHARS = 10_000
MAX_MATCH_COST = 10_000_000


class PatternError(ValueError):
    """A pattern RE2 cannot compile (or too long to accept)."""


def _options() -> Any:
    options = re2.Options()
    options.max_mem = MAX_PATTERN_MEMORY
    options.log_errors = False
    return options


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """Compile a form pattern with RE2 (cached); raise ``PatternError`` when it cannot be."""
    if not isinstance(pattern, str):
        raise PatternError("pattern must be text")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"pattern longer than {MAX_PATTERN_CHARS} characters")
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PatternError(str(detail)) from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise PatternError(
            f"pattern too complex ({compiled.programsize} instructions, "
            f"limit {MAX_PROGRAM_SIZE}); use smaller repetition counts"
        )
    return compiled


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict) -> Iterator[Any]:
    if not validator.is_type(instance, "string"):
        return
    regex = compile_pattern(pattern)
    if len(instance) > MAX_MATCHED_CHARS or len(instance) * regex.programsize > MAX_MATCH_COST:
        yield ValidationError(f"text too long ({len(instance)} characters) for its pattern")
    elif regex.search(instance) is None:
        yield ValidationError(f"{instance[:80]!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict, instance: Any, schema: dict) -> Iterator:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        regex = compile_pattern(pattern)
        for key, value in instance.items():
            if regex.search(key) is not None:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


FormValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties},
)
"""Draft 2020-12 with ``pattern`` and ``patternProperties`` matched by RE2."""


def pattern_problems(schema: Any, path: str = "") -> list[tuple[str, str, str]]:
    """Every pattern in a schema RE2 cannot compile, as (path, pattern, reason)."""
    problems: list[tuple[str, str, str]] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            here = f"{path}/{key}"
            if key == "pattern" and isinstance(value, str):
                try:
                    compile_pattern(value)
                except PatternError as exc:
                    problems.append((here, value, str(exc)))
            elif key == "patternProperties" and isinstance(value, dict):
                for pattern, sub in value.items():
                    try:
                        compile_pattern(pattern)
                    except PatternError as exc:
                        problems.append((here, pattern, str(exc)))
                    problems.extend(pattern_problems(sub, f"{here}/{pattern}"))
            else:
                problems.extend(pattern_problems(value, here))
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            problems.extend(pattern_problems(item, f"{path}/{index}"))
    return problems
