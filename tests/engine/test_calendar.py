"""SLA calendars: working-hours due times (Perpres 21/2023), working days, wall clock, settings."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from webapp.engine import durations
from webapp.engine.calendar import (
    DEFAULT_WEEK,
    WallClockCalendar,
    WorkingHoursCalendar,
    make_calendar,
    parse_dates,
    parse_week,
)
from webapp.engine.durations import Duration

WIB = ZoneInfo("Asia/Jakarta")
DEFAULT_SPEC = "mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30,13:00-16:30"
CUTI_BERSAMA = date(2026, 12, 24)  # Thursday before Christmas, configured by the office
H = timedelta(hours=1)
M = timedelta(minutes=1)


def wib(day: str, hhmm: str) -> datetime:
    """Return an aware WIB datetime for ``YYYY-MM-DD`` and ``HH:MM``."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> WorkingHoursCalendar:
    return WorkingHoursCalendar(holidays=[CUTI_BERSAMA])


def test_reference_weeks_have_the_expected_holidays() -> None:
    id_2026 = holidays.country_holidays("ID", years=2026)
    quiet_week = [date(2026, 11, 16) + timedelta(days=i) for i in range(8)]  # Mon 16 .. Mon 23
    assert date(2026, 11, 20).strftime("%A") == "Friday"
    assert not any(d in id_2026 for d in quiet_week)
    assert date(2026, 12, 25) in id_2026  # Christmas, a Friday
    assert CUTI_BERSAMA not in id_2026  # only a day off because the office lists it


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (wib("2026-11-20", "15:30"), 2 * H, wib("2026-11-23", "08:30")),  # Friday -> Monday
        (wib("2026-11-16", "11:30"), 1 * H, wib("2026-11-16", "13:30")),  # Monday break
        (wib("2026-11-20", "11:00"), 1 * H, wib("2026-11-20", "13:30")),  # Friday break
        (wib("2026-11-16", "12:15"), 30 * M, wib("2026-11-16", "13:30")),  # starts in break
        (wib("2026-11-19", "15:00"), 1 * H, wib("2026-11-19", "16:00")),  # ends at closing
        (wib("2026-11-16", "12:00"), 0 * H, wib("2026-11-16", "12:00")),  # zero: unchanged
    ],
    ids=["fri-to-mon", "mon-break", "fri-break", "in-break", "interval-end-stays", "zero"],
)
def test_add_counts_working_time_around_breaks_and_weekends(
    cal: WorkingHoursCalendar, start: datetime, duration: timedelta, due: datetime
) -> None:
    assert cal.add(start, duration) == due


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (wib("2026-11-16", "06:00"), wib("2026-11-16", "08:30")),  # before opening
        (wib("2026-11-16", "17:00"), wib("2026-11-17", "08:30")),  # after closing
        (wib("2026-11-16", "16:00"), wib("2026-11-17", "08:30")),  # exactly at closing
        (wib("2026-11-21", "10:00"), wib("2026-11-23", "08:30")),  # Saturday
        (wib("2026-12-25", "09:00"), wib("2026-12-28", "08:30")),  # Christmas (public holiday)
        (wib("2026-12-24", "09:00"), wib("2026-12-28", "08:30")),  # configured cuti bersama
        (wib("2026-12-23", "16:30"), wib("2026-12-28", "08:30")),  # Wed evening before both
    ],
    ids=["before-opening", "after-closing", "at-closing", "saturday", "holiday", "cuti", "eve"],
)
def test_add_starts_counting_at_the_next_working_moment(
    cal: WorkingHoursCalendar, start: datetime, due: datetime
) -> None:
    assert cal.add(start, 1 * H) == due


def test_cuti_bersama_only_counts_as_off_when_configured() -> None:
    assert WorkingHoursCalendar().add(wib("2026-12-24", "09:00"), H) == wib("2026-12-24", "10:00")


def test_without_country_public_holidays_are_working_days() -> None:
    calendar = WorkingHoursCalendar(country=None)
    assert calendar.add(wib("2026-12-25", "09:00"), H) == wib("2026-12-25", "10:00")


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (wib("2026-11-16", "08:00"), 20 * H, wib("2026-11-18", "14:00")),
        (wib("2026-11-16", "07:30"), 3 * 7.5 * H, wib("2026-11-18", "16:00")),  # 3 working days
        (wib("2026-11-16", "07:30"), 37.5 * H, wib("2026-11-20", "16:30")),  # one full week
        (wib("2026-11-16", "07:30"), 2 * 37.5 * H, wib("2026-11-27", "16:30")),  # two weeks
        (wib("2026-12-21", "07:30"), 4 * 7.5 * H, wib("2026-12-28", "16:00")),  # skips 24-27 Dec
    ],
    ids=["20h", "3-days", "full-week", "two-weeks", "over-christmas"],
)
def test_add_spans_several_days(
    cal: WorkingHoursCalendar, start: datetime, duration: timedelta, due: datetime
) -> None:
    assert cal.add(start, duration) == due


def test_add_is_fast_for_long_durations(cal: WorkingHoursCalendar) -> None:
    start = wib("2026-01-05", "07:30")
    due = cal.add(start, 52 * 37.5 * H)  # about a working year
    assert due.year == 2027
    assert cal.elapsed(start, due) == 52 * 37.5 * H


def test_default_week_totals_37_and_a_half_hours(cal: WorkingHoursCalendar) -> None:
    def length(begin: time, end: time) -> timedelta:
        return datetime.combine(date.min, end) - datetime.combine(date.min, begin)

    total = sum((length(b, e) for ivs in DEFAULT_WEEK.values() for b, e in ivs), timedelta(0))
    assert total == 37.5 * H
    assert set(DEFAULT_WEEK) == {0, 1, 2, 3, 4}
    assert cal.elapsed(wib("2026-11-16", "00:00"), wib("2026-11-23", "00:00")) == 37.5 * H


def test_elapsed_inverts_add_for_random_starts_and_durations(cal: WorkingHoursCalendar) -> None:
    rng = random.Random(42)
    origin = wib("2026-01-01", "00:00")
    for _ in range(300):
        start = origin + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        duration = timedelta(minutes=rng.randrange(0, 80 * 60), seconds=rng.randrange(60))
        due = cal.add(start, duration)
        assert due >= start
        assert cal.elapsed(start, due) == duration, (start, duration, due)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (wib("2026-11-20", "16:30"), wib("2026-11-23", "07:30")),  # Friday close -> Monday open
        (wib("2026-11-21", "00:00"), wib("2026-11-23", "00:00")),  # the whole weekend
        (wib("2026-11-17", "10:00"), wib("2026-11-16", "10:00")),  # end before start
        (wib("2026-11-16", "12:00"), wib("2026-11-16", "13:00")),  # lunch break
    ],
    ids=["weekend", "whole-weekend", "reversed", "break"],
)
def test_elapsed_is_zero_outside_working_time(
    cal: WorkingHoursCalendar, start: datetime, end: datetime
) -> None:
    assert cal.elapsed(start, end) == timedelta(0)


def test_utc_input_is_read_as_wib_and_result_is_utc(cal: WorkingHoursCalendar) -> None:
    start = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)  # Friday 15:30 WIB
    due = cal.add(start, 2 * H)
    assert due == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # Monday 08:30 WIB
    assert due.utcoffset() == timedelta(0)
    assert cal.add(wib("2026-11-16", "08:00"), H).utcoffset() == timedelta(0)


def test_timezone_is_configurable() -> None:
    wita = WorkingHoursCalendar(timezone="Asia/Makassar")  # UTC+8
    start = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)  # Friday 15:30 WITA
    assert wita.add(start, 2 * H) == datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


def test_naive_or_negative_input_is_rejected(cal: WorkingHoursCalendar) -> None:
    with pytest.raises(ValueError, match="no timezone"):
        cal.add(datetime(2026, 11, 16, 8), H)
    with pytest.raises(ValueError, match="negative"):
        cal.add(wib("2026-11-16", "08:00"), -H)


def test_wall_clock_calendar_is_plain_arithmetic() -> None:
    clock = WallClockCalendar()
    start = wib("2026-11-20", "15:30")
    due = clock.add(start, 2 * H)
    assert due == wib("2026-11-20", "17:30")
    assert due.utcoffset() == timedelta(0)
    assert clock.add(start, 3 * timedelta(days=1)) == wib("2026-11-23", "15:30")
    assert clock.elapsed(start, wib("2026-11-23", "15:30")) == timedelta(days=3)
    assert clock.elapsed(start, start - H) == timedelta(0)


def test_make_calendar_picks_each_mode() -> None:
    assert isinstance(make_calendar("calendar", "Asia/Jakarta", None, "", "ID"), WallClockCalendar)
    working = make_calendar("working-hours", "Asia/Jakarta", None, "2026-12-24", "ID")
    assert isinstance(working, WorkingHoursCalendar)
    assert working.add(wib("2026-12-24", "09:00"), H) == wib("2026-12-28", "08:30")
    saturday = make_calendar("working-hours", "Asia/Jakarta", "sat 08:00-12:00", "", None)
    assert saturday.add(wib("2026-11-20", "09:00"), H) == wib("2026-11-21", "09:00")


@pytest.mark.parametrize("mode", ["business", "", "Calendar"])
def test_make_calendar_rejects_an_unknown_mode(mode: str) -> None:
    with pytest.raises(ValueError, match="unknown SLA calendar mode"):
        make_calendar(mode, "Asia/Jakarta", None, "", "ID")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"timezone": "Mars/Olympus"}, "unknown timezone"), ({"country": "XX"}, "no country")],
)
def test_bad_timezone_or_country_is_rejected(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingHoursCalendar(**kwargs)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (DEFAULT_SPEC, DEFAULT_WEEK),
        ("sat 08:00-12:00", {5: [(time(8), time(12))]}),
        ("Mon,WED 8:00-12:00 ;", {0: [(time(8), time(12))], 2: [(time(8), time(12))]}),
        ("mon 13:00-16:00; mon 07:30-12:00", {0: [(time(7, 30), time(12)), (time(13), time(16))]}),
        ("sun 00:00-23:59", {6: [(time(0), time(23, 59))]}),
    ],
    ids=["default", "saturday", "list-and-case", "merged-groups", "whole-day"],
)
def test_parse_week_parses_good_specs(spec: str, expected: dict) -> None:
    assert parse_week(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("xyz 08:00-12:00", "unknown day 'xyz'"),
        ("mon-funday 08:00-12:00", "unknown day 'funday'"),
        ("fri-mon 08:00-12:00", "runs backwards"),
        ("mon 8-12", "malformed time '8'"),
        ("mon 25:00-26:00", "malformed time '25:00'"),
        ("mon 08:00", "malformed time range"),
        ("mon 12:00-08:00", "not after start"),
        ("mon 08:00-08:00", "not after start"),
        ("mon 08:00-12:00,11:00-13:00", "overlapping"),
        ("mon 08:00-12:00; mon 11:00-13:00", "overlapping"),
        ("mon", "needs days then time ranges"),
        ("", "empty"),
    ],
)
def test_parse_week_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_week(spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2026-12-24, 2026-12-26", [date(2026, 12, 24), date(2026, 12, 26)]),
        ("2026-12-24", [date(2026, 12, 24)]),
        ("2026-12-24\n2026-12-31,", [date(2026, 12, 24), date(2026, 12, 31)]),
        ("", []),
        ("   ", []),
    ],
)
def test_parse_dates_parses_good_specs(spec: str, expected: list[date]) -> None:
    assert parse_dates(spec) == expected


@pytest.mark.parametrize("spec", ["2026-13-01", "24/12/2026", "2026-12-24, tomorrow"])
def test_parse_dates_rejects_bad_dates(spec: str) -> None:
    with pytest.raises(ValueError, match="invalid date"):
        parse_dates(spec)


def test_empty_week_raises_instead_of_looping() -> None:
    calendar = WorkingHoursCalendar(week={})
    with pytest.raises(ValueError, match="no working time within 1098 days"):
        calendar.add(wib("2026-11-16", "08:00"), H)
    assert calendar.elapsed(wib("2026-11-16", "08:00"), wib("2026-11-23", "08:00")) == timedelta(0)


def test_week_mapping_is_validated() -> None:
    with pytest.raises(ValueError, match="weekday"):
        WorkingHoursCalendar(week={7: [(time(8), time(12))]})
    with pytest.raises(ValueError, match="overlapping"):
        WorkingHoursCalendar(week={0: [(time(8), time(12)), (time(11), time(13))]})


# Time standards as written (issue 12): days are working days, hours working time.


def d(iso: str) -> Duration:
    """Return the time standard ``iso`` as the engine reads it."""
    return durations.parse(iso)


@pytest.mark.parametrize(
    ("start", "iso", "due"),
    [
        (wib("2026-11-20", "10:00"), "P1D", wib("2026-11-23", "10:00")),  # Friday -> Monday
        (wib("2026-11-16", "10:00"), "P3D", wib("2026-11-19", "10:00")),  # Monday -> Thursday
        (wib("2026-11-18", "10:00"), "P3D", wib("2026-11-23", "10:00")),  # over the weekend
        (wib("2026-11-16", "07:30"), "P3D", wib("2026-11-19", "07:30")),  # not 72 working hours
        (wib("2026-11-20", "10:00"), "P1DT2H", wib("2026-11-23", "12:00")),  # day, then hours
        (wib("2026-11-19", "15:00"), "P1DT2H", wib("2026-11-23", "08:00")),  # hours spill over
        (wib("2026-11-16", "10:00"), "P1W", wib("2026-11-23", "10:00")),  # a week: 5 days
        (wib("2026-11-16", "10:00"), "P1WT30M", wib("2026-11-23", "10:30")),
        (wib("2026-11-16", "11:00"), "PT2H", wib("2026-11-16", "14:00")),  # hours as before
    ],
    ids=[
        "fri-p1d",
        "mon-p3d",
        "wed-p3d",
        "p3d-days",
        "p1dt2h",
        "p1dt2h-spill",
        "p1w",
        "p1wt30m",
        "pt2h",
    ],
)
def test_days_of_a_standard_are_working_days_at_the_same_clock_time(
    cal: WorkingHoursCalendar, start: datetime, iso: str, due: datetime
) -> None:
    assert cal.add(start, d(iso)) == due


@pytest.mark.parametrize(
    ("calendar_holidays", "start", "iso", "due"),
    [
        ((), wib("2026-12-24", "10:00"), "P1D", wib("2026-12-28", "10:00")),  # Christmas Friday
        ((), wib("2026-12-23", "10:00"), "P1D", wib("2026-12-24", "10:00")),  # 24th worked
        ((CUTI_BERSAMA,), wib("2026-12-23", "10:00"), "P1D", wib("2026-12-28", "10:00")),
        ((CUTI_BERSAMA,), wib("2026-12-22", "14:00"), "P3D", wib("2026-12-29", "14:00")),
        ((CUTI_BERSAMA,), wib("2026-12-21", "10:00"), "P1W", wib("2026-12-30", "10:00")),
        ((CUTI_BERSAMA,), wib("2026-12-24", "10:00"), "P1D", wib("2026-12-29", "07:30")),
        ((date(2026, 11, 23),), wib("2026-11-20", "10:00"), "P1D", wib("2026-11-24", "10:00")),
    ],
    ids=[
        "holiday",
        "no-cuti",
        "cuti-and-holiday",
        "p3d-over-both",
        "week-over-both",
        "on-cuti",
        "monday-off",
    ],
)
def test_working_days_skip_public_holidays_and_cuti_bersama(
    calendar_holidays: tuple[date, ...], start: datetime, iso: str, due: datetime
) -> None:
    calendar = WorkingHoursCalendar(holidays=calendar_holidays)
    assert calendar.add(start, d(iso)) == due


@pytest.mark.parametrize(
    ("start", "iso", "due"),
    [
        (wib("2026-11-20", "19:00"), "P1D", wib("2026-11-24", "07:30")),  # Friday evening
        (wib("2026-11-21", "10:00"), "P1D", wib("2026-11-24", "07:30")),  # Saturday
        (wib("2026-11-16", "06:00"), "P1D", wib("2026-11-17", "07:30")),  # before opening
        (wib("2026-11-16", "16:00"), "P1D", wib("2026-11-18", "07:30")),  # at closing
        (wib("2026-11-16", "12:30"), "P1D", wib("2026-11-17", "13:00")),  # midday break
        (wib("2026-11-21", "10:00"), "P1DT1H", wib("2026-11-24", "08:30")),
        (wib("2026-12-25", "09:00"), "P1D", wib("2026-12-29", "07:30")),  # on a holiday
    ],
    ids=["fri-evening", "saturday", "early", "closing", "break", "sat-p1dt1h", "holiday"],
)
def test_counting_starts_at_the_next_working_moment(
    cal: WorkingHoursCalendar, start: datetime, iso: str, due: datetime
) -> None:
    assert cal.next_working_moment(start) <= due
    assert cal.add(start, d(iso)) == due


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (wib("2026-11-19", "11:45"), wib("2026-11-20", "11:30")),  # Friday's longer break
        (wib("2026-11-20", "16:15"), wib("2026-11-23", "16:00")),  # after Monday's closing
    ],
    ids=["into-friday-break", "past-monday-closing"],
)
def test_a_clock_time_outside_the_due_day_hours_ends_at_that_day_working_time(
    cal: WorkingHoursCalendar, start: datetime, due: datetime
) -> None:
    assert cal.add(start, d("P1D")) == due


def test_same_clock_time_that_many_working_days_later_for_random_starts(
    cal: WorkingHoursCalendar,
) -> None:
    rng = random.Random(12)
    origin = wib("2026-01-05", "00:00")
    for _ in range(200):
        start = origin + timedelta(days=rng.randrange(360), minutes=rng.choice(range(480, 690)))
        count = rng.randrange(1, 12)
        due = cal.add(start, Duration(days=count)).astimezone(WIB)
        begin = cal.next_working_moment(start).astimezone(WIB)
        working_days_between = sum(
            1
            for offset in range(1, (due.date() - begin.date()).days + 1)
            if cal.intervals(begin.date() + timedelta(days=offset))
        )
        assert working_days_between == count, (start, count, due)
        assert due.time() == begin.time(), (start, count, due)  # 08:00-11:30 works every day


def test_months_and_years_count_calendar_days_then_move_off_a_day_off(
    cal: WorkingHoursCalendar,
) -> None:
    assert cal.add(wib("2026-11-16", "10:00"), d("P1M")) == wib("2026-12-16", "10:00")
    # 30 days after Friday 20 November is Sunday 20 December: due when the office opens.
    assert cal.add(wib("2026-11-20", "10:00"), d("P1M")) == wib("2026-12-21", "07:30")
    assert cal.add(wib("2026-11-20", "10:00"), d("P1MT1H")) == wib("2026-12-21", "08:30")
    assert cal.add(wib("2026-11-20", "10:00"), d("P1MT0S")) == wib("2026-12-21", "07:30")
    assert cal.add(wib("2026-11-16", "10:00"), d("P1Y")) == wib("2027-11-16", "10:00")


def test_length_is_the_working_time_a_standard_stands_for(cal: WorkingHoursCalendar) -> None:
    assert cal.length(d("P1D")) == 7.5 * H  # the average day of the 37.5-hour week
    assert cal.length(d("P3D")) == 22.5 * H
    assert cal.length(d("P1DT2H")) == 9.5 * H
    assert cal.length(d("P1W")) == 37.5 * H
    assert cal.length(d("PT30M")) == 30 * M
    # A day-standard met to the minute took about one working day of working time.
    friday, monday = wib("2026-11-20", "10:00"), wib("2026-11-23", "10:00")
    assert cal.elapsed(friday, cal.add(friday, d("P1D"))) == cal.length(d("P1D"))
    assert cal.elapsed(friday, monday) == 7.5 * H


def test_standards_are_said_as_each_calendar_counts_them(cal: WorkingHoursCalendar) -> None:
    assert cal.words_id(d("P3D")) == "3 hari kerja"
    assert cal.words_id(d("P1DT2H")) == "1 hari kerja 2 jam"
    assert cal.words_id(d("PT2H")) == "2 jam"
    assert WallClockCalendar().words_id(d("P3D")) == "3 hari"


def test_wall_clock_days_stay_24_hours() -> None:
    clock = WallClockCalendar()
    friday = wib("2026-11-20", "10:00")
    assert clock.add(friday, d("P1D")) == wib("2026-11-21", "10:00")  # Saturday: no skipping
    assert clock.add(friday, d("P3D")) == wib("2026-11-23", "10:00")
    assert clock.add(friday, d("P1W")) == wib("2026-11-27", "10:00")
    assert clock.add(friday, d("P1DT2H")) == wib("2026-11-21", "12:00")
    assert clock.length(d("P3D")) == 72 * H


def test_negative_standard_components_are_rejected(cal: WorkingHoursCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.add(wib("2026-11-16", "08:00"), Duration(days=-1))
    with pytest.raises(ValueError, match="negative"):
        WallClockCalendar().add(wib("2026-11-16", "08:00"), Duration(hours=-1))


def test_working_days_in_an_empty_week_raise_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="no working time within 1098 days"):
        WorkingHoursCalendar(week={}).add(wib("2026-11-16", "08:00"), d("P1D"))
