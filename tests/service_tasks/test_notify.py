"""The notify connectors: who may be addressed, and notify_case's declared message."""

from __future__ import annotations

import pytest

from service_tasks import REGISTRY, ConnectorError, ParameterError, call_connector, operators
from service_tasks.notify import notify_case, notify_sla_breach


def test_notify_case_is_registered_as_the_connector_that_delivers():
    connector = REGISTRY["notify_case"]
    assert operators("delivers") == ("notify_case",)
    assert connector.names == ("judul", "pesan", "kepada")
    assert [p.required for p in connector.params] == [True, True, False]
    assert not connector.escalates and not connector.long_running


def test_notify_case_addresses_the_starter_by_default():
    result = notify_case("Izin terbit", "Izin Anda telah terbit.")
    assert result["kepada"] == ["starter"]
    assert (result["judul"], result["pesan"]) == ("Izin terbit", "Izin Anda telah terbit.")


def test_notify_case_takes_the_recipients_the_breach_notice_takes():
    result = notify_case("Berkas", "Isi", kepada="starter, role:Front Office, user:budi")
    assert result["kepada"] == ["starter", "role:Front Office", "user:budi"]


@pytest.mark.parametrize("kepada", ["pemohon", "role:", "", " , ", "user: "])
def test_notify_case_refuses_an_unknown_or_empty_recipient(kepada):
    with pytest.raises(ConnectorError):
        notify_case("Judul", "Pesan", kepada=kepada)


def test_notify_case_refuses_an_empty_or_overlong_title():
    with pytest.raises(ConnectorError):
        notify_case("  ", "Pesan")
    with pytest.raises(ConnectorError):
        notify_case("x" * 256, "Pesan")


def test_a_diagram_cannot_give_notify_case_an_undeclared_parameter():
    with pytest.raises(ParameterError) as caught:
        call_connector(REGISTRY["notify_case"], {"judul": "J", "pesan": "P", "smtp": "evil"})
    assert caught.value.parameter == "smtp"


def test_the_breach_notice_can_address_the_starter_too():
    result = notify_sla_breach("Task_1", "1 hari", kepada="starter, assignee")
    assert result["kepada"] == ["starter", "assignee"]
