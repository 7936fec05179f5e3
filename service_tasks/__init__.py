"""Connectors called by the diagrams' service tasks, registered by operator name.

Plain functions, no Flask: each takes the task's evaluated parameters as keyword arguments and
returns JSON-able data, or raises ``ConnectorError`` with a message for the incident.
"""

from collections.abc import Callable
from typing import Any

from .deploy import deploy_to_colocation
from .errors import ConnectorError
from .notify import notify_sla_breach
from .report import generate_repair_report

REGISTRY: dict[str, Callable[..., Any]] = {
    "deploy_to_colocation": deploy_to_colocation,
    "generate_repair_report": generate_repair_report,
    "notify_sla_breach": notify_sla_breach,
}

__all__ = ["REGISTRY", "ConnectorError"]
