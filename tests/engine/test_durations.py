"""ISO-8601 durations: the shared cases of tests/data/durations.json, read by Python."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from webapp.engine import durations

CASES = json.loads((Path(__file__).parent.parent / "data" / "durations.json").read_text())
VALID = CASES["valid"]
INVALID = CASES["invalid"]


@pytest.mark.parametrize("case", VALID, ids=[repr(c["iso"]) for c in VALID])
def test_valid_duration_has_its_seconds_and_words(case):
    parsed = durations.parse(case["iso"])
    assert parsed.total_seconds == case["seconds"]
    assert parsed.to_timedelta() == timedelta(seconds=case["seconds"])
    assert durations.seconds(case["iso"]) == case["seconds"]
    assert durations.words_id(case["iso"]) == case["words_id"]


@pytest.mark.parametrize("case", VALID, ids=[repr(c["words_id"]) for c in VALID])
def test_words_read_back_to_the_same_length(case):
    back = durations.from_words_id(case["words_id"])
    assert back is not None
    assert back.total_seconds == case["seconds"]
    assert durations.parse(back.iso()).total_seconds == case["seconds"]


@pytest.mark.parametrize("text", INVALID, ids=[repr(t) for t in INVALID])
def test_invalid_duration_is_refused(text):
    with pytest.raises(ValueError):
        durations.parse(text)
    assert durations.try_parse(text) is None
    assert durations.seconds(text) is None
    assert durations.words_id(text) is None


def test_nothing_is_not_a_duration():
    assert durations.seconds(None) is None
    assert durations.words_id(None) is None


@pytest.mark.parametrize(
    ("words", "iso"),
    [
        ("2 jam", "PT2H"),
        ("1 jam 30 menit", "PT1H30M"),
        ("1 hari 4 jam", "P1DT4H"),
        ("2 Jam", "PT2H"),
    ],
)
def test_words_become_iso(words, iso):
    assert durations.from_words_id(words).iso() == iso


@pytest.mark.parametrize("words", ["", "jam", "2 jem", "2 jam, 30 menit", "PT2H"])
def test_text_that_is_not_indonesian_duration_words_is_refused(words):
    assert durations.from_words_id(words) is None


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("PT10M", "10 menit"),
        ("PT2H", "2 jam"),
        ("P1D", "1 hari"),
        ("PT1H30M", "1 jam 30 menit"),
        ("P1W", "1 minggu"),
        ("durasi_langkah", None),
        ("P", None),
    ],
)
def test_durations_are_said_in_indonesian_as_on_the_sop_sheet(iso, words):
    assert durations.words_id(iso) == words


def test_zero_duration_is_written_in_seconds():
    assert durations.parse("PT0M").iso() == "PT0S"


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("P3D", "3 hari kerja"),
        ("P1DT2H", "1 hari kerja 2 jam"),
        ("P2W", "2 minggu kerja"),
        ("PT2H", "2 jam"),
        ("P1M", "1 bulan"),
    ],
)
def test_working_days_are_said_as_such_and_hours_stay_plain(iso, words):
    assert durations.words_id(iso, working=True) == words
    assert durations.parse(iso).words_id(working=True) == words


@pytest.mark.parametrize(
    ("words", "iso"), [("3 hari kerja", "P3D"), ("1 hari kerja 2 jam", "P1DT2H")]
)
def test_working_day_words_read_back_to_the_same_standard(words, iso):
    assert durations.from_words_id(words).iso() == iso
