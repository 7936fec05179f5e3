"""service_tasks.connector: each connector declares the parameters a diagram may set.

Red-team finding: every parameter a diagram's service task declared reached the connector, and
the deployment accepted ``config_path`` and ``script`` — a process owner got a root shell.
"""

from __future__ import annotations

import inspect

import pytest

from service_tasks import (
    REGISTRY,
    Connector,
    ConnectorError,
    Param,
    ParameterError,
    call_connector,
    check_params,
    operators,
)
from service_tasks.connector import HOOKS
from webapp.engine.instance import EngineError, ProcessInstance

from ..engine.helpers import data_process


def _signature(connector: Connector) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(connector.function).parameters)


@pytest.mark.parametrize("operator", sorted(REGISTRY))
def test_every_registry_entry_declares_params_matching_its_function_signature(operator):
    connector = REGISTRY[operator]
    assert isinstance(connector, Connector)
    assert connector.operator == operator
    assert connector.label, "people see the label: say in Indonesian what the connector does"
    signature = _signature(connector)
    assert not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.values()), (
        "no **kwargs: a connector takes exactly what it declares"
    )
    reachable = {name for name in signature if name not in HOOKS}
    assert set(connector.names) == reachable
    for param in connector.params:
        parameter = signature[param.name]
        assert param.required == (parameter.default is inspect.Parameter.empty), param.name
        assert param.type in (str, int, float, bool), param.name
        assert param.help, param.name
    # The worker passes its hooks only to connectors that take them, and always to those.
    assert ("on_output" in signature) == connector.long_running
    assert ("case" in signature) == connector.needs_case


def test_the_deployment_declares_application_and_release_only():
    deploy = REGISTRY["deploy_to_colocation"]

    assert deploy.names == ("aplikasi", "rilis")
    assert deploy.long_running and not deploy.needs_case and not deploy.stores_document
    assert "config_path" not in _signature(deploy) and "script" not in _signature(deploy)


def test_the_report_is_the_document_generator():
    report = REGISTRY["generate_repair_report"]

    assert report.needs_case and report.stores_document and not report.long_running
    assert [(p.name, p.required) for p in report.params] == [("kepada", False)]


def _record(**kwargs) -> tuple[Connector, list[dict]]:
    calls: list[dict] = []

    def function(aplikasi, rilis, paksa=False, *, on_output=None):
        calls.append({"aplikasi": aplikasi, "rilis": rilis, "paksa": paksa, "hooked": on_output})
        return {"ok": True}

    params = (Param("aplikasi", str, True, "a"), Param("rilis", str, True, "r"))
    params += (Param("paksa", bool, False, "p"),)
    return Connector("uji", function, params, "Uji", **kwargs), calls


@pytest.mark.parametrize(
    ("params", "named", "words"),
    [
        ({"aplikasi": "a", "rilis": "v1", "config_path": "/x.toml"}, "config_path", "tidak dide"),
        ({"aplikasi": "a", "rilis": "v1", "script": "/usr/bin/env"}, "script", "tidak dide"),
        ({"aplikasi": "a"}, "rilis", "parameter wajib “rilis”"),
        ({"aplikasi": "a", "rilis": 7}, "rilis", "harus berupa teks, bukan int"),
        ({"aplikasi": "a", "rilis": "v1", "paksa": 1}, "paksa", "harus berupa benar/salah"),
        ({"aplikasi": "a", "rilis": None}, "rilis", "bukan NoneType"),
    ],
)
def test_check_params_refuses_and_names_the_parameter(params, named, words):
    connector, calls = _record()

    with pytest.raises(ParameterError) as raised:
        call_connector(connector, params)

    assert raised.value.parameter == named
    assert f"“{named}”" in str(raised.value) and words in str(raised.value)
    assert isinstance(raised.value, ConnectorError)  # an incident, like any connector failure
    assert calls == []


def test_every_undeclared_parameter_is_named():
    connector, _calls = _record()

    with pytest.raises(ParameterError) as raised:
        check_params(connector, {"script": "x", "aplikasi": "a", "rilis": "v", "config_path": 1})

    assert "“config_path”, “script”" in str(raised.value)
    assert "parameter yang diizinkan: aplikasi, rilis, paksa" in str(raised.value)


def test_params_that_are_not_a_mapping_are_refused():
    connector, calls = _record()

    with pytest.raises(ParameterError):
        call_connector(connector, [["aplikasi", "a"]])
    assert calls == []


def test_declared_params_and_the_workers_hooks_reach_the_function():
    connector, calls = _record()
    sink = object()

    assert call_connector(connector, {"aplikasi": "a", "rilis": "v1"}, on_output=sink) == {
        "ok": True
    }
    assert calls == [{"aplikasi": "a", "rilis": "v1", "paksa": False, "hooked": sink}]


def test_only_the_workers_hooks_pass_as_extra_arguments():
    connector, calls = _record()

    with pytest.raises(TypeError, match="not a worker hook"):
        call_connector(connector, {"aplikasi": "a", "rilis": "v1"}, script="/usr/bin/env")
    assert calls == []


@pytest.mark.parametrize("name", HOOKS)
def test_a_connector_cannot_declare_a_hook_or_a_name_twice(name):
    with pytest.raises(ValueError):
        Connector("uji", print, (Param(name),))
    with pytest.raises(ValueError):
        Connector("uji", print, (Param("a"), Param("a")))


def test_float_params_take_whole_numbers_but_no_param_takes_a_bool_as_a_number():
    assert Param("n", float).accepts(3) and Param("n", float).accepts(2.5)
    assert not Param("n", int).accepts(True) and not Param("n", float).accepts(False)
    assert Param("b", bool).accepts(False) and not Param("b", bool).accepts(0)


def test_a_service_task_run_by_the_engine_is_refused_an_undeclared_parameter():
    # The timer sweep runs quick connectors inline through the script engine's call_service:
    # the same check applies there. service_boom.bpmn sets ``target`` on operator ``boom``.
    process = data_process("service_boom")
    calls: list[dict] = []
    boom = Connector(
        "boom", lambda **kw: calls.append(kw) or {}, (Param("tujuan", str, False, "t"),), "Uji"
    )
    instance = ProcessInstance.start(process, services={"boom": boom})

    with pytest.raises(EngineError, match="“target” tidak dideklarasikan"):
        instance.run(run_service_tasks=True)

    assert calls == []
    assert instance.completed is False


def test_the_engine_runs_a_declared_parameter_through_the_record():
    process = data_process("service_boom")
    calls: list[dict] = []
    boom = Connector(
        "boom", lambda target: calls.append(target) or {}, (Param("target", str, True, "t"),), "U"
    )
    instance = ProcessInstance.start(process, services={"boom": boom})

    instance.run(run_service_tasks=True)

    assert calls == ["colocation-01"]


def test_services_find_the_release_and_the_escalation_by_the_records_traits():
    # The report and the timer sweep ask the records, never an operator's name.
    assert operators("releases") == ("deploy_to_colocation",)
    assert operators("escalates") == ("notify_sla_breach",)
    assert operators("long_running") == ("deploy_to_colocation",)
    assert all(not REGISTRY[name].escalates for name in operators("releases"))
