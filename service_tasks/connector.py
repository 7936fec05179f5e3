"""What a connector is: its function and the parameters a diagram may set on it.

A process owner's diagram chooses the parameters of its service tasks, and process owners are
not trusted (DESIGN.md §7, §9). So each connector declares its parameters (name, type,
required); ``check_params`` refuses anything else and ``call_connector`` passes only declared
parameters, plus the worker's own hooks (``on_output``, ``case``). Whatever picks a script, a
file, a host, a path or a command is never a parameter: it comes from the administrator's
settings (for the deployment, the file named by ``SOPFLOW_DEPLOY_CONFIG``).

No Flask here: messages are plain Indonesian.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConnectorError

# Arguments only the worker passes, never a diagram: the live log sink of a long call and the
# case history a document generator needs.
HOOKS = ("on_output", "case")

TYPE_NAMES = {str: "teks", int: "bilangan bulat", float: "bilangan", bool: "benar/salah"}


@dataclass(frozen=True)
class Param:
    """One parameter a diagram may set: its name, type, whether it must be set, and a hint."""

    name: str
    type: type = str
    required: bool = True
    help: str = ""

    def accepts(self, value: Any) -> bool:
        """True when ``value`` has this parameter's type (a bool is not a number here)."""
        if isinstance(value, bool) and self.type is not bool:
            return False
        if self.type is float:
            return isinstance(value, int | float)
        return isinstance(value, self.type)

    @property
    def type_name(self) -> str:
        """The type as the messages name it (Indonesian)."""
        return TYPE_NAMES.get(self.type, self.type.__name__)


@dataclass(frozen=True)
class Connector:
    """A registered connector: the operator name diagrams use and everything the worker needs.

    ``long_running``: runs for minutes (the deployment): the worker runs it apart, never inline
    in a timer sweep, and streams its output (``on_output``). ``needs_case``: the worker passes
    the case history as ``case``. ``stores_document``: the result holds a document (``html``,
    ``pdf``) the worker stores on the case. ``timeout``: the longest a call is expected to take,
    in seconds (the deployment enforces the per-application limit from its configuration).
    ``label``: what people see, Indonesian first. ``escalates``: the result names who must hear
    that a step ran past its standard, and the timer sweep delivers it. ``releases``: a
    successful call is the case's release, which the repair report describes. ``delivers``: the
    result is a message (``judul``, ``pesan``, ``kepada``) the worker delivers in-app and by
    e-mail in the transaction that records the call.
    """

    operator: str
    function: Callable[..., Any]
    params: tuple[Param, ...] = ()
    label: str = ""
    long_running: bool = False
    needs_case: bool = False
    stores_document: bool = False
    timeout: float | None = None
    escalates: bool = False
    releases: bool = False
    delivers: bool = False

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.operator}: a parameter is declared twice")
        clash = set(names) & set(HOOKS)
        if clash:
            raise ValueError(f"{self.operator}: {sorted(clash)} is the worker's, not a parameter")

    @classmethod
    def of(cls, function: Callable[..., Any], *params: Param, **traits: Any) -> Connector:
        """Declare ``function`` as the connector of its own name, taking ``params``.

        ``traits`` are the record's other fields by name (``label``, ``long_running``, …).
        """
        return cls(function.__name__, function, params, **traits)

    @property
    def names(self) -> tuple[str, ...]:
        """The declared parameters' names, in order."""
        return tuple(p.name for p in self.params)

    def param(self, name: str) -> Param | None:
        """The declared parameter ``name``, or None."""
        return next((p for p in self.params if p.name == name), None)


class ParameterError(ConnectorError):
    """A diagram set a parameter the connector does not declare, left out a required one, or
    gave one a value of the wrong type. ``parameter`` names it (the first one, in order)."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def check_params(connector: Connector, params: Any) -> dict[str, Any]:
    """Return ``params`` when they fit the connector's declaration, else raise ParameterError.

    Undeclared names are refused (all of them named, sorted), then missing required ones, then
    values of the wrong type.
    """
    op = connector.operator
    if not isinstance(params, Mapping):
        raise ParameterError(
            f"parameter operator {op} harus berupa pasangan nama dan nilai, bukan "
            f"{type(params).__name__}",
            "",
        )
    allowed = ", ".join(connector.names) or "(tidak ada)"
    unknown = sorted(str(name) for name in params if name not in connector.names)
    if unknown:
        listed = ", ".join(f"“{name}”" for name in unknown)
        raise ParameterError(
            f"parameter {listed} tidak dideklarasikan oleh operator {op} "
            f"(parameter yang diizinkan: {allowed})",
            unknown[0],
        )
    for param in connector.params:
        if param.name not in params:
            if param.required:
                raise ParameterError(
                    f"parameter wajib “{param.name}” untuk operator {op} tidak diisi",
                    param.name,
                )
            continue
        value = params[param.name]
        if not param.accepts(value):
            raise ParameterError(
                f"parameter “{param.name}” untuk operator {op} harus berupa {param.type_name}, "
                f"bukan {type(value).__name__}",
                param.name,
            )
    return dict(params)


def call_connector(connector: Connector | Callable[..., Any], params: Any, **hooks: Any) -> Any:
    """Call a connector with a diagram's parameters, after ``check_params``.

    ``hooks`` are the worker's own arguments (``on_output``, ``case``), never a diagram's.
    A plain function (the engine handing over a result the worker already obtained, or a test's
    stand-in) is not a registered connector and is called as it is.
    """
    unknown_hooks = sorted(set(hooks) - set(HOOKS))
    if unknown_hooks:
        raise TypeError(f"not a worker hook: {unknown_hooks}")
    if not isinstance(connector, Connector):
        return connector(**dict(params or {}), **hooks)
    checked = check_params(connector, params)
    return connector.function(**checked, **hooks)
