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
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

# Submitted form data (the ``data`` object counts as the first level). Thirty-two levels hold
# any form people fill in; forms whose schema declares deeper data are refused by lint.
MAX_DATA_DEPTH = 32
# A form schema file as JSON: each data level takes two (``properties`` → field) or more.
MAX_SCHEMA_DEPTH = 8 * MAX_DATA_DEPTH

# Two passes with no backtracking, so the scan stays linear in the body's length: escapes
# first (a backslash outside a string is invalid JSON, and the parser stops there anyway),
# then strings, which no longer contain escaped quotes. One pattern doing both backtracked
# quadratically on a body of escaped quotes with no closing quote (40,000 of them: 18 s).
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
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
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
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
        children: Iterable[Any]
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


def resolve_ref(ref: str, root: Any) -> Any:
    """The target of a local JSON Schema ``$ref`` (``#`` or ``#/…``) within ``root``, else None."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


_SAME_LEVEL = ("allOf", "anyOf", "oneOf", "then", "else")
_OBJECT_CHILDREN = ("additionalProperties", "unevaluatedProperties", "items")


def schema_depth(schema: Any, limit: int) -> int:
    """Return how deeply the data a JSON Schema describes nests, or ``limit + 1`` if deeper.

    Follows ``properties``, ``patternProperties``, ``additionalProperties``, ``items`` and
    ``prefixItems`` (and ``allOf``/``anyOf``/``oneOf``/``if``-``then``-``else`` and local
    ``$ref`` at the same level). A ``$ref`` back into itself (a tree) is followed once: it
    allows deeper data but does not ask for it.
    """
    deepest = 0
    stack: list[tuple[Any, int, frozenset[str]]] = [(schema, 0, frozenset())]
    # Deepest level each node was reached at: a node is walked again only from deeper, so a
    # schema that references one definition from many places costs nodes × limit, not more.
    reached: dict[int, int] = {}
    while stack:
        node, depth, refs = stack.pop()
        if not isinstance(node, dict) or reached.get(id(node), -1) >= depth:
            continue
        reached[id(node)] = depth
        for key in _SAME_LEVEL:
            sub = node.get(key)
            for item in sub if isinstance(sub, list) else [sub]:
                stack.append((item, depth, refs))
        if isinstance(node.get("dependentSchemas"), dict):
            stack.extend((sub, depth, refs) for sub in node["dependentSchemas"].values())
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in refs:
            stack.append((resolve_ref(ref, schema), depth, refs | {ref}))
        children: list[Any] = []
        for key in ("properties", "patternProperties"):
            if isinstance(node.get(key), dict):
                children.extend(node[key].values())
        children.extend(node.get(key) for key in _OBJECT_CHILDREN)
        if isinstance(node.get("prefixItems"), list):
            children.extend(node["prefixItems"])
        container = node.get("type") in ("object", "array") or any(
            isinstance(c, dict) for c in children
        )
        if not container:
            continue
        level = depth + 1
        if level > limit:
            return limit + 1
        deepest = max(deepest, level)
        stack.extend((child, level, refs) for child in children if isinstance(child, dict))
    return deepest


def check_value(value: Any, limit: int) -> None:
    """Raise ``TooDeep`` when ``value`` nests deeper than ``limit``."""
    depth = value_depth(value, limit)
    if depth > limit:
        raise TooDeep(depth, limit)
