"""What a process version computes once: parsed diagram, forms, validators, rendered fields.

A version's diagram and forms never change once stored (new content is a new version row), so
each process computes them once per version and keeps them in a small LRU keyed by the version
id. The cache lives on the Flask app, one per process: gunicorn workers each fill their own, and
nothing needs invalidating. A request that finds its version here sends no SQL for it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import select

from ..engine.spec import ParsedProcess, parse_process
from ..extensions import db
from ..models import ProcessDefinition, ProcessVersion

# Versions kept per process: every SOP's current version and a few older ones still running.
MAX_VERSIONS = 64
_EXTENSION = "sopflow.version_cache"

T = TypeVar("T")


@dataclass
class CompiledVersion:
    """One version's immutable parts, and a memo for what is derived from them (forms, ...)."""

    version_id: int
    number: int
    process_id: str
    content_hash: str
    process: ParsedProcess
    forms: dict[str, str]
    _derived: dict[Any, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """Return what ``build`` makes for ``key``, built once per version."""
        try:
            return self._derived[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._derived:
                self._derived[key] = build()
            return self._derived[key]


class VersionCache:
    """A thread-safe LRU of compiled versions by version id."""

    def __init__(self, maxsize: int = MAX_VERSIONS):
        self.maxsize = maxsize
        self._items: OrderedDict[int, CompiledVersion] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version_id: int, load: Callable[[int], CompiledVersion]) -> CompiledVersion:
        """Return the compiled version, compiling it with ``load`` on a miss."""
        with self._lock:
            hit = self._items.get(version_id)
            if hit is not None:
                self._items.move_to_end(version_id)
                return hit
            # Compiled under the lock: a miss is rare (once per version and process), and two
            # threads never parse the same diagram twice.
            compiled = load(version_id)
            self._items[version_id] = compiled
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
            return compiled

    def __len__(self) -> int:
        return len(self._items)


def _cache() -> VersionCache:
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_EXTENSION, VersionCache())
    return cache


def _compile(version_id: int) -> CompiledVersion:
    row = db.session.execute(
        select(
            ProcessVersion.version,
            ProcessVersion.content_hash,
            ProcessVersion.bpmn_xml,
            ProcessVersion.forms_json,
            ProcessDefinition.process_id,
        )
        .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
        .where(ProcessVersion.id == version_id)
    ).one()
    return CompiledVersion(
        version_id=version_id,
        number=row.version,
        process_id=row.process_id,
        content_hash=row.content_hash,
        process=parse_process(row.bpmn_xml.encode("utf-8"), row.process_id),
        forms=json.loads(row.forms_json or "{}"),
    )


def compiled(version_id: int) -> CompiledVersion:
    """Return the compiled version with this id (one query and a parse on a miss, else none)."""
    return _cache().get(version_id, _compile)
