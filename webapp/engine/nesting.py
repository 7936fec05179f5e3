"""How deeply JSON may nest: measured without recursion, so no input can exhaust the stack.

Python's ``json`` module, the engine's serializer and the template code all recurse once per
level of nesting: data about a thousand levels deep raises ``RecursionError`` wherever it is
read or written. Submitted data, form schemas and the saved engine state are therefore measured
here first, with loops, and refused above a declared limit.

Depth counts containers: ``1`` and ``"a"`` have depth 0, ``{}`` and ``[]`` depth 1,
``{"a": [1]}`` depth 2.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

# Submitted form data (the ``data`` object counts as the first level). Thirty-two levels hold
# any form people fill in; forms whose schema declares deeper data are refused by lint.
MAX_DATA_DEPTH = 32

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(ValueError):
    """JSON nests deeper than allowed; ``depth`` is at least ``limit + 1``."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"JSON nested {depth} levels deep; at most {limit} allowed")
        self.depth = depth
        self.limit = limit


def text_depth(text: str) -> int:
    """Return the deepest nesting a JSON parser reaches reading ``text``.

    Strings are removed first, so brackets inside them do not count; an unterminated string
    leaves its brackets counted, which can only overstate the depth of text that is not JSON.
    """
    if text.count("[") + text.count("{") <= 1:
        return text.count("[") + text.count("{")
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def loads(text: str | bytes, limit: int) -> Any:
    """``json.loads`` that refuses text nesting deeper than ``limit`` before parsing it."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    depth = text_depth(text)
    if depth > limit:
        raise TooDeep(depth, limit)
    return json.loads(text)


def value_depth(value: Any, limit: int) -> int:
    """Return the nesting depth of a Python value, or ``limit + 1`` as soon as it is deeper.

    Walks with an explicit stack; a container met twice on one path (a cycle) counts as too
    deep, since no JSON can hold it.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple | set | frozenset):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return limit + 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def check_value(value: Any, limit: int) -> None:
    """Raise ``TooDeep`` when ``value`` nests deeper than ``limit``."""
    depth = value_depth(value, limit)
    if depth > limit:
        raise TooDeep(depth, limit)
