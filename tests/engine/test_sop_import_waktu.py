"""Waktu cells as SOP documents write them become ISO durations (one parser: durations.py)."""

from __future__ import annotations

import pytest

from webapp.engine import durations
from webapp.engine.sop_import import read_document


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("10 menit", "PT10M"),
        ("30'", "PT30M"),
        ("15'", "PT15M"),
        ("15 ’", "PT15M"),
        ("2 jam", "PT2H"),
        ("2 Jam", "PT2H"),
        ("1 hari", "P1D"),
        ("3 hari kerja", "P3D"),
        ("1 x 24 jam", "P1D"),
        ("2x24 jam", "P2D"),
        ("0,5 jam", "PT30M"),
        ("½ jam", "PT30M"),
        ("1 (satu) hari", "P1D"),
        ("paling lama 3 hari", "P3D"),
        ("1 jam dan 30 menit", "PT1H30M"),
        ("1 jam, 30 menit", "PT1H30M"),
        ("10 mnt", "PT10M"),
        ("5 HK", "P5D"),
        ("1 minggu", "P1W"),
    ],
)
def test_waktu_words_become_iso(written, iso):
    assert durations.from_document_words(written).iso() == iso
    assert not durations.is_range(written)


@pytest.mark.parametrize(("written", "iso"), [("1-2 hari", "P2D"), ("30 menit s/d 1 jam", "PT1H")])
def test_a_range_is_read_as_its_limit_and_said_to_be_one(written, iso):
    assert durations.from_document_words(written).iso() == iso
    assert durations.is_range(written)


@pytest.mark.parametrize("written", ["", "-", "segera", "sesuai jadwal", "PT2H", "2 jem"])
def test_what_is_not_a_time_is_not_guessed(written):
    assert durations.from_document_words(written) is None


def test_the_plain_reader_stays_strict():
    # The sheet compares sopWaktu with the timer through from_words_id: unchanged by the import.
    assert durations.from_words_id("30'") is None
    assert durations.from_words_id("2 jam, 30 menit") is None


def test_each_row_keeps_the_words_and_gets_the_duration():
    text = "No\tUraian\tPetugas\tWaktu\n1\tMenerima\t√\t1 x 24 jam\n2\tMemeriksa\t√\t\n"
    rows = read_document("sop.txt", text.encode())["rows"]
    assert (rows[0]["waktu"], rows[0]["duration"]) == ("1 x 24 jam", "P1D")
    assert (rows[1]["waktu"], rows[1]["duration"]) == ("", None)
    assert "uncertain" not in rows[1]  # no time standard written: none asked for
