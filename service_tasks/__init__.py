"""Connectors called by the diagrams' service tasks, registered by operator name.

Each connector is a ``Connector`` record: a plain function (no Flask) that takes the task's
evaluated parameters as keyword arguments and returns JSON-able data, or raises
``ConnectorError`` with a message for the incident, plus the parameters a diagram may set.
Lint refuses undeclared parameters at upload and ``call_connector`` at run time.
"""

from . import deploy, notify, report
from .connector import Connector, Param, ParameterError, call_connector, check_params
from .errors import ConnectorError

REGISTRY: dict[str, Connector] = {
    c.operator: c
    for c in (deploy.CONNECTOR, report.CONNECTOR, notify.CONNECTOR, notify.CASE_CONNECTOR)
}


def operators(trait: str) -> tuple[str, ...]:
    """The operators whose connector record has ``trait`` set (e.g. ``releases``)."""
    return tuple(name for name, c in REGISTRY.items() if getattr(c, trait))


__all__ = [
    "REGISTRY",
    "Connector",
    "ConnectorError",
    "Param",
    "ParameterError",
    "call_connector",
    "check_params",
    "operators",
]
