"""The modeler's duration parser (durations.js) against the cases the Python parser meets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.static.conftest import MODULES

CASES = json.loads((Path(__file__).parents[1] / "data" / "durations.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def results(run_node) -> dict[str, dict]:
    """What durations.js answers for every input of the cases, in one Node run."""
    return json.loads(
        run_node(
            "durations",
            str(MODULES / "durations.js"),
            str(Path(__file__).parents[1] / "data" / "durations.json"),
        )
    )


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: repr(c["iso"]))
def test_valid_duration_gives_seconds_and_words(results, case):
    assert results[case["iso"]] == {
        "valid": True,
        "seconds": case["seconds"],
        "words_id": case["words_id"],
    }


@pytest.mark.parametrize("text", CASES["invalid"], ids=repr)
def test_invalid_duration_is_refused(results, text):
    assert results[text] == {"valid": False, "seconds": None, "words_id": None}


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: repr(c["words_id"]))
def test_the_words_of_a_duration_read_back_as_the_same_length(results, case):
    """The modeler's time-standard field takes "45 menit", "2 jam", "3 hari" as typed."""
    iso = results["__from_words__"][case["words_id"]]
    assert iso is not None
    assert results[case["iso"]]["seconds"] == case["seconds"]
    assert iso_seconds(iso) == case["seconds"]


def iso_seconds(iso: str) -> int:
    from webapp.engine.durations import seconds

    value = seconds(iso)
    assert value is not None, iso
    return value
